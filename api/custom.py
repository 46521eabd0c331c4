"""Custom fields in the API: ``"custom": {key: value}`` on every record of an entity that has them.

Which fields exist, who sees them and who may edit them, and every rule on their values come from
db/core/fields (the write path checks them); this module maps keys to columns and back, describes each
field type as JSON Schema for validation and the OpenAPI document, and names a field by its key and label
in errors."""

from __future__ import annotations

import sqlite3

from db.core import fields
from db.core.fields import Field
from db.core.permissions import Actor

_ANY_ID = {"type": "integer", "minimum": 1, "maximum": 2**63 - 1}
_SHAPES = {
    "number": {"type": "number"}, "money": {"type": "number"}, "percent": {"type": "number"},
    "date": {"type": "string", "format": "date"}, "datetime": {"type": "string", "format": "date-time"},
    "checkbox": {"type": "boolean"}, "user": _ANY_ID, "contact": _ANY_ID, "company": _ANY_ID,
}


def visible(conn: sqlite3.Connection, entity: str, actor: Actor) -> list[Field]:
    return fields.visible(conn, entity, actor)


def field_schema(field: Field) -> dict:
    """One field's value as JSON Schema (always nullable: empty is None)."""
    if field.type == "choice":
        shape = {"type": "string", "enum": list(field.options)}
    elif field.type == "multi_choice":
        shape = {"type": "array", "items": {"type": "string", "enum": list(field.options)}, "maxItems": 200}
    elif field.type in fields.model.LIMITS:
        shape = {"type": "string", "maxLength": fields.model.LIMITS[field.type]}
    else:
        shape = dict(_SHAPES.get(field.type, {"type": "string"}))
    if field.type != "multi_choice":
        shape["type"] = [shape["type"], "null"]
        if "enum" in shape:
            shape["enum"] = [*shape["enum"], None]
    return {**shape, "title": field.label("en"), "description": f"{field.type} (custom field)"}


def values(row: dict, shown: list[Field]) -> dict:
    """The record's custom values by key, as public values (a date-time as RFC 3339)."""
    out = fields.custom_values(row, shown)
    for f in shown:
        if f.type == "datetime" and out.get(f.key):
            out[f.key] = str(out[f.key]).replace(" ", "T")[:19] + "Z"
    return out


def columns(given: dict | None, shown: list[Field]) -> dict:
    """``{key: value}`` from a request -> ``{column: value}``; the write path then checks values and roles."""
    return fields.from_keys(shown, given) if given else {}


def relabel(conn: sqlite3.Connection, entity: str, err, lang: str) -> None:
    """An error about a custom column (``cf_3``) names it as the client knows it: ``custom.<key>``, and its
    label in the reader's language."""
    column = getattr(err, "field", "") or ""
    if not column.startswith(("cf_", "custom.")) or entity not in fields.ENTITIES:
        return
    known = fields.by_column(conn, entity)
    field = known.get(column) or next((f for f in known.values() if f"custom.{f.key}" == column), None)
    if field is None:
        return
    err.field = f"custom.{field.key}"
    if getattr(err, "params", {}).get("field") == column:
        err.params["field"] = field.label(lang)
