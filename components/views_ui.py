"""The view builder's widgets, its preview (a table or a Vega-Lite chart), and links to saved views."""

from __future__ import annotations

import streamlit as st

from components import charts
from components.empty import empty_state
from components.i18n import current_language, t
from components.layout import PageContext
from components.reruns import rerun
from components.text import esc
from db.core import fields as custom
from db.crm import views


def figure(result: list[dict], display: str, title: str) -> dict | None:
    """A Vega-Lite spec for a view's result (pure); None for a table."""
    rows = [{"label": r["label"], "value": r["value"]} for r in result]
    build = {"bar": lambda: charts.bars(rows, title, charts.PALETTE[0]), "line": lambda: charts.line(rows, title),
             "pie": lambda: charts.donut(rows, title)}.get(display)
    return build() if build else None


def choices(ctx: PageContext, record: str) -> dict:
    """What the builder offers for ``record``: field names for filters and groups, measures, and a label for
    each name (a custom field by its label in the user's language; only the fields the person may see)."""
    extra = views.custom_fields(ctx.conn, record, ctx.actor)
    lang = current_language()
    names = views.fields(record)
    labels = {n: n for n in names} | {f"cf:{f.key}": f.label(lang) for f in extra}
    measures = [("count", None)] + [(k, f) for f in views.RECORDS[record][4] for k in ("sum", "avg")] + \
        [(k, f"cf:{f.key}") for f in extra if f.type in custom.NUMERIC for k in ("sum", "avg")] + \
        [("kpi", k) for k in views.KPIS.get(record, {})]
    return {"filter": names + [f"cf:{f.key}" for f in extra],
            "group": names + [f"cf:{f.key}" for f in extra if f.type in views.GROUPABLE],
            "measures": measures, "labels": labels}


def builder(ctx: PageContext, start: dict | None) -> dict:
    """Widgets for record type, filters, grouping, measure and display; returns the definition."""
    d = start or {"record": "deals", "filters": [], "group": "stage", "measure": {"kind": "count"}, "display": "bar"}
    c1, c2, c3, c4 = st.columns(4)
    record = c1.selectbox(t("views.record"), list(views.RECORDS), index=list(views.RECORDS).index(d["record"]),
                          key="vb_record", format_func=lambda r: t(f"views.record_{r}"))
    offer = choices(ctx, record)
    labels = offer["labels"]
    groups = [None, *offer["group"]]
    group = c2.selectbox(t("views.group"), groups, key="vb_group",
                         index=groups.index(d.get("group")) if d.get("group") in groups else 0,
                         format_func=lambda g: t("views.no_group") if g is None else _grouping(g, labels, ctx, record))
    measures = offer["measures"]
    current = (d["measure"]["kind"], d["measure"].get("field"))
    listing = group is None and bool(st.session_state.get("vb_columns", d.get("columns")))
    measure = c3.selectbox(t("views.measure"), measures, key="vb_measure", disabled=listing,
                           index=measures.index(current) if current in measures else 0,
                           format_func=lambda m: t(f"views.measure_{m[0]}", field=labels.get(m[1], m[1] or "")))
    display = c4.segmented_control(t("views.display"), views.DISPLAYS, default=d.get("display", "bar"),
                                   key="vb_display", format_func=lambda x: t(f"views.display_{x}")) or "table"
    columns = []
    if group is None:
        listable = [n for n in offer["filter"] if n not in views.GROUP_TIME]
        columns = st.multiselect(t("views.columns"), listable, key="vb_columns",
                                 default=[c for c in d.get("columns") or [] if c in listable],
                                 format_func=lambda n: labels.get(n, n), max_selections=views.MAX_COLUMNS,
                                 help=t("views.columns_help"))
    st.caption(t("views.filters"))
    filters = []
    names = offer["filter"]
    count = min(st.session_state.setdefault("vb_filters", len(d.get("filters") or [])), views.MAX_FILTERS)
    for i in range(count):
        seed = (d.get("filters") or [{}] * count)[i] if i < len(d.get("filters") or []) else {}
        f1, f2, f3 = st.columns([2, 1, 2])
        field = f1.selectbox(t("views.field"), names, key=f"vb_f{i}_field",
                             index=names.index(seed["field"]) if seed.get("field") in names else 0,
                             format_func=lambda n: labels.get(n, n))
        op = f2.selectbox(t("views.op"), list(views.OPS), key=f"vb_f{i}_op",
                          index=list(views.OPS).index(seed["op"]) if seed.get("op") in views.OPS else 0)
        value = f3.text_input(t("views.value"), seed.get("value") or "", key=f"vb_f{i}_value", max_chars=200)
        filters.append({"field": field, "op": op, "value": value})
    b1, b2, _ = st.columns([1, 1, 4])
    if b1.button(t("views.add_filter"), icon=":material/add:", key="vb_add", disabled=count >= views.MAX_FILTERS):
        st.session_state["vb_filters"] = count + 1
        rerun()
    if count and b2.button(t("views.remove_filter"), icon=":material/remove:", key="vb_remove"):
        st.session_state["vb_filters"] = count - 1
        rerun()
    return {"schema": views.SCHEMA, "record": record, "filters": filters, "group": group,
            "measure": {"kind": measure[0], "field": measure[1]}, "display": display, "limit": 100,
            "columns": columns}


def _grouping(name: str, labels: dict, ctx: PageContext, record: str) -> str:
    """A group's label; a custom date field says it groups by month."""
    label = labels.get(name, name)
    if name.startswith("cf:"):
        kind = next((f.type for f in views.custom_fields(ctx.conn, record, ctx.actor) if f"cf:{f.key}" == name), "")
        if kind in ("date", "datetime"):
            return t("views.by_month", field=label)
    return label


def notes_text(notes: list) -> list[str]:
    """What a view left out, as sentences (a hidden field is not named)."""
    lang = current_language()
    return [t(f"views.note_{reason}", label=esc(f.label(lang)) if f is not None else "") for reason, f in notes]


def run(ctx: PageContext, definition: dict) -> list[dict]:
    """The view's rows for the signed-in person, with a note for every part left out (archived, hidden)."""
    result, notes = views.run_noted(ctx.conn, definition, ctx.actor, words=(t("views.yes"), t("views.no")),
                                    lang=current_language())
    for line in notes_text(notes):
        st.caption(line)  # text-safe: labels escaped in notes_text
    return result


def headers(ctx: PageContext, definition: dict) -> dict[str, str]:
    """The table's column names: what it is grouped by and what is measured, or, for a list of records, the
    record's name and each chosen column, as the builder names them."""
    labels = choices(ctx, definition["record"])["labels"]
    group = definition.get("group")
    m = definition.get("measure") or {"kind": "count"}
    if definition.get("columns") and group is None:
        return {"label": t("views.record_name"), **{c: labels.get(c, c) for c in definition["columns"]}}
    return {"label": t("views.no_group") if group is None else labels.get(group, group),
            "value": t(f"views.measure_{m['kind']}", field=labels.get(m.get("field"), m.get("field") or ""))}


def show(result: list[dict], display: str, title: str, key: str, names: dict[str, str] | None = None) -> None:
    if not result:
        empty_state(t("views.no_rows"))
        return
    listed = "value" not in result[0]  # a list of records: always a table
    fig = None if listed else figure(result, display, title)
    if fig is None:
        names = names or {}
        config = {k: st.column_config.Column(names.get(k, k)) for k in result[0] if k != "id"}
        if not listed:
            config["value"] = st.column_config.NumberColumn(names.get("value", "value"))
        st.dataframe(result, hide_index=True, width="stretch", key=key, column_config={"id": None, **config},
                     column_order=[k for k in result[0] if k != "id"])
    else:
        st.vega_lite_chart(fig, key=key, width="stretch")


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
                show(run(ctx, v["definition"]), v["definition"].get("display", "table"), v["name"],
                     f"pinned_{v['id']}", headers(ctx, v["definition"]))
            except Exception:  # noqa: BLE001 - a stale pinned view must not break the home page
                st.caption(t("views.broken", name=esc(v["name"])))
