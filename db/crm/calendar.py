"""The calendar's reads: a few activities per local day plus every day's count, and one day's full list in pages.

A team's week holds tens of thousands of activities; a browser cannot draw them and a person cannot read
them. So the calendar gets at most ``per_day`` activities of each day (the earliest) with that day's true
count, says "+N more" for the rest, and ``day_list`` pages through all of a day's activities. Nothing in the
range is cut without the count saying so.

Days are the person's local days: each day's bounds are converted to UTC here, so summer time and zones
with half-hour offsets count right. Timed kinds are read by ``starts_at``, tasks by ``due_at`` (the only
time a task has); both reads walk an index range per day (migration 0260 makes the team's counts covering).
"""

from __future__ import annotations

import sqlite3
from datetime import date, datetime, time, timedelta

from db.crm.activities import KINDS, TIMED, local_to_utc

PAGE = 25
COLUMNS = ("a.id, a.version, a.kind, a.subject, a.starts_at, a.ends_at, a.due_at, a.duration_min, a.done, "
           "a.contact_id, a.deal_id, a.series_id, a.owner_id, u.name AS owner, "
           "c.first_name || ' ' || c.last_name AS contact")
JOINS = "LEFT JOIN users u ON u.id = a.owner_id LEFT JOIN contacts c ON c.id = a.contact_id"


def day_bounds(first: date, days: int, tz: str) -> list[tuple[str, str, str]]:
    """(local day, its start in UTC, its end in UTC) for ``days`` days from ``first`` in zone ``tz``."""
    out = []
    for i in range(days):
        day = first + timedelta(days=i)
        out.append((day.isoformat(), local_to_utc(datetime.combine(day, time()), tz),
                    local_to_utc(datetime.combine(day + timedelta(days=1), time()), tz)))
    return out


def _filters(owner_id: int | None, kinds: list[str] | None) -> tuple[list[str], list[str], list]:
    """Timed kinds wanted, whether tasks are wanted (as a list), and the owner condition's parameters."""
    wanted = [k for k in (kinds or KINDS) if k in KINDS]
    timed = [k for k in wanted if k in TIMED]
    return timed, ["task"] if "task" in wanted else [], [] if owner_id is None else [int(owner_id)]


def _timed_where(timed: list[str], owner: list) -> str:
    return (f"a.deleted_at IS NULL AND a.kind IN ({','.join('?' * len(timed))})"
            + (" AND a.owner_id = ?" if owner else "") + " AND a.starts_at >= ? AND a.starts_at < ?")


def _task_where(owner: list) -> str:
    return ("a.kind = 'task' AND a.deleted_at IS NULL" + (" AND a.owner_id = ?" if owner else "")
            + " AND a.due_at >= ? AND a.due_at < ?")


def day_counts(conn: sqlite3.Connection, bounds: list[tuple[str, str, str]], owner_id: int | None = None,
               kinds: list[str] | None = None) -> dict[str, int]:
    """Every day's number of activities (local day -> count), in one statement of index range counts."""
    timed, task, owner = _filters(owner_id, kinds)
    if not bounds:
        return {}
    if not timed and not task:
        return {day: 0 for day, _, _ in bounds}
    values = ",".join("(?, ?, ?)" for _ in bounds)
    head = [v for b in bounds for v in b]
    # One correlated count per day and kind group, each an index range between the day's bounds d.lo, d.hi.
    timed_sql = (f"(SELECT count(*) FROM activities a WHERE a.deleted_at IS NULL AND a.kind IN "
                 f"({','.join('?' * len(timed))})" + (" AND a.owner_id = ?" if owner else "")
                 + " AND a.starts_at >= d.lo AND a.starts_at < d.hi)") if timed else "0"
    task_sql = ("(SELECT count(*) FROM activities a WHERE a.kind = 'task' AND a.deleted_at IS NULL"
                + (" AND a.owner_id = ?" if owner else "") + " AND a.due_at >= d.lo AND a.due_at < d.hi)") \
        if task else "0"
    params = [*head, *timed, *(owner if timed else []), *(owner if task else [])]
    sql = f"WITH d(day, lo, hi) AS (VALUES {values}) SELECT d.day, {timed_sql} + {task_sql} FROM d"
    return dict(conn.execute(sql, params).fetchall())


def _at(row: dict) -> str:
    return row["starts_at"] or row["due_at"] or ""


def _day_rows(conn: sqlite3.Connection, lo: str, hi: str, timed: list[str], task: list[str], owner: list,
              limit: int, offset: int = 0) -> list[dict]:
    """One day's activities in time order (ties by kind, then id), ``limit`` from ``offset``, timed and tasks
    merged."""
    arms, params = [], []
    if timed:
        arms.append(f"SELECT a.id, a.starts_at AS at, a.kind FROM activities a WHERE {_timed_where(timed, owner)} "
                    "ORDER BY a.starts_at, a.kind, a.id LIMIT ?")
        params += [*timed, *owner, lo, hi, limit + offset]
    if task:
        arms.append(f"SELECT a.id, a.due_at AS at, a.kind FROM activities a WHERE {_task_where(owner)} "
                    "ORDER BY a.due_at, a.kind, a.id LIMIT ?")
        params += [*owner, lo, hi, limit + offset]
    if not arms or limit <= 0:
        return []
    # Each arm walks its index in time order and stops at the page's end; only the page is joined to names.
    arms = " UNION ALL ".join(f"SELECT * FROM ({arm})" for arm in arms)
    # One total order (time, kind, id) in the arms and outside, so pages never overlap or skip at equal times;
    # it is the order of ix_activities_cal_start, so the team's arm stops after the page instead of sorting.
    sql = (f"SELECT {COLUMNS} FROM (SELECT id, at, kind FROM ({arms}) ORDER BY at, kind, id LIMIT ? OFFSET ?) p "
           f"JOIN activities a ON a.id = p.id {JOINS} ORDER BY p.at, p.kind, p.id")
    cur = conn.execute(sql, [*params, limit, offset])
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


def window(conn: sqlite3.Connection, first: date, days: int, tz: str, owner_id: int | None = None,
           kinds: list[str] | None = None, per_day: int = 12) -> dict:
    """What the calendar draws for ``days`` local days from ``first``: at most ``per_day`` activities of each
    day (its earliest) and every day's count. ``{"rows": [...], "days": [{"day", "total", "shown"}],
    "total": n, "shown": m}``; a day with total > shown gets a "+N more" that opens ``day_list``."""
    bounds = day_bounds(first, days, tz)
    counts = day_counts(conn, bounds, owner_id, kinds)
    timed, task, owner = _filters(owner_id, kinds)
    out_rows, out_days = [], []
    for day, lo, hi in bounds:
        total = counts.get(day, 0)
        found = _day_rows(conn, lo, hi, timed, task, owner, min(per_day, total)) if total else []
        out_rows += found
        out_days.append({"day": day, "total": total, "shown": len(found)})
    return {"rows": out_rows, "days": out_days, "total": sum(d["total"] for d in out_days),
            "shown": len(out_rows)}


def day_list(conn: sqlite3.Connection, day: date, tz: str, owner_id: int | None = None,
             kinds: list[str] | None = None, page: int = 0, size: int = PAGE) -> tuple[list[dict], int]:
    """One local day's activities, page ``page`` (from 0) of ``size``, and the day's count: every activity of
    a day is reachable however many there are."""
    ((name, lo, hi),) = day_bounds(day, 1, tz)
    total = day_counts(conn, [(name, lo, hi)], owner_id, kinds)[name]
    timed, task, owner = _filters(owner_id, kinds)
    page = max(0, min(int(page), max(0, (total - 1) // size)))
    return _day_rows(conn, lo, hi, timed, task, owner, size, page * size), total
