"""Closed deals per month rollup ``deal_cube``: what the sales cards and the win-rate series read.

One row per closing month x pipeline x the customer's owner, channel, campaign and ABC segment: won and
lost deal counts, won revenue and margin, and the summed sales cycle of won deals. A deal without a live
customer (none, or soft-deleted) files under owner 0 / channel '' / campaign 0 / segment '', so it counts
with no customer filter and drops out under any, as a join to the customer does. Reading the 12 months
before a period (CLV, the monthly series) is a few hundred rows instead of every deal closed in them.

Kept by triggers on deals, stages (a stage turning won/lost) and contacts (filter columns, soft delete);
created by migration ``0016_deal_cube``; ``rebuild`` recomputes it (tests prove the triggers equal to it).
Pipeline kind is not copied: the readers pick the sales pipelines at read time.
"""

from __future__ import annotations

import sqlite3

_KEY = "month, pipeline_id, owner_id, channel, campaign_id, segment"
MEASURES = ("won", "lost", "revenue", "margin", "cycle", "cycle_n")
TABLE = f"""CREATE TABLE deal_cube (
    month TEXT NOT NULL, pipeline_id INTEGER NOT NULL, owner_id INTEGER NOT NULL, channel TEXT NOT NULL,
    campaign_id INTEGER NOT NULL, segment TEXT NOT NULL, won INTEGER NOT NULL DEFAULT 0,
    lost INTEGER NOT NULL DEFAULT 0, revenue REAL NOT NULL DEFAULT 0, margin REAL NOT NULL DEFAULT 0,
    cycle REAL NOT NULL DEFAULT 0, cycle_n INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY ({_KEY})) WITHOUT ROWID"""
_UPSERT = f" ON CONFLICT ({_KEY}) DO UPDATE SET " + ", ".join(f"{m} = {m} + excluded.{m}" for m in MEASURES) + ";"
_CLOSED = "{d}.deleted_at IS NULL AND {d}.closed_at IS NOT NULL"


def _dims(c: str) -> str:
    """The customer's filter columns, or zeros when there is no live customer (``c`` missing or deleted)."""
    live = f"{c}.id IS NOT NULL AND {c}.deleted_at IS NULL"
    return ", ".join(f"CASE WHEN {live} THEN COALESCE({c}.{column}, {zero}) ELSE {zero} END" for column, zero in
                     (("owner_id", "0"), ("channel", "''"), ("campaign_id", "0"), ("profit_segment", "''")))


def _add(d: str, kind: str, c: str, sign: str, source: str) -> str:
    """Upsert adding (sign '') or taking back ('-') the closed deals ``d`` of ``source`` (FROM ... WHERE ...),
    whose stage kind is ``kind`` and customer row ``c``."""
    won = f"{kind} = 'won'"
    cycle = f"julianday({d}.closed_at) - julianday({d}.created_at)"
    measures = (f"SUM({won})", f"SUM({kind} = 'lost')", f"SUM(CASE WHEN {won} THEN {d}.amount ELSE 0 END)",
                f"SUM(CASE WHEN {won} THEN {d}.amount - {d}.cost ELSE 0 END)",
                f"SUM(CASE WHEN {won} THEN COALESCE({cycle}, 0) ELSE 0 END)",
                f"SUM({won} AND {cycle} IS NOT NULL)")
    return (f"INSERT INTO deal_cube ({_KEY}, {', '.join(MEASURES)}) SELECT substr({d}.closed_at, 1, 7), "
            f"{d}.pipeline_id, {_dims(c)}, {', '.join(sign + m for m in measures)} {source} "
            f"AND {kind} IN ('won', 'lost') AND {_CLOSED.format(d=d)} GROUP BY 1, 2, 3, 4, 5, 6{_UPSERT}")


def _deal(d: str, sign: str) -> str:
    return _add(d, "s.kind", "c", sign,
                f"FROM stages s LEFT JOIN contacts c ON c.id = {d}.contact_id WHERE s.id = {d}.stage_id")


def _stage(kind: str, sign: str) -> str:
    return _add("d", kind, "c", sign,
                "FROM deals d LEFT JOIN contacts c ON c.id = d.contact_id WHERE d.stage_id = NEW.id")


def _customer(c: str, sign: str) -> str:
    return _add("d", "s.kind", c, sign,
                f"FROM deals d JOIN stages s ON s.id = d.stage_id WHERE d.contact_id = {c}.id")


_DEAL_MOVED = "(" + " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in (
    "stage_id", "closed_at", "amount", "cost", "contact_id", "deleted_at", "pipeline_id", "created_at")) + ")"
_CUSTOMER_MOVED = "(" + " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in (
    "owner_id", "channel", "campaign_id", "profit_segment", "deleted_at")) + ")"

TRIGGERS = [
    f"CREATE TRIGGER deal_cube_insert AFTER INSERT ON deals BEGIN {_deal('NEW', '')} END",
    f"CREATE TRIGGER deal_cube_update AFTER UPDATE ON deals WHEN {_DEAL_MOVED} BEGIN {_deal('OLD', '-')} "
    f"{_deal('NEW', '')} END",
    f"CREATE TRIGGER deal_cube_delete AFTER DELETE ON deals BEGIN {_deal('OLD', '-')} END",
    "CREATE TRIGGER deal_cube_stage_kind AFTER UPDATE OF kind ON stages WHEN OLD.kind IS NOT NEW.kind BEGIN "
    f"{_stage('OLD.kind', '-')} {_stage('NEW.kind', '')} END",
    "CREATE TRIGGER deal_cube_customer AFTER UPDATE OF owner_id, channel, campaign_id, profit_segment, deleted_at "
    f"ON contacts WHEN {_CUSTOMER_MOVED} BEGIN {_customer('OLD', '-')} {_customer('NEW', '')} END",
]


def rebuild(conn: sqlite3.Connection) -> None:
    """Recompute the rollup from the source rows (call inside a write transaction)."""
    conn.execute("DELETE FROM deal_cube")
    conn.execute(_add("d", "s.kind", "c", "", "FROM deals d JOIN stages s ON s.id = d.stage_id "
                                              "LEFT JOIN contacts c ON c.id = d.contact_id WHERE 1").rstrip(";"))


def create(conn: sqlite3.Connection) -> None:
    """Table and triggers of migration 0016, filled from the current rows."""
    for sql in (TABLE, *TRIGGERS):
        conn.execute(sql)
    rebuild(conn)
    conn.execute("ANALYZE deal_cube")
