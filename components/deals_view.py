"""Deals page parts: filters, the board with its move handling, the deal detail, new deal, forecast."""

from __future__ import annotations

from datetime import UTC, date, datetime

import plotly.graph_objects as go
import streamlit as st

from components.board import board_data, render_board
from components.charts import PALETTE, figure
from components.empty import empty_state
from components.errors import parse_id
from components.export import export_buttons
from components.history import render_history
from components.i18n import date_format, error_text, moment, money, t
from components.layout import PageContext, nav_link, show_error
from components.text import esc
from db.core import settings
from db.core.connection import rows
from db.core.errors import ConflictError, DomainError
from db.crm import deals


def board_filters(ctx: PageContext) -> deals.BoardQuery:
    pipes = deals.pipelines(ctx.conn)
    c = st.columns([1.4, 2, 1, 1, 1.2, 1.2])
    pipeline = c[0].selectbox(t("deals.pipeline"), [p["id"] for p in pipes], key="d_pipeline",
                              format_func=lambda i: next(p["name"] for p in pipes if p["id"] == i))
    search = c[1].text_input(t("deals.search"), key="d_search", max_chars=100, placeholder=t("deals.search_hint"))
    low = c[2].number_input(t("deals.min_amount"), min_value=0.0, value=None, step=1000.0, key="d_min")
    high = c[3].number_input(t("deals.max_amount"), min_value=0.0, value=None, step=1000.0, key="d_max")
    closing = c[4].date_input(t("deals.expected_close"), format=date_format(), value=(), key="d_close")
    with c[5]:
        mine = st.toggle(t("deals.mine"), key="d_mine")
        all_closed = st.toggle(t("deals.all_closed"), key="d_all_closed")
    return deals.BoardQuery(pipeline_id=pipeline, owner_id=ctx.user["id"] if mine else None, min_amount=low,
                            max_amount=high, close_from=closing[0].isoformat() if len(closing) > 0 else None,
                            close_to=closing[1].isoformat() if len(closing) > 1 else None, search=search,
                            closed_days=None if all_closed else deals.CLOSED_DAYS)


def render_pipeline_board(ctx: PageContext, query: deals.BoardQuery) -> None:
    extra = st.session_state.setdefault("d_extra", {})
    columns = deals.board(ctx.conn, query, extra=extra)
    if not any(col["count"] for col in columns):
        empty_state(t("deals.none_found"))
    currency = settings.get(ctx.conn, "currency")
    data = board_data(columns, ctx.lang, datetime.now(UTC).replace(tzinfo=None), currency)
    result = render_board(data, key=f"board_{query.pipeline_id}_{st.session_state.get('board_version', 0)}")
    moved = getattr(result, "moved", None) if result is not None else None
    opened = getattr(result, "opened", None) if result is not None else None
    if moved and moved.get("at") != st.session_state.get("d_last_move"):
        st.session_state["d_last_move"] = moved.get("at")
        st.session_state["deal_move"] = moved
        st.rerun()
    if opened:
        st.query_params["id"] = str(opened["deal_id"])
        st.rerun()
    hidden = [col for col in columns if col["count"] > len(col["cards"])]
    if hidden:
        more = st.columns(len(columns))
        for i, col in enumerate(columns):
            if col["count"] > len(col["cards"]) and more[i].button(t("deals.show_more", stage=esc(col["name"])),
                                                                   key=f"more_{col['id']}"):
                extra[col["id"]] = extra.get(col["id"], 0) + deals.PER_COLUMN
                st.rerun()
    st.caption(t("deals.board_help"))


def handle_move(ctx: PageContext, event: dict) -> None:
    """Apply a drag result; won and lost stages first ask for the amount/date or the reason. The ids come from
    the browser: read like link ids (components/errors.parse_id), a bad one drops the move."""
    ids = {k: parse_id(str(event.get(k, ""))) for k in ("deal_id", "to_stage_id", "version")}
    if None in ids.values():
        st.session_state.pop("deal_move", None)
        return
    event = {**event, **ids}
    stage = next((s for s in rows(ctx.conn, "SELECT id, name, kind FROM stages WHERE id = ?",
                                  (event.get("to_stage_id"),))), None)
    if stage is None:
        st.session_state.pop("deal_move", None)
        return
    if stage["kind"] == "open":
        _do_move(ctx, event)
        return
    deal = deals.detail(ctx.conn, int(event["deal_id"]))
    with st.container(border=True):
        st.subheader(t("deals.confirm_" + stage["kind"], title=esc(deal["title"]), stage=esc(stage["name"])),
                     anchor=False)
        kwargs = {}
        if stage["kind"] == "won":
            c1, c2 = st.columns(2)
            kwargs["amount"] = c1.number_input(t("deals.amount"), min_value=0.0, value=float(deal["amount"]),
                                               key="move_amount")
            kwargs["closed_at"] = c2.date_input(t("deals.closed_at"), format=date_format(), value=date.today(), max_value=date.today(),
                                                key="move_closed").isoformat() + " 12:00:00"
        else:
            reasons = settings.get(ctx.conn, "lost_reasons")
            c1, c2 = st.columns(2)
            picked = c1.selectbox(t("deals.lost_reason"), [None, *reasons], key="move_reason",
                                  format_func=lambda r: t("deals.choose") if r is None else r)
            other = c2.text_input(t("deals.other_reason"), key="move_reason_other", max_chars=200)
            kwargs["lost_reason"] = other or picked
        b1, b2, _ = st.columns([1, 1, 4])
        if b1.button(t("deals.confirm"), type="primary", key="move_confirm"):
            _do_move(ctx, event, **kwargs)
        if b2.button(t("deals.cancel"), key="move_cancel"):
            st.session_state.pop("deal_move", None)
            _refresh_board()
            st.rerun()


def _do_move(ctx: PageContext, event: dict, **kwargs) -> None:
    try:
        saved = deals.move(ctx.conn, int(event["deal_id"]), int(event["to_stage_id"]), int(event["version"]),
                           ctx.actor, **kwargs)
    except ConflictError as err:
        st.session_state.pop("deal_move", None)
        _refresh_board()
        st.error(t("deals.moved_meanwhile", detail=error_text(err)), icon=":material/sync_problem:")
        return
    except DomainError as err:
        st.error(error_text(err), icon=":material/error:")
        return
    st.session_state.pop("deal_move", None)
    st.toast(t("deals.moved", title=esc(saved["title"], limit=60)), icon=":material/check:")
    _refresh_board()
    st.rerun()


def _refresh_board() -> None:
    st.session_state["board_version"] = st.session_state.get("board_version", 0) + 1


def render_export(ctx: PageContext, query: deals.BoardQuery) -> None:
    """The board's deals with the same filters as CSV or Excel."""
    with st.expander(t("export.title"), icon=":material/download:"):
        export_buttons("deals", lambda conn: deals.export_rows(conn, query), key="d_export")


def render_new_deal(ctx: PageContext, pipeline_id: int) -> None:
    with st.expander(t("deals.new"), icon=":material/add:"), st.form("new_deal", clear_on_submit=True):
        stages = deals.stages(ctx.conn, pipeline_id)
        c1, c2, c3 = st.columns(3)
        title = c1.text_input(t("deals.title"), max_chars=200)
        stage = c2.selectbox(t("deals.stage"), [s["id"] for s in stages if s["kind"] == "open"],
                             format_func=lambda i: next(s["name"] for s in stages if s["id"] == i))
        amount = c3.number_input(t("deals.amount"), min_value=0.0, value=0.0, step=100.0)
        search = c1.text_input(t("deals.contact_search"), max_chars=100)
        close = c2.date_input(t("deals.expected_close"), format=date_format(), value=None)
        cost = c3.number_input(t("deals.cost"), min_value=0.0, value=0.0, step=100.0)
        if st.form_submit_button(t("deals.create"), type="primary"):
            contact = _find_contact(ctx, search) if search else None
            try:
                new_id = deals.create(ctx.conn, {"pipeline_id": pipeline_id, "stage_id": stage, "title": title,
                                                 "amount": amount, "cost": cost, "expected_close": close,
                                                 "contact_id": contact["id"] if contact else None,
                                                 "company_id": contact["company_id"] if contact else None}, ctx.actor)
                st.toast(t("deals.created", id=new_id), icon=":material/check:")  # text-safe: an id
                _refresh_board()
            except DomainError as err:
                st.error(error_text(err))


def _find_contact(ctx: PageContext, text: str) -> dict | None:
    from db.crm.contacts import Query, page

    found, _ = page(ctx.conn, Query(search=text), limit=1)
    return found[0] if found else None


def render_forecast(ctx: PageContext, pipeline_id: int) -> None:
    points = deals.forecast(ctx.conn, pipeline_id)
    st.subheader(t("deals.forecast"), anchor=False)
    if not points:
        st.caption(t("deals.no_forecast"))
        return
    st.plotly_chart(forecast_figure(points), key="forecast")
    st.caption(t("deals.forecast_help"))


def forecast_figure(points: list[dict]) -> go.Figure:
    """Stacked bars of weighted pipeline per expected-close month, one colour per owner (pure)."""
    owners = sorted({p["owner"] for p in points})
    traces = []
    for i, owner in enumerate(owners):
        mine = [p for p in points if p["owner"] == owner]
        traces.append({"type": "bar", "x": [p["month"] for p in mine], "y": [p["weighted"] for p in mine],
                       "name": owner, "marker": {"color": PALETTE[i % len(PALETTE)]}})
    return figure("", traces, barmode="stack")


def render_deal(ctx: PageContext, deal_id: int) -> None:
    nav_link(ctx, "deals", label=t("deals.back"), icon=":material/arrow_back:")
    try:
        deal = deals.detail(ctx.conn, deal_id)
    except DomainError as err:
        show_error(err)
        return
    st.title(esc(deal["title"]))
    st.caption(" · ".join(filter(None, [esc(deal["pipeline"]), esc(deal["stage"]), money(deal["amount"], ctx.lang),
                                        esc(deal["contact"] or deal["company"] or ""), esc(deal["owner"] or "")])))
    if deal["contact_id"]:
        nav_link(ctx, "contacts", label=t("deals.open_contact"), icon=":material/person:",
                 query_params={"id": deal["contact_id"]})
    edit, activities, moves, history = st.tabs([t("deals.edit"), t("deals.activities"), t("deals.moves"),
                                                t("history.tab")])
    with edit, st.form(f"deal_{deal_id}"):
        c1, c2 = st.columns(2)
        title = c1.text_input(t("deals.title"), deal["title"], max_chars=200, key=f"deal_title_{deal_id}")
        amount = c2.number_input(t("deals.amount"), min_value=0.0, value=float(deal["amount"]),
                                 key=f"deal_amount_{deal_id}")
        cost = c1.number_input(t("deals.cost"), min_value=0.0, value=float(deal["cost"]), key=f"deal_cost_{deal_id}")
        close = c2.date_input(t("deals.expected_close"), format=date_format(),
                              value=date.fromisoformat(deal["expected_close"]) if deal["expected_close"] else None,
                              key=f"deal_close_{deal_id}")
        if st.form_submit_button(t("account.save"), type="primary"):
            try:
                deals.update(ctx.conn, deal_id, deal["version"], {"title": title, "amount": amount, "cost": cost,
                                                                  "expected_close": close}, ctx.actor)
                st.success(t("admin.saved"))
            except ConflictError as err:
                show_error(err)
            except DomainError as err:
                st.error(error_text(err))
    with activities:
        for a in deal["activities"]:
            mark = ":material/check_circle:" if a["done"] else ":material/radio_button_unchecked:"
            st.markdown(f"{mark} **{t('kinds.' + a['kind'])}** · {esc(a['subject'])} · {moment(a['at'], ctx.lang)}")
        if not deal["activities"]:
            st.caption(t("deals.no_activities"))
        with st.form(f"deal_activity_{deal_id}", clear_on_submit=True):
            c1, c2, c3 = st.columns([1, 2, 1])
            kind = c1.selectbox(t("record.kind"), ["call", "meeting", "email", "task", "note"],
                                format_func=lambda k: t("kinds." + k))
            subject = c2.text_input(t("deals.subject"), max_chars=200)
            when = c3.date_input(t("deals.when"), format=date_format(), value=date.today())
            if st.form_submit_button(t("deals.add_activity")):
                _add_activity(ctx, deal, kind, subject, when)
    with moves:
        for h in deal["history"]:
            st.markdown(f":material/arrow_right_alt: {esc(h['from_stage'] or '—')} → **{esc(h['to_stage'])}** · "
                        f"{moment(h['moved_at'], ctx.lang)} · {esc(h['who'] or '')}")
    with history:
        render_history(ctx, "deals", deal_id)


def _add_activity(ctx: PageContext, deal: dict, kind: str, subject: str, when: date) -> None:
    from db.core import records

    if not subject.strip():
        st.error(t("record.err_empty"))
        return
    stamp = f"{when.isoformat()} 09:00:00"
    values = {"kind": kind, "subject": subject.strip(), "deal_id": deal["id"], "contact_id": deal["contact_id"],
              "owner_id": ctx.user["id"], "duration_min": 30, "done": int(when <= date.today())}
    values["due_at" if kind == "task" else "starts_at"] = stamp
    try:
        records.create(ctx.conn, "activities", values, ctx.actor)
        st.toast(t("record.added"))
    except DomainError as err:
        st.error(error_text(err))

