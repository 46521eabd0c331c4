"""Page shell: ``page_setup`` is the first call of every page.

It sets the page config, opens (or reuses) this tab's database connection, signs the user in (or offers
the first-admin form on an empty database), draws the role-aware sidebar and stops with a clear
message when the role may not see the page. Hiding a link is not access control; this is.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
from dataclasses import dataclass
from pathlib import Path

import streamlit as st

from components import errors, session
from components.i18n import CUSTOM_LABELS, LABEL_SOURCE, LANGUAGES, error_text, t
from components.reruns import rerun
from components.text import esc
from db.core import names, settings, users
from db.core.connection import connect, db_path, on_wait
from db.core.errors import DomainError
from db.core.migrations import migrate, schema_version
from db.core.permissions import Actor

ALL = frozenset({"admin", "manager", "rep"})
MANAGERS = frozenset({"admin", "manager"})
ADMINS = frozenset({"admin"})
ROOT = Path(__file__).resolve().parent.parent

# (key, script, icon, roles): the one list of pages. Sidebar links and access checks read it.
PAGES = [
    ("home", "app.py", ":material/home:", ALL),
    ("contacts", "pages/contacts.py", ":material/contacts:", ALL),
    ("companies", "pages/companies.py", ":material/domain:", ALL),
    ("deals", "pages/deals.py", ":material/view_kanban:", ALL),
    ("calendar", "pages/calendar.py", ":material/calendar_month:", ALL),
    ("tasks", "pages/tasks.py", ":material/task_alt:", ALL),
    ("notifications", "pages/notifications.py", ":material/notifications:", ALL),  # drawn by components.notifications
    ("feedback", "pages/feedback.py", ":material/reviews:", ALL),
    ("dashboard", "pages/dashboard.py", ":material/monitoring:", MANAGERS),
    ("campaigns", "pages/campaigns.py", ":material/campaign:", MANAGERS),
    ("segments", "pages/segments.py", ":material/donut_small:", MANAGERS),
    ("views", "pages/views.py", ":material/dashboard_customize:", MANAGERS),
    ("leaderboard", "pages/leaderboard.py", ":material/leaderboard:", ALL),
    ("account", "pages/account.py", ":material/person:", ALL),
    ("admin", "pages/admin.py", ":material/admin_panel_settings:", ADMINS),
    ("audit", "pages/audit.py", ":material/history:", ADMINS),
    ("search", "pages/search.py", ":material/search:", ALL),
]
ROLES = {key: roles for key, _, _, roles in PAGES}
NAV_HIDDEN = frozenset({"search", "notifications"})  # reached from the sidebar's search box / drawn with its count
_log = logging.getLogger(__name__)


@dataclass
class PageContext:
    """What a page needs: this run's connection, the signed-in user and their language."""

    conn: sqlite3.Connection
    user: dict
    lang: str

    @property
    def actor(self) -> Actor:
        return Actor(self.user["id"], self.user["role"], self.user["name"])


_MIGRATION = threading.Lock()
_MIGRATED: dict[str, int] = {}  # database file -> its PRAGMA schema_version when last migrated


def migrated(path: str, conn: sqlite3.Connection | None = None) -> None:
    """Migrate once per process and database file; the server's warm-up (components/warmup.py) usually has
    done it before the first visit. A plain lock, not ``st.cache_resource``: the warm-up runs outside any
    script run, and two first visits must not migrate side by side. The memo is the file's schema version,
    so a file replaced under the running process (a restore by another process) is checked again."""
    own = conn is None
    conn = conn or connect(path)
    try:
        if _MIGRATED.get(path) == schema_version(conn):
            return
        with _MIGRATION:
            migrate(conn)
            _MIGRATED[path] = schema_version(conn)
    finally:
        if own:
            conn.close()


HELD = "_db_connection"  # session state: (path, file identity, connection) kept between this tab's runs


def _file_identity(path: str) -> tuple[int, int] | None:
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return stat.st_dev, stat.st_ino


def open_db() -> sqlite3.Connection:
    """This tab's connection, with a readable stop if the database cannot be used.

    Kept in the session between runs: a new connection parses the whole schema on its first statement, which
    was ~7 % of the server's CPU with 30 people working (docs/bench.md, "Concurrent sessions"). A tab's runs
    never overlap, so the connection is never shared by two at once; one left inside a transaction (a run
    stopped halfway) is rolled back, and a file replaced under the server (another inode) is opened afresh."""
    path = str(db_path())
    identity = _file_identity(path)
    held = st.session_state.get(HELD)
    if held is not None and held[:2] == (path, identity):
        conn = held[2]
        try:
            if conn.in_transaction:
                conn.rollback()
            migrated(path, conn)
            return conn
        except (sqlite3.Error, DomainError):  # closed or broken: open a new one below
            st.session_state.pop(HELD, None)
    try:
        conn = connect(path)
    except DomainError as err:
        st.error(error_text(err), icon=":material/error:")
        st.stop()
    try:
        migrated(path, conn)
    except DomainError as err:
        conn.close()
        st.error(error_text(err), icon=":material/error:")
        st.stop()
    st.session_state[HELD] = (path, _file_identity(path), conn)
    return conn


def page_setup(key: str, *, layout: str = "wide") -> PageContext:
    """Config, connection, sign-in, sidebar and access check for page ``key`` (see ``PAGES``)."""
    errors.install()  # from here on an unexpected error shows an error id, never a traceback
    st.set_page_config(page_title=f"{t('nav.' + key)} · CRM", page_icon="🤝", layout=layout)
    conn = open_db()
    on_wait(_waiting_notice)  # a save that must wait for another writer (an import) says so, not an error
    pending = st.session_state.pop("pending_cookie_call", None)
    if pending:
        session.call_route(pending)
    user = _signed_in_user(conn)
    if user is None:
        _sign_in_screen(conn)
        st.stop()
    st.session_state["lang"] = user["language"]
    st.session_state["currency"] = settings.get(conn, "currency")
    st.session_state["timezone"] = user.get("timezone") or "UTC"  # i18n.stamp shows stored UTC times in it
    st.session_state.pop(CUSTOM_LABELS, None)  # error_text names cf_12 by its label, read when first needed
    st.session_state[LABEL_SOURCE] = lambda: names.custom_labels(conn)
    ctx = PageContext(conn=conn, user=user, lang=user["language"])
    _sidebar(ctx, key)
    from components.global_search import listen_for_shortcut

    listen_for_shortcut()
    if user["role"] not in ROLES.get(key, ALL):
        st.error(t("layout.forbidden", role=t("roles." + user["role"])), icon=":material/block:")
        st.page_link("app.py", label=t("layout.go_home"), icon=":material/home:")
        st.stop()
    return ctx


def narrow() -> bool:
    """True when the browser said its window is phone-width (reported once per session, see
    ``global_search.listen_for_shortcut``); False until it has."""
    from components.global_search import NARROW

    return bool(st.session_state.get(NARROW))


def folded(label: str, icon: str):
    """A block drawn in place on a wide screen and folded into one expander on a phone, where its columns
    would stack into more than a screen (filters, a record's figures)."""
    return st.expander(label, icon=icon) if narrow() else st.container()  # text-safe: callers pass t() labels


def filter_area(active: int = 0):
    """Where a page draws its filters: ``folded`` into one "Filters" expander on a phone (saying how many are
    set), so the list or board is on the first screen instead of a column of inputs."""
    label = t("layout.filters_set", n=active) if active else t("layout.filters")
    return folded(label, ":material/filter_list:")


def form_beside(ratio: tuple[float, float] = (2, 1)):
    """(main, side) areas: side-by-side columns on a wide screen; on a phone the side (a logging form) comes
    first, since stacked columns would put it under a page of timeline."""
    if narrow():
        side = st.container()
        return st.container(), side
    return st.columns(list(ratio), gap="large")


def _signed_in_user(conn: sqlite3.Connection) -> dict | None:
    """Confirm on every run that this tab's server-side session is still live, and re-read its user.

    One primary-key lookup (``users.session_user``), so a sign-out in another tab, "sign out on every
    device", a password change or reset and a deactivation reach tabs that are already open at their
    next interaction: the tab is signed out with a message. A new browser session (a reload) is signed
    in by its session cookie, if that is still live."""
    token = st.session_state.get("session_token")
    if token is None:
        token = session.cookie_token()
        # The websocket keeps reporting the cookie it opened with, even after this tab signed out.
        if token is None or token == st.session_state.get("dead_cookie"):
            return None
        user = users.session_user(conn, token)
        if user is not None:
            st.session_state["session_token"] = token
        return user
    user = users.session_user(conn, token)
    if user is None:
        _end_tab(token, ("auth.session_ended", {}))
    return user


def current_session_token() -> str | None:
    """This tab's session token (server memory only), e.g. to keep it when the password changes."""
    return st.session_state.get("session_token")


def _end_tab(token: str | None, notice: tuple[str, dict] | None) -> None:
    """Forget this tab's sign-in (keeping its language), have the browser drop the cookie, start over."""
    lang = st.session_state.get("lang")
    for key in list(st.session_state.keys()):
        del st.session_state[key]
    if lang:
        st.session_state["lang"] = lang
    if token:
        st.session_state["dead_cookie"] = token
    if notice:
        st.session_state["sign_in_notice"] = notice
    if session.ROUTES_ENABLED:
        st.session_state["pending_cookie_call"] = session.logout_url()
    rerun()


def _sign_in_screen(conn: sqlite3.Connection) -> None:
    _, middle, _ = st.columns([1, 2, 1])
    with middle:
        st.title(t("auth.app_title"))
        # kept until the next sign-in attempt: the cookie route's reply reruns the script right after
        notice = st.session_state.get("sign_in_notice")
        if notice:
            st.info(t(notice[0], **notice[1]), icon=":material/logout:")  # text-safe: our key, a count
        if users.user_count(conn) == 0:
            _first_admin_form(conn)
        else:
            _sign_in_form(conn)


def _sign_in_form(conn: sqlite3.Connection) -> None:
    with st.form("sign_in"):
        st.subheader(t("auth.sign_in"))
        email = st.text_input(t("auth.email"), max_chars=320, key="sign_in_email")
        password = st.text_input(t("auth.password"), type="password", max_chars=1024, key="sign_in_password")
        submitted = st.form_submit_button(t("auth.sign_in"), type="primary", width="stretch")
    if users.has_demo_users(conn):
        st.caption(t("auth.demo_hint"))
    if submitted:
        st.session_state.pop("sign_in_notice", None)
        try:
            user = users.authenticate(conn, email, password, session.client_address())
        except DomainError as err:
            st.error(error_text(err), icon=":material/lock:")
            return
        _signed_in(conn, user["id"])
        st.session_state["lang"] = user["language"]
        rerun()


def _first_admin_form(conn: sqlite3.Connection) -> None:
    st.info(t("auth.empty_db"), icon=":material/info:")
    with st.form("first_admin"):
        st.subheader(t("auth.create_admin"))
        name = st.text_input(t("fields.name"), max_chars=200)
        email = st.text_input(t("auth.email"), max_chars=320)
        password = st.text_input(t("auth.password"), type="password", max_chars=1024, help=t("auth.password_help"))
        submitted = st.form_submit_button(t("auth.create_admin"), type="primary")
    if submitted:
        try:
            user_id = users.create_first_admin(conn, email=email, name=name, password=password)
        except DomainError as err:
            st.error(error_text(err), icon=":material/error:")
            return
        _signed_in(conn, user_id)
        rerun()


def _signed_in(conn: sqlite3.Connection, user_id: int) -> None:
    """Sign this tab in with a new server-side session; when the cookie routes exist, the browser trades a
    one-time ticket for a cookie carrying the same session (so a sign-out anywhere in it ends both)."""
    token = users.create_session(conn, user_id)
    st.session_state["session_token"] = token
    st.session_state.pop("dead_cookie", None)
    if session.ROUTES_ENABLED:
        ticket = users.create_ticket(conn, token)
        if ticket:
            st.session_state["pending_cookie_call"] = session.session_url(ticket)


def _sidebar(ctx: PageContext, current: str) -> None:
    with st.sidebar:
        st.markdown(f"### :material/handshake: {t('auth.app_title')}")
        from components.global_search import render_sidebar_box
        from components.notifications import sidebar_entry

        render_sidebar_box(current)
        sidebar_entry(ctx)  # the unread count and the overdue / due-today tasks
        for key, script, icon, roles in PAGES:
            if ctx.user["role"] in roles and key not in NAV_HIDDEN and (ROOT / script).exists():
                st.page_link(script, label=t("nav." + key), icon=icon)
        from components.views_ui import render_view_links

        render_view_links(ctx)
        st.divider()
        st.caption(f"{esc(ctx.user['name'])} · {t('roles.' + ctx.user['role'])}")
        if st.session_state.get("lang_shown") != ctx.lang:
            # The language changed elsewhere (Account page, another tab): the selector follows it, or its
            # stale value would write the old language straight back.
            st.session_state["sidebar_language"] = ctx.lang
            st.session_state["lang_shown"] = ctx.lang
        lang = st.selectbox(t("layout.language"), list(LANGUAGES), index=list(LANGUAGES).index(ctx.lang),
                            format_func=LANGUAGES.get, key="sidebar_language")
        if lang != ctx.lang:
            users.set_language(ctx.conn, ctx.user["id"], lang)
            st.session_state["lang"] = lang
            rerun()
        if st.button(t("auth.sign_out"), icon=":material/logout:", key="sign_out"):
            sign_out(ctx.conn)


def nav_link(ctx: PageContext, key: str, label: str | None = None, icon: str | None = None,
             query_params: dict | None = None) -> None:
    """A link to page ``key`` if this user may open it (silently nothing otherwise)."""
    entry = next((p for p in PAGES if p[0] == key), None)
    if entry is None or ctx.user["role"] not in entry[3] or not (ROOT / entry[1]).exists():
        return
    st.page_link(entry[1], label=label or t("nav." + key), icon=icon or entry[2],  # text-safe: callers' labels
                 query_params=query_params)  # are checked where they call nav_link(label=...)


def sign_out(conn: sqlite3.Connection) -> None:
    """Revoke the session on the server, forget this browser session, clear the cookie.

    The tab is signed out even when the revocation cannot be written (another writer holds the database
    for long): that is logged, and the cookie route tries the revocation again."""
    token = st.session_state.get("session_token") or session.cookie_token()
    try:
        users.revoke_session(conn, token, wait=2.0)
    except DomainError as err:
        _log.error("sign-out: the session could not be revoked (%s); the tab is signed out anyway", err)
    _end_tab(token, None)


def sign_out_everywhere(conn: sqlite3.Connection, user_id: int) -> None:
    """End every session of this person, this tab's included, and say how many ended."""
    n = users.revoke_all_sessions(conn, user_id)
    _end_tab(st.session_state.get("session_token"), ("account.signed_out_everywhere", {"n": n}))


def show_error(err: DomainError) -> None:
    """A domain error as a readable message in the user's language."""
    st.error(error_text(err), icon=":material/error:")


def _waiting_notice() -> None:
    """Shown when a save waits for someone else's long write (an import): it is not an error, it will save."""
    st.toast(t("errors.db_waiting"), icon=":material/hourglass_top:")
