"""Notifications in the UI: the sidebar entry (with the unread count and the task figures) and the list page.

Everything shown is read from ``db.crm.notifications`` on each run, in the person's time zone and language.
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import streamlit as st
from babel.dates import format_date, format_time, get_datetime_format

from components.i18n import BABEL_LOCALE, error_text, t
from components.reruns import rerun
from components.text import esc
from db.core.errors import DomainError
from db.crm import notifications

PAGE = "pages/notifications.py"
ICON = ":material/notifications:"
ICONS = {"assigned": ":material/person_add:", "stage": ":material/swap_horiz:", "mention": ":material/alternate_email:",
         "due": ":material/schedule:", "overdue": ":material/warning:"}
SCRIPTS = {"contacts": "pages/contacts.py", "companies": "pages/companies.py", "deals": "pages/deals.py"}
MAX_BADGE = 99


def _zone(tz: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(tz or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def when(value: str | None, lang: str, tz: str | None, today: datetime | None = None) -> str:
    """A stored UTC time as the person reads it: their zone, their language, minutes (no seconds); "today, 14:30"
    for today."""
    if not value:
        return "—"
    try:
        moment = datetime.fromisoformat(value).replace(tzinfo=UTC).astimezone(_zone(tz))
    except ValueError:
        return value[:16]
    locale = BABEL_LOCALE.get(lang, "en_GB")
    clock = format_time(moment, "short", locale=locale)
    local_today = (today or datetime.now(UTC)).astimezone(_zone(tz)).date()
    if moment.date() == local_today:
        return t("notifications.today_at", time=clock)
    pattern = str(get_datetime_format("medium", locale=locale))
    return pattern.replace("{1}", format_date(moment, "medium", locale=locale)).replace("{0}", clock)


def badge(n: int) -> str:
    """The count as the sidebar shows it (capped, so a flood stays one short label)."""
    return f"{MAX_BADGE}+" if n > MAX_BADGE else str(n)


def describe(item: dict, lang: str, tz: str | None) -> str:
    """One notification as a markdown line in the reader's language; every stored text escaped."""
    title = esc(item["title"] or "—", limit=120)
    actor = esc(item["actor"], limit=80) if item["actor"] else t("notifications.system")
    kind = item["kind"]
    if kind == "assigned":
        text = t(f"notifications.assigned_{item['entity']}", actor=actor, title=title)
    elif kind == "stage":
        text = t("notifications.stage", actor=actor, title=title, stage=esc(item.get("stage") or "—", limit=80))
    elif kind == "mention":
        text = t("notifications.mention", actor=actor, title=title)
    else:
        text = t(f"notifications.{kind}", title=title, when=when(item["at"], lang, tz))
    if item.get("gone"):
        text += f" · :gray[{t('notifications.gone')}]"
    return f"**{text}**" if not item["read"] else text


def sidebar_entry(ctx) -> None:
    """The sidebar's link to the list with the unread count, and the overdue / due-today task figures
    (one indexed statement per run: ``notifications.counts``)."""
    win = notifications.window(ctx.user.get("timezone"))
    figures = notifications.counts(ctx.conn, ctx.user["id"], win)
    label = t("nav.notifications")
    if figures["unread"]:
        label += f" :red-badge[{badge(figures['unread'])}]"
    st.page_link(PAGE, label=label, icon=ICON)  # text-safe: our key and a number
    if figures["overdue"] or figures["today"]:
        st.caption(t("layout.tasks_badge", overdue=t("layout.tasks_overdue", n=figures["overdue"]),
                     today=t("layout.tasks_today", n=figures["today"])))  # text-safe: counts


def render_page(ctx) -> None:
    """The list, newest first, with mark read (one, all) and a way to each record."""
    tz = ctx.user.get("timezone")
    win = notifications.window(tz)
    user_id = ctx.user["id"]
    left, right = st.columns([1, 1], vertical_alignment="center")
    unread_only = left.toggle(t("notifications.unread_only"), key="notifications_unread_only")
    unread = notifications.counts(ctx.conn, user_id, win)["unread"]
    if right.container(horizontal=True, horizontal_alignment="right").button(
            t("notifications.mark_all"), icon=":material/done_all:", disabled=not unread, key="notifications_mark_all"):
        _safely(notifications.mark_all_read, ctx.conn, user_id, win)
        rerun()
    items = notifications.inbox(ctx.conn, user_id, win, unread_only=unread_only)
    if not items:
        st.info(t("notifications.empty_unread" if unread_only else "notifications.empty"), icon=ICON)
        return
    for item in items:
        _row(ctx, item, tz)
    if len(items) >= notifications.LIMIT:
        st.caption(t("notifications.showing", n=notifications.LIMIT))


def _row(ctx, item: dict, tz: str | None) -> None:
    key = item["key"]
    with st.container(border=True):
        text, actions = st.columns([2, 1], vertical_alignment="center")
        buttons = actions.container(horizontal=True, horizontal_alignment="right")
        stamp = "" if item["kind"] in ("due", "overdue") else when(item["at"], ctx.lang, tz)
        line = f"{ICONS.get(item['kind'], '')} {describe(item, ctx.lang, tz)}" + (f"  \n:gray[{stamp}]" if stamp else "")
        text.markdown(line)  # text-safe: describe() escapes every stored text; stamp is a formatted time
        if item.get("detail"):
            text.caption(esc(item["detail"], limit=300))
        if not item["gone"] and buttons.button(t("notifications.open"), key=f"open_{key}",
                                               icon=":material/open_in_new:"):
            _safely(notifications.mark_read, ctx.conn, ctx.user["id"], key)
            script = SCRIPTS.get(item["entity"] or "", "pages/tasks.py")
            st.switch_page(script, query_params={"id": item["entity_id"]} if item["entity"] else None)
        if not item["read"] and buttons.button(t("notifications.mark_read"), key=f"read_{key}",
                                               icon=":material/done:"):
            _safely(notifications.mark_read, ctx.conn, ctx.user["id"], key)
            rerun()


def _safely(action, *args) -> None:
    """A read mark that cannot be written (the database is busy for long) is said, not raised."""
    try:
        action(*args)
    except DomainError as err:
        st.error(error_text(err), icon=":material/error:")
        st.stop()
