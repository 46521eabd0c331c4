"""Notifications: tasks coming due and overdue, records assigned to me, @mentions, moves of my deals."""

import streamlit as st

from components.i18n import t
from components.layout import page_setup
from components.notifications import render_page

ctx = page_setup("notifications")
st.title(t("nav.notifications"))
render_page(ctx)
