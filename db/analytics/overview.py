"""Figures for the home page and the sidebar: a handful of small indexed queries."""

from __future__ import annotations

import sqlite3
from datetime import date

from db.core.connection import one, rows


def _month_start(today: date) -> str:
    return today.replace(day=1).isoformat()


def task_counts(conn: sqlite3.Connection, user_id: int, today: date | None = None) -> dict[str, int]:
    """Open tasks of one person: overdue (due before today) and due today."""
    today = today or date.today()
    row = one(conn,
              "SELECT SUM(due_at < :d) AS overdue, SUM(due_at >= :d AND due_at < date(:d, '+1 day')) AS today "
              "FROM activities WHERE kind = 'task' AND done = 0 AND deleted_at IS NULL AND owner_id = :u "
              "AND due_at < date(:d, '+1 day')",
              {"d": today.isoformat(), "u": user_id})
    return {"overdue": row["overdue"] or 0, "today": row["today"] or 0}


def summary(conn: sqlite3.Connection, today: date | None = None) -> dict:
    """Open pipeline, wins and new customers this month (sales pipelines only)."""
    today = today or date.today()
    month = _month_start(today)
    pipeline = one(conn,
                   "SELECT COUNT(*) AS n, COALESCE(SUM(d.amount), 0) AS value, "
                   "COALESCE(SUM(d.amount * s.probability), 0) AS weighted FROM deals d "
                   "JOIN stages s ON s.id = d.stage_id JOIN pipelines p ON p.id = d.pipeline_id "
                   "WHERE s.kind = 'open' AND p.kind = 'sales' AND d.deleted_at IS NULL")
    # by the won stages' ids: each is then a range of the board index, which holds closed_at and amount (joining
    # from the stages scanned every deal of the pipelines: ~26 ms of each Home run at 50k deals, now ~1.5 ms)
    won = one(conn,
              "SELECT COUNT(*) AS n, COALESCE(SUM(d.amount), 0) AS value FROM deals d WHERE d.stage_id IN "
              "(SELECT s.id FROM stages s JOIN pipelines p ON p.id = s.pipeline_id WHERE s.kind = 'won' "
              "AND p.kind = 'sales') AND d.deleted_at IS NULL AND d.closed_at >= ?", (month,))
    customers = one(conn, "SELECT COUNT(*) AS n FROM contacts WHERE acquired_at >= ? AND deleted_at IS NULL", (month,))
    return {"open_deals": pipeline["n"], "open_value": pipeline["value"], "weighted": pipeline["weighted"],
            "won_deals": won["n"], "won_value": won["value"], "new_customers": customers["n"]}


def due_today(conn: sqlite3.Connection, user_id: int, today: date | None = None, limit: int = 8) -> list[dict]:
    """The person's open tasks due today or overdue, oldest first."""
    today = today or date.today()
    return rows(conn,
                "SELECT a.id, a.subject, a.due_at, a.contact_id, c.first_name || ' ' || c.last_name AS contact "
                "FROM activities a LEFT JOIN contacts c ON c.id = a.contact_id "
                "WHERE a.kind = 'task' AND a.done = 0 AND a.deleted_at IS NULL AND a.owner_id = ? "
                "AND a.due_at < date(?, '+1 day') ORDER BY a.due_at LIMIT ?",
                (user_id, today.isoformat(), limit))


def latest_activity(conn: sqlite3.Connection, limit: int = 10) -> list[dict]:
    """The most recently completed activities across the team (walks the done_at index)."""
    return rows(conn,
                "SELECT a.id, a.kind, a.subject, a.done_at AS at, a.contact_id, "
                "c.first_name || ' ' || c.last_name AS contact, u.name AS owner FROM activities a "
                "LEFT JOIN contacts c ON c.id = a.contact_id LEFT JOIN users u ON u.id = a.owner_id "
                "WHERE a.done_at IS NOT NULL AND a.deleted_at IS NULL ORDER BY a.done_at DESC LIMIT ?", (limit,))
