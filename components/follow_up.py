"""Next steps on a record: the header line ("Next step: ..." or "No next step planned") and the form that
plans one. Reusable on any record that an activity links to: a contact, a company or a deal.

    render_next_step(ctx, "contact_7", {"contact_id": 7})            # header line + form when opened
    offer_next_step("contact_7", ctx, kind="call", subject="Demo")    # after logging: open the form pre-filled

Times are typed in the person's time zone (users.timezone) and stored in UTC by
``db.crm.activities.schedule_next``; who may be assigned comes from the write path's permission rule.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import streamlit as st

from components.i18n import date_format, error_text, moment, t
from components.layout import PageContext
from components.reruns import rerun
from components.text import esc
from db.core import records
from db.core.errors import DomainError, PermissionDenied
from db.core.permissions import check_write
from db.crm import activities, contacts, timeline

ICONS = {"call": ":material/call:", "meeting": ":material/groups:", "email": ":material/mail:",
         "task": ":material/task_alt:"}
FOLLOW_HOUR = time(10, 0)


def zone(ctx: PageContext) -> str:
    return ctx.user.get("timezone") or "UTC"


def local_now(ctx: PageContext) -> datetime:
    return activities.utc_to_local(datetime.now(UTC).strftime(activities.FMT), zone(ctx))


def assignable(ctx: PageContext) -> dict[int, str]:
    """People this user may plan for, by the write path's own rule (a rep: themselves; a manager: anyone)."""
    out = {}
    for uid, name in contacts.choices(ctx.conn)["owner_id"].items():
        try:
            check_write(ctx.actor, "activities", {"owner_id": uid}, "create")
        except PermissionDenied:
            continue
        out[uid] = name
    if ctx.user["id"] not in out:
        out = {ctx.user["id"]: ctx.user["name"], **out}
    return out


def prefill(ctx: PageContext, kind: str = "task", subject: str = "", days: int = 1) -> dict:
    """Form values for a follow-up: the kind, a subject, ``days`` from today at 10:00 local, assigned to me."""
    day = local_now(ctx).date() + timedelta(days=days)
    return {"kind": kind, "subject": subject, "day": day, "at": FOLLOW_HOUR, "owner": ctx.user["id"]}


def open_form(key: str, values: dict, offered: bool = False) -> None:
    """Open the plan form of record ``key`` with ``values`` (set before the widgets exist, so they show them)."""
    st.session_state[f"{key}_ns_open"] = True
    st.session_state[f"{key}_ns_offered"] = offered
    for name in ("kind", "subject", "day", "at", "owner"):
        st.session_state[f"{key}_ns_{name}"] = values[name]


def offer_next_step(key: str, ctx: PageContext, *, subject: str) -> None:
    """After a call or meeting was logged: open the form pre-filled with "Follow up: <subject>", tomorrow 10:00."""
    open_form(key, prefill(ctx, "task", t("followup.follow_up", subject=subject)[:200]), offered=True)


def close_form(key: str) -> None:
    for name in ("open", "offered", "kind", "subject", "day", "at", "owner"):
        st.session_state.pop(f"{key}_ns_{name}", None)


def step_line(step: dict | None, tz: str, lang: str) -> str:
    """The header's markdown for a next step (pure; text escaped)."""
    if not step:
        return t("followup.none")
    when = moment(activities.utc_to_local(step["at"], tz), lang)
    line = (f"{ICONS.get(step['kind'], '')} **{t('followup.next')}** · {t('kinds.' + step['kind'])} · "
            f"{esc(step['subject'])} · {when}")
    if step.get("contact"):  # on a company: with whom
        line += f" · {t('followup.with', name=esc(step['contact']))}"
    if step.get("owner"):
        line += f" · {esc(step['owner'])}"
    if step["overdue"]:
        line += f" · :red[{t('followup.overdue')}]"
    return line


def render_next_step(ctx: PageContext, key: str, link: dict) -> None:
    """The record's next step with a button to plan one; the plan form below it when open."""
    step = activities.next_step(ctx.conn, **link)
    with st.container(border=True, key=f"{key}_next_step"):
        left, right = st.columns([4, 1], vertical_alignment="center")
        left.markdown(step_line(step, zone(ctx), ctx.lang))  # text-safe: step_line escapes the subject and owner
        if not st.session_state.get(f"{key}_ns_open") or st.session_state.get(f"{key}_ns_offered"):
            if right.button(t("followup.schedule"), key=f"{key}_ns_button", icon=":material/event:",
                            type="secondary" if step else "primary", width="stretch"):
                open_form(key, prefill(ctx))
                rerun()
        else:
            render_plan_form(ctx, key, link)


def render_offered(ctx: PageContext, key: str, link: dict) -> None:
    """The plan form when it was offered by ``offer_next_step``: call this where the user logged the call, so the
    offer appears where they are looking, not at the top of a scrolled page (the header keeps its button)."""
    if st.session_state.get(f"{key}_ns_open") and st.session_state.get(f"{key}_ns_offered"):
        with st.container(border=True, key=f"{key}_ns_offer"):
            render_plan_form(ctx, key, link, narrow=True)


def render_plan_form(ctx: PageContext, key: str, link: dict, *, narrow: bool = False) -> int | None:
    """Kind, subject, day and time (the person's zone), assignee; saves one activity linked to ``link``.
    ``narrow``: the fields stacked, for a side column."""
    if st.session_state.get(f"{key}_ns_offered"):
        st.success(t("followup.offered"), icon=":material/check:")
    people = assignable(ctx)
    if st.session_state.get(f"{key}_ns_owner") not in people:
        st.session_state[f"{key}_ns_owner"] = ctx.user["id"]
    with st.form(f"{key}_ns_form", border=False):
        if narrow:
            c1 = c2 = st.container()
            c3, c4 = st.columns(2)
            c5 = st.container()
        else:
            c1, c2 = st.columns([1, 2])
            c3, c4, c5 = st.columns([1, 1, 1.4])
        kind = c1.selectbox(t("followup.kind"), activities.PLANNED, key=f"{key}_ns_kind",
                            format_func=lambda k: t(f"kinds.{k}"))
        subject = c2.text_input(t("followup.subject"), key=f"{key}_ns_subject", max_chars=200)
        day = c3.date_input(t("followup.day"), key=f"{key}_ns_day", format=date_format(), min_value=date(2000, 1, 1))
        at = c4.time_input(t("followup.time"), key=f"{key}_ns_at", step=900)
        owner = c5.selectbox(t("followup.assignee"), list(people), key=f"{key}_ns_owner",
                             format_func=lambda u: people.get(u, ""), disabled=len(people) == 1)
        st.caption(t("followup.zone", zone=esc(zone(ctx))))
        b1, b2, _ = st.columns([3, 2, 0.01] if narrow else [1, 1, 2])
        save = b1.form_submit_button(t("followup.save"), type="primary", width="stretch",
                                     icon=None if narrow else ":material/event_available:")
        cancel = b2.form_submit_button(t("followup.cancel"), width="stretch")
    if cancel:
        close_form(key)
        rerun()
    if save and (day is None or at is None):
        st.error(t("followup.err_when"))
    elif save:
        try:
            new_id = activities.schedule_next(ctx.conn, kind=kind, subject=subject or "",
                                              wall=datetime.combine(day, at), tz=zone(ctx), owner_id=owner,
                                              actor=ctx.actor, **link)
        except DomainError as err:
            st.error(error_text(err))
            return None
        close_form(key)
        st.toast(t("followup.saved"), icon=":material/event_available:")
        rerun()
        return new_id
    return None


def render_log_form(ctx: PageContext, key: str, *, contact_id: int | None = None,
                    company_id: int | None = None) -> None:
    """Log a note, call, meeting, complaint or comment on a contact or a company; after a call or a meeting the
    plan form of record ``key`` opens pre-filled (the next step is offered, not forced)."""
    render_offered(ctx, key, {"contact_id": contact_id} if contact_id is not None else {"company_id": company_id})
    with st.form(f"{key}_log", clear_on_submit=True, border=True):
        st.subheader(t("record.log"), anchor=False)
        kind = st.segmented_control(t("record.kind"), timeline.ADDABLE, default="note",
                                    format_func=lambda k: t(f"kinds.{k}"), key=f"{key}_log_kind")
        text = st.text_area(t("record.text"), max_chars=timeline.MAX_TEXT, height=120, key=f"{key}_log_text",
                            placeholder=t("notifications.hint"))
        if st.form_submit_button(t("record.add"), type="primary"):
            try:
                new_id = timeline.add(ctx.conn, contact_id, kind or "note", text, ctx.actor, company_id=company_id)
            except DomainError as err:
                st.error(error_text(err))
                return
            st.toast(t("record.added"), icon=":material/check:")
            if kind in ("call", "meeting"):
                offer_next_step(key, ctx, subject=records.get(ctx.conn, "activities", new_id)["subject"])
                rerun()
