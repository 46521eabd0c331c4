"""New contact and new company dialogs: every field with its own message, and a "looks like an existing
record" check before anything is created.

A dialog reruns on its own (a fragment), so errors are kept in session state and drawn under the field
they concern on the next run; the user's input stays in the widgets.
"""

from __future__ import annotations

import streamlit as st

from components.custom_fields import render_section
from components.i18n import error_text, t
from components.layout import PageContext
from components.reruns import rerun
from components.text import esc
from db.core import fields
from db.core.errors import DomainError, ValidationError
from db.crm import companies, contacts, duplicates

STATE = "new_record_state"  # {"errors": {field: message}, "lookalikes": [...], "confirm": fingerprint}


def form_state() -> dict:
    return st.session_state.setdefault(STATE, {})


def field_error(field: str) -> None:
    message = (form_state().get("errors") or {}).get(field)
    if message:
        st.error(message, icon=":material/error:")  # text-safe: error_text output, escaped


def form_again(**state) -> None:
    """Keep what the next run of the dialog must show, and rerun only the dialog."""
    st.session_state[STATE] = state
    rerun(scope="fragment")


def form_fail(err: DomainError) -> None:
    field = getattr(err, "field", None) or getattr(err, "params", {}).get("field") or "_form"
    form_again(errors={field: error_text(err)})


def form_close() -> None:
    st.session_state.pop(STATE, None)


def custom_inputs(ctx: PageContext, entity: str, key: str) -> dict:
    """The custom fields of a new record the person may see (defaults filled in, required ones marked, a
    message under the field a refused Create concerns); ``{column: value}`` of the ones they may edit."""
    shown = fields.visible(ctx.conn, entity, ctx.actor)
    if not shown:
        return {}
    return render_section(ctx.conn, shown, None, key=key, lang=ctx.lang, actor=ctx.actor,
                          errors=form_state().get("errors"))


def contact_form(ctx: PageContext) -> None:
    c1, c2 = st.columns(2)
    with c1:
        first = st.text_input(t("contacts.first_name") + " *", max_chars=100, key="nc_first")
        field_error("first_name")
    with c2:
        last = st.text_input(t("contacts.last_name"), max_chars=100, key="nc_last")
        field_error("last_name")
    c1, c2 = st.columns(2)
    with c1:
        email = st.text_input(t("contacts.email"), max_chars=320, key="nc_email")
        field_error("email")
    with c2:
        phone = st.text_input(t("contacts.phone"), max_chars=40, key="nc_phone", help=t("new.phone_help"))
        field_error("phone")
    c1, c2 = st.columns(2)
    with c1:
        search = st.text_input(t("new.company_search"), max_chars=200, key="nc_company_search")
        found = contacts.companies_named(ctx.conn, set(), search, limit=50) if search.strip() else {}
        company = st.selectbox(t("contacts.company"), [None, *found], key="nc_company",
                               format_func=lambda v: t("new.no_company") if v is None else found.get(v, ""))
    with c2:
        title = st.text_input(t("contacts.title"), max_chars=120, key="nc_title")
        field_error("title")
    c1, c2 = st.columns(2)
    lifecycle = c1.selectbox(t("contacts.lifecycle"), list(contacts.LIFECYCLES), key="nc_lifecycle",
                             format_func=lambda v: t(f"contacts.lifecycle_{v}"))
    owners = contacts.choices(ctx.conn)["owner_id"]
    choices = list(owners) if ctx.actor.is_manager else [ctx.user["id"]]
    owner = c2.selectbox(t("contacts.owner"), choices, index=choices.index(ctx.user["id"])
                         if ctx.user["id"] in choices else 0, key="nc_owner", format_func=lambda v: owners.get(v, ""))
    tags = st.text_input(t("contacts.tags"), max_chars=300, key="nc_tags", help=t("new.tags_help"))
    values = {"first_name": first, "last_name": last, "email": email, "phone": phone, "company_id": company,
              "title": title, "lifecycle": lifecycle, "owner_id": owner, "tags": tags}
    custom = custom_inputs(ctx, "contacts", "nc")
    _submit(ctx, "contact", {k: v for k, v in values.items() if v not in ("", None)} | {"first_name": first} | custom)


def company_form(ctx: PageContext) -> None:
    name = st.text_input(t("companies.name") + " *", max_chars=200, key="nco_name")
    field_error("name")
    c1, c2 = st.columns(2)
    with c1:
        industry = st.text_input(t("companies.industry"), max_chars=80, key="nco_industry")
        website = st.text_input(t("companies.website"), max_chars=300, key="nco_website")
        field_error("website")
    with c2:
        city = st.text_input(t("companies.city"), max_chars=100, key="nco_city")
        country = st.text_input(t("companies.country"), max_chars=2, key="nco_country", help=t("new.country_help"))
        field_error("country")
    values = {"name": name, "industry": industry, "website": website, "city": city, "country": country,
              "owner_id": ctx.user["id"], "lifecycle": "lead"}
    custom = custom_inputs(ctx, "companies", "nco")
    _submit(ctx, "company", {k: v for k, v in values.items() if v not in ("", None)} | {"name": name} | custom)


def _submit(ctx: PageContext, kind: str, values: dict) -> None:
    field_error("_form")
    clicked = st.button(t("new.create"), type="primary", key=f"new_{kind}_go", icon=":material/add:")
    found = form_state().get("lookalikes")
    if found and not clicked:
        st.warning(t("new.lookalike"), icon=":material/content_copy:")
        page = "pages/contacts.py" if kind == "contact" else "pages/companies.py"
        for r in found:
            label = (f"{r['first_name']} {r['last_name']} · {r['email'] or r['phone'] or ''}" if kind == "contact"
                     else f"{r['name']} · {r['city'] or ''}")
            st.page_link(page, label=esc(label), icon=":material/open_in_new:", query_params={"id": r["id"]})
        st.caption(t("new.create_anyway"))
    if not clicked:
        return
    try:
        cleaned = contacts.clean(values) if kind == "contact" else companies.clean(values)
    except ValidationError as err:
        form_fail(err)
    fingerprint = repr(sorted(cleaned.items()))
    if form_state().get("confirm") != fingerprint:  # a second Create on the same input means "create anyway"
        found = (duplicates.lookalikes(ctx.conn, cleaned) if kind == "contact"
                 else duplicates.company_lookalikes(ctx.conn, cleaned.get("name", "")))
        if found:
            form_again(lookalikes=found, confirm=fingerprint)
    try:
        new_id = (contacts.create(ctx.conn, values, ctx.actor) if kind == "contact"
                  else companies.create(ctx.conn, values, ctx.actor))
    except DomainError as err:
        form_fail(err)
    form_close()
    created(kind, new_id)
    rerun()


CREATED = {"contact": ("pages/contacts.py", "new.created_contact"),
           "company": ("pages/companies.py", "new.created_company"),
           "deal": ("pages/deals.py", "deals.created_deal")}


def created(kind: str, record_id: int) -> None:
    """Remember a creation for ``render_created`` on the next run."""
    st.session_state["new_record_done"] = (kind, record_id)


def render_created(kind: str | None = None) -> None:
    """The confirmation after a record was created, with a link to it (stays until the next action).
    ``kind=None`` (the search page) confirms whichever kind was created."""
    done = st.session_state.pop("new_record_done", None)
    if done and (kind is None or done[0] == kind):
        page, message = CREATED[done[0]]
        with st.container(horizontal=True, vertical_alignment="center"):
            st.success(t(message), icon=":material/check_circle:", width=360)
            st.page_link(page, label=t("new.open_it"), icon=":material/open_in_new:", query_params={"id": done[1]})


ICONS = {"contact": ":material/person_add:", "company": ":material/add_business:", "deal": ":material/add:"}


def render_new_button(ctx: PageContext, kind: str) -> None:
    """The "New contact" / "New company" button that opens its dialog."""
    if st.button(t(f"new.{kind}"), icon=ICONS[kind], key=f"new_{kind}_open", width="stretch"):
        open_form(ctx, kind)


def open_form(ctx: PageContext, kind: str, name: str = "", pipeline_id: int | None = None) -> None:
    """Open the New contact / company / deal dialog, its name field filled with ``name`` (a search's words:
    a contact's first word is the first name, the rest the last name)."""
    form_close()
    words = name.split()
    if kind == "contact" and words:
        st.session_state["nc_first"], st.session_state["nc_last"] = words[0][:100], " ".join(words[1:])[:100]
    elif kind == "company" and words:
        st.session_state["nco_name"] = " ".join(words)[:200]
    elif kind == "deal" and words:
        st.session_state["nd_title"] = " ".join(words)[:200]
    if kind == "deal":
        from components.deals_view import new_deal_form  # the board's module: loaded only when a deal is made

        st.dialog(t("deals.new"), width="large", on_dismiss=form_close)(new_deal_form)(ctx, pipeline_id)
        return
    form = contact_form if kind == "contact" else company_form
    st.dialog(t(f"new.{kind}"), width="large", on_dismiss=form_close)(form)(ctx)


def page_header(ctx: PageContext, title: str, kind: str) -> None:
    """A list page's title with its New button on the right, and the confirmation after a creation."""
    head, button = st.columns([4, 1], vertical_alignment="bottom")
    head.title(title)  # text-safe: a t() title from the caller
    with button:
        render_new_button(ctx, kind)
    render_created(kind)
