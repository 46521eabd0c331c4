"""Contacts: validation, a bounded page of the grid (filter, search, sort in SQL), saves and bulk actions."""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass

from db.core import records, users
from db.core.connection import one, rows, write
from db.core.errors import ConflictError, ValidationError
from db.core.fields import normalise_phone
from db.core.permissions import Actor
from db.core.text import clean_fields, like
from db.core.users import EMAIL_RE
from db.crm import custom
from db.io.export import EXPORT_CAP

LIFECYCLES = ("lead", "prospect", "customer", "churned")
EDITABLE = ("first_name", "last_name", "email", "phone", "title", "company_id", "owner_id", "lifecycle", "channel",
            "campaign_id", "tags")
LIMITS = {"first_name": 100, "last_name": 100, "email": 320, "phone": 40, "title": 120, "channel": 60, "tags": 300}
SORTS = {"name": "c.last_name COLLATE NOCASE, c.first_name COLLATE NOCASE", "created": "c.created_at DESC",
         "updated": "c.updated_at DESC", "company": "co.name COLLATE NOCASE", "lifecycle": "c.lifecycle"}


@dataclass(frozen=True)
class Query:
    """What the grid asks for; every value ends up a bound parameter."""

    search: str = ""
    lifecycle: str | None = None
    owner_id: int | None = None
    channel: str | None = None
    campaign_id: int | None = None
    tag: str | None = None
    segment: str | None = None
    created_from: str | None = None
    created_to: str | None = None
    sort: str = "name"  # a key of SORTS, or a custom field's "cf:<key>[:desc]" (db/crm/custom.py)
    custom: tuple[custom.Condition, ...] = ()


def clean(values: dict, *, row: int | None = None, region: str | None = None) -> dict:
    """Validate and normalise a contact's fields; raises ValidationError naming the field (and row). Custom
    fields (``cf_*``) pass through: the write path checks them (``db.core.fields.check``)."""
    custom = {k: v for k, v in values.items() if k.startswith("cf_")}
    out = clean_fields({k: v for k, v in values.items() if k not in custom}, EDITABLE, LIMITS, row)
    if "first_name" in out and not out["first_name"]:
        raise ValidationError("First name is required.", field="first_name", row=row, key="contacts.err_first_name")
    if "last_name" in out:
        out["last_name"] = out["last_name"] or ""
    if out.get("email"):
        if not EMAIL_RE.match(out["email"]):
            raise ValidationError("'{value}' is not a valid email address.", field="email", row=row,
                                  key="errors.email_invalid", value=out["email"][:80])
        out["email"] = out["email"].lower()
    if out.get("phone"):
        out["phone"] = normalise_phone(out["phone"], region, row)
    if "lifecycle" in out and out["lifecycle"] not in LIFECYCLES:
        raise ValidationError("Unknown lifecycle '{value}'.", field="lifecycle", row=row, key="contacts.err_lifecycle",
                              value=str(out["lifecycle"])[:30])
    if "tags" in out:
        tags = [t.strip().lower() for t in (out["tags"] or "").split(",") if t.strip()]
        out["tags"] = ",".join(dict.fromkeys(tags))
    for key in ("company_id", "owner_id", "campaign_id"):
        if key in out and out[key] is not None:
            try:
                out[key] = int(out[key])
            except (TypeError, ValueError):
                raise ValidationError("{field}: choose from the list.", field=key, row=row,
                                      key="contacts.err_choice") from None
    return {**out, **custom}


def fts_query(text: str) -> str:
    """User text as a safe FTS5 query: each word a quoted prefix term, all required."""
    words = re.findall(r"\w+", text or "", flags=re.UNICODE)[:8]
    return " AND ".join('"' + w.replace('"', '""') + '"*' for w in words)


def _where(q: Query, conn: sqlite3.Connection | None = None, found: list | None = None) -> tuple[str, list]:
    """The WHERE of a query; with ``conn``, the search also looks in the custom text and the custom conditions
    apply, on the fields ``found`` (those the person may see)."""
    where, params = ["c.deleted_at IS NULL"], []
    match = fts_query(q.search)
    if match:
        extra, more = custom.search(conn, "contacts", "c", match, _words(q.search), found or []) if conn \
            else ("", [])
        fts = "c.id IN (SELECT rowid FROM contacts_fts WHERE contacts_fts MATCH ?)"
        where.append(f"({fts} OR {extra})" if extra else fts)
        params += [match, *more]
    if conn is not None and q.custom:
        sql, values = custom.where(found or [], "c", q.custom)
        where += sql
        params += values
    for column, value in (("c.lifecycle", q.lifecycle), ("c.owner_id", q.owner_id), ("c.channel", q.channel),
                          ("c.campaign_id", q.campaign_id)):
        if value not in (None, ""):
            where.append(f"{column} = ?")
            params.append(value)
    if q.tag:
        where.append("(',' || c.tags || ',') LIKE ? ESCAPE '\\'")
        params.append("%," + like(q.tag, 60)[1:-1] + ",%")
    if q.segment in ("A", "B", "C"):
        where.append("c.profit_segment = ?")
        params.append(q.segment)
    if q.created_from:
        where.append("c.created_at >= ?")
        params.append(q.created_from)
    if q.created_to:
        where.append("c.created_at < date(?, '+1 day')")
        params.append(q.created_to)
    return " AND ".join(where), params


def _words(text: str) -> list[str]:
    return re.findall(r"\w+", text or "", flags=re.UNICODE)[:8]


def _order(q: Query, found: list) -> str:
    return custom.order(found, "c", q.sort) or SORTS.get(q.sort, SORTS["name"]) + ", c.id"


def page(conn: sqlite3.Connection, q: Query, limit: int = 50, offset: int = 0, *,
         actor: Actor | None = None, total: int | None = None) -> tuple[list[dict], int]:
    """One page of contacts and the total matching; never the whole table. The custom fields ``actor`` may see
    come as columns ``cf_<id>`` (only those: never ``SELECT *``), and the query's custom conditions and sort
    apply to them. ``total`` already counted (the pager needed it first) is not counted again."""
    found = custom.shown(conn, "contacts", actor)
    where, params = _where(q, conn, found)
    if total is None:
        total = conn.execute(f"SELECT COUNT(*) FROM contacts c WHERE {where}", params).fetchone()[0]
    if limit <= 0:
        return [], total
    join = "LEFT JOIN companies co ON co.id = c.company_id " if q.sort == "company" else ""
    items = rows(conn, f"SELECT c.id, c.version, c.first_name, c.last_name, c.email, c.phone, c.title, c.company_id, "
                       f"c.owner_id, c.lifecycle, c.channel, c.campaign_id, c.tags, c.created_at"
                       f"{custom.select(found if actor is not None else [], 'c')} FROM contacts c "
                       f"{join}WHERE {where} ORDER BY {_order(q, found)} "
                       f"LIMIT ? OFFSET ?", [*params, min(limit, 500), max(offset, 0)])
    return items, total


def export_rows(conn: sqlite3.Connection, q: Query, cap: int = EXPORT_CAP, *, actor: Actor | None = None,
                lang: str = "en") -> list[dict]:
    """The filtered view for export, with names instead of ids, capped; the custom fields ``actor`` may see
    follow the built-in columns under their labels."""
    found = custom.shown(conn, "contacts", actor)
    where, params = _where(q, conn, found)
    extra, _ = custom.export_columns(found, "c")
    items = rows(conn, f"SELECT c.id, c.first_name, c.last_name, c.email, c.phone, c.title, co.name AS company, "
                       f"u.name AS owner, c.lifecycle, c.channel, cp.name AS campaign, c.tags, c.created_at{extra} "
                       f"FROM contacts c LEFT JOIN companies co ON co.id = c.company_id LEFT JOIN users u "
                       f"ON u.id = c.owner_id LEFT JOIN campaigns cp ON cp.id = c.campaign_id WHERE {where} "
                       f"ORDER BY {_order(q, found)} LIMIT ?", [*params, cap])
    return custom.relabel(items, found, lang)


def _region(conn: sqlite3.Connection, company_id) -> str | None:
    if not company_id:
        return None
    row = one(conn, "SELECT country FROM companies WHERE id = ?", (company_id,))
    return row["country"] if row and row["country"] and len(row["country"]) == 2 else None


def create(conn: sqlite3.Connection, values: dict, actor: Actor, row: int | None = None) -> int:
    data = clean({"lifecycle": "lead", **values}, row=row, region=_region(conn, values.get("company_id")))
    return records.create(conn, "contacts", data, actor)


def update(conn: sqlite3.Connection, contact_id: int, version: int, changes: dict, actor: Actor,
           row: int | None = None) -> dict:
    current = records.get(conn, "contacts", contact_id)
    data = clean(changes, row=row, region=_region(conn, changes.get("company_id", current["company_id"])))
    return records.update(conn, "contacts", contact_id, version, data, actor)


def save_grid(conn: sqlite3.Connection, edits: list[tuple[dict, dict]], added: list[dict], deleted: list[dict],
              actor: Actor) -> dict:
    """Apply a grid's edits, additions and deletions as ONE transaction: all saved, or none."""
    with write(conn):
        for i, (original, diff) in enumerate(edits):
            try:
                update(conn, original["id"], original["version"], diff, actor, row=i + 1)
            except (ConflictError, ValidationError) as err:
                err.row = getattr(err, "row", None) or i + 1  # which row of the grid (custom fields say none)
                raise
        created = []
        for i, values in enumerate(added):
            try:
                created.append(create(conn, {k: v for k, v in values.items() if k in EDITABLE or k.startswith("cf_")},
                                      actor, row=len(edits) + i + 1))
            except ValidationError as err:
                err.row = err.row or len(edits) + i + 1
                raise
        for original in deleted:
            records.soft_delete(conn, "contacts", original["id"], actor, version=original["version"])
    return {"updated": len(edits), "created": created, "deleted": [d["id"] for d in deleted]}


def bulk(conn: sqlite3.Connection, ids: list[int], action: str, value, actor: Actor) -> int:
    """Assign owner, change lifecycle, add a tag or delete for many contacts, all or nothing."""
    if action not in ("owner", "lifecycle", "tag", "delete"):
        raise ValueError(action)
    with write(conn):
        for cid in ids:
            row = records.get(conn, "contacts", cid)
            if action == "delete":
                records.soft_delete(conn, "contacts", cid, actor)
            elif action == "owner":
                update(conn, cid, row["version"], {"owner_id": value}, actor)
            elif action == "lifecycle":
                update(conn, cid, row["version"], {"lifecycle": value}, actor)
            else:
                tags = ",".join(filter(None, [row["tags"], str(value or "")]))
                update(conn, cid, row["version"], {"tags": tags}, actor)
    return len(ids)


def get(conn: sqlite3.Connection, contact_id: int) -> dict:
    """One contact with the names of its company, owner and campaign (raises NotFoundError)."""
    records.get(conn, "contacts", contact_id)
    return one(conn, "SELECT c.*, co.name AS company, u.name AS owner, cp.name AS campaign, s.abc_profit, s.rfm "
                     "FROM contacts c LEFT JOIN companies co ON co.id = c.company_id LEFT JOIN users u "
                     "ON u.id = c.owner_id LEFT JOIN campaigns cp ON cp.id = c.campaign_id LEFT JOIN contact_segments s "
                     "ON s.contact_id = c.id WHERE c.id = ?", (contact_id,))


def choices(conn: sqlite3.Connection) -> dict[str, dict]:
    """Bounded option lists for the grid's select columns: {field: {id: label}}."""
    return {
        "owner_id": users.people(conn),
        "campaign_id": {r["id"]: r["name"] for r in rows(conn, "SELECT id, name FROM campaigns WHERE deleted_at IS "
                                                               "NULL ORDER BY starts_on DESC LIMIT 500")},
    }


def companies_named(conn: sqlite3.Connection, ids: set[int], search: str = "", limit: int = 200) -> dict[int, str]:
    """Company labels for the ids on the page plus the first matches of a search (bounded)."""
    out = {}
    if ids:
        marks = ",".join("?" for _ in ids)
        out.update({r["id"]: r["name"] for r in rows(conn, f"SELECT id, name FROM companies WHERE id IN ({marks})",
                                                     list(ids))})
    out.update({r["id"]: r["name"] for r in rows(conn, "SELECT id, name FROM companies WHERE deleted_at IS NULL AND "
                                                       "name LIKE ? ESCAPE '\\' ORDER BY name LIMIT ?",
                                                 (like(search), limit))})
    return out
