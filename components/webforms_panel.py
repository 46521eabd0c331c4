"""Admin → Web forms: lead-capture forms (fields, campaign, owner or round-robin, tags) with the HTML snippet
to copy onto a website. The rules live in db/crm/webforms.py; the public endpoint in integrations/forms.py."""

from __future__ import annotations

from urllib.parse import urlsplit

import streamlit as st

from components.flash import act, show_flash
from components.form_snippet import snippet
from components.i18n import t
from components.layout import PageContext
from components.text import esc
from db.crm import contacts, webforms


def base_url() -> str:
    """The address people reach the app at (scheme and host of this page), for links to copy."""
    try:
        parts = urlsplit(st.context.url or "")
    except Exception:  # noqa: BLE001 - no request context (AppTest)
        parts = None
    if parts and parts.scheme and parts.netloc:
        return f"{parts.scheme}://{parts.netloc}"
    return "http://localhost:8501"


def labels(custom: dict, lang: str) -> dict[str, str]:
    """The label of every field a form may ask: built-in ones translated, custom ones in the person's language."""
    return {**{f: t("forms.field_" + f) for f in webforms.FIELDS}, **{k: f.label(lang) for k, f in custom.items()}}


def render_webforms(ctx: PageContext) -> None:
    st.caption(t("forms.help"))
    show_flash("webforms")
    options = {**contacts.choices(ctx.conn), "custom": webforms.custom_fields(ctx.conn)}
    options["labels"] = labels(options["custom"], ctx.lang)
    for form in webforms.all_forms(ctx.conn):
        _form(ctx, form, options)
    with st.expander(t("forms.add"), icon=":material/add:"):
        _editor(ctx, None, options)


def _form(ctx: PageContext, form: dict, options: dict) -> None:
    state = t("admin.active") if form["active"] else t("hooks.paused")
    with st.expander(esc(f"{form['name']} · {form['campaign'] or t('forms.no_campaign')} · {state}", limit=200),
                     icon=":material/contact_mail:"):
        url = f"{base_url()}/forms/{form['public_id']}"
        st.caption(t("forms.snippet_help"))
        st.code(snippet(form, url, options["labels"], t("forms.send"), options["custom"]), language="html")
        st.caption(t("forms.hosted"))
        st.code(url, language=None, wrap_lines=True)
        _editor(ctx, form, options)
        if st.button(t("hooks.remove"), key=f"form_remove_{form['id']}", icon=":material/delete:"):
            act("webforms", lambda: webforms.delete(ctx.conn, form["id"], ctx.actor), t("hooks.removed"))


def _editor(ctx: PageContext, form: dict | None, options: dict) -> None:
    key = f"form_edit_{form['id']}" if form else "form_add"
    people, campaigns = options["owner_id"], options["campaign_id"]
    current = form or {"name": "", "fields": ["first_name", "last_name", "email", "message"], "campaign_id": None,
                       "owner_mode": "fixed", "owners": [ctx.user["id"]], "tags": "", "redirect_url": None, "active": 1}
    with st.form(key, border=False):
        name = st.text_input(t("hooks.name"), current["name"], max_chars=100)
        choices = [*webforms.FIELDS, *options["custom"]]
        fields = st.multiselect(t("forms.fields"), choices, [f for f in current["fields"] if f in choices],
                                format_func=lambda f: options["labels"].get(f, f), help=t("forms.fields_help"))
        left, right = st.columns(2)
        campaign_ids = [None, *campaigns]
        campaign = left.selectbox(t("forms.campaign"), campaign_ids, campaign_ids.index(current["campaign_id"])
                                  if current["campaign_id"] in campaign_ids else 0,
                                  format_func=lambda c: campaigns.get(c, t("forms.no_campaign")),
                                  help=t("forms.campaign_help"))
        tags = right.text_input(t("forms.tags"), current["tags"], max_chars=300, help=t("forms.tags_help"))
        modes = ("fixed", "round_robin")
        mode = left.radio(t("forms.owner_mode"), modes, modes.index(current["owner_mode"]), horizontal=True,
                          format_func=lambda m: t("forms.mode_" + m))
        owners = right.multiselect(t("forms.owners"), list(people), [u for u in current["owners"] if u in people],
                                   format_func=lambda u: people.get(u, str(u)), help=t("forms.owners_help"))
        redirect = st.text_input(t("forms.redirect"), current["redirect_url"] or "", max_chars=2000,
                                 placeholder="https://example.com/thank-you", help=t("forms.redirect_help"))
        active = st.checkbox(t("admin.active"), bool(current["active"])) if form else True
        label = t("hooks.save") if form else t("forms.add")
        if st.form_submit_button(label, type="primary", icon=None if form else ":material/add:"):
            values = {"name": name, "fields": fields, "campaign_id": campaign, "owner_mode": mode, "owners": owners,
                      "tags": tags, "redirect_url": redirect, "active": active}
            if form:
                act("webforms", lambda: webforms.update(ctx.conn, form["id"], values, ctx.actor), t("hooks.saved"))
            else:
                act("webforms", lambda: webforms.create(ctx.conn, values, ctx.actor), t("forms.created"))
