"""Team leaderboard: per person, deals won and revenue won in a period, activities done, open pipeline."""

from __future__ import annotations

import sqlite3

from db.connection import rows


def leaderboard(conn: sqlite3.Connection, start: str, end: str) -> list[dict]:
    """One row per active person, best revenue first. [start, end) are dates (UTC)."""
    return rows(conn,
                "SELECT u.id, u.name, "
                "(SELECT COUNT(*) FROM deals d JOIN stages s ON s.id = d.stage_id WHERE d.owner_id = u.id "
                " AND s.kind = 'won' AND d.closed_at >= :s AND d.closed_at < :e AND d.deleted_at IS NULL) AS won, "
                "(SELECT COALESCE(SUM(d.amount), 0) FROM deals d JOIN stages s ON s.id = d.stage_id "
                " WHERE d.owner_id = u.id AND s.kind = 'won' AND d.closed_at >= :s AND d.closed_at < :e "
                " AND d.deleted_at IS NULL) AS revenue, "
                "(SELECT COUNT(*) FROM activities a WHERE a.owner_id = u.id AND a.done = 1 AND a.deleted_at IS NULL "
                " AND a.starts_at >= :s AND a.starts_at < :e) AS activities, "
                "(SELECT COALESCE(SUM(d.amount), 0) FROM deals d JOIN stages s ON s.id = d.stage_id "
                " WHERE d.owner_id = u.id AND s.kind = 'open' AND d.deleted_at IS NULL) AS open_pipeline "
                "FROM users u WHERE u.active = 1 AND u.deleted_at IS NULL ORDER BY revenue DESC, won DESC, u.name",
                {"s": start, "e": end})
