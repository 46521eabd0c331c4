"""Dashboard: KPI cards and charts for managers, live, with drill-down to the customers behind a number."""

from datetime import timedelta

import streamlit as st

from components.dashboard import figures, filter_bar, render_cards, render_charts
from components.i18n import day, t
from components.layout import page_setup
from components.reruns import rerun
from db.analytics.kpi import change_token

ctx = page_setup("dashboard")
st.title(t("nav.dashboard"))
filters, funnel_pipeline = filter_bar(ctx)


@st.fragment
def content() -> None:
    """The cards and the open chart tab (picking another tab re-runs only this)."""
    token = change_token(ctx.conn)
    st.session_state["dash_drawn"] = token
    cards = figures("cards", token, filters)
    last_day = filters.end - timedelta(days=1)
    st.caption(t("dashboard.period_caption", start=day(filters.start, ctx.lang), end=day(last_day, ctx.lang)))
    render_cards(cards, ctx.lang)
    render_charts(ctx, token, filters, funnel_pipeline)


@st.fragment(run_every="5s")
def watch() -> None:
    """Live: every few seconds one tiny query; only when the data changed since the figures were drawn does
    the page run again (redrawing unchanged charts every tick cost ~40 ms of server time)."""
    if change_token(ctx.conn) != st.session_state.get("dash_drawn"):
        rerun()


content()
watch()
