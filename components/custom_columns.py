"""Custom fields in the grids: one column per visible field with the editor its type needs, the values turned
into what that editor shows and back, error messages naming the field's label, and the "More filters" area.

A column the person may not edit is disabled; a field they may not see is never read (db/crm/custom.shown).
Links to a contact or company show the name read-only: their record page is the place to change them (a grid
selectbox would have to list 100,000 records). A link to a person is a selectbox of the team's names.
"""

from __future__ import annotations

import math
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import streamlit as st

from components.i18n import current_timezone, date_format, money_column_format, t
from components.text import esc
from db.core.fields import NUMERIC, Field, public
from db.core.permissions import Actor
from db.crm import custom

DATETIME_FORMAT = {"en": "DD/MM/YYYY HH:mm", "ru": "DD.MM.YYYY HH:mm", "uk": "DD.MM.YYYY HH:mm",
                   "bg": "DD.MM.YYYY HH:mm"}


def _zone() -> ZoneInfo:
    try:
        return ZoneInfo(current_timezone())
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def columns(found: list[Field], actor: Actor, lang: str, people: dict[int, str]) -> dict:
    """``{cf_<id>: column config}`` for the fields ``found`` (the ones ``actor`` may see)."""
    return {f.column: _column(f, f.label(lang), not f.may_edit(actor), lang, people) for f in found}


def _column(f: Field, label: str, disabled: bool, lang: str, people: dict[int, str]):
    cc = st.column_config
    help_text = f.help_text(lang) or None
    common = {"help": help_text, "disabled": disabled or None}
    kind = f.type
    if kind == "number":
        return cc.NumberColumn(label, **common)
    if kind == "money":
        return cc.NumberColumn(label, format=money_column_format(lang), **common)
    if kind == "percent":
        return cc.NumberColumn(label, format="%.1f%%", **common)
    if kind == "date":
        return cc.DateColumn(label, format=date_format(), **common)
    if kind == "datetime":
        return cc.DatetimeColumn(label, format=DATETIME_FORMAT.get(lang, DATETIME_FORMAT["en"]), **common)
    if kind == "checkbox":
        return cc.CheckboxColumn(label, **common)
    if kind == "choice":
        return cc.SelectboxColumn(label, options=list(f.options), **common)
    if kind == "multi_choice":
        return cc.MultiselectColumn(label, options=list(f.options), **common)
    if kind == "url":
        return cc.LinkColumn(label, max_chars=2000, validate=r"^https?://\S+$", **common)
    if kind == "user":
        return cc.SelectboxColumn(label, options=list(people), format_func=lambda v: people.get(v, ""), **common)
    if kind in ("contact", "company"):
        return cc.TextColumn(label, disabled=True, help=t("lists.link_on_record"))
    limit = {"text": 500, "long_text": 10_000, "email": 320, "phone": 40}.get(kind)
    return cc.TextColumn(label, max_chars=limit, **common)


def shown_rows(items: list[dict], found: list[Field], links: dict[str, dict[int, str]]) -> None:
    """Turn stored values into what each column's editor shows (in place): dates as dates, times in the
    person's time zone, checkboxes as booleans, multiple choices as lists, linked records as names."""
    zone = _zone()
    for row in items:
        for f in found:
            value = row.get(f.column)
            if f.type == "date" and value:
                row[f.column] = date.fromisoformat(str(value)[:10])
            elif f.type == "datetime" and value:
                row[f.column] = datetime.fromisoformat(str(value)).replace(tzinfo=UTC).astimezone(zone) \
                    .replace(tzinfo=None)
            elif f.type in NUMERIC and value is None:
                row[f.column] = math.nan  # an empty number: the column stays numeric (all-empty is not editable)
            elif f.type == "checkbox":
                row[f.column] = bool(value)
            elif f.type == "multi_choice":
                row[f.column] = public(f, value)
            elif f.type in ("contact", "company"):
                row[f.column] = links.get(f.column, {}).get(value, f"#{value}") if value is not None else None


def stored(changes: dict, found: list[Field]) -> dict:
    """A row's edits as the write path takes them: read-only link names dropped, a time typed in the person's
    zone given its offset (stored in UTC), dates as ISO text."""
    by_col = {f.column: f for f in found}
    out = {}
    for key, value in changes.items():
        f = by_col.get(key)
        if f is None:
            out[key] = value
            continue
        if f.type in ("contact", "company"):
            continue
        if isinstance(value, float) and math.isnan(value):
            value = None
        if f.type == "datetime" and value not in (None, ""):
            moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value).replace("Z", ""))
            value = (moment if moment.tzinfo else moment.replace(tzinfo=_zone())).isoformat()
        elif f.type == "date" and isinstance(value, date | datetime):
            value = value.isoformat()[:10]
        elif f.type == "date" and isinstance(value, str) and value:
            value = value[:10]
        elif f.type == "checkbox" and value is None:
            value = False
        out[key] = value
    return out


def edits(changes, found: list[Field]) -> list[tuple[dict, dict]]:
    """``grid.GridEdits.edits`` with custom values made storable (rows left with no change dropped)."""
    out = [(original, stored(diff, found)) for original, diff in changes]
    return [(o, d) for o, d in out if d]


def name_field(err, found: list[Field], lang: str):
    """``err`` naming a custom field by its label instead of ``cf_12`` (the message's ``{field}``)."""
    labels = {f.column: f.label(lang) for f in found}
    params = getattr(err, "params", None)
    if isinstance(params, dict) and params.get("field") in labels:
        params["field"] = labels[params["field"]]
    if getattr(err, "changed", None):
        err.changed = [labels.get(c, c) for c in err.changed]
    return err


def sort_options(found: list[Field], lang: str) -> dict[str, str]:
    """``{sort key: label}`` for the sortable custom fields, each ascending and descending."""
    out = {}
    for f in found:
        if f.type in custom.SORTABLE:
            out[custom.sort_key(f)] = t("lists.sort_up", field=f.label(lang))
            out[custom.sort_key(f, True)] = t("lists.sort_down", field=f.label(lang))
    return out


def more_filters(found: list[Field], prefix: str, lang: str, people: dict[int, str]) -> tuple[custom.Condition, ...]:
    """The "More filters" area: one input per visible custom field, by type; returns the conditions set."""
    usable = [f for f in found if f.type not in ("contact", "company")]
    if not usable:
        return ()
    active = sum(bool(st.session_state.get(f"{prefix}_cf_{f.id}")) for f in usable)
    title = t("lists.more_filters") + (f" ({active})" if active else "")
    conditions: list[custom.Condition] = []
    # open while a filter is set: the count in the title makes it a new element after each change. On a phone
    # the page's filters are already one expander (layout.filter_area), and expanders do not nest.
    from components.layout import narrow

    phone = narrow()
    box = st.container(border=True) if phone else \
        st.expander(title, icon=":material/filter_list:", expanded=bool(active))  # text-safe: t() and a count
    with box:
        if phone:
            st.caption(title)  # text-safe: t() and a count
        cols = [st.container()] * 3 if phone else st.columns(3)
        for i, f in enumerate(usable):
            with cols[i % 3]:
                cond = _filter(f, f"{prefix}_cf_{f.id}", lang, people)
            if cond is not None:
                conditions.append(cond)
    return tuple(conditions)


def _filter(f: Field, key: str, lang: str, people: dict[int, str]) -> custom.Condition | None:
    label = esc(f.label(lang))  # an admin's text: a widget label renders markdown
    kind = f.type
    if kind in ("choice", "multi_choice"):
        picked = st.multiselect(label, list(f.options), key=key, placeholder=t("lists.any"),
                                help=t("lists.has_any") if kind == "multi_choice" else None)
        return custom.Condition(f.key, "any" if kind == "choice" else "has", tuple(picked)) if picked else None
    if kind in ("number", "money", "percent"):
        a, b = st.columns(2)
        low = a.number_input(t("lists.from", field=label), value=None, key=key, format="%g")
        high = b.number_input(t("lists.to"), value=None, key=f"{key}_to", format="%g")
        return custom.Condition(f.key, "range", (low, high)) if low is not None or high is not None else None
    if kind in ("date", "datetime"):
        span = st.date_input(label, value=(), key=key, format=date_format())
        if not span:
            return None
        return custom.Condition(f.key, "range", (span[0].isoformat(), span[1].isoformat() if len(span) > 1
                                                 else span[0].isoformat()))
    if kind == "checkbox":
        answer = st.segmented_control(label, ["yes", "no"], key=key, format_func=lambda v: t(f"lists.{v}"))
        return custom.Condition(f.key, answer) if answer else None
    if kind == "user":
        person = st.selectbox(label, [None, *people], key=key,
                              format_func=lambda v: t("dashboard.all") if v is None else people.get(v, ""))
        return custom.Condition(f.key, "is", (person,)) if person is not None else None
    text = st.text_input(label, key=key, max_chars=200, placeholder=t("lists.contains"))
    return custom.Condition(f.key, "contains", (text,)) if text.strip() else None
