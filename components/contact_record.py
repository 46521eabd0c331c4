"""The customer record: header, own figures, timeline with in-place logging, editable details, history."""

from __future__ import annotations

import streamlit as st

from components.follow_up import render_log_form, render_next_step
from components.history import render_history
from components.i18n import error_text, money, number, percent, stamp, t
from components.layout import PageContext, folded, form_beside, nav_link, show_error
from components.links import link_markdown, mail_href, tel_href
from components.locks import writable
from components.text import esc
from db.analytics import customer_kpi
from db.core.errors import ConflictError, DomainError
from db.crm import contacts, timeline

ICONS = {"call": ":material/call:", "meeting": ":material/groups:", "email": ":material/mail:",
         "task": ":material/task_alt:", "note": ":material/sticky_note_2:", "complaint": ":material/report:",
         "feedback": ":material/reviews:", "deal": ":material/handshake:", "comment": ":material/chat:",
         "change": ":material/edit:"}


def render_record(ctx: PageContext, contact_id: int) -> None:
    try:
        person = contacts.get(ctx.conn, contact_id)
    except DomainError as err:
        show_error(err)
        nav_link(ctx, "contacts", label=t("record.back"), icon=":material/arrow_back:")
        return
    nav_link(ctx, "contacts", label=t("record.back"), icon=":material/arrow_back:")
    st.title(f"{esc(person['first_name'])} {esc(person['last_name'])}")
    facts = [t(f"contacts.lifecycle_{person['lifecycle']}"), esc(person["company"]) if person["company"] else None,
             esc(person["title"]) if person["title"] else None, t("record.owner", name=esc(person["owner"] or "—")),
             t("record.segment", abc=esc(person["abc_profit"] or "—"), rfm=esc(person["rfm"] or "—"))]
    st.caption(" · ".join(f for f in facts if f))
    _reach(person)
    render_next_step(ctx, record_key(contact_id), {"contact_id": contact_id})
    _figures(ctx, contact_id)
    tab_time, tab_details, tab_history = st.tabs([t("record.timeline"), t("record.details"), t("history.tab")])
    with tab_time:
        _timeline(ctx, contact_id)
    with tab_details:
        _details(ctx, person)
    with tab_history:
        render_history(ctx, "contacts", contact_id)


def record_key(contact_id: int) -> str:
    return f"contact_{contact_id}"


def _reach(person: dict) -> None:
    """Email and phone as mailto:/tel: links, with a copy button (st.code) for each."""
    parts = [link_markdown(":material/mail:", person["email"], mail_href(person["email"])),
             link_markdown(":material/call:", person["phone"], tel_href(person["phone"]))]
    parts = [p for p in parts if p]
    if not parts:
        return
    left, right = st.columns([5, 1], vertical_alignment="center")
    left.markdown(" &nbsp;·&nbsp; ".join(parts))  # text-safe: link_markdown escapes the text
    with right.popover(t("record.copy"), icon=":material/content_copy:", width="stretch"):
        for value in (person["email"], person["phone"]):
            if value:
                st.code(value, language=None)


def _figures(ctx: PageContext, contact_id: int) -> None:
    f = customer_kpi.figures(ctx.conn, contact_id)
    shown = [("kpi.revenue", money(f["revenue"], ctx.lang)), ("kpi.margin", money(f["margin"], ctx.lang)),
             ("kpi.cost_to_serve", money(f["cost_to_serve"], ctx.lang)), ("kpi.cac", money(f["cac"], ctx.lang)),
             ("kpi.profit", money(f["profit"], ctx.lang)), ("kpi.csat", percent(f["csat"], ctx.lang)),
             ("kpi.nps", number(f["nps"], ctx.lang, 0) if f["nps"] is not None else "—")]
    with folded(t("record.figures"), ":material/monitoring:"):  # seven stacked cards fill a phone's screen
        cols = st.columns(4) + st.columns(4)
        for col, (key, value) in zip(cols, shown, strict=False):
            col.metric(t(key), value, help=t(key + "_help"), border=True)


def _timeline(ctx: PageContext, contact_id: int) -> None:
    left, right = form_beside()
    with right:
        render_log_form(ctx, record_key(contact_id), contact_id=contact_id)
    with left:
        kinds = st.pills(t("record.show"), timeline.KINDS, selection_mode="multi", key=f"tl_kinds_{contact_id}",
                         format_func=lambda k: t(f"kinds.{k}"))
        entries = timeline.timeline(ctx.conn, contact_id, kinds or None)
        if not entries:
            st.caption(t("record.empty"))
        render_entries(ctx, entries)


def render_entries(ctx: PageContext, entries: list[dict]) -> None:
    """Timeline entries (a contact's or a company's): kind, title, amount, when, who, the body's start."""
    for e in entries:
        title = esc(e["title"]) if e["kind"] != "change" else t("record.changed", action=esc(e["title"]))
        amount = f" · {money(e['amount'], ctx.lang)}" if e["amount"] else ""
        who = f" · {esc(e['who'])}" if e["who"] else ""
        person = f" · {esc(e['contact'])}" if e.get("contact") else ""
        st.markdown(f"{ICONS.get(e['kind'], '')} **{t('kinds.' + e['kind'])}** · {title}{amount}  \n"
                    f":gray[{stamp(e['at'], ctx.lang)}{who}{person}]")
        if e["body"] and e["body"] != e["title"]:
            st.caption(esc(e["body"], limit=400))


def _details(ctx: PageContext, person: dict) -> None:
    key = f"details_{person['id']}"
    locked = not writable(ctx, "contacts", person, person["owner"])
    with st.form(key, border=True):
        cols = st.columns(2)
        values = {
            "first_name": cols[0].text_input(t("contacts.first_name"), person["first_name"], max_chars=100,
                                             key=f"{key}_first_name", disabled=locked),
            "last_name": cols[1].text_input(t("contacts.last_name"), person["last_name"], max_chars=100,
                                            key=f"{key}_last_name", disabled=locked),
            "email": cols[0].text_input(t("contacts.email"), person["email"] or "", max_chars=320, key=f"{key}_email",
                                        disabled=locked),
            "phone": cols[1].text_input(t("contacts.phone"), person["phone"] or "", max_chars=40, key=f"{key}_phone",
                                        disabled=locked),
            "title": cols[0].text_input(t("contacts.title"), person["title"] or "", max_chars=120, key=f"{key}_title",
                                        disabled=locked),
            "lifecycle": cols[1].selectbox(t("contacts.lifecycle"), contacts.LIFECYCLES,
                                           index=contacts.LIFECYCLES.index(person["lifecycle"]),
                                           format_func=lambda v: t(f"contacts.lifecycle_{v}"),
                                           key=f"{key}_lifecycle", disabled=locked),
            "tags": cols[0].text_input(t("contacts.tags"), person["tags"] or "", max_chars=300, key=f"{key}_tags",
                                       disabled=locked),
        }
        if st.form_submit_button(t("account.save"), type="primary", disabled=locked):
            changes = {k: v for k, v in values.items() if (person.get(k) or "") != (v or "")}
            try:
                contacts.update(ctx.conn, person["id"], person["version"], changes, ctx.actor)
                st.success(t("admin.saved"))
                st.rerun()
            except ConflictError as err:
                show_error(err)
                st.info(t("record.kept"))
            except DomainError as err:
                st.error(error_text(err))
