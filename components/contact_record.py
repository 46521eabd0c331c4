"""The customer record: header, own figures, timeline with in-place logging, editable details, history."""

from __future__ import annotations

import streamlit as st

from components.changes import change_rows
from components.custom_fields import record_form
from components.follow_up import render_log_form, render_next_step
from components.history import render_history
from components.i18n import money, number, percent, stamp, t
from components.layout import PageContext, folded, form_beside, nav_link, show_error
from components.links import link_markdown, mail_href, tel_href
from components.locks import writable
from components.text import esc
from db.analytics import customer_kpi
from db.core import fields
from db.core.errors import DomainError
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


def render_entries(ctx: PageContext, entries: list[dict], entity: str = "contacts") -> None:
    """Timeline entries (a contact's or a company's): kind, title, amount, when, who, the body's start. A
    field change reads as labels and values (custom fields by their label; ones this role may not see left
    out)."""
    changes = _change_bodies(ctx, entity, entries)
    for i, e in enumerate(entries):
        if e["kind"] == "change" and "changed" in e:
            e = {**e, "body": changes.get(i, "")}
        title = esc(e["title"]) if e["kind"] != "change" else t("record.changed", action=esc(e["title"]))
        amount = f" · {money(e['amount'], ctx.lang)}" if e["amount"] else ""
        who = f" · {esc(e['who'])}" if e["who"] else ""
        person = f" · {esc(e['contact'])}" if e.get("contact") else ""
        st.markdown(f"{ICONS.get(e['kind'], '')} **{t('kinds.' + e['kind'])}** · {title}{amount}  \n"
                    f":gray[{stamp(e['at'], ctx.lang)}{who}{person}]")
        if e["body"] and e["body"] != e["title"]:
            st.caption(esc(e["body"], limit=400))


def _change_bodies(ctx: PageContext, entity: str, entries: list[dict]) -> dict[int, str]:
    """``{entry index: "Job title: CTO, Seats: 12"}`` for the change entries, named in one pass."""
    wanted = [{"id": i, "at": e["at"], "who": "", "action": "update", "before": {}, "after": e["changed"]}
              for i, e in enumerate(entries) if e["kind"] == "change" and e.get("changed")]
    if not wanted:
        return {}
    hidden = fields.hidden(ctx.conn, entity, ctx.actor)
    parts: dict[int, list[str]] = {}
    for r in change_rows(ctx.conn, wanted, ctx.lang, ctx.user.get("timezone") or "UTC", entity=entity):
        if r["field"] and r["field"] not in hidden:
            parts.setdefault(r["audit_id"], []).append(f"{r['label']}: {r['to']}")
    return {i: ", ".join(p[:6]) for i, p in parts.items()}


def _details(ctx: PageContext, person: dict) -> None:
    """The contact's fields, built-in and custom, in one form (components.custom_fields.record_form)."""
    key = f"details_{person['id']}"
    locked = not writable(ctx, "contacts", person, person["owner"])

    def builtin(row: dict) -> dict:
        lifecycle = row["lifecycle"] if row["lifecycle"] in contacts.LIFECYCLES else contacts.LIFECYCLES[0]
        out = {}
        cols = st.columns(2)  # row by row: a narrow screen keeps the reading order
        out["first_name"] = cols[0].text_input(t("contacts.first_name"), row["first_name"], max_chars=100,
                                               key=f"{key}_first_name", disabled=locked)
        out["last_name"] = cols[1].text_input(t("contacts.last_name"), row["last_name"], max_chars=100,
                                              key=f"{key}_last_name", disabled=locked)
        cols = st.columns(2)
        out["email"] = cols[0].text_input(t("contacts.email"), row["email"] or "", max_chars=320, key=f"{key}_email", disabled=locked)
        out["phone"] = cols[1].text_input(t("contacts.phone"), row["phone"] or "", max_chars=40, key=f"{key}_phone", disabled=locked)
        cols = st.columns(2)
        out["title"] = cols[0].text_input(t("contacts.title"), row["title"] or "", max_chars=120, key=f"{key}_title", disabled=locked)
        out["lifecycle"] = cols[1].selectbox(t("contacts.lifecycle"), contacts.LIFECYCLES,
                                             index=contacts.LIFECYCLES.index(lifecycle),
                                             format_func=lambda v: t(f"contacts.lifecycle_{v}"), key=f"{key}_lifecycle", disabled=locked)
        cols = st.columns(2)
        out["tags"] = cols[0].text_input(t("contacts.tags"), row["tags"] or "", max_chars=300, key=f"{key}_tags", disabled=locked)
        return out

    record_form(ctx, "contacts", person, key=key, builtin=builtin,
                save=lambda version, changes: contacts.update(ctx.conn, person["id"], version, changes, ctx.actor),
                locked=locked)
