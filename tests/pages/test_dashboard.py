"""AppTest of the dashboard: cards show real figures, chart selections drill down to customers."""

import json
from datetime import date

from db.analytics import kpi, kpi_profit
from db.core.connection import connect
from db.core.filters import Filters, period
from tests.apptest import page, texts


def _month_filters():
    start, end = period("month", date.today())
    return Filters(start, end)


def test_cards_show_the_kpis_of_the_period(seeded):
    at = page("pages/dashboard.py", seeded[0], "manager")
    at.run()
    assert not at.exception
    cards = {m.label: m.value for m in at.metric}
    assert set(cards) >= {"CSAT", "NPS", "Revenue", "Gross margin", "Customer profit", "CAC", "LTV : CAC",
                          "Win rate", "Sales cycle", "Weighted pipeline"}
    expected = kpi.sales(connect(seeded[0]), _month_filters())
    shown = cards["Win rate"]
    assert shown == "—" if expected["win_rate"] is None else shown.endswith("%")


def test_rep_cannot_open_the_dashboard(seeded):
    at = page("pages/dashboard.py", seeded[0], "rep")
    at.run()
    assert "not available" in texts(at) and not at.metric


def test_selecting_a_channel_bar_lists_its_customers(seeded):
    conn = connect(seeded[0])
    f = Filters(*period("year", date.today()))
    groups = kpi_profit.profit_by(conn, f, "channel")
    assert groups, "the tiny seed has customers this year"
    channel = groups[0]["key"]
    at = page("pages/dashboard.py", seeded[0], "admin",
              state={"dash_period": "year", "dash_tab": "Profitability", "chart_profit_channel": {"selection": {"pick": [{"key": channel}]}}})
    at.run()
    assert not at.exception
    behind = kpi_profit.customers_behind(conn, f, "channel", channel)
    assert f"{len(behind)} customers behind this bar" in texts(at)
    table = at.dataframe[0].value
    assert len(table) == len(behind)


def test_empty_period_shows_dashes_not_zeros(seeded):
    at = page("pages/dashboard.py", seeded[0], "admin",
              state={"dash_period": "month", "dash_anchor": date(2019, 1, 15)})
    at.run()
    assert not at.exception
    cards = {m.label: m.value for m in at.metric}
    assert cards["CSAT"] == "—" and cards["NPS"] == "—" and cards["Win rate"] == "—"


def _chart_titles(at) -> list[str]:
    return [title(json.loads(c.proto.spec)) for c in at.get("vega_lite_chart")]


def title(spec: dict) -> str:
    """A chart's title as written (its "(...)" hint is drawn as a subtitle)."""
    head = spec["title"]
    return head["text"] + (f" ({head['subtitle']})" if head.get("subtitle") else "")


def test_only_the_open_tab_is_drawn(seeded):
    at = page("pages/dashboard.py", seeded[0], "admin")
    at.run()
    assert not at.exception
    first = _chart_titles(at)
    assert "Satisfaction by month (click a month for the answers)" in first and "Customer profit by channel (click a bar for its customers)" not in first
    at = page("pages/dashboard.py", seeded[0], "admin", state={"dash_tab": "Profitability"})
    at.run()
    assert not at.exception
    profit = _chart_titles(at)
    assert "Customer profit by channel (click a bar for its customers)" in profit and "Satisfaction by month (click a month for the answers)" not in profit
    assert {m.label for m in at.metric} >= {"CSAT", "Customer profit"}  # the cards stay whatever the tab


def test_drill_down_shows_the_customers_custom_fields_the_person_may_see(seeded):
    from db.analytics import drill
    from db.core import fields, records
    from db.core.permissions import Actor
    from tests.apptest import user_id

    conn = connect(seeded[0])
    admin = Actor(user_id(seeded[0], "admin"), "admin", "A")
    tier = fields.define(conn, "contacts", {"type": "choice", "label": "Tier", "options": ["Gold", "Silver"]}, admin)
    fields.define(conn, "contacts", {"type": "money", "label": "Budget cap", "view_roles": ["admin"]}, admin)
    f = Filters(*period("year", date.today()))
    channel = kpi_profit.profit_by(conn, f, "channel")[0]["key"]
    behind = kpi_profit.customers_behind(conn, f, "channel", channel)
    first = behind[0]["key"]
    records.update(conn, "contacts", first, records.get(conn, "contacts", first)["version"], {tier.column: "gold"},
                   admin)
    manager = Actor(user_id(seeded[0], "manager"), "manager", "M")
    assert [x.key for x in drill.contact_fields(conn, manager)] == ["tier"]
    assert drill.contact_values(conn, [first], drill.contact_fields(conn, manager)) == {first: {"tier": "Gold"}}
    at = page("pages/dashboard.py", seeded[0], "manager",
              state={"dash_period": "year", "dash_tab": "Profitability", "chart_profit_channel": {"selection": {"pick": [{"key": channel}]}}})
    at.run()
    assert not at.exception
    table = at.dataframe[0].value
    assert "Tier" in table.columns and "Budget cap" not in table.columns
    assert list(table["Tier"]).count("Gold") == 1


def _chart(at, key: str):
    """The drill-down chart ``key`` (a chart with a selection carries its key in its element id)."""
    return next(c.proto for c in at.get("vega_lite_chart") if key in c.proto.id)


def _chart_rows(at, key: str) -> list[dict]:
    """The rows a chart was drawn from, read from the Arrow data the page sent."""
    import pyarrow as pa

    return pa.ipc.open_stream(_chart(at, key).data.data).read_all().to_pylist()


def test_the_profit_chart_draws_each_group_with_its_key_and_picks_by_it(seeded):
    conn = connect(seeded[0])
    f = Filters(*period("year", date.today()))
    groups = kpi_profit.profit_by(conn, f, "channel")
    at = page("pages/dashboard.py", seeded[0], "admin", state={"dash_period": "year", "dash_tab": "Profitability"})
    at.run()
    assert not at.exception
    rows = _chart_rows(at, "chart_profit_channel")
    assert [(r["key"], r["profit"]) for r in rows] == [(g["key"], g["profit"]) for g in groups]
    chart = _chart(at, "chart_profit_channel")
    assert json.loads(chart.spec)["params"][0]["name"] == "pick" and list(chart.selection_mode) == ["pick"]
    assert not at.get("plotly_chart")


def test_picking_a_month_lists_its_answers_and_a_stage_its_deals(seeded):
    from db.analytics import kpi_series

    conn = connect(seeded[0])
    f = Filters(*period("year", date.today()))
    at = page("pages/dashboard.py", seeded[0], "admin", state={"dash_period": "year"})
    at.run()
    months = [r["key"] for r in _chart_rows(at, "chart_satisfaction")]
    month = next(m for m in reversed(months) if kpi_series.respondents(conn, f, "csat", m))
    at = page("pages/dashboard.py", seeded[0], "admin",
              state={"dash_period": "year", "chart_satisfaction": {"selection": {"pick": [{"key": month}]}}})
    at.run()
    assert not at.exception
    assert f"Answers in {month}" in texts(at)
    answers = kpi_series.respondents(conn, f, "csat", month) + kpi_series.respondents(conn, f, "nps", month)
    assert len(at.dataframe[0].value) == len(answers)
    funnel_tab = {"dash_period": "year", "dash_tab": "Funnel and win rate"}
    at = page("pages/dashboard.py", seeded[0], "admin", state=funnel_tab)
    at.run()
    stage = _chart_rows(at, "chart_funnel")[0]["key"]
    pipeline = conn.execute("SELECT pipeline_id FROM stages WHERE id = ?", (stage,)).fetchone()[0]
    at = page("pages/dashboard.py", seeded[0], "admin",
              state={**funnel_tab, "chart_funnel": {"selection": {"pick": [{"key": stage}]}}})
    at.run()
    assert not at.exception
    deals = kpi_series.deals_behind(conn, f, pipeline, stage)
    assert f"{len(deals)} deal" in texts(at) and "reached this stage" in texts(at)
    assert len(at.dataframe[0].value) == len(deals)
