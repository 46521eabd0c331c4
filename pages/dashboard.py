"""Dashboard: KPI cards and charts for managers, live, with drill-down to the customers behind a number."""

from datetime import timedelta

import streamlit as st

from components.dashboard import figures, filter_bar, render_cards, render_charts
from components.i18n import day, t
from components.layout import page_setup
from db.kpi import change_token

ctx = page_setup("dashboard")
st.title(t("nav.dashboard"))
filters, funnel_pipeline = filter_bar(ctx)


@st.fragment(run_every="5s")
def live() -> None:
    """Re-runs every few seconds; the cached figures are reused until the data's change token moves."""
    token = change_token(ctx.conn)
    cards = figures("cards", token, filters)
    last_day = filters.end - timedelta(days=1)
    st.caption(t("dashboard.period_caption", start=day(filters.start, ctx.lang), end=day(last_day, ctx.lang)))
    render_cards(cards, ctx.lang)
    render_charts(ctx, token, filters, funnel_pipeline)


live()
