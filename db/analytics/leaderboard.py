"""Team leaderboard: per person, deals won and revenue won in a period, activities done, open pipeline."""

from __future__ import annotations

import sqlite3

from db.core.connection import rows


def leaderboard(conn: sqlite3.Connection, start: str, end: str) -> list[dict]:
    """One row per active person, best revenue first. [start, end) are dates (UTC). Sales pipelines only: a
    hired candidate's salary is not revenue."""
    return rows(conn,
                "WITH won AS (SELECT d.owner_id, COUNT(*) AS n, SUM(d.amount) AS revenue FROM deals d "
                " JOIN stages s ON s.id = d.stage_id JOIN pipelines p ON p.id = d.pipeline_id AND p.kind = 'sales' "
                " WHERE s.kind = 'won' AND d.closed_at >= :s AND d.closed_at < :e "
                " AND d.deleted_at IS NULL GROUP BY d.owner_id), "
                "open AS (SELECT d.owner_id, SUM(d.amount) AS value FROM stages s JOIN deals d ON d.stage_id = s.id "
                " JOIN pipelines p ON p.id = d.pipeline_id AND p.kind = 'sales' "
                " WHERE s.kind = 'open' AND d.deleted_at IS NULL GROUP BY d.owner_id) "
                "SELECT u.id, u.name, COALESCE(won.n, 0) AS won, COALESCE(won.revenue, 0) AS revenue, "
                "(SELECT COUNT(*) FROM activities a WHERE a.owner_id = u.id AND a.done = 1 AND a.deleted_at IS NULL "
                " AND a.starts_at >= :s AND a.starts_at < :e) AS activities, COALESCE(open.value, 0) AS open_pipeline "
                "FROM users u LEFT JOIN won ON won.owner_id = u.id LEFT JOIN open ON open.owner_id = u.id "
                "WHERE u.active = 1 AND u.deleted_at IS NULL ORDER BY revenue DESC, won DESC, u.name",
                {"s": start, "e": end})
