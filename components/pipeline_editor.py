"""Admin editor for pipelines and stages (add, rename, reorder, probability, kind)."""

from __future__ import annotations

import streamlit as st

from components import grid
from components.flash import flash, saved_message, show_flash
from components.i18n import error_text, t
from components.layout import PageContext
from components.reruns import rerun
from components.text import esc
from db.core import records
from db.core.errors import DomainError
from db.crm import deals, pipelines


def render_pipeline_editor(ctx: PageContext) -> None:
    pipes = deals.pipelines(ctx.conn)
    c1, c2 = st.columns([2, 3])
    chosen = c1.selectbox(t("deals.pipeline"), [p["id"] for p in pipes], key="pe_pipeline",
                          format_func=lambda i: next(f"{p['name']} ({t('pipelines.kind_' + p['kind'])})"
                                                     for p in pipes if p["id"] == i))
    with c2.form("new_pipeline", clear_on_submit=True):
        a, b, c = st.columns([2, 1, 1])
        name = a.text_input(t("pipelines.new_name"), max_chars=100)
        kind = b.selectbox(t("pipelines.kind"), ["sales", "recruiting"],
                           format_func=lambda k: t(f"pipelines.kind_{k}"))
        if c.form_submit_button(t("pipelines.add")):
            try:
                pipelines.create_pipeline(ctx.conn, name, kind, ctx.actor)
                flash("pe", t("pipelines.added", name=esc(name.strip())))
                rerun()
            except DomainError as err:
                st.error(error_text(err))
    current = records.get(ctx.conn, "pipelines", chosen)
    with st.form(f"rename_pipeline_{chosen}"):
        a, b, c = st.columns([2, 1, 1])
        name = a.text_input(t("pipelines.rename"), current["name"], max_chars=100, key=f"pe_name_{chosen}")
        position = b.number_input(t("pipelines.position"), min_value=0, step=1, value=int(current["position"]),
                                  key=f"pe_pos_{chosen}")
        if c.form_submit_button(t("account.save")):
            try:
                pipelines.update_pipeline(ctx.conn, chosen, current["version"], name, position, ctx.actor)
                flash("pe", t("admin.saved"))
                rerun()
            except DomainError as err:
                st.error(error_text(err))
    show_flash("pe")
    stages = deals.stages(ctx.conn, chosen)
    key = f"stages_{chosen}"
    config = {"name": st.column_config.TextColumn(t("pipelines.stage"), required=True, max_chars=100),
              "position": st.column_config.NumberColumn(t("pipelines.position"), min_value=0, step=1),
              "probability": st.column_config.NumberColumn(t("pipelines.probability"), min_value=0.0, max_value=1.0,
                                                           step=0.05, format="%.2f"),
              "kind": st.column_config.SelectboxColumn(t("pipelines.kind"), options=list(pipelines.KINDS),
                                                       required=True, default="open",
                                                       format_func=lambda k: t(f"pipelines.stage_{k}"))}
    changes = grid.editable(key, stages, config, ["name", "position", "probability", "kind"])
    st.caption(t("pipelines.help"))
    if st.button(t("pipelines.save"), type="primary", disabled=not changes.ready, key="pe_save"):
        try:
            pipelines.save_stages(ctx.conn, chosen, changes.edits, changes.added, changes.deleted, ctx.actor)
            grid.forget(key)
            flash("pe", saved_message(len(changes.edits), len(changes.added), len(changes.deleted)))
            rerun()
        except DomainError as err:
            st.error(error_text(err))
