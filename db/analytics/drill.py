"""Extra columns of the dashboard's drill-down tables ("the customers behind a number"): the contacts' custom
fields the person may see, read for the listed contacts only (bound ids, only those fields' columns)."""

from __future__ import annotations

import json
import sqlite3

from db.core import fields
from db.core.permissions import Actor

MAX_COLUMNS = 12  # a drill-down table stays readable; the admin's order decides which come first


def contact_fields(conn: sqlite3.Connection, actor: Actor) -> list[fields.Field]:
    """The contacts' custom fields a drill-down shows to ``actor`` (active, visible to them)."""
    return [f for f in fields.visible(conn, "contacts", actor) if f.type != "long_text"][:MAX_COLUMNS]


def contact_values(conn: sqlite3.Connection, ids: list[int], shown: list[fields.Field]) -> dict[int, dict]:
    """{contact id: {field key: public value}} for ``ids``; column names come only from ``shown``."""
    ids = [int(i) for i in ids if i is not None]
    if not shown or not ids:
        return {}
    columns = ", ".join(f"c.{f.column}" for f in shown)
    out = {}
    sql = f"SELECT c.id, {columns} FROM json_each(?) j JOIN contacts c ON c.id = j.value"  # noqa: S608 - cf_<id> columns from fields only
    for row in conn.execute(sql, (json.dumps(ids),)):
        out[row[0]] = {f.key: fields.public(f, value) for f, value in zip(shown, row[1:], strict=True)}
    return out
