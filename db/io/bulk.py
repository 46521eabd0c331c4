"""Many new records at once: what ``records.create`` does for each, in a few set-based statements.

An import of 10,000 contacts through ``records.create`` held the write lock for seconds, and every other
save in the team waited behind it. Where the time went, and what ``create_many`` does instead:

- one INSERT per row: a table with triggers needs a statement journal, so every row's statement copied
  the original of each page it touched (the row's page and a leaf of each of 12 indexes) before changing
  it: ~50 us a row. The rows are staged in a TEMP table (no triggers, no indexes) and inserted with ONE
  ``INSERT ... SELECT``, which journals each page once: ~4x less CPU for the contacts insert;
- the search index: an FTS5 insert made from a trigger flushes a new index segment per row (10.5 rows
  written per contact); the trigger stands aside (``fts_deferred``, migration 0180) and one statement
  indexes the new contacts;
- Python per row (a schema pragma per call, permission and field checks): done once per batch or cheaply.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from db.analytics import deal_cube, profit_rollup, rollups
from db.core import fields as custom
from db.core import records
from db.core.connection import now, write
from db.core.errors import ValidationError
from db.core.migrations import (
    _FURTHEST,
    ACTIVITIES_FTS_INSERT,
    COMPANIES_FTS_INSERT,
    CONTACTS_FTS_INSERT,
    DEALS_FTS_INSERT,
)
from db.core.permissions import Actor, check_write
from db.core.text import scrub

# Tables whose per-row search-index trigger stands aside while create_many inserts (see migrations 0180
# and 0190), and the one statement that indexes the new rows instead (bound: first id, last id).
DEFERRED_FTS = {
    "contacts": CONTACTS_FTS_INSERT + " WHERE contacts.id BETWEEN ? AND ?",
    "companies": COMPANIES_FTS_INSERT + " WHERE companies.id BETWEEN ? AND ?",
    "deals": DEALS_FTS_INSERT + " WHERE deals.id BETWEEN ? AND ?",
    "activities": ACTIVITIES_FTS_INSERT + " WHERE activities.id BETWEEN ? AND ?",
}


@contextmanager
def deferred_search_index(conn: sqlite3.Connection, tables: tuple[str, ...] = tuple(DEFERRED_FTS)) -> Iterator[None]:
    """Inside the caller's write transaction: rows inserted into ``tables`` meanwhile are indexed for search
    in one statement per table on the way out, instead of one index segment per row (the demo data's
    million activities). Only rows with ids above the table's largest at entry are indexed; an error
    leaves the marks for the caller's rollback to take away with the rows."""
    if not conn.in_transaction:
        raise RuntimeError("deferred_search_index needs the caller's write() transaction")
    base = {t: conn.execute(f"SELECT COALESCE(MAX(rowid), 0) FROM {t}").fetchone()[0] for t in tables}
    conn.executemany("INSERT INTO fts_deferred (tbl) VALUES (?)", [(t,) for t in tables])
    yield
    for table in tables:
        last = conn.execute(f"SELECT COALESCE(MAX(rowid), 0) FROM {table}").fetchone()[0]
        if last > base[table]:
            conn.execute(DEFERRED_FTS[table], (base[table] + 1, last))
    conn.executemany("DELETE FROM fts_deferred WHERE tbl = ?", [(t,) for t in tables])


# Triggers that keep derived rows: the KPI rollups (kpi_*, profit_*, deal_cube_*), contacts.profit_segment
# (contacts_segment_*) and deals.furthest_stage_id (deals_furthest_*). ``rebuild_derived`` recomputes all of it.
DERIVED_TRIGGERS = ("kpi_", "profit_", "deal_cube_", "contacts_segment_", "deals_furthest_")


def rebuild_derived(conn: sqlite3.Connection) -> None:
    """Recompute every trigger-kept derived value from the source rows (inside the caller's transaction)."""
    conn.execute("UPDATE deals SET furthest_stage_id = " + _FURTHEST.format(deal="deals.id"))
    conn.execute("UPDATE contacts SET profit_segment = (SELECT abc_profit FROM contact_segments "
                 "WHERE contact_id = contacts.id) WHERE profit_segment IS NOT (SELECT abc_profit FROM "
                 "contact_segments WHERE contact_id = contacts.id)")
    rollups.rebuild(conn)
    profit_rollup.rebuild(conn)
    deal_cube.rebuild(conn)


@contextmanager
def bulk_load(conn: sqlite3.Connection, tables: tuple[str, ...]) -> Iterator[Callable[[], None]]:
    """Filling a new database (the seed), inside the caller's write transaction: every trigger and secondary
    index of ``tables`` (and every derived-row trigger elsewhere) stands aside while rows go in. On the way
    out the indexes are built again (one sort each), every derived value is rebuilt from the rows in a few
    set-based statements (``rebuild_derived``) and the triggers come back; DDL is transactional, so a
    rollback restores them too. Yields a function that brings the indexes back early, for reads that need
    them before the end. Why: an activity insert paid 11 index updates, a statement journal and its rollup
    triggers (10-13 rows written), ~300 us a row on a cold cache; a change to an existing database keeps its
    triggers, since a rebuild reads every row."""
    if not conn.in_transaction:
        raise RuntimeError("bulk_load needs the caller's write() transaction")
    names = ", ".join("?" * len(tables))
    derived = " OR ".join("name GLOB ?" for _ in DERIVED_TRIGGERS)
    triggers = conn.execute(
        f"SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND (tbl_name IN ({names}) OR {derived}) "
        "ORDER BY rowid", [*tables, *(f"{prefix}*" for prefix in DERIVED_TRIGGERS)]).fetchall()
    indexes = conn.execute(f"SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
                           f"AND tbl_name IN ({names}) ORDER BY rowid", tables).fetchall()
    for kind, saved in (("TRIGGER", triggers), ("INDEX", indexes)):
        for name, _ in saved:
            conn.execute(f'DROP {kind} "{name}"')

    def indexes_back() -> None:
        while indexes:
            conn.execute(indexes.pop(0)[1])

    yield indexes_back
    indexes_back()
    rebuild_derived(conn)
    for _, sql in triggers:
        conn.execute(sql)


def create_many(conn: sqlite3.Connection, table: str, values: list[dict], actor: Actor) -> list[int]:
    """Insert one record per dict of ``values`` into ``table`` and audit each; returns the new ids in order.

    The same result as ``records.create(conn, table, v, actor)`` for each ``v`` in turn: the same ids,
    column defaults for missing fields, owner defaulted to ``actor``, ``version`` 1, ``created_at`` /
    ``updated_at`` / ``updated_by``, the permission check per record and one ``create`` audit row per
    record with the same payload; only the timestamps are one instant for the whole batch.

    Call it inside the caller's ``with write(conn):`` block: it joins that transaction (it opens one only
    when called outside any) and never commits. It is all or nothing by itself too (a savepoint): on any
    error no record of this call remains, and the error is raised (a ``ValidationError`` whose ``row`` is
    the 1-based position in ``values`` for a constraint failure, as ``records.create`` raises for one).
    """
    if not values:
        return []
    cols = records.columns(conn, table)
    allowed = cols - records.SYSTEM_COLUMNS
    has_owner = "owner_id" in cols
    defs = custom.definitions(conn, table)  # once per batch, not per row
    prepared: list[dict] = []
    names: dict[str, None] = {}  # every field any record sets, in first-seen order
    for position, given in enumerate(values, start=1):
        unknown = set(given) - allowed
        if unknown:
            raise ValidationError("Unknown field(s): {names}", field=sorted(unknown)[0], row=position,
                                  key="errors.unknown_fields", names=", ".join(sorted(unknown)))
        given = custom.check(conn, table, given, actor, creating=True, row=position, defs=defs)
        record = {k: scrub(v) if isinstance(v, str) else v for k, v in given.items()}
        if has_owner and record.get("owner_id") is None and actor.id is not None:
            record["owner_id"] = actor.id
        check_write(actor, table, record, "create")
        prepared.append(record)
        names.update(dict.fromkeys(record))
    fields = list(names)
    defaults = _defaults(conn, table, fields)
    stamp = now()
    with write(conn):
        conn.execute("SAVEPOINT create_many")
        try:
            base = conn.execute(f"SELECT COALESCE(MAX(rowid), 0) FROM {table}").fetchone()[0]
            ids = list(range(base + 1, base + 1 + len(prepared)))
            width = len(fields) + 5
            stage = ", ".join(f"c{i}" for i in range(width))
            conn.execute("DROP TABLE IF EXISTS temp.create_many_rows")
            conn.execute(f"CREATE TEMP TABLE create_many_rows ({stage})")  # untyped: values stay as bound
            conn.executemany(f"INSERT INTO temp.create_many_rows VALUES ({', '.join('?' * width)})", (
                (new_id, *[r[n] if n in r else defaults[n] for n in fields], stamp, stamp, actor.id, 1)
                for new_id, r in zip(ids, prepared, strict=True)))
            into = f"INSERT INTO {table} (id, {', '.join(fields)}, created_at, updated_at, updated_by, version) "
            index = DEFERRED_FTS.get(table)
            if index:
                conn.execute("INSERT INTO fts_deferred (tbl) VALUES (?)", (table,))
            try:
                conn.execute(into + f"SELECT {stage} FROM temp.create_many_rows ORDER BY c0")
            except sqlite3.IntegrityError as exc:
                raise _which_row(conn, table, into, stage, base, exc) from exc
            conn.execute("DROP TABLE temp.create_many_rows")
            if index:
                conn.execute(index, (ids[0], ids[-1]))
                conn.execute("DELETE FROM fts_deferred WHERE tbl = ?", (table,))
            conn.executemany(
                "INSERT INTO audit_log (at, user_id, entity, entity_id, action, before, after) "
                "VALUES (?, ?, ?, ?, 'create', NULL, ?)",
                ((stamp, actor.id, table, new_id, records._json(r)) for new_id, r in zip(ids, prepared, strict=True)))
        except BaseException:
            if conn.in_transaction:  # SQLite may have rolled the whole transaction back itself (disk full)
                try:
                    conn.execute("ROLLBACK TO create_many")
                    conn.execute("RELEASE create_many")
                except sqlite3.Error:
                    pass  # the caller's write() rolls everything back and raises the original error
            raise
        conn.execute("RELEASE create_many")
    return ids


def _which_row(conn: sqlite3.Connection, table: str, into: str, stage: str, base: int,
               exc: sqlite3.IntegrityError) -> ValidationError:
    """The set-based insert failed as a whole (nothing of it stays): insert row by row to find the first
    record that fails, and name it. Runs only on failure; the caller's savepoint then undoes these rows."""
    params = ", ".join("?" * len(stage.split(", ")))
    rows = conn.execute(f"SELECT {stage} FROM temp.create_many_rows ORDER BY c0").fetchall()
    row = None
    try:
        conn.executemany(into + f"VALUES ({params})", [tuple(r) for r in rows])
    except sqlite3.IntegrityError as first:
        exc = first
        row = conn.execute(f"SELECT COUNT(*) FROM {table} WHERE rowid > ?", (base,)).fetchone()[0] + 1
    err = records._integrity(exc)
    err.row = row
    return err


def _defaults(conn: sqlite3.Connection, table: str, fields: list[str]) -> dict:
    """Each field's column default (what SQLite stores when an INSERT leaves the column out), so records
    that set different fields can share one statement. The expressions come from the schema, not callers."""
    out = {}
    for name, default in conn.execute("SELECT name, dflt_value FROM pragma_table_info(?)", (table,)):
        if name in fields:
            out[name] = None if default is None else conn.execute(f"SELECT {default}").fetchone()[0]
    return out
