"""Reading the audit log, and the two repairs it enables: restore a deleted record, revert a change."""

from __future__ import annotations

import json
import sqlite3

from db.core import records
from db.core.connection import one, rows, write
from db.core.errors import ConflictError, NotFoundError, ValidationError
from db.core.permissions import Actor
from db.crm import deals
from db.io.export import EXPORT_CAP

ACTIONS = ("create", "update", "delete", "restore", "password", "merge", "move")


def search(conn: sqlite3.Connection, *, entity: str | None = None, user_id: int | None = None,
           action: str | None = None, since: str | None = None, until: str | None = None,
           entity_id: int | None = None, limit: int = 100, offset: int = 0, cap: int = 1000) -> list[dict]:
    """Audit rows newest first, filtered; every filter is a bound parameter."""
    where, params = [], []
    for clause, value in (("a.entity = ?", entity), ("a.user_id = ?", user_id), ("a.action = ?", action),
                          ("a.at >= ?", since), ("a.at < date(?, '+1 day')", until), ("a.entity_id = ?", entity_id)):
        if value not in (None, ""):
            where.append(clause)
            params.append(value)
    sql = ("SELECT a.id, a.at, a.entity, a.entity_id, a.action, a.before, a.after, COALESCE(u.name, 'system') AS who, "
           "k.name AS api_key FROM audit_log a LEFT JOIN users u ON u.id = a.user_id "
           "LEFT JOIN api_keys k ON k.id = a.api_key_id")
    if where:
        sql += " WHERE " + " AND ".join(where)
    sql += " ORDER BY a.id DESC LIMIT ? OFFSET ?"
    out = rows(conn, sql, (*params, min(limit, cap), offset))
    for r in out:
        r["before"] = json.loads(r["before"]) if r["before"] else {}
        r["after"] = json.loads(r["after"]) if r["after"] else {}
    return out


def export_rows(conn: sqlite3.Connection, cap: int = EXPORT_CAP, **filters) -> list[dict]:
    """The filtered log for export: one row per change, before and after as JSON text."""
    out = search(conn, **filters, limit=cap, cap=cap)
    return [{**r, "before": json.dumps(r["before"], ensure_ascii=False),
             "after": json.dumps(r["after"], ensure_ascii=False)} for r in out]


def entities(conn: sqlite3.Connection) -> list[str]:
    return [r["entity"] for r in rows(conn, "SELECT DISTINCT entity FROM audit_log ORDER BY entity")]


def revert(conn: sqlite3.Connection, audit_id: int, actor: Actor) -> dict:
    """Put back the values an update replaced, if nobody has changed those fields since."""
    with write(conn):
        entry = one(conn, "SELECT * FROM audit_log WHERE id = ?", (audit_id,))
        if entry is None:
            raise NotFoundError(entity="audit_log", id=audit_id)
        if entry["action"] != "update" or entry["entity"] not in records.EDITABLE:
            raise ValidationError("Only field changes can be reverted.", field="action", key="audit.err_not_update")
        before, after = json.loads(entry["before"] or "{}"), json.loads(entry["after"] or "{}")
        after.pop("version", None)
        current = records.get(conn, entry["entity"], entry["entity_id"])
        moved = [k for k, v in after.items() if current.get(k) != v]
        if moved:
            raise ConflictError(current=current, changed=moved, who="someone", when=current["updated_at"],
                                fields=", ".join(moved))
        saved = records.update(conn, entry["entity"], entry["entity_id"], current["version"], before, actor)
        if entry["entity"] == "deals":
            deals.resync_first_win(conn, current, records.get(conn, "deals", entry["entity_id"]), actor)
        return saved


def restore(conn: sqlite3.Connection, entity: str, entity_id: int, actor: Actor) -> None:
    if entity not in records.EDITABLE:
        raise ValidationError("This kind of record cannot be restored.", field="entity", key="audit.err_restore")
    records.restore(conn, entity, entity_id, actor)
