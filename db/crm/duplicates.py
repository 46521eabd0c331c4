"""Likely duplicate contacts, and merging two of them into one (audited, one transaction)."""

from __future__ import annotations

import json
import sqlite3

from db.core import records
from db.core.connection import rows, write
from db.core.errors import ValidationError
from db.core.permissions import Actor

MERGEABLE = ("first_name", "last_name", "email", "phone", "title", "company_id", "owner_id", "lifecycle", "channel",
             "campaign_id", "tags", "acquired_at", "churned_at")
LINKED = (("activities", "contact_id"), ("deals", "contact_id"), ("feedback", "contact_id"))


# (reason, the key of a group of likely duplicates, where it must be set, its value shown)
_KEYS = (("email", "email COLLATE NOCASE", "email IS NOT NULL AND email != ''", "email"),
         ("phone", "phone", "phone IS NOT NULL AND phone != ''", "phone"),
         ("name and company", "company_id, last_name COLLATE NOCASE, first_name COLLATE NOCASE",
          "company_id IS NOT NULL", "first_name || ' ' || last_name"))


def candidates(conn: sqlite3.Connection, limit: int = 100) -> list[dict]:
    """Pairs of live contacts sharing an email, a phone, or a name within the same company (bounded).

    Each kind groups the contacts along its index (migration 0014) and pairs up the members of groups of
    two or more, so the cost grows with the contacts, not with their square."""
    out: list[dict] = []
    for reason, key, present, _ in _KEYS:
        if len(out) >= limit:
            break
        groups = conn.execute(f"SELECT json_group_array(id) FROM contacts WHERE deleted_at IS NULL AND {present} "
                              f"GROUP BY {key} HAVING COUNT(*) > 1 LIMIT ?", (limit,)).fetchall()
        for (members,) in groups:
            ids = sorted(json.loads(members))
            out += [{"a": a, "b": b, "reason": reason} for n, a in enumerate(ids) for b in ids[n + 1:]]
    out = out[:limit]
    shown_values = {}
    for reason, _, _, shown in _KEYS:
        wanted = [p["a"] for p in out if p["reason"] == reason]
        if wanted:
            shown_values[reason] = dict(conn.execute(
                f"SELECT id, {shown} FROM contacts WHERE id IN (SELECT value FROM json_each(?))",
                (json.dumps(wanted),)).fetchall())
    return [{**p, "value": shown_values[p["reason"]][p["a"]]} for p in out]


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


def lookalikes(conn: sqlite3.Connection, values: dict, limit: int = 5) -> list[dict]:
    """Live contacts a new one would likely duplicate: same email, same phone, or same name in the same
    company (values already cleaned). Shown before creating, so nobody adds a second copy by accident."""
    tests = []
    if values.get("email"):
        tests.append(("email", "email = ? COLLATE NOCASE", [values["email"]]))
    if values.get("phone"):
        tests.append(("phone", "phone = ?", [values["phone"]]))
    if values.get("first_name"):
        same_company = "company_id = ?" if values.get("company_id") else "company_id IS NULL"
        tests.append(("name", f"first_name = ? COLLATE NOCASE AND last_name = ? COLLATE NOCASE AND {same_company}",
                      [values["first_name"], values.get("last_name") or "",
                       *([values["company_id"]] if values.get("company_id") else [])]))
    out: dict[int, dict] = {}
    for reason, where, params in tests:
        for r in rows(conn, f"SELECT id, first_name, last_name, email, phone FROM contacts WHERE deleted_at IS NULL "
                            f"AND {where} LIMIT ?", [*params, limit]):
            out.setdefault(r["id"], {**r, "reason": reason})
    return list(out.values())[:limit]


def company_lookalikes(conn: sqlite3.Connection, name: str, limit: int = 5) -> list[dict]:
    """Live companies whose name matches ``name`` by the import's rule (``import_map.key``: case, spacing and
    punctuation ignored, in every script; SQLite's lower() knows only ASCII), so the form and the import
    agree on what "the same company" is."""
    from db.io.import_map import key

    wanted = key(name)
    if not wanted:
        return []
    found = rows(conn, "SELECT id, name, city FROM companies WHERE deleted_at IS NULL ORDER BY id")
    return [r for r in found if key(r["name"]) == wanted][:limit]
