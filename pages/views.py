"""View builder: choose records, filters, grouping, measure and display; preview live; save, share, pin."""

import streamlit as st

from components.errors import query_id
from components.export import export_buttons
from components.i18n import error_text, t
from components.layout import page_setup
from components.reruns import rerun
from components.text import esc
from components.views_ui import builder, headers, run, show
from db.core import records
from db.core.errors import DomainError
from db.crm import views

ctx = page_setup("views")
st.title(t("nav.views"))
view_id = query_id("view")
loaded = None
if view_id is not None:
    try:
        loaded = views.get(ctx.conn, view_id, ctx.user["id"])
        st.subheader(esc(loaded["name"]), anchor=False)
        loaded["definition"] = views.validate(loaded["definition"])  # refuse newer or unknown definitions
    except DomainError as err:
        st.error(error_text(err))
        loaded = None
definition = builder(ctx, loaded["definition"] if loaded else None)
try:
    result = run(ctx, definition)
    names = headers(ctx, definition)
    show(result, definition["display"], loaded["name"] if loaded else t("views.preview"), "view_preview", names)
    if result:
        with st.expander(t("export.title"), icon=":material/download:"):
            export_buttons("view", [{names.get(k, k): v for k, v in r.items() if k != "id"} for r in result],
                           key="view_export")
except DomainError as err:
    st.error(error_text(err))
    result = None
with st.form("save_view", border=True):
    c1, c2, c3, c4 = st.columns([3, 1, 1, 1])
    name = c1.text_input(t("views.name"), loaded["name"] if loaded else "", max_chars=100)
    shared = c2.checkbox(t("views.shared"), value=bool(loaded and loaded["shared"]))
    pinned = c3.checkbox(t("views.pinned"), value=bool(loaded and loaded["pinned"]))
    as_new = c4.checkbox(t("views.as_new"), value=loaded is None, disabled=loaded is None)
    if st.form_submit_button(t("views.save"), type="primary"):
        try:
            mine = loaded and loaded["owner_id"] == ctx.user["id"] and not as_new
            new_id = views.save(ctx.conn, name, "views", definition, ctx.actor, shared=shared, pinned=pinned,
                                view_id=loaded["id"] if mine else None, version=loaded["version"] if mine else None)
            st.query_params["view"] = str(new_id)
            rerun()
        except DomainError as err:
            st.error(error_text(err))
mine = [v for v in views.visible(ctx.conn, ctx.user["id"], "views")]
if mine:
    st.subheader(t("views.saved"), anchor=False)
    for v in mine:
        c1, c2 = st.columns([5, 1])
        c1.page_link("pages/views.py", label=f"{esc(v['name'])} · {esc(v['owner'])}" + (" · 📌" if v["pinned"] else ""),
                     icon=":material/bookmark:", query_params={"view": v["id"]})
        if v["owner_id"] == ctx.user["id"] and c2.button(t("views.delete"), key=f"del_view_{v['id']}"):
            records.soft_delete(ctx.conn, "saved_views", v["id"], ctx.actor)
            rerun()
