"""Custom fields on record forms: the right widget for each type, values as plain text, fields laid out by
section.

Labels, help texts, sections and choices are an admin's text: escaped wherever Streamlit reads markdown (widget
labels and help). The link pickers (a contact, a company) search as you type and offer 20 matches, so they stay
fast at 100k contacts. Date-times are typed in the user's time zone and stored in UTC.
"""

from __future__ import annotations

from datetime import date, datetime, time

import streamlit as st

from components.i18n import current_timezone, date_format, day, moment, money, number, percent, t, translate
from components.reruns import rerun
from components.text import esc
from db.core import names
from db.core.fields import LINKS, Field, public
from db.core.fields.model import LIMITS

EMPTY = "—"
PICKS = 20  # matches a link picker offers for its search


def label(field: Field, lang: str) -> str:
    """The field's label for a widget (markdown-safe), marked when it is required."""
    text = esc(field.label(lang), limit=80)
    return f"{text} \\*" if field.required else text


def initial(field: Field, row: dict | None):
    """The value a form starts with: the record's, or on a new record the field's default (as the API gives it:
    a list for multiple choice, a bool for a checkbox)."""
    if row is None:
        return field.default
    return public(field, row.get(field.column))


def field_input(field: Field, value, *, key: str, lang: str, disabled: bool = False, conn=None):
    """One widget for ``field`` showing ``value`` (its public shape); returns the value to save (None when
    empty). ``conn`` is needed by the user, contact and company pickers."""
    text = esc(field.label(lang), limit=80) + (" \\*" if field.required else "")  # as label() gives it
    tip = esc(field.help_text(lang), limit=300) if field.help_text(lang) else None
    kind = field.type
    if kind in ("text", "url", "email", "phone"):
        hint = {"url": "https://", "email": "name@example.com", "phone": "+49 30 1234567"}.get(kind)
        got = st.text_input(text, "" if value is None else str(value), max_chars=LIMITS[kind], key=key, help=tip,
                            disabled=disabled, placeholder=hint)
        return got.strip() or None
    if kind == "long_text":
        got = st.text_area(text, "" if value is None else str(value), max_chars=LIMITS[kind], key=key, help=tip,
                           disabled=disabled, height=100)
        return got.strip() or None
    if kind in ("number", "money", "percent"):
        currency = esc(st.session_state.get("currency", "EUR"))
        suffix = f" ({currency})" if kind == "money" else " (%)" if kind == "percent" else ""
        start = float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None
        return st.number_input(text + suffix, value=start, step=100.0 if kind == "money" else 1.0,
                               min_value=-1e15, max_value=1e15, format="%.2f" if kind == "money" else "%g",
                               key=key, help=tip, disabled=disabled)
    if kind == "date":
        got = st.date_input(text, value=_day(value), format=date_format(), min_value=date(1900, 1, 1),
                            max_value=date(2200, 12, 31), key=key, help=tip, disabled=disabled)
        return got.isoformat() if got else None
    if kind == "datetime":
        return _moment_input(field, value, key=key, lang=lang, disabled=disabled)
    if kind == "checkbox":
        return st.checkbox(text, value=bool(value), key=key, help=tip, disabled=disabled)
    if kind == "choice":
        options = [None, *field.options] + ([value] if value and value not in field.options else [])
        return st.selectbox(text, options, index=options.index(value) if value in options else 0, key=key,
                            help=tip, disabled=disabled, format_func=lambda v: EMPTY if v is None else v)
    if kind == "multi_choice":
        picked = [v for v in (value or []) if v in field.options]
        return st.multiselect(text, list(field.options), default=picked, key=key, help=tip, disabled=disabled,
                              placeholder=t("custom_ui.choose")) or None
    if kind in LINKS:
        return _link_input(field, value, key=key, lang=lang, disabled=disabled, conn=conn)
    raise ValueError(f"unknown field type {kind!r}")


def _day(value) -> date | None:
    try:
        return date.fromisoformat(str(value)[:10]) if value else None
    except ValueError:
        return None


def _moment_input(field: Field, value, *, key: str, lang: str, disabled: bool) -> str | None:
    """A date and a time in the user's zone, stored as UTC text."""
    from db.crm.activities import local_to_utc, utc_to_local

    tz = current_timezone()
    wall = None
    if value:
        try:
            wall = utc_to_local(str(value), tz)
        except ValueError:
            wall = None
    left, right = st.columns([3, 2], gap="small")
    text = esc(field.label(lang), limit=80) + (" \\*" if field.required else "")
    tip = esc(field.help_text(lang), limit=300) if field.help_text(lang) else None
    picked_day = left.date_input(text, value=wall.date() if wall else None, format=date_format(),
                                 min_value=date(1900, 1, 1), max_value=date(2200, 12, 31), key=f"{key}_d",
                                 help=tip, disabled=disabled)
    picked_time = right.time_input(t("custom_ui.time", zone=esc(tz)), value=wall.time() if wall else None,
                                   key=f"{key}_t", disabled=disabled, step=300)
    if picked_day is None:
        return None
    return local_to_utc(datetime.combine(picked_day, picked_time or time(0, 0)), tz)


def _link_input(field: Field, value, *, key: str, lang: str, disabled: bool, conn) -> int | None:
    """A person from the team's list, or a contact / company found by a search box (never a list of every
    record)."""
    table = LINKS[field.type]
    text = esc(field.label(lang), limit=80) + (" \\*" if field.required else "")
    tip = esc(field.help_text(lang), limit=300) if field.help_text(lang) else None
    current = int(value) if isinstance(value, int) or (isinstance(value, str) and value.isdigit()) else None
    if table == "users":
        from db.core import users

        people = users.people(conn)
        options = [None, *people] + ([current] if current and current not in people else [])
        known = {**people, **_names(conn, table, [current] if current not in people else [])}
        return st.selectbox(text, options, index=options.index(current) if current in options else 0,
                            key=key, help=tip, disabled=disabled,
                            format_func=lambda v: EMPTY if v is None else known.get(v, f"#{v}"))
    left, right = st.columns([2, 3], gap="small")
    search = left.text_input(t("custom_ui.search", field=esc(field.label(lang), limit=60)), max_chars=100,
                             key=f"{key}_q", disabled=disabled, placeholder=t("custom_ui.search_hint"))
    found = _search(conn, table, search) if search.strip() and not disabled else {}
    known = {**_names(conn, table, [current] if current else []), **found}
    options = list(dict.fromkeys([current, None, *found])) if current else [None, *found]
    if search.strip() and found and st.session_state.get(f"{key}_last_q") != search:
        st.session_state[f"{key}_last_q"] = search  # a new search picks its first match
        st.session_state[key] = next(iter(found))
    elif key not in st.session_state or st.session_state[key] not in options:
        st.session_state[key] = current
    picked = right.selectbox(text, options, key=key, help=tip, disabled=disabled,
                             format_func=lambda v: EMPTY if v is None else known.get(v, f"#{v}"))
    if search.strip() and not found and not disabled:
        left.caption(t("custom_ui.no_match"))
    return picked


def _names(conn, table: str, ids: list) -> dict[int, str]:
    column = {"users": "owner_id", "contacts": "contact_id", "companies": "company_id"}[table]
    ids = {i for i in ids if isinstance(i, int)}
    return {i: name for (_, i), name in names.names(conn, {column: ids}).items()} if ids else {}


def _search(conn, table: str, text: str) -> dict[int, str]:
    """The first ``PICKS`` matches of ``text``: contacts through the full-text index, companies by name."""
    from db.crm import contacts

    if table == "companies":
        return contacts.companies_named(conn, set(), text, limit=PICKS)
    found = contacts.page(conn, contacts.Query(search=text), limit=PICKS)[0]
    return {c["id"]: " · ".join(filter(None, [f"{c['first_name']} {c['last_name'] or ''}".strip(), c["email"]]))
            for c in found}


def link_names(conn, fields: list[Field], rows: list[dict]) -> dict[tuple[str, int], str]:
    """Names for every link value of ``fields`` in ``rows``: one query per linked table."""
    wanted: dict[str, set[int]] = {}
    links = {f.column: LINKS[f.type] for f in fields if f.type in LINKS}
    for row in rows:
        for column in links:
            if isinstance(row.get(column), int):
                wanted.setdefault(column, set()).add(row[column])
    return names.names(conn, wanted, links) if wanted else {}


def display(field: Field, value, lang: str, resolved: dict | None = None, *, tz: str | None = None) -> str:
    """A stored value as plain text (no markdown): money, dates and numbers in the language's format, yes/no
    translated, choices joined, links by their record's name (``resolved`` from ``link_names``)."""
    if value is None or value == "" or value == "[]":
        return EMPTY
    kind = field.type
    shown = public(field, value)
    if kind in LINKS:
        return (resolved or {}).get((field.column, value), f"#{value}")
    if kind == "checkbox":
        return translate(lang, "history.yes" if shown else "history.no")
    if kind == "multi_choice":
        return ", ".join(str(v) for v in shown) or EMPTY
    if isinstance(value, int | float) and not isinstance(value, bool):
        if kind == "money":
            return money(value, lang, cents=True)
        if kind == "percent":
            return percent(value / 100, lang)
        if kind == "number":
            return number(value, lang, 0 if float(value).is_integer() else 2)
    try:
        if kind == "date":
            return day(str(value), lang)
        if kind == "datetime":
            return moment(str(value), lang, tz or current_timezone())
    except ValueError:
        pass
    return str(value)


def same(field: Field, stored, given) -> bool:
    """Whether a form's value is the stored one (so an untouched field is not sent: a field made required later
    must not block saving something else)."""
    before = public(field, stored)
    if field.type == "checkbox":
        return bool(before) == bool(given)
    if field.type == "multi_choice":
        return list(before or []) == list(given or [])
    if before in (None, "") and given in (None, "", []):
        return True
    return before == given


def changed(fields: list[Field], row: dict, values: dict) -> dict:
    """The entries of ``values`` ({column: value}) that differ from ``row``."""
    by_column = {f.column: f for f in fields}
    return {c: v for c, v in values.items() if c in by_column and not same(by_column[c], row.get(c), v)}


def render_section(conn, fields: list[Field], row: dict | None, *, key: str, lang: str, actor,
                   errors: dict | None = None, columns: int = 2, locked: bool = False) -> dict:
    """The fields ``actor`` may see, by section in the admin's order, two to a line; one they may not edit is
    shown disabled. Returns ``{column: value}`` of the editable ones; ``errors`` ({column: message}) are drawn
    under their field. ``row`` None: a new record (defaults pre-filled). ``locked``: the record is someone
    else's, every field shown disabled."""
    shown = [f for f in fields if f.may_view(actor) and not f.archived]
    values: dict = {}
    sections: dict[str, list[Field]] = {}
    for f in shown:
        sections.setdefault(f.section, []).append(f)
    for section, members in sections.items():
        if section:
            st.markdown(f"**{esc(section, limit=60)}**")
        for i, f in enumerate(members):
            if i % columns == 0:  # a row of columns at a time: a narrow screen stacks them in reading order
                cols = st.columns(columns)
            with cols[i % columns]:
                editable = f.may_edit(actor) and not locked
                got = field_input(f, initial(f, row), key=f"{key}_{f.column}", lang=lang, disabled=not editable,
                                  conn=conn)
                if editable:
                    values[f.column] = got
                message = (errors or {}).get(f.column)
                if message:
                    st.error(message, icon=":material/error:")  # text-safe: error_text output, escaped
    return values


def render_values(conn, fields: list[Field], row: dict, *, lang: str, actor) -> None:
    """Read-only: the fields ``actor`` may see with their values, by section (for a record's header area)."""
    shown = [f for f in fields if f.may_view(actor) and not f.archived]
    if not shown:
        return
    resolved = link_names(conn, shown, [row])
    st.dataframe([{t("custom_ui.field"): f.label(lang), t("custom_ui.value"): display(f, row.get(f.column), lang,
                                                                                         resolved)}
                  for f in shown], hide_index=True, width="stretch")


def forget(key: str) -> None:
    """Drop a form's widget state (after a save, so the widgets show what was stored)."""
    for name in [k for k in st.session_state if isinstance(k, str) and k.startswith(key + "_")]:
        del st.session_state[name]


def _differs(before, after) -> bool:
    if before in (None, "") and after in (None, ""):
        return False
    if isinstance(before, int | float) and isinstance(after, int | float):
        return float(before) != float(after)
    return before != after


def record_form(ctx, entity: str, row: dict, *, key: str, save, builtin=None, locked: bool = False) -> None:
    """A record's edit form: the built-in inputs ``builtin(row)`` draws (returning ``{column: value}``), then
    the custom fields the person may see, by section, with one Save. Not an ``st.form``: the contact and company
    pickers search as you type.

    Only what the person changed is sent, against the version the form was opened with, so someone else's
    save in between is a conflict, never overwritten. A refused save keeps every input and shows the message
    under the field it concerns (the custom ones) or above Save. ``save(version, changes)`` writes. ``locked``:
    someone else's record (components.locks.writable said so), every input and Save disabled."""
    from components.flash import flash, show_flash
    from components.i18n import error_text
    from db.core import fields
    from db.core.errors import ConflictError, DomainError

    state = st.session_state.setdefault(f"{key}_base", {"version": row["version"], "row": dict(row)})
    errors = st.session_state.get(f"{key}_errors") or {}
    base = state["row"]
    custom = fields.visible(ctx.conn, entity, ctx.actor)
    with st.container(border=True):
        typed = builtin(base) if builtin else {}
        if custom and builtin:
            st.divider()
        extra = render_section(ctx.conn, custom, base, key=key, lang=ctx.lang, actor=ctx.actor, errors=errors,
                               locked=locked)
        drawn = {f.column for f in custom}
        for name, message in errors.items():
            if name not in drawn:
                st.error(message, icon=":material/error:")  # text-safe: error_text output, escaped
        clicked = st.button(t("account.save"), type="primary", key=f"{key}_save", icon=":material/save:",
                            disabled=locked)
        show_flash(key)
    changes = {k: v for k, v in typed.items() if _differs(base.get(k), v)} | changed(custom, base, extra)
    if not clicked:
        if not changes and state["version"] != row["version"]:  # changed elsewhere, nothing typed: show it
            forget(key)
            rerun()
        return
    if not changes:
        flash(key, t("custom_ui.nothing_changed"))
        rerun()
    try:
        save(state["version"], changes)
    except ConflictError as err:
        # the next Save sends the same edits over the current version: the other person's fields stay theirs
        state["version"] = err.current.get("version", state["version"])
        st.session_state[f"{key}_errors"] = {"_form": error_text(err)}
        rerun()
    except DomainError as err:
        name = getattr(err, "field", None) or getattr(err, "params", {}).get("field") or "_form"
        st.session_state[f"{key}_errors"] = {name: error_text(err)}
        rerun()
    forget(key)
    flash(key, t("admin.saved"))
    rerun()
