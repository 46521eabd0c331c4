"""The view builder's widgets, its preview (table or plotly), and links to saved views."""

from __future__ import annotations

import plotly.graph_objects as go
import streamlit as st

from components import charts
from components.charts import PALETTE
from components.empty import empty_state
from components.i18n import t
from components.layout import PageContext
from components.text import esc
from db.crm import views


def figure(result: list[dict], display: str, title: str) -> go.Figure | None:
    """A plotly figure for a view's result (pure); None for a table."""
    labels, values = [r["label"] for r in result], [r["value"] for r in result]
    traces = {"bar": {"type": "bar", "x": labels, "y": values, "marker": {"color": PALETTE[0]}},
              "line": {"type": "scatter", "x": labels, "y": values, "mode": "lines+markers",
                       "line": {"color": PALETTE[0], "width": 3}},
              "pie": {"type": "pie", "labels": labels, "values": values, "hole": 0.4, "textposition": "inside"}}
    if display not in traces:
        return None
    beside = {"legend": {"orientation": "v", "x": 1.02, "y": 0.5}} if display == "pie" else {}
    return charts.figure(title, [traces[display]], **beside)


def builder(start: dict | None) -> dict:
    """Widgets for record type, filters, grouping, measure and display; returns the definition."""
    d = start or {"record": "deals", "filters": [], "group": "stage", "measure": {"kind": "count"}, "display": "bar"}
    c1, c2, c3, c4 = st.columns(4)
    record = c1.selectbox(t("views.record"), list(views.RECORDS), index=list(views.RECORDS).index(d["record"]),
                          key="vb_record", format_func=lambda r: t(f"views.record_{r}"))
    fields = views.fields(record)
    group = c2.selectbox(t("views.group"), [None, *fields], key="vb_group",
                         index=([None, *fields].index(d.get("group")) if d.get("group") in fields else 0),
                         format_func=lambda g: t("views.no_group") if g is None else g)
    measures = [("count", None)] + [(k, f) for f in views.RECORDS[record][4] for k in ("sum", "avg")] + \
        [("kpi", k) for k in views.KPIS.get(record, {})]
    current = (d["measure"]["kind"], d["measure"].get("field"))
    measure = c3.selectbox(t("views.measure"), measures, key="vb_measure",
                           index=measures.index(current) if current in measures else 0,
                           format_func=lambda m: t(f"views.measure_{m[0]}", field=m[1] or ""))
    display = c4.segmented_control(t("views.display"), views.DISPLAYS, default=d.get("display", "bar"),
                                   key="vb_display", format_func=lambda x: t(f"views.display_{x}")) or "table"
    st.caption(t("views.filters"))
    filters = []
    count = min(st.session_state.setdefault("vb_filters", len(d.get("filters") or [])), views.MAX_FILTERS)
    for i in range(count):
        seed = (d.get("filters") or [{}] * count)[i] if i < len(d.get("filters") or []) else {}
        f1, f2, f3 = st.columns([2, 1, 2])
        field = f1.selectbox(t("views.field"), fields, key=f"vb_f{i}_field",
                             index=fields.index(seed["field"]) if seed.get("field") in fields else 0)
        op = f2.selectbox(t("views.op"), list(views.OPS), key=f"vb_f{i}_op",
                          index=list(views.OPS).index(seed["op"]) if seed.get("op") in views.OPS else 0)
        value = f3.text_input(t("views.value"), seed.get("value") or "", key=f"vb_f{i}_value", max_chars=200)
        filters.append({"field": field, "op": op, "value": value})
    b1, b2, _ = st.columns([1, 1, 4])
    if b1.button(t("views.add_filter"), icon=":material/add:", key="vb_add", disabled=count >= views.MAX_FILTERS):
        st.session_state["vb_filters"] = count + 1
        st.rerun()
    if count and b2.button(t("views.remove_filter"), icon=":material/remove:", key="vb_remove"):
        st.session_state["vb_filters"] = count - 1
        st.rerun()
    return {"schema": views.SCHEMA, "record": record, "filters": filters, "group": group,
            "measure": {"kind": measure[0], "field": measure[1]}, "display": display, "limit": 100}


def show(result: list[dict], display: str, title: str, key: str) -> None:
    if not result:
        empty_state(t("views.no_rows"))
        return
    fig = figure(result, display, title)
    if fig is None:
        st.dataframe(result, hide_index=True, width="stretch", key=key)
    else:
        st.plotly_chart(fig, key=key)


def render_view_links(ctx: PageContext) -> None:
    """Sidebar links to the person's own and the team's shared views (builder and grid views)."""
    from components.layout import nav_link

    saved = [v for v in views.visible(ctx.conn, ctx.user["id"]) if v["page"] != "views" or ctx.actor.is_manager]
    if saved:
        st.caption(t("views.saved"))
        for v in saved[:15]:
            nav_link(ctx, v["page"], label=esc(v["name"]), icon=":material/bookmark:", query_params={"view": v["id"]})


def render_pinned(ctx: PageContext) -> None:
    """Pinned views' results, compact, for the home page."""
    pinned = views.pinned(ctx.conn, ctx.user["id"])
    if not pinned:
        return
    cols = st.columns(min(len(pinned), 3))
    for i, v in enumerate(pinned):
        with cols[i % len(cols)].container(border=True):
            if v["definition"] is None:
                st.caption(t("views.broken", name=esc(v["name"])))
                continue
            try:
                show(views.run(ctx.conn, v["definition"]), v["definition"].get("display", "table"), v["name"],
                     f"pinned_{v['id']}")
            except Exception:  # noqa: BLE001 - a stale pinned view must not break the home page
                st.caption(t("views.broken", name=esc(v["name"])))
