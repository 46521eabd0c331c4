"""Admin → Webhooks: register endpoints (the secret is shown once), edit or remove them, read the delivery
log and send a delivery again. The rules live in db/crm/webhooks.py; sending in integrations/delivery.py."""

from __future__ import annotations

from datetime import UTC, datetime

import streamlit as st

from components.flash import act, flash, show_flash
from components.i18n import stamp, t
from components.layout import PageContext, show_error
from components.reruns import rerun
from components.text import esc
from db.core.errors import DomainError
from db.crm import webhooks
from db.crm.activities import FMT

SECRET_KEY = "webhook_secret_once"  # session state: (endpoint name, secret) until the admin has seen it


def event_label(event: str) -> str:
    return t("hooks.ev_" + event.replace(".", "_"))


def render_webhooks(ctx: PageContext) -> None:
    st.caption(t("hooks.help"))
    _secret_once()
    show_flash("webhooks")
    for endpoint in webhooks.endpoints(ctx.conn):
        _endpoint(ctx, endpoint)
    _add(ctx)
    _log(ctx)


def _secret_once() -> None:
    shown = st.session_state.pop(SECRET_KEY, None)
    if shown:
        name, secret = shown
        st.success(t("hooks.secret_once", name=esc(name)), icon=":material/key:")
        st.code(secret, language=None, wrap_lines=True)


def _endpoint(ctx: PageContext, endpoint: dict) -> None:
    state = t("admin.active") if endpoint["active"] else t("hooks.paused")
    title = f"{endpoint['name']} · {endpoint['url']} · {state}"
    with st.expander(esc(title, limit=200), icon=":material/webhook:"):
        st.caption(t("hooks.pending", n=endpoint["pending"]) + " · " +  # text-safe: SQL COUNT(*) integers
                   t("hooks.failed", n=endpoint["failed"]))
        with st.form(f"hook_edit_{endpoint['id']}", border=False):
            name = st.text_input(t("hooks.name"), endpoint["name"], max_chars=100)
            url = st.text_input(t("hooks.url"), endpoint["url"], max_chars=2000)
            events = st.multiselect(t("hooks.events"), webhooks.EVENTS, endpoint["events"], format_func=event_label)
            active = st.checkbox(t("admin.active"), bool(endpoint["active"]))
            if st.form_submit_button(t("hooks.save"), type="primary"):
                act("webhooks", lambda: webhooks.update_endpoint(ctx.conn, endpoint["id"], {
                    "name": name, "url": url, "events": events, "active": active}, ctx.actor), t("hooks.saved"))
        left, right = st.columns(2)
        if left.button(t("hooks.new_secret"), key=f"hook_secret_{endpoint['id']}", icon=":material/key:"):
            try:
                secret = webhooks.new_secret(ctx.conn, endpoint["id"], ctx.actor)
                st.session_state[SECRET_KEY] = (endpoint["name"], secret)
                rerun()
            except DomainError as err:
                show_error(err)
        if right.button(t("hooks.remove"), key=f"hook_remove_{endpoint['id']}", icon=":material/delete:"):
            act("webhooks", lambda: webhooks.delete_endpoint(ctx.conn, endpoint["id"], ctx.actor), t("hooks.removed"))


def _add(ctx: PageContext) -> None:
    with st.expander(t("hooks.add"), icon=":material/add:"), st.form("hook_add", border=False):
        name = st.text_input(t("hooks.name"), max_chars=100, key="hook_new_name")
        url = st.text_input(t("hooks.url"), max_chars=2000, placeholder="https://example.com/crm-events",
                            key="hook_new_url", help=t("hooks.url_help"))
        events = st.multiselect(t("hooks.events"), webhooks.EVENTS, format_func=event_label, key="hook_new_events")
        if st.form_submit_button(t("hooks.add"), type="primary", icon=":material/add:"):
            try:
                _, secret = webhooks.create_endpoint(ctx.conn, {"name": name, "url": url, "events": events},
                                                     ctx.actor)
            except DomainError as err:
                show_error(err)
                return
            st.session_state[SECRET_KEY] = (name, secret)
            rerun()


STATUSES = ("", "pending", "delivered", "failed")


def next_try(delivery: dict) -> str:
    """When a waiting delivery is tried next, in the person's zone (empty once delivered or failed)."""
    if delivery["status"] != "pending":
        return ""
    return stamp(datetime.fromtimestamp(delivery["next_attempt_at"], UTC).strftime(FMT))


def _log(ctx: PageContext) -> None:
    st.subheader(t("hooks.log"), anchor=False)
    status = st.segmented_control(t("hooks.status"), STATUSES, default="", key="hook_log_status",
                                  format_func=lambda s: t("hooks.st_" + (s or "all")))
    items = webhooks.deliveries(ctx.conn, status=status or None)
    if not items:
        st.info(t("hooks.log_empty"))
        return
    table = [{"#": d["id"], t("hooks.when"): stamp(d["created_at"]), t("hooks.endpoint"): d["endpoint"],
              t("hooks.event"): event_label(d["event"]), t("hooks.record"): f"{t('entities.' + d['entity'])} #{d['entity_id']}",
              t("hooks.status"): t("hooks.st_" + d["status"]), t("hooks.attempts"): d["attempts"],
              t("hooks.next"): next_try(d), t("hooks.answer"): d["last_status"],
              t("hooks.error"): d["last_error"] or ""} for d in items]
    picked = st.dataframe(table, hide_index=True, width="stretch", key="hook_log", on_select="rerun",
                          selection_mode="multi-row")
    chosen = [items[i]["id"] for i in picked.selection.rows] if picked and picked.selection else []
    if st.button(t("hooks.send_again", n=len(chosen)), icon=":material/replay:", disabled=not chosen,
                 key="hook_send_again"):
        try:
            for delivery_id in chosen:
                webhooks.send_again(ctx.conn, delivery_id, ctx.actor)
        except DomainError as err:
            show_error(err)
            return
        flash("webhooks", t("hooks.queued", n=len(chosen)))
        rerun()
