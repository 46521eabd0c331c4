"""Deals page parts: filters, the board with its move handling, the deal detail, new deal, forecast."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime

import streamlit as st

from components import charts, custom_columns, grid
from components.board import board_data, render_board
from components.custom_fields import record_form
from components.empty import empty_state
from components.errors import parse_id
from components.export import export_buttons
from components.flash import flash, saved_message, show_flash
from components.follow_up import render_next_step
from components.history import render_history
from components.i18n import date_format, error_text, money, money_column_format, stamp, t
from components.layout import PageContext, filter_area, narrow, nav_link, show_error
from components.locks import writable
from components.new_record import (
    created,
    custom_inputs,
    field_error,
    form_again,
    form_close,
    form_fail,
    form_state,
    open_form,
)
from components.reruns import rerun
from components.text import esc
from db.analytics.kpi import change_token
from db.core import settings
from db.core.connection import db_path, pooled
from db.core.errors import ConflictError, DomainError, ValidationError
from db.core.permissions import may_write
from db.crm import custom, deals


def board_filters(ctx: PageContext) -> deals.BoardQuery:
    pipes = deals.pipelines(ctx.conn)
    folded = narrow()
    c = [st.container()] if folded else st.columns([1.4, 2, 1, 1, 1.2, 1.2])
    pipeline = c[0].selectbox(t("deals.pipeline"), [p["id"] for p in pipes], key="d_pipeline",
                              format_func=lambda i: next(p["name"] for p in pipes if p["id"] == i))
    if folded:  # on a phone the pipeline (it chooses the board) stays out; the other filters fold into one expander
        with filter_area(sum(1 for k in ("d_search", "d_min", "d_max", "d_close", "d_mine", "d_all_closed")
                             if st.session_state.get(k))):
            c = [None, *st.columns([2, 1, 1, 1.2, 1.2])]
            return _board_filters(ctx, pipeline, c)
    return _board_filters(ctx, pipeline, c)


def _board_filters(ctx: PageContext, pipeline: int, c: list) -> deals.BoardQuery:
    search = c[1].text_input(t("deals.search"), key="d_search", max_chars=100, placeholder=t("deals.search_hint"))
    low = c[2].number_input(t("deals.min_amount"), min_value=0.0, value=None, step=1000.0, key="d_min")
    high = c[3].number_input(t("deals.max_amount"), min_value=0.0, value=None, step=1000.0, key="d_max")
    closing = c[4].date_input(t("deals.expected_close"), format=date_format(), value=(), key="d_close")
    with c[5]:
        mine = st.toggle(t("deals.mine"), key="d_mine")
        all_closed = st.toggle(t("deals.all_closed"), key="d_all_closed")
    found = custom.shown(ctx.conn, "deals", ctx.actor)
    conditions = custom_columns.more_filters(found, "d", ctx.lang, _people(ctx))
    return deals.BoardQuery(pipeline_id=pipeline, owner_id=ctx.user["id"] if mine else None, min_amount=low,
                            max_amount=high, close_from=closing[0].isoformat() if len(closing) > 0 else None,
                            close_to=closing[1].isoformat() if len(closing) > 1 else None, search=search,
                            closed_days=None if all_closed else deals.CLOSED_DAYS, custom=conditions,
                            sort=st.session_state.get("d_sort", "amount"))


def _people(ctx: PageContext) -> dict[int, str]:
    from db.crm import contacts

    return contacts.choices(ctx.conn)["owner_id"]


VIEWS = ("board", "list")
LIST_KEY = "deals_list"


def view_switch() -> str:
    """Board or list: the same deals and filters, as cards or as an editable grid."""
    picked = st.segmented_control(t("lists.view"), VIEWS, key="d_view", default="board",
                                  format_func=lambda v: t(f"lists.view_{v}"), label_visibility="collapsed")
    return picked or "board"


def render_deals_list(ctx: PageContext, query: deals.BoardQuery) -> None:
    """The pipeline's deals as an editable grid with their custom fields: title, amounts and the expected
    close date inline; the stage changes on the board or the deal page (won and lost ask first)."""
    found = custom.shown(ctx.conn, "deals", ctx.actor)
    extra_sorts = custom_columns.sort_options(found, ctx.lang)
    c1, _ = st.columns([1, 3])
    c1.selectbox(t("contacts.sort"), [*deals.SORTS, *extra_sorts], key="d_sort",
                 format_func=lambda v: extra_sorts.get(v) or t(f"lists.deal_sort_{v}"))
    signature = repr(query)
    if st.session_state.get("d_list_signature") != signature:
        st.session_state["d_list_signature"] = signature
        grid.reset_page(LIST_KEY)
    try:
        total = deals.list_page(ctx.conn, query, limit=0, actor=ctx.actor)[1]
    except ValidationError as err:
        st.error(error_text(custom_columns.name_field(err, found, ctx.lang)), icon=":material/error:")
        return
    size, offset = grid.pager(LIST_KEY, total, ctx.lang)
    shown, _ = deals.list_page(ctx.conn, query, limit=size, offset=offset, actor=ctx.actor, total=total)
    for r in shown:
        r["open"] = f"/deals?id={r['id']}"
        if r["expected_close"]:
            r["expected_close"] = date.fromisoformat(r["expected_close"][:10])
    custom_columns.shown_rows(shown, found, custom.link_names(ctx.conn, shown, found))
    people = _people(ctx)
    cash = money_column_format()
    config = {
        "open": st.column_config.LinkColumn("", display_text="↗", width="small", disabled=True),
        "title": st.column_config.TextColumn(t("deals.title"), max_chars=200, required=True),
        "stage": st.column_config.TextColumn(t("deals.stage"), disabled=True, help=t("lists.stage_help")),
        "customer": st.column_config.TextColumn(t("lists.customer"), disabled=True),
        "amount": st.column_config.NumberColumn(t("deals.amount"), min_value=0, format=cash),
        "cost": st.column_config.NumberColumn(t("deals.cost"), min_value=0, format=cash),
        "expected_close": st.column_config.DateColumn(t("deals.expected_close"), format=date_format()),
        "owner_id": st.column_config.SelectboxColumn(t("deals.owner"), options=list(people), disabled=True,
                                                     format_func=lambda v: people.get(v, "")),
        **custom_columns.columns(found, ctx.actor, ctx.lang, people),
    }
    key = f"{LIST_KEY}_{offset}_{size}"
    changes = grid.editable(key, shown, config, ["open", "title", "stage", "customer", "amount", "cost",
                                                 "expected_close", "owner_id", *(f.column for f in found)],
                            allow_add=False, empty=t("deals.none_found"))
    n = len(changes.edits) + len(changes.deleted)
    if st.button(t("contacts.save", n=n), type="primary", disabled=not changes.dirty, key="d_list_save",
                 icon=":material/save:"):
        edits = [(o, {k: (v.isoformat() if isinstance(v, date) else v) for k, v in d.items()})
                 for o, d in custom_columns.edits(changes.edits, found)]
        try:
            result = deals.save_grid(ctx.conn, edits, changes.deleted, ctx.actor)
        except ConflictError as err:
            st.error(t("contacts.conflict", detail=error_text(custom_columns.name_field(err, found, ctx.lang))))
            st.info(t("record.kept"))
        except ValidationError as err:
            custom_columns.name_field(err, found, ctx.lang)
            st.error((t("contacts.row", row_no=err.row) + ": " if err.row else "") + error_text(err),  # text-safe: row no.
                     icon=":material/error:")
        except DomainError as err:
            show_error(custom_columns.name_field(err, found, ctx.lang))
        else:
            grid.forget(key)
            flash(LIST_KEY, saved_message(result["updated"], 0, len(result["deleted"])))
            _refresh_board()
            rerun()
    show_flash(LIST_KEY)
    st.caption(t("lists.deals_help"))


def render_pipeline_board(ctx: PageContext, query: deals.BoardQuery) -> None:
    extra = st.session_state.setdefault("d_extra", {})
    columns = deals.board(ctx.conn, query, extra=extra, actor=ctx.actor)
    if not any(col["count"] for col in columns):
        empty_state(t("deals.none_found"))
    currency = settings.get(ctx.conn, "currency")
    data = board_data(columns, ctx.lang, datetime.now(UTC).replace(tzinfo=None), currency, actor=ctx.actor)
    data["pending"] = bool(st.session_state.get("deal_move"))  # a won/lost question is open: keep focus there
    result = render_board(data, key=f"board_{query.pipeline_id}_{st.session_state.get('board_version', 0)}")
    moved = getattr(result, "moved", None) if result is not None else None
    opened = getattr(result, "opened", None) if result is not None else None
    if moved and moved.get("at") != st.session_state.get("d_last_move"):
        st.session_state["d_last_move"] = moved.get("at")
        st.session_state["deal_move"] = moved
        _move_now(ctx, moved)  # a plain move is saved in this run (and re-runs to redraw); anything else:
        rerun()  # handle_move, on the next run, asks its question or says why not above the board
    if opened:
        st.query_params["id"] = str(opened["deal_id"])
        rerun()
    hidden = [col for col in columns if col["count"] > len(col["cards"])]
    if hidden:
        more = st.columns(len(columns))
        for i, col in enumerate(columns):
            if col["count"] > len(col["cards"]) and more[i].button(t("deals.show_more", stage=esc(col["name"])),
                                                                   key=f"more_{col['id']}"):
                extra[col["id"]] = extra.get(col["id"], 0) + deals.PER_COLUMN
                rerun()
    st.caption(t("deals.board_help"))


def handle_move(ctx: PageContext, event: dict) -> None:
    """Apply a move (a drag, the card's move menu or the detail's stage field); won and lost stages first ask
    for the amount/date or the reason. The ids come from the browser: read like link ids
    (components/errors.parse_id), a bad one drops the move; a deal the person may not change is refused
    before any confirmation is asked for."""
    try:
        read = _read_move(ctx, event)
    except DomainError as err:
        st.session_state.pop("deal_move", None)
        show_error(err)
        return
    if read is None:
        st.session_state.pop("deal_move", None)
        return
    event, deal, stage = read
    if not may_write(ctx.actor, "deals", deal):
        st.session_state.pop("deal_move", None)
        _refresh_board()
        st.error(t("deals.stage_locked"), icon=":material/lock:")
        return
    if stage["kind"] == "open":
        _do_move(ctx, event, deal, stage)
        return
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
        with st.container(horizontal=True):
            if st.button(t("deals.confirm"), type="primary", key="move_confirm"):
                _do_move(ctx, event, deal, stage, **kwargs)
            if st.button(t("deals.cancel"), key="move_cancel"):
                st.session_state.pop("deal_move", None)
                _refresh_board()
                rerun()


def _read_move(ctx: PageContext, event: dict) -> tuple[dict, dict, dict] | None:
    """The move with its ids read like link ids (components/errors.parse_id), its deal and its target stage;
    None when it is no move (a bad id, another pipeline's stage, the stage the deal is in). A deal that is
    gone raises DomainError."""
    ids = {k: parse_id(str(event.get(k, ""))) for k in ("deal_id", "to_stage_id", "version")}
    if None in ids.values():
        return None
    event = {**event, **ids}
    stage = deals.stage(ctx.conn, event["to_stage_id"])
    deal = deals.detail(ctx.conn, event["deal_id"])
    if stage is None or stage["pipeline_id"] != deal["pipeline_id"] or stage["id"] == deal["stage_id"]:
        return None
    return event, deal, stage


def _move_now(ctx: PageContext, event: dict) -> None:
    """Save a plain move (to an open stage of the deal's pipeline, a deal this person may change, at the
    version that was dragged) in the run the drag caused: a move took three script runs (the drag's, the
    move's, the redraw), now two. Anything else returns untouched for ``handle_move`` on the next run."""
    try:
        read = _read_move(ctx, event)
    except DomainError:
        return
    if read is None:
        return
    event, deal, stage = read
    if stage["kind"] != "open" or deal["version"] != event["version"] or not may_write(ctx.actor, "deals", deal):
        return
    try:
        saved = deals.move(ctx.conn, event["deal_id"], event["to_stage_id"], event["version"], ctx.actor)
    except DomainError:  # changed in between: the next run's handle_move meets it again and says so
        return
    _moved(saved, stage)


def _do_move(ctx: PageContext, event: dict, deal: dict, stage: dict, **kwargs) -> None:
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
    _moved(saved, stage)


def _moved(saved: dict, stage: dict) -> None:
    """A saved move: the notice with Undo, the board redrawn from the database."""
    st.session_state.pop("deal_move", None)
    st.session_state[MOVED] = {"kind": "moved", "deal_id": saved["id"], "title": saved["title"],
                               "stage": stage["name"], "audit_id": saved.get("audit_id"), "at": time.time()}
    _refresh_board()
    rerun()


MOVED = "deal_moved"  # the notice after a move: {"kind": "moved"|"undone", "title", "stage", "audit_id", "at"}
MOVED_FOR_S = 600  # the notice (and its undo) lasts until dismissed, the next move, or ten minutes


def render_move_notice(ctx: PageContext) -> None:
    """A lasting confirmation after a move, naming the deal and its new stage, with Undo (the audit log's
    revert of that very change, refused when someone changed the deal since)."""
    info = st.session_state.get(MOVED)
    if not info or time.time() - info.get("at", 0) > MOVED_FOR_S:
        st.session_state.pop(MOVED, None)
        return
    moved = info["kind"] == "moved"
    text = t("deals.moved_to" if moved else "deals.undone", title=esc(info["title"], limit=80),
             stage=esc(info["stage"]))
    note, buttons = st.columns([4, 1], vertical_alignment="center")
    if moved:
        note.success(text, icon=":material/check_circle:")
    else:
        note.info(text, icon=":material/undo:")
    with buttons.container(horizontal=True, horizontal_alignment="right"):
        undo = moved and info.get("audit_id") and st.button(t("deals.undo"), key="deal_undo", icon=":material/undo:")
        dismiss = st.button(t("deals.dismiss"), key="deal_moved_dismiss", type="tertiary", icon=":material/close:")
    if dismiss:
        st.session_state.pop(MOVED, None)
        rerun()
    if undo:
        try:
            saved = deals.undo_move(ctx.conn, int(info["audit_id"]), ctx.actor)
        except DomainError as err:
            st.session_state.pop(MOVED, None)
            st.error(error_text(err), icon=":material/sync_problem:")
            return
        back = deals.stage(ctx.conn, saved["stage_id"])
        st.session_state[MOVED] = {"kind": "undone", "deal_id": saved["id"], "title": saved["title"],
                                   "stage": back["name"] if back else "", "at": time.time()}
        _refresh_board()
        rerun()


def _refresh_board() -> None:
    st.session_state["board_version"] = st.session_state.get("board_version", 0) + 1


def render_export(ctx: PageContext, query: deals.BoardQuery) -> None:
    """The board's deals with the same filters as CSV or Excel."""
    with st.expander(t("export.title"), icon=":material/download:"):
        export_buttons("deals", lambda conn: deals.export_rows(conn, query, actor=ctx.actor, lang=ctx.lang),
                       key="d_export")


def render_new_deal_button(ctx: PageContext, pipeline_id: int) -> None:
    """The page header's "New deal" button: opens the dialog for the pipeline on the board."""
    if st.button(t("deals.new"), icon=":material/add:", key="new_deal_open", width="stretch"):
        open_form(ctx, "deal", pipeline_id=pipeline_id)


def new_deal_form(ctx: PageContext, pipeline_id: int | None) -> None:
    """Fields with their own messages, and a check for an open deal with the same title for the same
    contact or company before anything is created (a second Create on the same input creates anyway).
    Without a pipeline (opened from the search) the first field chooses it."""
    from db.crm import contacts

    if pipeline_id is None:
        pipes = {p["id"]: p["name"] for p in deals.pipelines(ctx.conn)}
        pipeline_id = st.selectbox(t("deals.pipeline"), list(pipes), key="nd_pipeline", format_func=pipes.get)
    stages = [s for s in deals.stages(ctx.conn, pipeline_id) if s["kind"] == "open"]
    names = {s["id"]: s["name"] for s in stages}
    title = st.text_input(t("deals.title") + " *", max_chars=200, key="nd_title")
    field_error("title")
    field_error("deal_title")
    c1, c2 = st.columns(2)
    stage = c1.selectbox(t("deals.stage"), list(names), key=f"nd_stage_{pipeline_id}",
                          format_func=lambda i: names.get(i, ""))
    with c2:
        amount = st.number_input(t("deals.amount"), min_value=0.0, value=0.0, step=100.0, key="nd_amount")
        field_error("amount")
    c1, c2 = st.columns(2)
    with c1:
        search = st.text_input(t("deals.contact_search"), max_chars=100, key="nd_contact_search")
        found = {c["id"]: c for c in contacts.page(ctx.conn, contacts.Query(search=search), limit=20)[0]} \
            if search.strip() else {}
        contact = st.selectbox(t("deals.contact"), [None, *found], key="nd_contact",
                               format_func=lambda i: t("deals.no_contact") if i is None else
                               " · ".join(filter(None, [f"{found[i]['first_name']} {found[i]['last_name'] or ''}".strip(),
                                                        found[i]["email"] or ""])))
    with c2:
        close = st.date_input(t("deals.expected_close"), format=date_format(), value=None, key="nd_close")
        field_error("expected_close")
    c1, c2 = st.columns(2)
    with c1:
        cost = st.number_input(t("deals.cost"), min_value=0.0, value=0.0, step=100.0, key="nd_cost")
        field_error("cost")
    owners = contacts.choices(ctx.conn)["owner_id"]
    choices = list(owners) if ctx.actor.is_manager else [ctx.user["id"]]
    owner = c2.selectbox(t("deals.owner"), choices, index=choices.index(ctx.user["id"]) if ctx.user["id"] in choices
                         else 0, key="nd_owner", format_func=lambda v: owners.get(v, ""))
    picked = found.get(contact) if contact is not None else None
    values = {"pipeline_id": pipeline_id, "stage_id": stage, "title": title, "amount": amount, "cost": cost,
              "expected_close": close, "contact_id": contact, "owner_id": owner,
              "company_id": picked["company_id"] if picked else None}
    values |= custom_inputs(ctx, "deals", "nd")
    field_error("_form")
    clicked = st.button(t("deals.create"), type="primary", key="new_deal_go", icon=":material/add:")
    seen = form_state().get("lookalikes")
    if seen and not clicked:
        st.warning(t("deals.lookalike"), icon=":material/content_copy:")
        for d in seen:
            st.page_link("pages/deals.py", label=esc(f"{d['title']} · {d['pipeline']} · {d['stage']}"),
                         icon=":material/open_in_new:", query_params={"id": d["id"]})
        st.caption(t("deals.create_anyway"))
    if not clicked:
        return
    try:
        cleaned = deals.clean(values)
    except ValidationError as err:
        form_fail(err)
    fingerprint = repr(sorted((k, str(v)) for k, v in cleaned.items()))
    if form_state().get("confirm") != fingerprint:
        same = deals.lookalikes(ctx.conn, cleaned["title"], cleaned["contact_id"], cleaned["company_id"])
        if same:
            form_again(lookalikes=same, confirm=fingerprint)
    try:
        new_id = deals.create(ctx.conn, values, ctx.actor)
    except DomainError as err:
        form_fail(err)
    form_close()
    created("deal", new_id)
    _refresh_board()
    rerun()


@st.cache_data(ttl=600, max_entries=32, show_spinner=False)
def _forecast(path: str, pipeline_id: int, token: tuple) -> list[dict]:
    """The weighted forecast, read again only when the data changed (it groups every open deal of the
    pipeline: with 30 people working it was ~7 % of the server's CPU, the costliest read of the deals page)."""
    with pooled(path) as conn:
        return [dict(point) for point in deals.forecast(conn, pipeline_id)]


def render_forecast(ctx: PageContext, pipeline_id: int) -> None:
    """Folded under the board, it costs nothing; open, it stays open for the tab. Its cache rarely holds on a
    busy day (every move changes the figures), so reading it on each board run was ~10 % of the server's
    script time with 30 people working, and drawing its chart ~0.3 s of each new tab (docs/bench.md)."""
    panel = st.expander(t("deals.forecast"), icon=":material/query_stats:", key="forecast_panel",
                        on_change="rerun")
    if not panel.open:
        return
    with panel:
        points = _forecast(str(db_path()), pipeline_id, change_token(ctx.conn))
        if not points:
            st.caption(t("deals.no_forecast"))
            return
        st.vega_lite_chart(charts.forecast(points, t("fields.expected_close"), t("fields.owner"), t("kpi.weighted")),
                           key="forecast", width="stretch")
        st.caption(t("deals.forecast_help"))


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
    render_move_notice(ctx)
    render_stage_field(ctx, deal)
    render_next_step(ctx, f"deal_{deal_id}", {"deal_id": deal_id})
    edit, activities, moves, history = st.tabs([t("deals.edit"), t("deals.activities"), t("deals.moves"),
                                                t("history.tab")])
    with edit:
        _deal_form(ctx, deal)
    with activities:
        for a in deal["activities"]:
            mark = ":material/check_circle:" if a["done"] else ":material/radio_button_unchecked:"
            st.markdown(f"{mark} **{t('kinds.' + a['kind'])}** · {esc(a['subject'])} · {stamp(a['at'], ctx.lang)}")
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
                        f"{stamp(h['moved_at'], ctx.lang)} · {esc(h['who'] or '')}")
    with history:
        render_history(ctx, "deals", deal_id)


def _deal_form(ctx: PageContext, deal: dict) -> None:
    """The deal's own fields and its custom fields in one form (components.custom_fields.record_form)."""
    key = f"deal_{deal['id']}"
    locked = not writable(ctx, "deals", deal, deal["owner"])

    def builtin(row: dict) -> dict:
        c1, c2 = st.columns(2)
        out = {
            "title": c1.text_input(t("deals.title"), row["title"], max_chars=200, key=f"{key}_title", disabled=locked),
            "amount": c2.number_input(t("deals.amount"), min_value=0.0, value=float(row["amount"] or 0),
                                      key=f"{key}_amount", disabled=locked),
        }
        c1, c2 = st.columns(2)  # row by row: a narrow screen keeps the reading order
        out |= {
            "cost": c1.number_input(t("deals.cost"), min_value=0.0, value=float(row["cost"] or 0), key=f"{key}_cost", disabled=locked),
            "expected_close": c2.date_input(t("deals.expected_close"), format=date_format(),
                                            value=date.fromisoformat(row["expected_close"]) if row["expected_close"]
                                            else None, key=f"{key}_close", disabled=locked),
        }
        close = out["expected_close"]
        out["expected_close"] = close.isoformat() if close else None  # stored as text: compared as text
        return out

    record_form(ctx, "deals", deal, key=key, builtin=builtin,
                save=lambda version, changes: deals.update(ctx.conn, deal["id"], version, changes, ctx.actor),
                locked=locked)


def render_stage_field(ctx: PageContext, deal: dict) -> None:
    """The deal's stage as a field: a change goes the board's way (``deal_move`` and ``handle_move``), so
    won and lost ask first and the version check holds. The key carries the version and the board's refresh
    count, so a cancelled or refused move shows the stage the deal really has."""
    stages = deals.stages(ctx.conn, deal["pipeline_id"])
    names = {s["id"]: s["name"] for s in stages}
    editable = may_write(ctx.actor, "deals", deal)
    c1, _ = st.columns([1, 2])
    picked = c1.selectbox(t("deals.stage"), list(names), index=list(names).index(deal["stage_id"]),
                          format_func=lambda i: names.get(i, ""), disabled=not editable,
                          help=t("deals.stage_help") if editable else t("deals.stage_locked"),
                          key=f"deal_stage_{deal['id']}_{deal['version']}_{st.session_state.get('board_version', 0)}")
    pending = st.session_state.get("deal_move")
    if pending and str(pending.get("deal_id")) != str(deal["id"]):
        st.session_state.pop("deal_move", None)  # a move left over from the board
        pending = None
    if editable and pending is None and picked != deal["stage_id"]:
        pending = {"deal_id": deal["id"], "version": deal["version"], "to_stage_id": picked, "at": time.time()}
        st.session_state["deal_move"] = pending
    if pending:
        handle_move(ctx, pending)


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

