"""The one shared write path: create, update with optimistic locking, soft delete, restore.

Every change writes an audit row (who, when, entity, id, action, before/after) in the same
``BEGIN IMMEDIATE`` transaction. Table and column names are checked against the live schema,
so no caller text ever becomes an identifier.
"""

from __future__ import annotations

import json
import sqlite3

from db.core import fields
from db.core.connection import now, one, write
from db.core.errors import ConflictError, NotFoundError, ValidationError
from db.core.permissions import Actor, check_write
from db.core.text import scrub

EDITABLE = {
    "users", "campaigns", "companies", "contacts", "pipelines", "stages", "deals",
    "activities", "feedback", "comments", "saved_views", "custom_fields",
}
SYSTEM_COLUMNS = {"id", "version", "created_at", "updated_at", "updated_by", "deleted_at"}


def columns(conn: sqlite3.Connection, table: str) -> frozenset[str]:
    """Column names of an editable table (raises for anything else). A pragma read costs microseconds."""
    if table not in EDITABLE:
        raise ValueError(f"not an editable table: {table!r}")
    return frozenset(r[0] for r in conn.execute("SELECT name FROM pragma_table_info(?)", (table,)))


def _check_fields(conn, table: str, values: dict, actor: Actor | None = None, *, creating: bool = False) -> dict:
    """Known columns only; every text value scrubbed (no NUL, control or bidi-override characters, no lone
    surrogates) whichever entity rule ran before: the one place nothing gets around. Custom fields get their
    own rules here too (type, choices, required, defaults, who may edit), so no write path skips them."""
    allowed = columns(conn, table) - SYSTEM_COLUMNS
    unknown = set(values) - allowed
    if unknown:
        raise ValidationError("Unknown field(s): {names}", field=sorted(unknown)[0], key="errors.unknown_fields",
                              names=", ".join(sorted(unknown)))
    values = fields.check(conn, table, values, actor, creating=creating)
    return {k: scrub(v) if isinstance(v, str) else v for k, v in values.items()}


def get(conn: sqlite3.Connection, table: str, record_id: int, *, include_deleted: bool = False) -> dict:
    columns(conn, table)
    if isinstance(record_id, bool) or not isinstance(record_id, int) or not 0 < record_id < 2**63:
        raise NotFoundError(entity=table, id=str(record_id)[:20])  # SQLite cannot even bind ids past 2^63
    row = one(conn, f"SELECT * FROM {table} WHERE id = ?", (record_id,))
    if row is None or (row.get("deleted_at") and not include_deleted):
        raise NotFoundError(entity=table, id=record_id)
    return row


def audit(conn, actor: Actor, entity: str, entity_id: int, action: str, before: dict | None, after: dict | None) -> None:
    conn.execute(
        "INSERT INTO audit_log (at, user_id, entity, entity_id, action, before, after, api_key_id) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (now(), actor.id, entity, entity_id, action, _json(before), _json(after), actor.api_key_id),
    )


SECRET_FIELDS = {"password_hash"}


_ENCODE = json.JSONEncoder(ensure_ascii=False, default=str).encode  # json.dumps' own settings, built once


def _json(value: dict | None) -> str | None:
    """Audit payload; secrets are never copied into the log."""
    if value is None:
        return None
    if SECRET_FIELDS.isdisjoint(value):
        return _ENCODE(value)
    return _ENCODE({k: ("[redacted]" if k in SECRET_FIELDS else v) for k, v in value.items()})


def create(conn: sqlite3.Connection, table: str, values: dict, actor: Actor) -> int:
    """Insert one record and audit it; returns the new id."""
    values = _check_fields(conn, table, values, actor, creating=True)
    if "owner_id" in columns(conn, table) and values.get("owner_id") is None and actor.id is not None:
        values["owner_id"] = actor.id
    check_write(actor, table, values, "create")
    stamp = now()
    data = {**values, "created_at": stamp, "updated_at": stamp, "updated_by": actor.id, "version": 1}
    names = list(data)
    sql = f"INSERT INTO {table} ({', '.join(names)}) VALUES ({', '.join('?' for _ in names)})"
    with write(conn):
        try:
            cur = conn.execute(sql, [data[n] for n in names])
        except sqlite3.IntegrityError as exc:
            raise _integrity(exc) from exc
        new_id = cur.lastrowid
        audit(conn, actor, table, new_id, "create", None, values)
    return new_id


def update(conn: sqlite3.Connection, table: str, record_id: int, version: int, changes: dict, actor: Actor) -> dict:
    """Apply ``changes`` if the row is still at ``version``; else raise ``ConflictError``.

    Returns the row as saved. Unchanged values are dropped, so an edit that changes nothing
    writes nothing and bumps no version.
    """
    changes = _check_fields(conn, table, changes, actor)
    with write(conn):
        before = get(conn, table, record_id)
        check_write(actor, table, before, "edit")
        if "owner_id" in changes:
            check_write(actor, table, {**before, **changes}, "reassign")
        if before["version"] != version:
            raise _conflict(conn, table, record_id, version, before)
        return _save(conn, table, before, changes, actor)


def derive(conn: sqlite3.Connection, table: str, record_id: int, changes: dict, actor: Actor) -> dict:
    """Apply ``changes`` that a data rule derives from another permitted edit (say, a won deal making its
    contact a customer): no permission check of its own, but the same version bump and audit as ``update``,
    so a form opened before it cannot silently undo it."""
    changes = _check_fields(conn, table, changes)
    with write(conn):
        return _save(conn, table, get(conn, table, record_id), changes, actor)


def _save(conn: sqlite3.Connection, table: str, before: dict, changes: dict, actor: Actor) -> dict:
    """Write the changed values of ``changes`` over ``before`` (read in this transaction), bump the version
    and audit; nothing when nothing changes."""
    record_id, version = before["id"], before["version"]
    diff = {k: v for k, v in changes.items() if before.get(k) != v}
    if not diff:
        return before
    sets = ", ".join(f"{k} = ?" for k in diff)
    try:
        cur = conn.execute(
            f"UPDATE {table} SET {sets}, version = version + 1, updated_at = ?, updated_by = ? "
            "WHERE id = ? AND version = ?",
            [*diff.values(), now(), actor.id, record_id, version],
        )
    except sqlite3.IntegrityError as exc:
        raise _integrity(exc) from exc
    if cur.rowcount == 0:
        raise _conflict(conn, table, record_id, version, get(conn, table, record_id))
    audit(conn, actor, table, record_id, "update",
          {k: before.get(k) for k in diff}, {**diff, "version": version + 1})
    return get(conn, table, record_id)


def _conflict(conn, table: str, record_id: int, version: int, current: dict) -> ConflictError:
    """Name who saved since ``version`` and which fields they changed."""
    changes = conn.execute(
        "SELECT a.at, a.after, COALESCE(u.name, 'someone') AS who FROM audit_log a "
        "LEFT JOIN users u ON u.id = a.user_id WHERE a.entity = ? AND a.entity_id = ? "
        "AND COALESCE(json_extract(a.after, '$.version'), 0) > ? ORDER BY a.id",
        (table, record_id, version),
    ).fetchall()
    fields: list[str] = []
    for change in changes:
        for key in json.loads(change["after"] or "{}"):
            if key != "version" and key not in fields:
                fields.append(key)
    last = changes[-1] if changes else None
    return ConflictError(
        current=current, changed=fields,
        who=last["who"] if last else "someone", when=last["at"] if last else current.get("updated_at"),
        fields=", ".join(fields) or "deleted",
    )


def soft_delete(conn: sqlite3.Connection, table: str, record_id: int, actor: Actor, version: int | None = None) -> None:
    """Mark a record deleted (restorable). With ``version``, refuse if it changed meanwhile."""
    with write(conn):
        before = get(conn, table, record_id)
        check_write(actor, table, before, "delete")
        if version is not None and before["version"] != version:
            raise _conflict(conn, table, record_id, version, before)
        stamp = now()
        conn.execute(
            f"UPDATE {table} SET deleted_at = ?, version = version + 1, updated_at = ?, updated_by = ? WHERE id = ?",
            (stamp, stamp, actor.id, record_id),
        )
        audit(conn, actor, table, record_id, "delete", {"deleted_at": None},
              {"deleted_at": stamp, "version": before["version"] + 1})


def restore(conn: sqlite3.Connection, table: str, record_id: int, actor: Actor) -> None:
    with write(conn):
        before = get(conn, table, record_id, include_deleted=True)
        check_write(actor, table, before, "restore")
        if not before.get("deleted_at"):
            return
        conn.execute(
            f"UPDATE {table} SET deleted_at = NULL, version = version + 1, updated_at = ?, updated_by = ? WHERE id = ?",
            (now(), actor.id, record_id),
        )
        audit(conn, actor, table, record_id, "restore", {"deleted_at": before["deleted_at"]},
              {"deleted_at": None, "version": before["version"] + 1})


def history(conn: sqlite3.Connection, entity: str, entity_id: int, limit: int = 200) -> list[dict]:
    """Audit rows of one record, newest first, with the user's name."""
    cur = conn.execute(
        "SELECT a.id, a.at, a.action, a.before, a.after, COALESCE(u.name, 'system') AS who, k.name AS api_key "
        "FROM audit_log a LEFT JOIN users u ON u.id = a.user_id LEFT JOIN api_keys k ON k.id = a.api_key_id "
        "WHERE a.entity = ? AND a.entity_id = ? ORDER BY a.id DESC LIMIT ?",
        (entity, entity_id, limit),
    )
    out = []
    for r in cur.fetchall():
        d = dict(r)
        d["before"] = json.loads(d["before"]) if d["before"] else {}
        d["after"] = json.loads(d["after"]) if d["after"] else {}
        out.append(d)
    return out


def _integrity(exc: sqlite3.IntegrityError) -> ValidationError:
    """A constraint the database enforced, as a sentence naming the field (never SQLite's own text)."""
    text, field = str(exc), _field_of(exc)
    for marker, key, template in (
            ("UNIQUE", "errors.integrity_unique", "Another record already has this {field}."),
            ("NOT NULL", "errors.integrity_required", "{field} is required."),
            ("FOREIGN KEY", "errors.integrity_link", "The linked record does not exist any more."),
            ("CHECK", "errors.integrity_check", "{field} has a value that is not allowed.")):
        if marker in text:
            return ValidationError(template, field=field, key=key)
    return ValidationError("{field} has a value that is not allowed.", field=field, key="errors.integrity_check")


def _field_of(exc: sqlite3.IntegrityError) -> str:
    text = str(exc)
    if ":" in text:
        return text.rsplit(":", 1)[1].strip().split(".")[-1].split(",")[0]
    return ""
