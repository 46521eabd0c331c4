"""Calendar: calls, meetings and tasks in month, week, day and list views; select to create, drag to move."""

import streamlit as st

from components.calendar_view import export, filters, render_calendar
from components.i18n import t
from components.layout import page_setup
from components.saved_views import apply_from_url, render_save

ctx = page_setup("calendar")
st.title(t("nav.calendar"))
flash = st.session_state.pop("cal_flash", None)
if flash:
    st.success(flash)  # text-safe: t("calendar.created", n=count) set by the create dialog
apply_from_url(ctx, "calendar")
owner, kinds = filters(ctx)
render_save(ctx, "calendar")
render_calendar(ctx, owner, kinds)
export(ctx, owner, kinds)
