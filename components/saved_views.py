"""Saved views on the grid pages: store the page's filter widgets as a named view, open one by URL."""

from __future__ import annotations

import streamlit as st

from components.errors import query_id
from components.i18n import error_text, t
from components.layout import PageContext, nav_link
from components.reruns import rerun
from components.text import esc
from db.core import records
from db.core.errors import DomainError
from db.crm import views


def apply_from_url(ctx: PageContext, page: str) -> None:
    """Before the widgets render: ``?view=ID`` restores the saved filter values (once per view)."""
    view_id = query_id("view")
    if view_id is None or st.session_state.get(f"{page}_view_applied") == str(view_id):
        return
    st.session_state[f"{page}_view_applied"] = str(view_id)
    try:
        view = views.get(ctx.conn, view_id, ctx.user["id"])
        definition = views.validate_grid(page, view["definition"])
    except DomainError as err:
        st.error(error_text(err))
        return
    for key, value in definition["filters"].items():
        st.session_state[key] = value
    st.session_state[f"{page}_view_name"] = view["name"]


def render_save(ctx: PageContext, page: str) -> None:
    """A small bar: the view in use, save the current filters, links to this page's saved views."""
    name = st.session_state.get(f"{page}_view_name")
    with st.expander(t("views.grid_title", name=esc(name)) if name else t("views.grid_save"), icon=":material/bookmark:"):
        with st.form(f"save_{page}_view", border=False):
            c1, c2, c3 = st.columns([3, 1, 1])
            label = c1.text_input(t("views.name"), max_chars=100, key=f"{page}_view_label")
            shared = c2.checkbox(t("views.shared"), key=f"{page}_view_shared")
            if c3.form_submit_button(t("views.save")):
                custom = views.grid_custom_key(page)
                keys = [*views.GRID_KEYS[page], *sorted(k for k in st.session_state if isinstance(k, str)
                                                        and custom is not None and custom.match(k))]
                filters = {k: _plain(st.session_state.get(k)) for k in keys if k in st.session_state}
                try:
                    new_id = views.save(ctx.conn, label, page, {"schema": views.SCHEMA, "filters": filters},
                                        ctx.actor, shared=shared)
                    st.session_state[f"{page}_view_applied"] = str(new_id)
                    st.session_state[f"{page}_view_name"] = label
                    st.query_params["view"] = str(new_id)
                    rerun()
                except DomainError as err:
                    st.error(error_text(err))
        for v in views.visible(ctx.conn, ctx.user["id"], page):
            c1, c2 = st.columns([5, 1])
            with c1:
                nav_link(ctx, page, label=f"{esc(v['name'])} · {esc(v['owner'])}", icon=":material/bookmark:",
                         query_params={"view": v["id"]})
            if v["owner_id"] == ctx.user["id"] and c2.button(t("views.delete"), key=f"del_{page}_view_{v['id']}"):
                records.soft_delete(ctx.conn, "saved_views", v["id"], ctx.actor)
                rerun()


def _plain(value):
    """Widget values as JSON: dates and tuples are not restored (ranges are picked again)."""
    if isinstance(value, bool | int | float | str) or value is None:
        return value
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return value
    return None
