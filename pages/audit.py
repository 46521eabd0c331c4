"""Audit log for admins: who changed what and when; restore a deleted record, revert a field change."""

import streamlit as st

from components.changes import action_label, change_rows, entity_label, summary, who_label
from components.empty import empty_state
from components.export import export_buttons
from components.i18n import date_format, moment, t
from components.layout import page_setup, show_error
from components.reruns import rerun
from db.core import audit, users
from db.core.errors import DomainError

PAGE_SIZE = 50

ctx = page_setup("audit")
st.title(t("nav.audit"))

people = {u["id"]: u["name"] for u in users.list_users(ctx.conn, include_inactive=True)}
cols = st.columns([2, 2, 2, 2, 2, 1])
entity = cols[0].selectbox(t("audit.entity"), [""] + audit.entities(ctx.conn),
                           format_func=lambda e: entity_label(e) if e else t("audit.all"))
who = cols[1].selectbox(t("audit.who"), [None, *people], format_func=lambda u: people.get(u, t("audit.all")))
action = cols[2].selectbox(t("audit.action"), ["", *audit.ACTIONS],
                           format_func=lambda a: action_label(a) if a else t("audit.all"))
since = cols[3].date_input(t("audit.since"), format=date_format(), value=None)
until = cols[4].date_input(t("audit.until"), format=date_format(), value=None)
record_id = cols[5].number_input(t("audit.record_id"), min_value=1, step=1, value=None, placeholder=t("audit.any"))
page_no = st.session_state.get("audit_page", 0)

filters = {"entity": entity or None, "user_id": who, "action": action or None,
           "since": since.isoformat() if since else None, "until": until.isoformat() if until else None,
           "entity_id": record_id or None}
entries = audit.search(ctx.conn, **filters, limit=PAGE_SIZE, offset=page_no * PAGE_SIZE)


tz = ctx.user.get("timezone") or "UTC"
changed: dict[int, list[dict]] = {}
for row in change_rows(ctx.conn, entries, ctx.lang, tz):
    changed.setdefault(row["audit_id"], []).append(row)
table = [{"#": e["id"], t("audit.when"): moment(e["at"], ctx.lang, tz), t("audit.who"): who_label(e),
          t("audit.entity"): entity_label(e["entity"]), t("audit.record_id"): e["entity_id"],
          t("audit.action"): action_label(e["action"]), t("audit.changes"): summary(changed[e["id"]])}
         for e in entries]
if not entries:
    empty_state(t("audit.none"))
    st.stop()
picked = st.dataframe(table, hide_index=True, width="stretch", on_select="rerun", selection_mode="single-row",
                      key="audit_table")
nav = st.columns([1, 1, 6])
if nav[0].button(t("audit.newer"), disabled=page_no == 0, icon=":material/chevron_left:"):
    st.session_state["audit_page"] = page_no - 1
    rerun()
if nav[1].button(t("audit.older"), disabled=len(entries) < PAGE_SIZE, icon=":material/chevron_right:"):
    st.session_state["audit_page"] = page_no + 1
    rerun()
nav[2].caption(t("audit.page", page=page_no + 1))  # text-safe: a number
with st.expander(t("export.title"), icon=":material/download:"):
    export_buttons("audit", lambda conn: audit.export_rows(conn, **filters), key="audit_export")

rows_picked = picked.selection.rows if picked else []
if rows_picked:
    entry = entries[rows_picked[0]]
    with st.container(border=True):
        st.subheader(t("audit.selected", id=entry["id"]), anchor=False)  # text-safe: an id
        st.dataframe([{t("history.field"): r["label"], t("history.from"): r["from"], t("history.to"): r["to"]}
                      for r in changed[entry["id"]] if r["field"]], hide_index=True, width="stretch")
        try:
            if entry["action"] == "update" and st.button(t("audit.revert"), icon=":material/undo:", type="primary"):
                audit.revert(ctx.conn, entry["id"], ctx.actor)
                st.success(t("audit.reverted"))
            if entry["action"] == "delete" and st.button(t("audit.restore"), icon=":material/restore_from_trash:",
                                                         type="primary"):
                audit.restore(ctx.conn, entry["entity"], entry["entity_id"], ctx.actor)
                st.success(t("audit.restored"))
        except DomainError as err:
            show_error(err)
