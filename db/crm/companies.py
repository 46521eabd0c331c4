"""Companies: validation, a bounded page with each company's contacts, open deals and revenue, saves."""

from __future__ import annotations

import sqlite3

from db.core import records
from db.core.connection import one, rows, write
from db.core.errors import ValidationError
from db.core.permissions import Actor
from db.core.text import clean_fields, like
from db.crm import custom
from db.io.export import EXPORT_CAP

EDITABLE = ("name", "industry", "website", "phone", "city", "country", "owner_id", "lifecycle", "tags")
LIMITS = {"name": 200, "industry": 80, "website": 300, "phone": 40, "city": 100, "country": 2, "tags": 300}
SORTS = {"name": "co.name COLLATE NOCASE", "created": "co.created_at DESC", "city": "co.city COLLATE NOCASE"}


def clean(values: dict, row: int | None = None) -> dict:
    """Validate a company's fields; custom fields (``cf_*``) pass through to the write path's own check."""
    custom = {k: v for k, v in values.items() if k.startswith("cf_")}
    out = clean_fields({k: v for k, v in values.items() if k not in custom}, EDITABLE, LIMITS, row)
    out = {k: (" ".join(v.split()) if isinstance(v, str) else v) for k, v in out.items()}
    if "name" in out and not out["name"]:
        raise ValidationError("A company name is required.", field="name", row=row, key="companies.err_name")
    if out.get("country"):
        out["country"] = out["country"].upper()
        if not out["country"].isalpha():
            raise ValidationError("Use a two-letter country code such as DE.", field="country", row=row,
                                  key="companies.err_country")
    if out.get("website") and not out["website"].lower().startswith(("http://", "https://")):
        out["website"] = "https://" + out["website"]
    if "tags" in out:
        out["tags"] = ",".join(dict.fromkeys(t.strip().lower() for t in (out["tags"] or "").split(",") if t.strip()))
    return {**out, **custom}


def create(conn: sqlite3.Connection, values: dict, actor: Actor) -> int:
    """One new company, validated like a grid row (a lead owned by its creator unless said otherwise)."""
    return records.create(conn, "companies", clean({"lifecycle": "lead", "owner_id": actor.id, **values}), actor)


def update(conn: sqlite3.Connection, company_id: int, version: int, changes: dict, actor: Actor) -> dict:
    """One company's changes (the record page's form), validated like a grid row."""
    return records.update(conn, "companies", company_id, version, clean(changes), actor)


def _where(search: str, owner_id: int | None, conn: sqlite3.Connection | None = None, found: list | None = None,
           conditions: tuple = ()) -> tuple[str, list]:
    where, params = ["co.deleted_at IS NULL"], []
    if search.strip():
        pattern = like(search)
        text = "co.name LIKE ? ESCAPE '\\' OR co.city LIKE ? ESCAPE '\\'"
        params += [pattern, pattern]
        if conn is not None:
            from db.crm.contacts import _words, fts_query

            extra, more = custom.search(conn, "companies", "co", fts_query(search), _words(search), found or [])
            if extra:
                text += f" OR {extra}"
                params += more
        where.append(f"({text})")
    if owner_id is not None:
        where.append("co.owner_id = ?")
        params.append(owner_id)
    if conn is not None and conditions:
        sql, values = custom.where(found or [], "co", conditions)
        where += sql
        params += values
    return " AND ".join(where), params


def _order(sort: str, found: list) -> str:
    return custom.order(found, "co", sort) or SORTS.get(sort, SORTS["name"]) + ", co.id"


def export_rows(conn: sqlite3.Connection, search: str = "", owner_id: int | None = None, sort: str = "name",
                cap: int = EXPORT_CAP, *, custom_filters: tuple = (), actor: Actor | None = None,
                lang: str = "en") -> list[dict]:
    """The filtered list for export, with the owner's name instead of an id, capped; the custom fields ``actor``
    may see follow under their labels."""
    found = custom.shown(conn, "companies", actor)
    cond, params = _where(search, owner_id, conn, found, custom_filters)
    extra, _ = custom.export_columns(found, "co")
    items = rows(conn, f"SELECT co.id, co.name, co.industry, co.website, co.phone, co.city, co.country, "
                       f"u.name AS owner, co.lifecycle, co.tags, co.created_at{extra} FROM companies co "
                       f"LEFT JOIN users u ON u.id = co.owner_id WHERE {cond} "
                       f"ORDER BY {_order(sort, found)} LIMIT ?", [*params, cap])
    return custom.relabel(items, found, lang)


def page(conn: sqlite3.Connection, search: str = "", owner_id: int | None = None, sort: str = "name",
         limit: int = 25, offset: int = 0, *, custom_filters: tuple = (),
         actor: Actor | None = None, total: int | None = None) -> tuple[list[dict], int]:
    """One page of companies with their figures, computed for the shown rows only; the custom fields ``actor``
    may see come as ``cf_<id>`` columns, and ``custom_filters`` (db/crm/custom.Condition) apply. ``total``
    already counted (the pager needed it first) is not counted again."""
    found = custom.shown(conn, "companies", actor)
    cond, params = _where(search, owner_id, conn, found, custom_filters)
    if total is None:
        total = conn.execute(f"SELECT COUNT(*) FROM companies co WHERE {cond}", params).fetchone()[0]
    if limit <= 0:
        return [], total
    items = rows(conn, f"SELECT co.id, co.version, co.name, co.industry, co.website, co.phone, co.city, co.country, "
                       f"co.owner_id, co.lifecycle, co.tags{custom.select(found if actor is not None else [], 'co')} "
                       f"FROM companies co WHERE {cond} "
                       f"ORDER BY {_order(sort, found)} LIMIT ? OFFSET ?",
                 [*params, min(limit, 500), max(offset, 0)])
    ids = [r["id"] for r in items]
    if ids:
        marks = ",".join("?" * len(ids))
        people = dict(conn.execute(f"SELECT company_id, COUNT(*) FROM contacts WHERE deleted_at IS NULL AND "
                                   f"company_id IN ({marks}) GROUP BY company_id", ids).fetchall())
        money = {r["company_id"]: r for r in rows(
            conn, f"SELECT d.company_id, SUM(s.kind = 'open') AS open_deals, "
                  f"SUM(CASE WHEN s.kind = 'won' THEN d.amount ELSE 0 END) AS revenue FROM deals d JOIN stages s "
                  f"ON s.id = d.stage_id WHERE d.deleted_at IS NULL AND d.company_id IN ({marks}) "
                  f"GROUP BY d.company_id", ids)}
        for r in items:
            r["contacts"] = people.get(r["id"], 0)
            r["open_deals"] = (money.get(r["id"]) or {}).get("open_deals") or 0
            r["revenue"] = (money.get(r["id"]) or {}).get("revenue") or 0.0
    return items, total


def save_grid(conn: sqlite3.Connection, edits: list[tuple[dict, dict]], added: list[dict], deleted: list[dict],
              actor: Actor) -> dict:
    """All of a grid's changes in one transaction."""
    with write(conn):
        for i, (original, diff) in enumerate(edits):
            try:
                records.update(conn, "companies", original["id"], original["version"],
                               clean({k: v for k, v in diff.items() if _editable(k)}, row=i + 1), actor)
            except ValidationError as err:
                err.row = err.row or i + 1  # the custom fields' checks do not know the row
                raise
        created = []
        for i, a in enumerate(added):
            try:
                created.append(records.create(conn, "companies", clean(
                    {"lifecycle": "lead", **{k: v for k, v in a.items() if _editable(k)}}, row=len(edits) + i + 1),
                    actor))
            except ValidationError as err:
                err.row = err.row or len(edits) + i + 1
                raise
        for original in deleted:
            records.soft_delete(conn, "companies", original["id"], actor, version=original["version"])
    return {"updated": len(edits), "created": created, "deleted": [d["id"] for d in deleted]}


def _editable(column: str) -> bool:
    return column in EDITABLE or column.startswith("cf_")


def detail(conn: sqlite3.Connection, company_id: int) -> dict:
    records.get(conn, "companies", company_id)
    company = one(conn, "SELECT co.*, u.name AS owner FROM companies co LEFT JOIN users u ON u.id = co.owner_id "
                        "WHERE co.id = ?", (company_id,))
    company["people"] = rows(conn, "SELECT id, first_name, last_name, email, title, lifecycle FROM contacts "
                                   "WHERE company_id = ? AND deleted_at IS NULL ORDER BY last_name LIMIT 200",
                             (company_id,))
    company["deals"] = rows(conn, "SELECT d.id, d.title, d.amount, s.name AS stage, s.kind FROM deals d JOIN stages s "
                                  "ON s.id = d.stage_id WHERE d.company_id = ? AND d.deleted_at IS NULL "
                                  "ORDER BY d.created_at DESC LIMIT 200", (company_id,))
    company["notes"] = rows(conn, "SELECT a.id, a.subject, a.notes, a.created_at, u.name AS who FROM activities a "
                                  "LEFT JOIN users u ON u.id = a.owner_id WHERE a.company_id = ? AND a.contact_id IS NULL "
                                  "AND a.kind = 'note' AND a.deleted_at IS NULL ORDER BY a.id DESC LIMIT 50",
                            (company_id,))
    return company


