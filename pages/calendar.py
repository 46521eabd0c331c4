"""Calendar: calls, meetings and tasks in month, week, day and list views; select to create, drag to move."""

import streamlit as st

from components.calendar_view import export, filters, render_calendar
from components.i18n import t
from components.layout import page_setup

ctx = page_setup("calendar")
st.title(t("nav.calendar"))
flash = st.session_state.pop("cal_flash", None)
if flash:
    st.success(flash)
owner, kinds = filters(ctx)
render_calendar(ctx, owner, kinds)
export(ctx, owner, kinds)
