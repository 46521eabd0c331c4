"""Admin: users, pipelines, custom fields, lists, company settings and backups."""

import streamlit as st

from components.admin_panels import render_backups, render_lists, render_settings, render_users
from components.custom_fields_admin import render_fields_admin
from components.i18n import t
from components.layout import page_setup
from components.pipeline_editor import render_pipeline_editor

ctx = page_setup("admin")
st.title(t("nav.admin"))
users_tab, pipelines_tab, fields_tab, lists_tab, settings_tab, backups_tab = st.tabs(
    [t("admin.users"), t("admin.pipelines"), t("custom_ui.tab"), t("admin.lists"), t("admin.settings"),
     t("admin.backups")])
with users_tab:
    render_users(ctx)
with pipelines_tab:
    render_pipeline_editor(ctx)
with fields_tab:
    render_fields_admin(ctx)
with lists_tab:
    render_lists(ctx)
with settings_tab:
    render_settings(ctx)
with backups_tab:
    render_backups(ctx)
