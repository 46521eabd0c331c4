"""Custom fields in the API: ``"custom": {key: value}`` on every record of an entity that has them.

The fields, who sees and edits them, their types and checks all come from ``db/core/fields.py``; this module
only maps keys to the real columns (``cf_<id>``) and back.
"""

from __future__ import annotations

import sqlite3

from db.core.errors import ValidationError
from db.core.permissions import Actor


def _fields():
    try:
        from db.core import fields
    except ImportError:  # before custom fields exist
        return None
    return fields


def visible(conn: sqlite3.Connection, entity: str, actor: Actor) -> list:
    mod = _fields()
    return list(mod.visible(conn, entity, actor)) if mod else []


def editable(conn: sqlite3.Connection, entity: str, actor: Actor) -> list:
    mod = _fields()
    return list(mod.editable(conn, entity, actor)) if mod else []


def field_schema(field) -> dict:
    mod = _fields()
    return mod.json_schema(field) if mod else {}


def values(row: dict, fields: list) -> dict:
    """The record's custom values by key."""
    return {f.key: row.get(f.column) for f in fields}


def columns(given: dict | None, fields: list) -> dict:
    """``{key: value}`` from a request -> ``{column: value}`` for the write path; a key the person may not edit
    is refused naming it."""
    if not given:
        return {}
    by_key = {f.key: f for f in fields}
    out = {}
    for key, value in given.items():
        if key not in by_key:
            raise ValidationError("Unknown field(s): {names}", field=f"custom.{key}", key="errors.unknown_fields",
                                  names=key)
        out[by_key[key].column] = value
    return out
