"""Account → Calendar feed: the person's secret .ics URL (and the team's, for managers), shown once when
made; "New URL" revokes the old one. Rules in db/crm/feeds.py; the feed itself in integrations/feeds.py."""

from __future__ import annotations

import streamlit as st

from components.i18n import stamp, t
from components.layout import PageContext, show_error
from components.reruns import rerun
from components.webforms_panel import base_url
from db.core.errors import DomainError
from db.crm import feeds

SHOWN_KEY = "calendar_feed_url"  # session state: (scope, url) right after "New URL"


def render_calendar_feed(ctx: PageContext) -> None:
    with st.container(border=True):
        st.subheader(t("feeds.title"), anchor=False)
        st.caption(t("feeds.help"))
        live = feeds.live_feeds(ctx.conn, ctx.user["id"])
        scopes = feeds.SCOPES if ctx.actor.is_manager else ("mine",)
        for scope in scopes:
            _scope(ctx, scope, live.get(scope))


def _scope(ctx: PageContext, scope: str, feed: dict | None) -> None:
    st.markdown(f"**{t('feeds.scope_' + scope)}**")
    shown = st.session_state.get(SHOWN_KEY)
    if shown and shown[0] == scope and feed:
        del st.session_state[SHOWN_KEY]  # once: the next run shows only when it was made
        st.warning(t("feeds.shown_once"), icon=":material/key:")
        st.code(shown[1], language=None, wrap_lines=True)
    elif feed:
        used = stamp(feed["last_used_at"]) if feed["last_used_at"] else t("feeds.never")
        st.caption(t("feeds.live", made_at=stamp(feed["created_at"]), read_at=used))
    else:
        st.caption(t("feeds.none"))
    left, right = st.columns(2)
    if left.button(t("feeds.new_url"), key=f"feed_new_{scope}", icon=":material/link:",
                   help=t("feeds.new_url_help") if feed else None):
        try:
            token = feeds.new_url_token(ctx.conn, ctx.actor, scope)
        except DomainError as err:
            show_error(err)
            return
        st.session_state[SHOWN_KEY] = (scope, f"{base_url()}/feeds/{token}.ics")
        rerun()
    if feed and right.button(t("feeds.turn_off"), key=f"feed_off_{scope}", icon=":material/link_off:"):
        feeds.revoke(ctx.conn, ctx.actor, scope)
        st.session_state.pop(SHOWN_KEY, None)
        rerun()
