"""Likely duplicate contacts, and merging two of them into one (audited, one transaction)."""

from __future__ import annotations

import sqlite3

from db import records
from db.connection import rows, write
from db.errors import ValidationError
from db.permissions import Actor

MERGEABLE = ("first_name", "last_name", "email", "phone", "title", "company_id", "owner_id", "lifecycle", "channel",
             "campaign_id", "tags", "acquired_at", "churned_at")
LINKED = (("activities", "contact_id"), ("deals", "contact_id"), ("feedback", "contact_id"))


def candidates(conn: sqlite3.Connection, limit: int = 100) -> list[dict]:
    """Pairs of live contacts sharing an email, a phone, or a name within the same company (bounded)."""
    return rows(conn,
                "SELECT a.id AS a, b.id AS b, 'email' AS reason, a.email AS value FROM contacts a JOIN contacts b "
                "ON lower(a.email) = lower(b.email) AND a.id < b.id WHERE a.email IS NOT NULL AND a.email != '' "
                "AND a.deleted_at IS NULL AND b.deleted_at IS NULL "
                "UNION ALL SELECT a.id, b.id, 'phone', a.phone FROM contacts a JOIN contacts b ON a.phone = b.phone "
                "AND a.id < b.id WHERE a.phone IS NOT NULL AND a.phone != '' AND a.deleted_at IS NULL "
                "AND b.deleted_at IS NULL "
                "UNION ALL SELECT a.id, b.id, 'name and company', a.first_name || ' ' || a.last_name FROM contacts a "
                "JOIN contacts b ON a.company_id = b.company_id AND lower(a.first_name) = lower(b.first_name) "
                "AND lower(a.last_name) = lower(b.last_name) AND a.id < b.id WHERE a.company_id IS NOT NULL "
                "AND a.deleted_at IS NULL AND b.deleted_at IS NULL LIMIT ?", (limit,))


def merge(conn: sqlite3.Connection, survivor_id: int, loser_id: int, keep: dict[str, str], actor: Actor) -> dict:
    """Keep ``survivor_id``; for each field in ``keep`` whose value is "loser", take the loser's value.
    Everything linked to the loser moves to the survivor; the loser is soft-deleted. All or nothing."""
    if survivor_id == loser_id:
        raise ValidationError("Choose two different contacts.", field="contacts", key="record.err_same")
    with write(conn):
        survivor = records.get(conn, "contacts", survivor_id)
        loser = records.get(conn, "contacts", loser_id)
        changes = {f: loser[f] for f, side in keep.items() if f in MERGEABLE and side == "loser"
                   and loser[f] != survivor[f]}
        if changes:
            survivor = records.update(conn, "contacts", survivor_id, survivor["version"], changes, actor)
        moved = {}
        for table, column in LINKED:
            ids = [r["id"] for r in rows(conn, f"SELECT id FROM {table} WHERE {column} = ?", (loser_id,))]
            for rid in ids:
                row = records.get(conn, table, rid, include_deleted=True)
                if row["deleted_at"]:
                    conn.execute(f"UPDATE {table} SET {column} = ? WHERE id = ?", (survivor_id, rid))
                else:
                    records.update(conn, table, rid, row["version"], {column: survivor_id}, actor)
            moved[table] = len(ids)
        comments = conn.execute("UPDATE comments SET entity_id = ? WHERE entity = 'contacts' AND entity_id = ?",
                                (survivor_id, loser_id)).rowcount
        moved["comments"] = comments
        records.soft_delete(conn, "contacts", loser_id, actor)
        records.audit(conn, actor, "contacts", survivor_id, "merge", {"merged_from": loser_id}, moved)
    return moved
