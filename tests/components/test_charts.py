from components import charts


def test_satisfaction_chart_keeps_gaps_and_months():
    fig = charts.satisfaction_over_time(
        [{"month": "2026-09", "csat": 0.5, "nps": 10.0}, {"month": "2026-10", "csat": None, "nps": None}],
        "t", "CSAT", "NPS")
    bar, line = fig.data
    assert list(bar.y) == [50.0, None] and list(line.y) == [10.0, None]
    assert list(bar.customdata) == ["2026-09", "2026-10"]


def test_profit_bars_colour_losses_and_carry_keys():
    fig = charts.profit_bars([{"key": 1, "label": "a", "profit": 10}, {"key": 2, "label": "b", "profit": -5}], "t")
    assert list(fig.data[0].marker.color) == [charts.PALETTE[1], charts.PALETTE[3]]
    assert list(fig.data[0].customdata) == [1, 2]


def test_distribution_fills_missing_scores():
    fig = charts.distribution([{"score": 10, "n": 3}], "t", "nps")
    assert list(fig.data[0].x) == [str(s) for s in range(11)] and fig.data[0].y[-1] == 3 and sum(fig.data[0].y) == 3


def test_cohort_heatmap_shapes_a_triangle():
    cells = [{"cohort": "2026-09", "age": 1, "size": 4, "retention": 0.75},
             {"cohort": "2026-09", "age": 2, "size": 4, "retention": 0.5},
             {"cohort": "2026-10", "age": 1, "size": 2, "retention": 1.0}]
    fig = charts.cohort_heatmap(cells, "t", "months")
    assert fig.data[0].z == ((75.0, 50.0), (100.0, None)) or [list(r) for r in fig.data[0].z] == [[75.0, 50.0],
                                                                                                   [100.0, None]]


def test_funnel_and_cac_charts_build():
    f = charts.funnel([{"stage_id": 1, "stage": "Lead", "deals": 4}, {"stage_id": 2, "stage": "Won", "deals": 1}], "t")
    assert list(f.data[0].x) == [4, 1]
    c = charts.cac_vs_clv([{"channel": "email", "cac": 10, "clv": 50}, {"channel": "x", "cac": None, "clv": 5}],
                          "t", "CAC", "CLV")
    assert list(c.data[0].text) == ["email"]


def test_cac_over_time_draws_only_series_with_a_value():
    points = [{"month": "2026-09", "campaign": "A", "cac": None, "spend": 100, "new_customers": 0},
              {"month": "2026-10", "campaign": "A", "cac": 50.0, "spend": 100, "new_customers": 2},
              {"month": "2026-10", "campaign": "B", "cac": None, "spend": 300, "new_customers": 0}]
    fig = charts.cac_over_time(points, "t", series="campaign")
    assert [trace.name for trace in fig.data] == ["A"]
    assert list(fig.data[0].y) == [None, 50.0]  # the month without a win stays a gap


def test_every_label_reaches_plotly_as_text_and_keys_stay_raw():
    """figure() escapes plotly's HTML subset in titles, ticks, legend names and hover text of every chart;
    customdata (the drill-down key) and numbers are untouched."""
    hostile = '<a href="https://evil.example">A&B</a>'
    fig = charts.figure(hostile, [{"type": "bar", "x": [hostile, "2026-01"], "y": [1, 2], "name": hostile,
                                   "text": [hostile, None], "customdata": [hostile, 7]}],
                        xaxis={"title": {"text": "<b>x</b>"}})
    bar = fig.data[0]
    escaped = "&lt;a href=\"https://evil.example\"&gt;A&amp;B&lt;/a&gt;"
    assert fig.layout.title.text == escaped and bar.name == escaped and list(bar.x) == [escaped, "2026-01"]
    assert list(bar.text) == [escaped, None] and list(bar.y) == [1, 2] and list(bar.customdata) == [hostile, 7]
    assert fig.layout.xaxis.title.text == "&lt;b&gt;x&lt;/b&gt;"
    cac = charts.cac_over_time([{"month": "2026-01", "channel": "<b>web</b>", "cac": 5.0, "spend": 5.0,
                                 "new_customers": 1}], "t")
    assert cac.data[0].name == "&lt;b&gt;web&lt;/b&gt;" and "<b>" not in cac.data[0].hovertemplate
