"""Account: the signed-in person's password, language, time zone, sessions and API keys."""

from zoneinfo import available_timezones

import streamlit as st

from components import api_keys
from components.calendar_feed import render_calendar_feed
from components.i18n import LANGUAGES, t
from components.layout import current_session_token, page_setup, show_error, sign_out_everywhere
from components.reruns import rerun
from components.session import client_address
from components.text import esc
from db.core import users
from db.core.errors import DomainError

ctx = page_setup("account")
st.title(t("nav.account"))
st.caption(f"{esc(ctx.user['email'])} · {t('roles.' + ctx.user['role'])}")

left, right = st.columns(2, gap="large")
with left.form("password", border=True):
    st.subheader(t("account.change_password"), anchor=False)
    old = st.text_input(t("fields.old_password"), type="password", max_chars=1024, key="old_password")
    new = st.text_input(t("account.new_password"), type="password", max_chars=1024, help=t("auth.password_help"),
                        key="new_password")
    again = st.text_input(t("account.repeat_password"), type="password", max_chars=1024, key="repeat_password")
    if st.form_submit_button(t("account.change_password"), type="primary"):
        if new != again:
            st.error(t("account.err_mismatch"))
        else:
            try:
                users.change_password(ctx.conn, ctx.user["id"], old, new, keep=current_session_token(),
                                      address=client_address())
                st.success(t("account.password_changed"))
            except DomainError as err:
                show_error(err)

with right.form("preferences", border=True):
    st.subheader(t("account.preferences"), anchor=False)
    langs = list(LANGUAGES)
    lang = st.selectbox(t("fields.language"), langs, index=langs.index(ctx.lang), format_func=LANGUAGES.get)
    zones = sorted(available_timezones())
    tz = st.selectbox(t("account.timezone"), zones, index=zones.index(ctx.user["timezone"])
                      if ctx.user["timezone"] in zones else zones.index("UTC"))
    if st.form_submit_button(t("account.save"), type="primary"):
        try:
            users.set_language(ctx.conn, ctx.user["id"], lang)
            users.set_timezone(ctx.conn, ctx.user["id"], tz)
            st.session_state["lang"] = lang
            rerun()
        except DomainError as err:
            show_error(err)

with right.container(border=True):
    st.subheader(t("account.sessions"), anchor=False)
    st.caption(t("account.sessions_help"))
    if st.button(t("account.sign_out_everywhere"), icon=":material/devices:", key="sign_out_everywhere"):
        sign_out_everywhere(ctx.conn, ctx.user["id"])

with st.container(border=True):
    api_keys.render(ctx)
with left:
    render_calendar_feed(ctx)
