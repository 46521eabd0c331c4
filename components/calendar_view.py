"""Calendar page parts: filters, the component with its callbacks, create and event dialogs, export."""

from __future__ import annotations

import json
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import streamlit as st

from components import calendar as calview
from components.empty import empty_state
from components.i18n import date_format, error_text, moment, t
from components.layout import PageContext
from components.reruns import rerun
from components.text import esc
from db.core import records, users
from db.core.connection import connect, db_path
from db.core.errors import ConflictError, DomainError
from db.crm import activities, calendar, deals

KEY = "calendar"


def filters(ctx: PageContext) -> tuple[int | None, list[str]]:
    """Whose calendar (me by default; any colleague; the whole team for managers) and which kinds."""
    people = users.people(ctx.conn)
    options = ["me", *(["team"] if ctx.actor.is_manager else []), *[i for i in people if i != ctx.user["id"]]]
    if st.session_state.get("cal_person") not in options:  # a saved view of the team opened by a rep
        st.session_state.pop("cal_person", None)
    c1, c2 = st.columns([1, 3])
    who = c1.selectbox(t("calendar.person"), options, key="cal_person", format_func=lambda v: t("calendar.me")
                       if v == "me" else t("calendar.team") if v == "team" else people.get(v, "?"))
    kinds = c2.pills(t("calendar.types"), activities.KINDS, selection_mode="multi", key="cal_kinds",
                     default=["call", "meeting", "task"], format_func=lambda k: t("kinds." + k))
    owner = ctx.user["id"] if who == "me" else None if who == "team" else who
    return owner, list(kinds or [])


def _today(tz: str) -> date:
    return datetime.now(ZoneInfo(tz)).date()


def _remount() -> None:
    st.session_state["cal_version"] = st.session_state.get("cal_version", 0) + 1


def _go(step: int, tz: str) -> None:
    """Previous / today / next (a button callback, so the click is the run that draws the new range)."""
    view = st.session_state.get("cal_view") or "timeGridWeek"
    anchor = date.fromisoformat(st.session_state.get("cal_anchor") or _today(tz).isoformat())
    st.session_state["cal_anchor"] = (calview.shift(view, anchor, step) if step else _today(tz)).isoformat()


def navigation(tz: str) -> tuple[str, date]:
    """The view and the date it shows, chosen here rather than in the component's toolbar."""
    row = st.container(horizontal=True, vertical_alignment="bottom")
    row.button("", icon=":material/chevron_left:", key="cal_prev", help=t("calendar.previous"),
               on_click=_go, args=(-1, tz))
    row.button(t("calendar.fc_today"), key="cal_today", on_click=_go, args=(0, tz))
    row.button("", icon=":material/chevron_right:", key="cal_next", help=t("calendar.next"), on_click=_go,
               args=(1, tz))
    row.space("stretch")
    view = row.segmented_control(t("calendar.view"), calview.VIEWS, key="cal_view", default="timeGridWeek",
                                 required=True, label_visibility="collapsed",
                                 format_func=lambda v: t("calendar.fc_" + VIEW_WORDS[v]))
    anchor = st.session_state.get("cal_anchor")
    return view or "timeGridWeek", date.fromisoformat(anchor) if anchor else _today(tz)


VIEW_WORDS = {"dayGridMonth": "month", "timeGridWeek": "week", "timeGridDay": "day", "listWeek": "list"}


def render_calendar(ctx: PageContext, owner: int | None, kinds: list[str]) -> None:
    tz = ctx.user.get("timezone") or "UTC"
    view, anchor = navigation(tz)
    key = f"{KEY}_{st.session_state.get('cal_version', 0)}"
    handle(ctx, st.session_state.get(key), tz)  # before reading: a move is drawn from the database in this run
    key = f"{KEY}_{st.session_state.get('cal_version', 0)}"
    words = {k: t(f"calendar.fc_{k}") for k in ("today", "month", "week", "day", "list", "all_day", "more",
                                                 "no_events", "week_short")}
    locale = calview.fc_locale(ctx.lang, words)
    first, days = calview.visible(view, anchor, locale["week"]["dow"])
    found = calendar.window(ctx.conn, first, days, tz, owner, kinds, calview.PER_DAY[view])
    drawn = calview.events(found["rows"], tz) + calview.more_events(found["days"],
                                                                      lambda n: t("calendar.more_day", n=n))
    calview.render(drawn, view, key, anchor.isoformat(), locale, calview.scroll_time(found["rows"], tz))
    pending = st.session_state.get("cal_dialog")  # a dialog stays open across reruns until saved or dismissed
    if pending and pending[0] == "create":  # dialog titles are set when opened, in the user's language
        st.dialog(t("calendar.new_activity"), width="large", on_dismiss=_dismissed)(create_dialog)(
            ctx, pending[1], pending[2], tz)
    elif pending and pending[0] == "event":
        st.dialog(t("calendar.activity"), width="large", on_dismiss=_dismissed)(event_dialog)(ctx, pending[1], tz)
    elif pending and pending[0] == "day":
        title = day_title(pending[1], ctx.lang)
        st.dialog(title, width="large", on_dismiss=_dismissed)(day_dialog)(  # text-safe: a date Babel formatted
            ctx, pending[1], owner, kinds, tz)
    st.caption(t("calendar.help", tz=esc(tz), n=found["total"]))  # text-safe: a count
    hidden = found["total"] - found["shown"]
    if hidden:
        st.caption(t("calendar.hidden", n=hidden))  # text-safe: a count
    if not found["total"]:
        empty_state(t("calendar.nothing"))


def day_title(day: str, lang: str) -> str:
    from babel.dates import format_date

    from components.i18n import BABEL_LOCALE

    return format_date(date.fromisoformat(day), format="full", locale=BABEL_LOCALE.get(lang, "en_GB"))


def day_dialog(ctx: PageContext, day: str, owner: int | None, kinds: list[str], tz: str) -> None:
    """Every activity of one day, a page at a time (a dialog is a fragment: paging re-runs only the dialog).
    Choosing a row opens that activity to edit, move or complete."""
    number = st.session_state.get("cal_day_page", 0)
    found, total = calendar.day_list(ctx.conn, date.fromisoformat(day), tz, owner, kinds, number)
    pages = max(1, -(-total // calendar.PAGE))
    number = min(number, pages - 1)
    st.caption(t("calendar.day_total", n=total))  # text-safe: a count
    pager = st.container(horizontal=True, vertical_alignment="center")
    pager.button(t("calendar.previous"), icon=":material/chevron_left:", key="cal_day_prev", disabled=number == 0,
                 on_click=_page, args=(number - 1,))
    pager.caption(t("calendar.page", page=number + 1, pages=pages))  # text-safe: page numbers
    pager.button(t("calendar.next"), icon=":material/chevron_right:", icon_position="right", key="cal_day_next",
                 disabled=number >= pages - 1, on_click=_page, args=(number + 1,))
    listing = st.container(gap=None)  # one compact list: rows of a button's height
    for r in found:
        row = listing.container(horizontal=True, vertical_alignment="center", gap="small")
        row.markdown(f"`{calview.to_local(r['starts_at'] or r['due_at'], tz)[11:16]}`")  # text-safe: a time
        label = ("✓ " if r["done"] else "") + esc(r["subject"])
        if row.button(label, key=f"cal_day_open_{r['id']}", type="tertiary"):
            st.session_state["cal_dialog"] = ("event", r["id"])
            rerun()
        row.caption(" · ".join(esc(v) for v in (t("kinds." + r["kind"]), r["owner"], r["contact"]) if v))


def _page(number: int) -> None:
    st.session_state["cal_day_page"] = max(0, number)


def handle(ctx: PageContext, state: dict | None, tz: str) -> None:
    """React once to the component's latest select, eventClick or eventChange."""
    callback = (state or {}).get("callback")
    if callback not in ("select", "eventClick", "eventChange"):
        return
    fingerprint = json.dumps(state.get(callback), sort_keys=True, default=str)
    if st.session_state.get("cal_seen") == fingerprint:
        return
    st.session_state["cal_seen"] = fingerprint
    if callback == "select":
        sel = state["select"]
        st.session_state["cal_dialog"] = ("create", calview.from_component(sel["start"], tz),
                                          calview.from_component(sel["end"], tz))
    elif callback == "eventClick" and calview.more_day(state):
        st.session_state["cal_dialog"] = ("day", calview.more_day(state))
        st.session_state["cal_day_page"] = 0
    elif callback == "eventClick":
        st.session_state["cal_dialog"] = ("event", int(state["eventClick"]["event"]["id"]))
    else:
        event = state["eventChange"]["event"]
        reschedule(ctx, event, tz)


def reschedule(ctx: PageContext, event: dict, tz: str) -> None:
    start = calview.from_component(event["start"], tz)
    end = calview.from_component(event["end"], tz) if event.get("end") else \
        (datetime.fromisoformat(start) + timedelta(minutes=30)).strftime(calview.FMT)
    version = int(event.get("extendedProps", {}).get("version", 0))
    try:
        activities.reschedule(ctx.conn, int(event["id"]), version, start, end, ctx.actor)
        st.toast(t("calendar.moved", when=moment(calview.to_local(start, tz), ctx.lang)), icon=":material/check:")
    except ConflictError as err:
        st.error(t("calendar.changed_meanwhile", detail=error_text(err)), icon=":material/sync_problem:")
    except DomainError as err:
        st.error(error_text(err), icon=":material/error:")
    refresh()  # the component is re-mounted in this run, from the database's state


def refresh() -> None:
    """Close any dialog and re-mount the component so it shows the database's current state."""
    st.session_state.pop("cal_dialog", None)
    st.session_state["cal_version"] = st.session_state.get("cal_version", 0) + 1


def _dismissed() -> None:
    """Closing a dialog re-mounts the component: its last click is forgotten, so the same event opens again."""
    st.session_state.pop("cal_dialog", None)
    _remount()


def create_dialog(ctx: PageContext, start_utc: str, end_utc: str, tz: str) -> None:
    local_start = datetime.fromisoformat(calview.to_local(start_utc, tz))
    local_end = datetime.fromisoformat(calview.to_local(end_utc, tz))
    if local_end - local_start >= timedelta(days=1):  # a whole-day selection: default to one hour at 9:00
        local_start, local_end = datetime.combine(local_start.date(), time(9)), datetime.combine(local_start.date(),
                                                                                                  time(10))
    with st.form("new_activity"):
        c1, c2 = st.columns(2)
        kind = c1.selectbox(t("calendar.type"), ["meeting", "call", "task", "email"], format_func=lambda k: t("kinds." + k))
        subject = c2.text_input(t("calendar.subject"), max_chars=200)
        d1, d2, d3 = st.columns(3)
        day = d1.date_input(t("calendar.day"), format=date_format(), value=local_start.date())
        begins = d2.time_input(t("calendar.start"), value=local_start.time(), step=900)
        minutes = d3.number_input(t("calendar.duration"), min_value=5, max_value=24 * 60, step=15,
                                  value=max(15, int((local_end - local_start).total_seconds() // 60)))
        l1, l2 = st.columns(2)
        search = l1.text_input(t("calendar.contact"), max_chars=100, help=t("calendar.contact_help"))
        deal_text = l2.text_input(t("calendar.deal"), max_chars=100, help=t("calendar.deal_help"))
        notes = st.text_area(t("calendar.notes"), max_chars=5000)
        r1, r2, r3 = st.columns(3)
        freq = r1.selectbox(t("calendar.repeat"), [None, *activities.FREQS],
                            format_func=lambda f: t("calendar.no_repeat") if f is None else t(f"calendar.freq_{f}"))
        until = r2.date_input(t("calendar.until"), format=date_format(), value=None)
        count = r3.number_input(t("calendar.count"), min_value=1, max_value=activities.MAX_OCCURRENCES, value=None)
        if st.form_submit_button(t("calendar.save"), type="primary"):
            wall = datetime.combine(day, begins)
            start = calview.local_to_utc(wall, tz)
            end = calview.local_to_utc(wall + timedelta(minutes=int(minutes)), tz)
            contact = _contact(ctx, search)
            deal = (deals.find(ctx.conn, deal_text) or [None])[0]
            if deal and not contact:
                contact = deal["contact_id"]
            try:
                ids = activities.create(ctx.conn, {"kind": kind, "subject": subject, "notes": notes,
                                                   "starts_at": start, "ends_at": end, "owner_id": ctx.user["id"],
                                                   "contact_id": contact, "deal_id": deal["id"] if deal else None},
                                        ctx.actor, freq=freq,
                                        until=until.isoformat() if until else None, count=count)
            except DomainError as err:
                st.error(error_text(err))
                return
            st.session_state["cal_flash"] = t("calendar.created", n=len(ids))
            refresh()
            rerun()


def _contact(ctx: PageContext, text: str) -> int | None:
    if not text.strip():
        return None
    from db.crm.contacts import Query, page

    found, _ = page(ctx.conn, Query(search=text), limit=1)
    return found[0]["id"] if found else None


def event_dialog(ctx: PageContext, activity_id: int, tz: str) -> None:
    try:
        a = records.get(ctx.conn, "activities", activity_id)
    except DomainError as err:
        st.error(error_text(err))
        return
    st.markdown(f"**{t('kinds.' + a['kind'])}** · {moment(calview.to_local(a['starts_at'] or a['due_at'], tz), ctx.lang)}")
    with st.form("edit_activity"):
        subject = st.text_input(t("calendar.subject"), a["subject"], max_chars=200)
        notes = st.text_area(t("calendar.notes"), a["notes"] or "", max_chars=5000)
        series = st.checkbox(t("calendar.whole_series"), disabled=not a["series_id"])
        c1, c2, c3 = st.columns(3)
        save = c1.form_submit_button(t("calendar.save"), type="primary")
        done = c2.form_submit_button(t("calendar.reopen") if a["done"] else t("calendar.complete"))
        delete = c3.form_submit_button(t("calendar.delete"))
    try:
        if save:
            activities.edit(ctx.conn, activity_id, a["version"], {"subject": subject, "notes": notes}, ctx.actor,
                            whole_series=series)
        elif done:
            activities.complete(ctx.conn, activity_id, a["version"], ctx.actor, done=not a["done"])
        elif delete:
            records.soft_delete(ctx.conn, "activities", activity_id, ctx.actor, version=a["version"])
        else:
            return
    except DomainError as err:
        st.error(error_text(err))
        return
    refresh()
    rerun()


def export(ctx: PageContext, owner: int | None, kinds: list[str]) -> None:
    """An .ics of a date range, built only when the button is clicked (on Streamlit's download thread with its
    own connection), so a calendar run does not read two months of activities for a file nobody asked for."""
    with st.expander(t("calendar.export"), icon=":material/ios_share:"):
        c1, c2 = st.columns(2)
        start = c1.date_input(t("calendar.from"), format=date_format(), value=date.today() - timedelta(days=7), key="ics_from")
        end = c2.date_input(t("calendar.to"), format=date_format(), value=date.today() + timedelta(days=60), key="ics_to")
        who, name, path = owner or ctx.user["id"], ctx.user["name"], str(db_path())
        bounds = (f"{start} 00:00:00", f"{end} 23:59:59")
        found = activities.count_range(ctx.conn, *bounds, who, kinds)

        def build() -> bytes:
            conn = connect(path, create=False)
            try:
                return activities.ics(activities.in_range(conn, *bounds, who, kinds, limit=None), name)
            finally:
                conn.close()

        st.download_button(t("calendar.download_ics", n=found), build,  # text-safe: a count "calendar.ics", "text/calendar",
                           icon=":material/download:", on_click="ignore")
