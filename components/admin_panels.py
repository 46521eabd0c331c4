"""The admin page's panels: users, lists, settings, backups. Each is a thin render over db/ calls."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from components.edits import row_changes
from components.flash import flash, saved_message, show_flash
from components.i18n import LANGUAGES, error_text, t
from components.layout import PageContext, show_error
from components.reruns import rerun
from components.text import esc
from db.core import settings, users
from db.core.connection import db_path
from db.core.errors import DomainError
from db.core.permissions import ROLES
from db.io import backup


def render_users(ctx: PageContext) -> None:
    people = users.list_users(ctx.conn, include_inactive=True)
    shown = [{k: p[k] for k in ("id", "name", "email", "role", "hourly_cost", "language", "active")} for p in people]
    st.caption(t("admin.users_help"))
    st.data_editor(
        shown, key="admin_users", hide_index=True, width="stretch", disabled=["id"],
        column_config={
            "id": None,
            "name": st.column_config.TextColumn(t("fields.name"), max_chars=200, required=True),
            "email": st.column_config.TextColumn(t("fields.email"), max_chars=320, required=True),
            "role": st.column_config.SelectboxColumn(t("fields.role"), options=list(ROLES), required=True),
            "hourly_cost": st.column_config.NumberColumn(t("admin.hourly_cost"), min_value=0, max_value=10_000,
                                                         format="%.2f"),
            "language": st.column_config.SelectboxColumn(t("fields.language"), options=list(LANGUAGES)),
            "active": st.column_config.CheckboxColumn(t("admin.active")),
        })
    edits = row_changes(shown, st.session_state.get("admin_users", {}).get("edited_rows", {}))
    if st.button(t("admin.save_users"), type="primary", disabled=not edits, key="save_users"):
        versions = {p["id"]: p["version"] for p in people}
        failed = False
        for original, diff in edits:
            try:
                users.update_user(ctx.conn, original["id"], versions[original["id"]], diff, ctx.actor)
            except DomainError as err:
                failed = True
                st.error(f"{esc(original['email'])}: {error_text(err)}")
        if not failed:
            del st.session_state["admin_users"]
            flash("admin_users", saved_message(len(edits)))
            rerun()
    show_flash("admin_users")
    left, right = st.columns(2, gap="large")
    with left.form("new_user", clear_on_submit=False, border=True):
        st.subheader(t("admin.add_user"), anchor=False)
        name = st.text_input(t("fields.name"), max_chars=200)
        email = st.text_input(t("fields.email"), max_chars=320)
        role = st.selectbox(t("fields.role"), ROLES, index=2, format_func=lambda r: t("roles." + r))
        cost = st.number_input(t("admin.hourly_cost"), min_value=0.0, max_value=10_000.0, value=40.0)
        lang = st.selectbox(t("fields.language"), list(LANGUAGES), format_func=LANGUAGES.get)
        if st.form_submit_button(t("admin.add_user"), type="primary"):
            password = users.generate_password()
            try:
                users.create_user(ctx.conn, email=email, name=name, role=role, password=password, hourly_cost=cost,
                                  language=lang, actor=ctx.actor)
                # the password in a code span: shown and copied exactly, never read as markdown (token_urlsafe: no `)
                st.success(t("admin.user_created", email=esc(email.strip().lower()),
                             password=f"`{password}`"))  # text-safe: a code span
            except DomainError as err:
                show_error(err)
    with right.container(border=True):
        st.subheader(t("admin.reset_password"), anchor=False)
        who = st.selectbox(t("admin.user"), people, format_func=lambda p: f"{p['name']} <{p['email']}>",
                           key="reset_who")
        if st.button(t("admin.reset_password"), key="reset_password") and who:
            try:
                password = users.reset_password(ctx.conn, who["id"], ctx.actor)
                st.success(t("admin.password_reset", email=esc(who["email"]),
                             password=f"`{password}`"))  # text-safe: a generated password in a code span
            except DomainError as err:
                show_error(err)


def render_lists(ctx: PageContext) -> None:
    st.caption(t("admin.lists_help"))
    cols = st.columns(len(settings.LISTS))
    for col, key in zip(cols, settings.LISTS, strict=True):
        with col.form(f"list_{key}", border=True):
            current = settings.get(ctx.conn, key)
            text = st.text_area(t(f"admin.list_{key}"), "\n".join(current), height=220, max_chars=20_000)
            if st.form_submit_button(t("account.save")):
                try:
                    settings.set_value(ctx.conn, key, text.splitlines(), ctx.actor)
                    st.success(t("admin.saved"))
                except DomainError as err:
                    show_error(err)


def render_settings(ctx: PageContext) -> None:
    with st.form("company_settings", border=True):
        name = st.text_input(t("admin.company_name"), settings.get(ctx.conn, "company_name"), max_chars=200)
        currency = settings.get(ctx.conn, "currency")
        chosen = st.selectbox(t("admin.currency"), settings.CURRENCIES, index=settings.CURRENCIES.index(currency)
                              if currency in settings.CURRENCIES else 0)
        if st.form_submit_button(t("account.save"), type="primary"):
            try:
                settings.set_value(ctx.conn, "company_name", name, ctx.actor)
                settings.set_value(ctx.conn, "currency", chosen, ctx.actor)
                st.success(t("admin.saved"))
            except DomainError as err:
                show_error(err)


def render_backups(ctx: PageContext) -> None:
    folder = backup.backup_dir(Path(db_path()))
    st.caption(t("admin.backups_help", folder=esc(folder, limit=400), n=backup.KEEP_DAYS))
    if st.button(t("admin.backup_now"), icon=":material/backup:", type="primary", key="backup_now"):
        try:
            made = backup.create(ctx.conn, folder, ctx.actor)
            st.success(t("admin.backup_done", name=esc(made.name)))
        except DomainError as err:
            show_error(err)
    items = backup.list_backups(folder)
    if not items:
        st.info(t("admin.no_backups"))
        return
    st.dataframe([{t("admin.backup_file"): i["name"], t("admin.backup_size"): f"{i['size'] / 1_048_576:.1f} MB"}
                  for i in items], hide_index=True, width="stretch")
    with st.form("restore", border=True):
        st.subheader(t("admin.restore"), anchor=False)
        chosen = st.selectbox(t("admin.backup_file"), [i["name"] for i in items])
        sure = st.checkbox(t("admin.restore_confirm"))
        if st.form_submit_button(t("admin.restore"), type="secondary"):
            if not sure:
                st.warning(t("admin.restore_need_confirm"))
            else:
                try:
                    safety = backup.restore(ctx.conn, folder / chosen, folder, ctx.actor)
                    st.success(t("admin.restored", name=esc(chosen), safety=esc(safety.name) if safety else "-"))
                except DomainError as err:
                    show_error(err)
