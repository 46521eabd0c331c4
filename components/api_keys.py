"""The Account page's API keys: make one (shown once), see each key's scope, expiry and last use, revoke."""

from __future__ import annotations

import streamlit as st

from components.i18n import stamp, t
from components.layout import show_error
from components.reruns import rerun
from db.core import apikeys
from db.core.connection import now
from db.core.errors import DomainError

NEW_KEY = "api_new_key"  # the key just made, shown on the next run only
EXPIRY_DAYS = (30, 90, 365, 0)  # 0: never


def _status(key: dict) -> str:
    if key["revoked_at"]:
        return t("api.status_revoked")
    if key["expires_at"] and key["expires_at"] <= now():
        return t("api.status_expired")
    return t("api.status_live")


def rows(keys: list[dict]) -> list[dict]:
    """The table of keys as the person reads it (names are plain dataframe cells, never markdown)."""
    return [{t("api.key_name"): k["name"], t("api.key_start"): k["prefix"] + "…",
             t("api.scope"): t("api.scope_" + k["scope"]), t("api.created"): stamp(k["created_at"]),
             t("api.expires"): stamp(k["expires_at"]) if k["expires_at"] else t("api.never"),
             t("api.last_used"): stamp(k["last_used_at"]) if k["last_used_at"] else "—",
             t("api.status"): _status(k)} for k in keys]


def render(ctx) -> None:
    """The keys panel: the new key once, the form to make one, the list with revoke."""
    st.subheader(t("api.keys"), anchor=False)
    st.caption(t("api.keys_help"))
    token = st.session_state.pop(NEW_KEY, None)
    if token:
        st.success(t("api.created_once"), icon=":material/key:")
        st.code(token, language=None)
    with st.form("api_key_new", border=False, clear_on_submit=True):
        cols = st.columns([3, 2, 2])
        name = cols[0].text_input(t("api.key_name"), max_chars=60, placeholder=t("api.key_name_hint"),
                                 key="api_key_name")
        # Options are the shown words themselves (no translated format_func: the language may change between runs)
        scopes = {t("api.scope_" + s): s for s in apikeys.SCOPES}
        scope = scopes[cols[1].selectbox(t("api.scope"), list(scopes), index=0)]
        expiries = {(t("api.in_days", n=d) if d else t("api.never")): d for d in EXPIRY_DAYS}
        days = expiries[cols[2].selectbox(t("api.expires"), list(expiries), index=1)]
        if st.form_submit_button(t("api.create"), icon=":material/add:"):
            try:
                st.session_state[NEW_KEY] = apikeys.create(ctx.conn, ctx.user["id"], name, scope, days or None,
                                                                ctx.actor)
                rerun()
            except DomainError as err:
                show_error(err)
    keys = apikeys.mine(ctx.conn, ctx.user["id"])
    if not keys:
        st.caption(t("api.none"))
        return
    st.dataframe(rows(keys), hide_index=True, width="stretch")
    live = {k["id"]: k for k in keys if not k["revoked_at"]}
    if live:
        cols = st.columns([3, 2])
        picked = cols[0].selectbox(t("api.revoke_which"), list(live), key="api_revoke_pick",
                                   format_func=lambda i: f"{live[i]['name']} ({live[i]['prefix']}…)")
        cols[1].write("")
        if cols[1].button(t("api.revoke"), icon=":material/block:", key="api_revoke"):
            try:
                apikeys.revoke(ctx.conn, picked, ctx.actor)
                rerun()
            except DomainError as err:
                show_error(err)
