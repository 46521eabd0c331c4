"""A record's history tab: who changed which field, when, from what to what (from the audit log)."""

from __future__ import annotations

import streamlit as st

from components.changes import action_label, change_rows
from components.i18n import t
from components.layout import PageContext, show_error
from components.reruns import rerun
from components.text import esc
from db.core import audit, fields, records
from db.core.errors import DomainError


def render_history(ctx: PageContext, entity: str, entity_id: int) -> None:
    rows = change_rows(ctx.conn, records.history(ctx.conn, entity, entity_id), ctx.lang,
                       ctx.user.get("timezone") or "UTC", entity=entity)
    if entity in fields.ENTITIES:  # a custom field this role may not see is not in its history either
        hidden = fields.hidden(ctx.conn, entity, ctx.actor)
        rows = [r for r in rows if r["field"] not in hidden]
    if not rows:
        st.caption(t("history.empty"))
        return
    table = [{t("audit.when"): r["when"], t("audit.who"): r["who"], t("audit.action"): action_label(r["action"]),
              t("history.field"): r["label"], t("history.from"): r["from"], t("history.to"): r["to"]} for r in rows]
    picked = st.dataframe(table, hide_index=True, width="stretch", key=f"history_{entity}_{entity_id}",
                          on_select="rerun", selection_mode="single-row")
    chosen = picked.selection.rows if picked else []
    if chosen and rows[chosen[0]]["action"] == "update" and ctx.user["role"] in ("admin", "manager"):
        row = rows[chosen[0]]
        if st.button(t("history.revert", field=esc(row["label"])), icon=":material/undo:",
                     key=f"revert_{entity}_{entity_id}"):
            try:
                audit.revert(ctx.conn, row["audit_id"], ctx.actor)
                rerun()
            except DomainError as err:
                show_error(err)
