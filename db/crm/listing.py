"""Keyset pages of records for the API: filter, full-text search, sort, and a cursor that stays stable.

A page is ``ORDER BY key, id LIMIT n`` and the next one starts after the last row's ``(key, id)``, so
page 1,000 of 100k rows costs what page 1 costs (one index seek; an OFFSET would read and skip every row
before it), and rows added or deleted meanwhile neither repeat nor vanish from the pages. Sort keys are
NOT NULL columns with an index (migration 0221). Every table, column and operator comes from the
whitelists below; every value is a bound parameter.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field

from db.core.connection import rows
from db.crm.contacts import fts_query

MAX_LIMIT = 200


@dataclass(frozen=True)
class Source:
    table: str
    sorts: tuple[str, ...]
    filters: tuple[str, ...]  # equality filters on these columns
    fts: str | None = None  # the FTS5 index whose rowid is the record id
    since: tuple[str, ...] = ("created_at", "updated_at")  # ``<column>_since`` filters (>=)
    live: bool = True  # soft-deleted rows are left out
    extra: dict = field(default_factory=dict)  # named conditions: name -> SQL with one parameter


SOURCES = {
    "contacts": Source("contacts", ("id", "created_at", "updated_at", "last_name"),
                       ("owner_id", "company_id", "campaign_id", "lifecycle", "channel", "email"), "contacts_fts"),
    "companies": Source("companies", ("id", "name", "created_at", "updated_at"),
                        ("owner_id", "lifecycle", "country", "industry"), "companies_fts"),
    "deals": Source("deals", ("id", "created_at", "updated_at", "amount"),
                    ("owner_id", "pipeline_id", "stage_id", "contact_id", "company_id"), "deals_fts",
                    extra={"stage_kind": "stage_id IN (SELECT id FROM stages WHERE kind = ?)"}),
    "activities": Source("activities", ("id", "created_at", "updated_at"),
                         ("owner_id", "kind", "contact_id", "company_id", "deal_id", "done"), "activities_fts"),
    "feedback": Source("feedback", ("id", "responded_at", "created_at"), ("contact_id", "kind", "score"),
                       since=("responded_at", "created_at")),
}


@dataclass(frozen=True)
class Page:
    """What one page asks for. ``after`` is the (key value, id) of the previous page's last row."""

    sort: str = "id"
    descending: bool = False
    filters: dict = field(default_factory=dict)
    since: dict = field(default_factory=dict)
    search: str = ""
    after: tuple | None = None
    limit: int = 50


def page(conn: sqlite3.Connection, source: str, q: Page) -> tuple[list[dict], tuple | None]:
    """One page of full rows and the ``after`` of the next page (None on the last page)."""
    src = SOURCES[source]
    if q.sort not in src.sorts:
        raise ValueError(f"not a sort key of {source}: {q.sort!r}")
    where, params = (["deleted_at IS NULL"] if src.live else []), []
    for name, value in q.filters.items():
        if name in src.filters:
            where.append(f"{name} IS ?" if value is None else f"{name} = ?")
            params.append(value)
        elif name in src.extra:
            where.append(src.extra[name])
            params.append(value)
        else:
            raise ValueError(f"not a filter of {source}: {name!r}")
    for name, value in q.since.items():
        if name not in src.since:
            raise ValueError(f"not a since filter of {source}: {name!r}")
        where.append(f"{name} >= ?")
        params.append(value)
    match = fts_query(q.search) if src.fts else ""
    if match:
        where.append(f"id IN (SELECT rowid FROM {src.fts} WHERE {src.fts} MATCH ?)")
        params.append(match)
    order = "DESC" if q.descending else "ASC"
    if q.after is not None:
        if q.sort == "id":
            where.append(f"id {'<' if q.descending else '>'} ?")
            params.append(q.after[1])
        else:
            where.append(f"({q.sort}, id) {'<' if q.descending else '>'} (?, ?)")
            params.extend(q.after)
    limit = max(1, min(int(q.limit), MAX_LIMIT))
    order_by = f"id {order}" if q.sort == "id" else f"{q.sort} {order}, id {order}"
    sql = f"SELECT * FROM {src.table} {'WHERE ' + ' AND '.join(where) if where else ''} ORDER BY {order_by} LIMIT ?"
    found = rows(conn, sql, [*params, limit + 1])
    more = len(found) > limit
    found = found[:limit]
    after = (found[-1][q.sort], found[-1]["id"]) if more and found else None
    return found, after
