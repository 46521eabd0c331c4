"""The SQL a data-layer call really runs, as SQLite saw it (values bound): for tests of counts and plans."""

from __future__ import annotations


def statements(conn, call) -> list[str]:
    seen: list[str] = []
    conn.set_trace_callback(seen.append)
    try:
        call()
    finally:
        conn.set_trace_callback(None)
    return seen


def plan(conn, sql: str) -> str:
    """SQLite's query plan of ``sql``, its steps joined by " | "."""
    return " | ".join(r[3] for r in conn.execute("EXPLAIN QUERY PLAN " + sql).fetchall())
