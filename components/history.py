"""A record's history tab: who changed which field, when, from what to what (from the audit log)."""

from __future__ import annotations

import json

import streamlit as st

from components.i18n import moment, t
from components.layout import PageContext, show_error
from components.text import esc
from db.core import audit, records
from db.core.errors import DomainError


def history_rows(entries: list[dict]) -> list[dict]:
    """One row per changed field (pure; unit-tested)."""
    out = []
    for e in entries:
        fields = [k for k in {**e["before"], **e["after"]} if k != "version"] or ["—"]
        for field in fields:
            out.append({"audit_id": e["id"], "at": e["at"], "who": e["who"], "action": e["action"], "field": field,
                        "from": _show(e["before"].get(field)), "to": _show(e["after"].get(field))})
    return out


def _show(value) -> str:
    if value is None:
        return ""
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 120 else text[:119] + "…"


def render_history(ctx: PageContext, entity: str, entity_id: int) -> None:
    rows = history_rows(records.history(ctx.conn, entity, entity_id))
    if not rows:
        st.caption(t("history.empty"))
        return
    table = [{t("audit.when"): moment(r["at"], ctx.lang), t("audit.who"): r["who"], t("audit.action"): r["action"],
              t("history.field"): r["field"], t("history.from"): r["from"], t("history.to"): r["to"]} for r in rows]
    picked = st.dataframe(table, hide_index=True, width="stretch", key=f"history_{entity}_{entity_id}",
                          on_select="rerun", selection_mode="single-row")
    chosen = picked.selection.rows if picked else []
    if chosen and rows[chosen[0]]["action"] == "update" and ctx.user["role"] in ("admin", "manager"):
        row = rows[chosen[0]]
        if st.button(t("history.revert", field=esc(row["field"])), icon=":material/undo:",
                     key=f"revert_{entity}_{entity_id}"):
            try:
                audit.revert(ctx.conn, row["audit_id"], ctx.actor)
                st.rerun()
            except DomainError as err:
                show_error(err)
