"""Dashboard rendering: filter bar, KPI cards with deltas, chart tabs with drill-down.

The figures come from ``load``, cached per (change token, filters, part): a timer re-run with no data
change costs one cheap token query, and only the open chart tab's figures are read (db.analytics.dashboard.PARTS).
"""

from __future__ import annotations

from datetime import date

import streamlit as st

from components import charts
from components.empty import empty_state, nothing
from components.export import export_buttons
from components.i18n import (
    channel_label,
    current_language,
    date_format,
    money,
    money_column_format,
    number,
    percent,
    stamp,
    t,
    translate,
)
from components.layout import PageContext, filter_area, nav_link
from components.text import esc
from db.analytics import dashboard, drill, kpi_profit, kpi_series
from db.core.connection import db_path
from db.core.filters import PERIODS, Filters, period

DRILL = 200


TABS = ("satisfaction", "profit", "acquisition", "funnel", "cohorts")  # chart tabs, each a part of PARTS


@st.cache_data(ttl=3600, max_entries=256, show_spinner=False)
def load(path: str, token: tuple, f: Filters, part: str, pipeline_id: int | None = None) -> dict:
    """The figures of one part of the dashboard for one filter set (cached by the data's change token)."""
    return dashboard.figures(path, f, pipeline_id, (part,))


def figures(part: str, token: tuple, f: Filters, pipeline_id: int | None = None) -> dict:
    """``load`` for this database, with a spinner while it computes."""
    with st.spinner(t("dashboard.computing")):
        return load(db_file(), token, f, part, pipeline_id)


def filter_bar(ctx: PageContext) -> tuple[Filters, int | None]:
    """Period picker and filters; returns the filters and the pipeline shown in the funnel."""
    options = dashboard.filter_options(ctx.conn)
    owners, pipelines, channels, campaigns = (options[k] for k in ("owners", "pipelines", "channels", "campaigns"))
    head = st.columns([2.2, 1.3, 3])
    set_ = sum(1 for k in ("dash_owner", "dash_pipeline", "dash_channel", "dash_campaign", "dash_segment")
               if st.session_state.get(k) is not None)
    with filter_area(set_):  # the period stays in view; on a phone the other five fold into one expander
        top = [*head[:2], *st.columns(5)]
    kind = top[0].segmented_control(t("dashboard.period"), PERIODS, default="month", key="dash_period",
                                    format_func=lambda p: t(f"dashboard.period_{p}")) or "month"
    custom = (None, None)
    if kind == "custom":
        picked = top[1].date_input(t("dashboard.range"), format=date_format(), value=(date.today().replace(day=1), date.today()),
                                   key="dash_range")
        if isinstance(picked, tuple) and len(picked) == 2:
            custom = picked
    anchor = top[1].date_input(t("dashboard.anchor"), format=date_format(), value=date.today(), key="dash_anchor") \
        if kind != "custom" else date.today()
    owner = top[2].selectbox(t("dashboard.owner"), [None] + [o["id"] for o in owners], key="dash_owner",
                             format_func=lambda i: t("dashboard.all") if i is None else
                             next(o["name"] for o in owners if o["id"] == i))
    pipe_ids = [p["id"] for p in pipelines]
    pipeline = top[3].selectbox(t("dashboard.pipeline"), [None, *pipe_ids], key="dash_pipeline",
                                format_func=lambda i: t("dashboard.sales_pipelines") if i is None else
                                next(p["name"] for p in pipelines if p["id"] == i))
    channel = top[4].selectbox(t("dashboard.channel"), [None, *channels], key="dash_channel",
                               format_func=lambda c: t("dashboard.all") if c is None else channel_label(c))
    campaign = top[5].selectbox(t("dashboard.campaign"), [None] + [c["id"] for c in campaigns], key="dash_campaign",
                                format_func=lambda i: t("dashboard.all") if i is None else
                                next(c["name"] for c in campaigns if c["id"] == i))
    segment = top[6].selectbox(t("dashboard.segment"), [None, "A", "B", "C"], key="dash_segment",
                               format_func=lambda s: t("dashboard.all") if s is None else s)
    start, end = period(kind, anchor, *custom)
    f = Filters(start=start, end=end, owner_id=owner, pipeline_id=pipeline, channel=channel, campaign_id=campaign,
                segment=segment)
    funnel_pipeline = pipeline or next((p["id"] for p in pipelines if p["kind"] == "sales"), None)
    return f, funnel_pipeline


CARDS = [  # key, formatter, "higher is better"
    ("csat", "pct", True), ("nps", "points", True), ("revenue", "money", True), ("margin", "money", True),
    ("profit", "money", True), ("cac", "money", False), ("ltv_cac", "ratio", True), ("win_rate", "pct", True),
    ("cycle_days", "days", False), ("weighted", "money", True),
]


def show(value, fmt: str, lang: str) -> str:
    if value is None:
        return "—"
    return {"pct": lambda: percent(value, lang), "points": lambda: number(value, lang, 1),
            "money": lambda: money(value, lang), "ratio": lambda: number(value, lang, 2),
            "days": lambda: t("dashboard.days", n=round(value, 1))}[fmt]()


def delta(now, before, fmt: str, lang: str) -> str | None:
    if now is None or before is None:
        return None
    diff = now - before
    if fmt == "pct":
        points = number(abs(diff) * 100, lang, 1)
        return translate(lang, "dashboard.pp", value=("+" if diff >= 0 else "−") + points)
    return ("+" if diff >= 0 else "") + show(diff, fmt, lang)


def render_cards(data: dict, lang: str) -> None:
    now, before = data["now"], data["before"]
    if not any(now.get(key) for key, _, _ in CARDS if key != "weighted"):  # weighted: open deals, not the period
        empty_state(t("dashboard.no_data"))
    # On a phone the columns stack one card per line: two per line (a wrapping row, 160 px each) cut money
    # values ("167 5…") and labels, so the cards keep the full width there.
    for row in (CARDS[:5], CARDS[5:]):
        for col, card in zip(st.columns(5), row, strict=True):
            _card(col, card, now, before, lang)


def _card(where, card: tuple, now: dict, before: dict, lang: str) -> None:
    key, fmt, higher = card
    change = None if key == "weighted" else delta(now.get(key), before.get(key), fmt, lang)  # a "now" figure
    where.metric(t(f"kpi.{key}"), show(now.get(key), fmt, lang), change,
                 delta_color="normal" if higher else "inverse", help=t(f"kpi.{key}_help"), border=True)


DRILL_MONEY = {"amount", "revenue", "margin", "cost_to_serve", "cac", "profit"}


def drill_table(ctx: PageContext, items: list[dict], columns: dict[str, str], key: str) -> None:
    """The customers or deals behind a selection, each linking to its record, with the customers' custom
    fields the person may see as extra columns."""
    if not items:
        st.caption(t("dashboard.drill_empty"))
        return
    items = items[:DRILL]
    extra = drill.contact_fields(ctx.conn, ctx.actor)
    values = drill.contact_values(ctx.conn, [i.get("contact_id") for i in items], extra)
    lang = current_language()
    named = {f.key: _unique(f.label(lang), set(columns.values())) for f in extra}
    table = []
    for item in items:
        link = f"/contacts?id={item['contact_id']}" if item.get("contact_id") else None
        row = {"link": link, **{label: stamp(item.get(field)) if field.endswith("_at") else item.get(field)
                                for field, label in columns.items()}}
        mine = values.get(item.get("contact_id"), {})
        row.update({named[f.key]: _cell(mine.get(f.key), f.type) for f in extra})
        table.append(row)
    cash = money_column_format()  # amounts read like every other amount; they stay numbers for sorting
    config = {label: st.column_config.NumberColumn(label, format=cash) for field, label in columns.items()
              if field in DRILL_MONEY}
    config.update({named[f.key]: st.column_config.NumberColumn(named[f.key], format=cash) for f in extra
                   if f.type == "money"})
    st.dataframe(table, hide_index=True, width="stretch",
                 column_config={"link": st.column_config.LinkColumn(t("dashboard.open"), display_text="↗"), **config})
    export_buttons("drill-down", [{k: v for k, v in r.items() if k != "link"} for r in table],
                   key=key)


def _unique(label: str, taken: set[str]) -> str:
    """A custom field's column name that does not overwrite a built-in column of the table."""
    return label if label not in taken and label != "link" else f"{label} ·"


def _cell(value, kind: str):
    """A custom value in a table cell: choices joined, a checkbox as a tick, numbers kept for sorting (an empty
    text cell stays blank)."""
    if value is None and kind not in ("number", "money", "percent"):
        return ""
    if isinstance(value, list):
        return ", ".join(value)
    if isinstance(value, bool):
        return "✓" if value else ""
    return value


def picked(key: str):
    """The drill-down key of the mark picked in chart ``key`` (its ``charts.PICK`` selection), or None."""
    state = st.session_state.get(key)
    selection = state.get("selection") if isinstance(state, dict) else getattr(state, "selection", None)
    points = (selection or {}).get(charts.PICK) or []
    point = points[0] if isinstance(points, list) and points else None
    return point.get("key") if isinstance(point, dict) else None


def chart(where, spec: dict, key: str, drill: bool = False) -> None:
    """Draw a Vega-Lite spec of components.charts; ``drill``: a click re-runs with the picked mark's key."""
    if drill:
        where.vega_lite_chart(spec, key=key, on_select="rerun", selection_mode=charts.PICK, width="stretch")
    else:
        where.vega_lite_chart(spec, key=key, width="stretch")


def render_charts(ctx: PageContext, token: tuple, f: Filters, funnel_pipeline: int | None) -> None:
    """The chart tabs; only the open one is read and drawn (picking another re-runs the content fragment only)."""
    tabs = st.tabs([t(f"dashboard.tab_{name}") for name in TABS], key="dash_tab", on_change="rerun")
    for name, tab in zip(TABS, tabs, strict=True):
        if tab.open:
            with tab:
                RENDER[name](ctx, figures(name, token, f, funnel_pipeline), f, funnel_pipeline)


def _satisfaction(ctx, data, f, _pipeline_id):
    chart(st, charts.satisfaction_over_time(data["monthly"], t("dashboard.satisfaction_over_time"), t("kpi.csat"),
                                            t("kpi.nps")), "chart_satisfaction", drill=True)
    st.caption(t("kpi.csat_help") + " " + t("kpi.nps_help"))
    month = picked("chart_satisfaction")
    if month:
        st.subheader(t("dashboard.respondents", month=esc(month)), anchor=False)
        answers = kpi_series.respondents(ctx.conn, f, "csat", month) + kpi_series.respondents(ctx.conn, f, "nps", month)
        drill_table(ctx, answers, {"customer": t("dashboard.customer"), "score": t("dashboard.score"),
                                   "comment": t("dashboard.comment"), "responded_at": t("dashboard.when")}, key="drill_answers")
    left, right = st.columns(2)
    chart(left, charts.distribution(data["csat_dist"], t("dashboard.csat_distribution"), "csat"), "chart_csat_dist")
    chart(right, charts.distribution(data["nps_dist"], t("dashboard.nps_distribution"), "nps"), "chart_nps_dist")


def _profit(ctx, data, f, _pipeline_id):
    dim = st.segmented_control(t("dashboard.profit_by"), ["channel", "campaign", "segment", "owner"],
                               default="channel", key="profit_dim",
                               format_func=lambda d: t(f"dashboard.dim_{d}")) or "channel"
    groups = data[f"profit_{dim}"]
    if dim == "channel":  # the key stays the stored channel (drill-down); the label is in the user's language
        groups = [{**g, "label": channel_label(g["label"])} for g in groups]
    chart(st, charts.profit_bars(groups, t(f"dashboard.profit_by_{dim}")), f"chart_profit_{dim}", drill=True)
    st.caption(t("kpi.profit_help"))
    chosen = picked(f"chart_profit_{dim}")
    if chosen is not None:
        behind = kpi_profit.customers_behind(ctx.conn, f, dim, chosen)
        st.subheader(t("dashboard.customers_behind", n=len(behind)), anchor=False)
        drill_table(ctx, [{**r, "contact_id": r["key"]} for r in behind], _profit_columns(), key="drill_profit")
    best, worst = data["top_customers"], data["loss_customers"]
    left, right = st.columns(2)
    chart(left, charts.profit_bars(best, t("dashboard.top_customers"), horizontal=True), "chart_top_customers",
          drill=True)
    chart(right, charts.profit_bars(worst, t("dashboard.loss_customers"), horizontal=True), "chart_loss_customers",
          drill=True)
    for key, shown in (("chart_top_customers", best), ("chart_loss_customers", worst)):
        cid = picked(key)
        if cid is not None:
            drill_table(ctx, [{**r, "contact_id": r["key"]} for r in shown if r["key"] == cid], _profit_columns(), key="drill_profit_one")


def _profit_columns() -> dict[str, str]:
    return {"label": t("dashboard.customer"), "revenue": t("kpi.revenue"), "margin": t("kpi.margin"),
            "cost_to_serve": t("kpi.cost_to_serve"), "cac": t("kpi.cac"), "profit": t("kpi.profit")}


def _acquisition(_ctx, data, _f, _pipeline_id):
    by = st.segmented_control(t("dashboard.cac_by"), ["channel", "campaign"], default="channel", key="cac_by",
                              format_func=lambda d: t(f"dashboard.dim_{d}")) or "channel"
    if by == "channel":
        figure = charts.cac_over_time([{**p, "channel": channel_label(p["channel"])} for p in data["cac_channel"]],
                                      t("dashboard.cac_over_time"))
    else:
        figure = charts.cac_over_time(data["cac_campaign"], t("dashboard.cac_over_time_campaign"), series="campaign")
    chart(st, figure, f"chart_cac_{by}")
    st.caption(t("kpi.cac_help"))
    clv = [{**p, "channel": channel_label(p["channel"])} for p in data["clv_channel"]]
    chart(st, charts.cac_vs_clv(clv, t("dashboard.cac_vs_clv"), t("kpi.cac"), t("kpi.clv")), "chart_clv")
    st.caption(t("kpi.clv_help"))


def _funnel(ctx, data, f, pipeline_id):
    left, right = st.columns(2)
    if nothing(data.get("funnel"), "deals"):
        empty_state(t("dashboard.funnel_empty"), left)
    else:
        chart(left, charts.funnel(data["funnel"], t("dashboard.funnel")), "chart_funnel", drill=True)
        left.caption(t("dashboard.funnel_help"))
    chart(right, charts.rates_over_time(data["monthly"], t("dashboard.win_rate_over_time"), t("kpi.win_rate"),
                                        t("kpi.cycle_days")), "chart_rates")
    right.caption(t("kpi.win_rate_help") + " " + t("kpi.cycle_days_help"))
    stage = picked("chart_funnel")
    if stage is not None and pipeline_id:
        deals = kpi_series.deals_behind(ctx.conn, f, pipeline_id, stage)
        st.subheader(t("dashboard.deals_behind", n=len(deals)), anchor=False)
        drill_table(ctx, deals, {"title": t("dashboard.deal"), "contact": t("dashboard.customer"),
                                 "amount": t("dashboard.amount")}, key="drill_funnel")
    nav_link(ctx, "deals", icon=":material/view_kanban:")


def _cohorts(_ctx, data, _f, _pipeline_id):
    chart(st, charts.cohort_heatmap(data["cohorts"], t("dashboard.cohorts"), t("dashboard.months_after")),
          "chart_cohorts")
    st.caption(t("dashboard.cohorts_help"))


RENDER = {"satisfaction": _satisfaction, "profit": _profit, "acquisition": _acquisition, "funnel": _funnel,
          "cohorts": _cohorts}


def db_file() -> str:
    return str(db_path())
