"""Custom fields in list queries: which columns a grid reads, filter conditions, sort and search.

The column names come only from the field definitions (``db.core.fields``), never from the caller's text:
a condition names a field by its key, and a key that is not a field the caller may see is dropped. Every
value is a bound parameter. A field's column has an ordinary index (``fields.schema._index``), so an
equality, range or sort on it is planned like one on a built-in column (docs/design.md, "Custom fields").
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from db.core import fields
from db.core.errors import ValidationError
from db.core.fields import Field
from db.core.permissions import Actor
from db.core.text import clean_day, clean_number, like

# what each type can be filtered by
OPS = {
    "choice": ("any",), "multi_choice": ("has",),
    "number": ("range",), "money": ("range",), "percent": ("range",),
    "date": ("range",), "datetime": ("range",), "checkbox": ("yes", "no"),
    "text": ("contains", "equals"), "long_text": ("contains",), "url": ("contains", "equals"),
    "email": ("contains", "equals"), "phone": ("contains", "equals"),
    "user": ("is",), "contact": ("is",), "company": ("is",),
}
SORTABLE = ("text", "url", "email", "phone", "number", "money", "percent", "date", "datetime", "checkbox", "choice")
SEARCHED = fields.TEXT_TYPES + ("choice", "multi_choice")  # what ``<entity>_cf_fts`` holds (fields.schema)
PREFIX = "cf:"  # a sort on a custom field: "cf:<key>" ascending, "cf:<key>:desc" descending


@dataclass(frozen=True)
class Condition:
    """One filter on a custom field: ``key`` of the field, ``op`` from ``OPS``, ``value`` a tuple
    (choices for any/has; (low, high) for a range, either None; (text,) for contains/equals; (id,) for is)."""

    key: str
    op: str
    value: tuple = ()


def shown(conn: sqlite3.Connection, entity: str, actor: Actor | None) -> list[Field]:
    """The fields a list shows and filters by: those ``actor`` may see (every active one for the data layer's
    own callers, ``actor`` None)."""
    return fields.visible(conn, entity, actor) if actor is not None else fields.active(conn, entity)


def select(found: list[Field], alias: str) -> str:
    """``, c.cf_1, c.cf_4`` for the SELECT list (empty without fields): only the columns the grid shows."""
    return "".join(f", {alias}.{f.column}" for f in found)


def where(found: list[Field], alias: str, conditions: tuple[Condition, ...]) -> tuple[list[str], list]:
    """SQL conditions and their parameters for ``conditions`` on the fields ``found``; a condition on a field
    not among them (archived, hidden from this person) is left out. A bad value is a ValidationError at the
    field."""
    by_key = {f.key: f for f in found}
    sql: list[str] = []
    params: list = []
    for cond in conditions:
        field = by_key.get(cond.key)
        if field is None:
            continue
        if cond.op not in OPS[field.type]:
            raise ValidationError("{field}: invalid value", field=field.column)
        col = f"{alias}.{field.column}"
        values = tuple(cond.value or ())
        if cond.op == "any":
            picked = [v for v in values if v in field.options]
            if picked:
                sql.append(f"{col} IN ({', '.join('?' * len(picked))})")
                params += picked
        elif cond.op == "has":
            picked = [v for v in values if v in field.options]
            if picked:
                sql.append(f"EXISTS (SELECT 1 FROM json_each(CASE WHEN json_valid({col}) THEN {col} ELSE '[]' END) "
                           f"WHERE value IN ({', '.join('?' * len(picked))}))")
                params += picked
        elif cond.op == "range":
            low, high = (values + (None, None))[:2]
            for bound, mark in ((low, ">="), (high, "<=")):
                if bound in (None, ""):
                    continue
                value = _bound(field, bound, upper=mark == "<=")
                sql.append(f"{col} {'<' if field.type == 'datetime' and mark == '<=' else mark} ?")
                params.append(value)
        elif cond.op in ("yes", "no"):
            sql.append(f"{col} = 1" if cond.op == "yes" else f"({col} = 0 OR {col} IS NULL)")
        elif cond.op in ("contains", "equals"):
            text = str(values[0]).strip() if values and values[0] is not None else ""
            if text:
                if cond.op == "contains":
                    sql.append(f"{col} LIKE ? ESCAPE '\\'")
                    params.append(like(text, 200))
                else:
                    sql.append(f"{col} = ?")
                    params.append(text.lower() if field.type == "email" else text)
        elif cond.op == "is" and values and values[0] not in (None, ""):
            try:
                sql.append(f"{col} = ?")
                params.append(int(values[0]))
            except (TypeError, ValueError):
                raise ValidationError("{field}: choose from the list.", field=field.column,
                                      key="contacts.err_choice") from None
    return sql, params


def _bound(field: Field, value, *, upper: bool):
    if field.type in fields.NUMERIC:
        return clean_number(value, field.column, low=-1e15, high=1e15)
    day = clean_day(value, field.column).isoformat()
    if field.type == "datetime":  # whole days: up to the end of the last one
        from datetime import date, timedelta

        return (date.fromisoformat(day) + timedelta(days=1)).isoformat() if upper else day
    return day


def order(found: list[Field], alias: str, sort: str | None) -> str | None:
    """The ORDER BY of a sort on a custom field (``cf:<key>`` or ``cf:<key>:desc``), None when ``sort`` is
    not one; the column's index gives the order without sorting (the record id breaks ties, as in the index)."""
    if not sort or not sort.startswith(PREFIX):
        return None
    key, _, direction = sort[len(PREFIX):].partition(":")
    field = next((f for f in found if f.key == key and f.type in SORTABLE), None)
    if field is None:
        return None
    way = " DESC" if direction == "desc" else ""
    return f"{alias}.{field.column}{way}, {alias}.id{way}"


def sort_key(field: Field, descending: bool = False) -> str:
    return f"{PREFIX}{field.key}{':desc' if descending else ''}"


def search(conn: sqlite3.Connection, entity: str, alias: str, match: str, words: list[str],
           found: list[Field]) -> tuple[str, list]:
    """A condition finding records whose custom text holds ``match`` (an FTS5 query), through the
    ``<entity>_cf_fts`` index. That index holds every searchable field in one body, so when ``found`` lacks one
    (a field hidden from this person) it would find records by text they may not see: then the fields they do
    see are searched word by word with LIKE instead (a scan, only for that case). Empty when nothing applies."""
    searchable = [f for f in fields.active(conn, entity) if f.type in SEARCHED]
    if not searchable or not match:
        return "", []
    seen = {f.column for f in found}
    if all(f.column in seen for f in searchable):
        return f"{alias}.id IN ({fields.search_ids_sql(entity)})", [match]
    mine = [f for f in searchable if f.column in seen]
    if not mine or not words:
        return "", []
    parts, params = [], []
    for word in words:
        parts.append("(" + " OR ".join(f"{alias}.{f.column} LIKE ? ESCAPE '\\'" for f in mine) + ")")
        params += [like(word, 60)] * len(mine)
    return "(" + " AND ".join(parts) + ")", params


def export_columns(found: list[Field], alias: str, lang: str = "en") -> tuple[str, list[tuple[str, Field]]]:
    """SELECT text for the export (links as names) and the header of each custom column (its label)."""
    parts = []
    for f in found:
        if f.type in fields.LINKS:
            table = fields.LINKS[f.type]
            name = "name" if table != "contacts" else "trim(first_name || ' ' || last_name)"
            parts.append(f", (SELECT {name} FROM {table} WHERE id = {alias}.{f.column}) AS {f.column}")
        else:
            parts.append(f", {alias}.{f.column}")
    return "".join(parts), [(f.column, f) for f in found]


def export_value(field: Field, value):
    """A stored value as an export cell: multiple choices joined with '; ', a checkbox as yes/no."""
    out = fields.public(field, value)
    if field.type == "multi_choice":
        return "; ".join(out)
    if field.type == "checkbox":
        return None if value is None else ("yes" if out else "no")
    return out


def relabel(items: list[dict], found: list[Field], lang: str = "en") -> list[dict]:
    """Export rows with each custom column under its label (a label equal to a built-in header gets the
    field's key added, so no column is lost)."""
    if not found or not items:
        return items
    taken = {k for k in items[0] if not k.startswith("cf_")}
    names = {}
    for f in found:
        label = f.label(lang)
        names[f.column] = label if label not in taken and label not in names.values() else f"{label} ({f.key})"
    by_col = {f.column: f for f in found}
    return [{names.get(k, k): (export_value(by_col[k], v) if k in by_col else v) for k, v in r.items()}
            for r in items]


def link_names(conn: sqlite3.Connection, items: list[dict], found: list[Field]) -> dict[str, dict[int, str]]:
    """``{column: {id: name}}`` for the link fields (user, contact, company) on a page of rows: one query per
    linked table."""
    from db.core.names import names

    refs = {"user": "owner_id", "contact": "contact_id", "company": "company_id"}
    links = [f for f in found if f.type in refs]
    wanted: dict[str, set[int]] = {}
    for f in links:
        wanted.setdefault(refs[f.type], set()).update(r[f.column] for r in items if isinstance(r.get(f.column), int))
    got = names(conn, wanted)
    return {f.column: {i: n for (col, i), n in got.items() if col == refs[f.type]} for f in links}
