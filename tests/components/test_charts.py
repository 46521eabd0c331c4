"""The chart builders (pure: rows in, Vega-Lite spec out): what each draws, and that Vega-Lite accepts it."""

import jsonschema
import pytest
from altair.vegalite.v6.schema import core

from components import charts, views_ui

MONTH = {"month": "2026-01", "csat": 0.8, "nps": 10.0, "channel": "web", "cac": 1.0, "clv": 3.0, "spend": 1.0,
         "new_customers": 1, "win_rate": 0.5, "cycle_days": 9.0}


def every_chart(text: str = "t") -> dict[str, dict]:
    """One chart of each builder, with ``text`` in every label the builder takes from its rows or arguments."""
    gap = {**MONTH, "month": "2026-02", "csat": None, "nps": None, "cac": None, "win_rate": None}
    return {
        "satisfaction": charts.satisfaction_over_time([MONTH, gap], text, text, text),
        "distribution": charts.distribution([{"score": 5, "n": 1}], text, "csat"),
        "profit": charts.profit_bars([{"label": text, "profit": 1.0, "key": 1}, {"label": text, "profit": -2.0,
                                                                                  "key": 2}], text),
        "profit_horizontal": charts.profit_bars([{"label": text, "profit": -1.0, "key": 1}], text, horizontal=True),
        "cac": charts.cac_over_time([{**MONTH, "channel": text}, {**gap, "channel": text}], text),
        "clv": charts.cac_vs_clv([{**MONTH, "channel": text}], text, text, text),
        "funnel": charts.funnel([{"stage": text, "deals": 4, "stage_id": 1}, {"stage": "Won", "deals": 1,
                                                                              "stage_id": 2}], text),
        "rates": charts.rates_over_time([MONTH, gap], text, text, text),
        "cohorts": charts.cohort_heatmap([{"cohort": "2026-01", "age": 0, "retention": 1.0, "size": 3},
                                          {"cohort": "2026-01", "age": 1, "retention": None, "size": 3}], text, text),
        "forecast": charts.forecast([{"month": "2026-01", "owner": text, "weighted": 2.0}], text, text, text),
        "view_bar": views_ui.figure([{"label": text, "value": 2}], "bar", text),
        "view_line": views_ui.figure([{"label": text, "value": 2}, {"label": "b", "value": 1.5}], "line", text),
        "view_pie": views_ui.figure([{"label": text, "value": 2}, {"label": text, "value": 1}], "pie", text),
    }


@pytest.fixture(scope="module")
def validator():
    schema = core.load_schema()
    return jsonschema.validators.validator_for(schema)(schema)


@pytest.mark.parametrize("name", list(every_chart()))
def test_every_chart_is_valid_vega_lite(validator, name):
    spec = every_chart()[name]
    errors = [e.message[:200] for e in validator.iter_errors(spec)]
    assert not errors, errors
    assert spec["usermeta"] == {"embedOptions": {"renderer": "svg"}}  # titles and labels are text in the page


def _rows(spec: dict) -> list[dict]:
    return spec["data"]["values"]


def test_satisfaction_keeps_gaps_and_picks_months():
    spec = charts.satisfaction_over_time(
        [{"month": "2026-09", "csat": 0.5, "nps": 10.0}, {"month": "2026-10", "csat": None, "nps": None}],
        "t", "CSAT", "NPS")
    rows = _rows(spec)
    assert [(r["csat"], r["nps"]) for r in rows] == [(0.5, 10.0), (None, None)]
    assert [r["key"] for r in rows] == ["2026-09", "2026-10"]  # the drill-down key: the month
    bars, line, band = spec["layer"]
    assert bars["encoding"]["y"]["axis"]["format"] == ".0%" and bars["encoding"]["y"]["scale"]["domain"] == [0, 1]
    assert line["encoding"]["y"]["axis"]["orient"] == "right" and line["mark"]["invalid"].startswith("break-paths")
    # a click anywhere in a month's column picks it: the band on top carries the one selection
    assert spec["params"] == [charts.pick(["months"])] and band["name"] == "months" and "y" not in band["encoding"]
    assert bars["encoding"]["color"]["scale"] == {"domain": ["CSAT", "NPS"], "range": [charts.PALETTE[0],
                                                                                       charts.PALETTE[2]]}


def test_profit_bars_colour_losses_and_carry_keys():
    spec = charts.profit_bars([{"key": 1, "label": "a", "profit": 10}, {"key": 2, "label": "b", "profit": -5}], "t")
    assert [r["colour"] for r in _rows(spec)] == [charts.PALETTE[1], charts.PALETTE[3]]
    assert [r["key"] for r in _rows(spec)] == [1, 2]
    assert spec["params"][0]["select"]["fields"] == ["key"]


def test_two_groups_of_one_name_stay_two_bars():
    spec = charts.profit_bars([{"key": 1, "label": "Ana", "profit": 1}, {"key": 2, "label": "Ana", "profit": 2}],
                              "t", horizontal=True)
    assert [r["label"] for r in _rows(spec)] == ["Ana", "Ana (2)"]
    assert spec["height"] >= charts.HEIGHT


def test_distribution_fills_missing_scores():
    rows = _rows(charts.distribution([{"score": 10, "n": 3}], "t", "nps"))
    assert [r["label"] for r in rows] == [str(s) for s in range(11)]
    assert rows[-1]["value"] == 3 and sum(r["value"] for r in rows) == 3
    assert rows[-1]["colour"] == charts.PALETTE[1] and rows[0]["colour"] == charts.PALETTE[3]


def test_cohort_heatmap_shapes_a_triangle():
    cells = [{"cohort": "2026-09", "age": 1, "size": 4, "retention": 0.75},
             {"cohort": "2026-09", "age": 2, "size": 4, "retention": 0.5},
             {"cohort": "2026-10", "age": 1, "size": 2, "retention": 1.0},
             {"cohort": "2026-10", "age": 2, "size": 2, "retention": None}]
    spec = charts.cohort_heatmap(cells, "t", "months")
    assert [(r["cohort"], r["age"], r["retention"]) for r in _rows(spec)] == [
        ("2026-09 (4)", 1, 0.75), ("2026-09 (4)", 2, 0.5), ("2026-10 (2)", 1, 1.0)]  # no cell where no value
    assert spec["layer"][0]["encoding"]["y"]["sort"] == ["2026-09 (4)", "2026-10 (2)"]  # oldest on top


def test_funnel_and_cac_charts_build():
    rows = _rows(charts.funnel([{"stage_id": 1, "stage": "Lead", "deals": 4}, {"stage_id": 2, "stage": "Won",
                                                                                "deals": 1}], "t"))
    assert [(r["key"], r["left"], r["right"], r["value"]) for r in rows] == [(1, -2, 2, "4 (100%)"),
                                                                           (2, -0.5, 0.5, "1 (25%)")]
    clv = charts.cac_vs_clv([{"channel": "email", "cac": 10, "clv": 50}, {"channel": "x", "cac": None, "clv": 5}],
                            "t", "CAC", "CLV")
    assert [r["channel"] for r in _rows(clv)] == ["email"]
    assert clv["layer"][0]["data"]["values"][-1] == {"cac": 50, "clv": 150, "name": "LTV = 3 × CAC"}


def test_cac_over_time_draws_only_series_with_a_value():
    points = [{"month": "2026-09", "campaign": "A", "cac": None, "spend": 100, "new_customers": 0},
              {"month": "2026-10", "campaign": "A", "cac": 50.0, "spend": 100, "new_customers": 2},
              {"month": "2026-10", "campaign": "B", "cac": None, "spend": 300, "new_customers": 0}]
    spec = charts.cac_over_time(points, "t", series="campaign")
    assert spec["encoding"]["color"]["scale"]["domain"] == ["A"]
    # the month without a win stays a gap
    assert [(r["series"], r["cac"]) for r in _rows(spec)] == [("A", None), ("A", 50.0)]
    assert _rows(spec)[1]["tip"] == "A · 2026-10: 50 (spend 100 / 2 won)"


def test_a_view_draws_bars_lines_or_a_ring_and_a_table_draws_none():
    result = [{"label": "Won", "value": 3}, {"label": "Lost", "value": 1.25}]
    assert views_ui.figure(result, "bar", "t")["mark"]["type"] == "bar"
    assert views_ui.figure(result, "line", "t")["mark"]["type"] == "line"
    pie = views_ui.figure(result, "pie", "t")
    assert pie["mark"]["type"] == "arc" and [r["tip"] for r in _rows(pie)] == ["Won: 3", "Lost: 1.25"]
    assert views_ui.figure(result, "table", "t") is None


def test_a_title_hint_goes_on_a_second_line_and_bars_turn_their_labels_when_narrow():
    spec = charts.profit_bars([{"key": 1, "label": "Paid search", "profit": 1}], "Profit by channel (click a bar)")
    assert (spec["title"]["text"], spec["title"]["subtitle"]) == ("Profit by channel", "click a bar")
    assert "subtitle" not in charts.profit_bars([], "Profit (A)B")["title"]
    angle = spec["encoding"]["x"]["axis"]["labelAngle"]["expr"]
    assert angle == "bandwidth('x') < 77 ? -40 : 0"  # 11 characters, ~7 px each
