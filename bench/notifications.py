"""The sidebar's notification count and the notifications list at scale: what every page run of every user pays.

Usage: ``.venv/bin/python -m bench.notifications [--runs 200] [--flood 100000] [--audit 1000000]``.
Uses the large benchmark database (``bench/.cache/large.db`` or ``BENCH_LARGE=/path.db``, built on first use by
``bench.pages.database``). Inside one transaction that is rolled back at the end (the file is left as it was), it
adds ``--audit`` audit rows (a long-lived team's log: the count must not read it), ``--flood`` notifications for
the person with the most open tasks (a half of them read) and read marks for a half of their reminders, then
times ``counts`` (the sidebar) and ``inbox`` (the page) for that person and for one with none. Prints medians
in milliseconds and the query plan; asserts nothing.
"""

from __future__ import annotations

import argparse
import statistics
import time

from bench.pages import database
from db.core.connection import connect
from db.crm import notifications


def _timed(runs: int, fn) -> float:
    took = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        took.append((time.perf_counter() - started) * 1000)
    return statistics.median(took)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--flood", type=int, default=100_000)
    parser.add_argument("--audit", type=int, default=1_000_000)
    args = parser.parse_args(argv)
    conn = connect(database("large"))
    win = notifications.window("UTC")
    busiest, tasks = conn.execute(
        "SELECT owner_id, COUNT(*) FROM activities WHERE kind = 'task' AND done = 0 AND deleted_at IS NULL "
        "AND due_at < ? GROUP BY owner_id ORDER BY 2 DESC LIMIT 1", (win.horizon,)).fetchone()
    quiet = conn.execute("SELECT id FROM users WHERE id NOT IN (SELECT owner_id FROM activities WHERE kind = 'task' "
                         "AND done = 0 AND owner_id IS NOT NULL) ORDER BY id LIMIT 1").fetchone()
    sizes = {t: conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in ("activities", "audit_log")}
    conn.execute("BEGIN")
    try:
        conn.execute("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?) "
                     "INSERT INTO audit_log (at, user_id, entity, entity_id, action, before, after) "
                     "SELECT datetime('now', '-' || (i % 900) || ' days'), 1 + i % 20, 'contacts', i % 100000 + 1, "
                     "'update', '{\"title\": \"a\"}', '{\"title\": \"b\", \"version\": 2}' FROM n", (args.audit,))
        conn.execute("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?) "
                     "INSERT INTO notifications (user_id, kind, entity, entity_id, actor_id, at, read_at) "
                     "SELECT ?, 'assigned', 'contacts', i % 100000 + 1, NULL, datetime('now', '-' || (i % 300) || ' days'), "
                     "CASE WHEN i % 2 THEN datetime('now') END FROM n", (args.flood, busiest))
        conn.execute("INSERT INTO notification_reads (user_id, key, read_at) SELECT :u, 'task:' || a.id || ':' || "
                     "a.due_at || CASE WHEN a.due_at < :now THEN ':overdue' ELSE ':due' END, :now FROM activities a "
                     "WHERE a.owner_id = :u AND a.kind = 'task' AND a.done = 0 AND a.due_at < :horizon AND a.id % 2 = 0",
                     {"u": busiest, "now": win.now, "horizon": win.horizon})
        print(f"activities {sizes['activities']:,}, audit rows {sizes['audit_log'] + args.audit:,}; person {busiest}: "
              f"{tasks:,} open tasks due by tonight, {args.flood:,} notifications; person {quiet and quiet[0]}: none")
        for label, uid in (("busiest", busiest), ("quiet", quiet and quiet[0])):
            if uid is None:
                continue
            figures = notifications.counts(conn, uid, win)
            count_ms = _timed(args.runs, lambda u=uid: notifications.counts(conn, u, win))
            list_ms = _timed(max(args.runs // 10, 5), lambda u=uid: notifications.inbox(conn, u, win))
            unread_ms = _timed(max(args.runs // 10, 5), lambda u=uid: notifications.inbox(conn, u, win, unread_only=True))
            print(f"{label:8} counts {figures}: sidebar {count_ms:.3f} ms; list {list_ms:.2f} ms, unread only "
                  f"{unread_ms:.2f} ms (median)")
        seen: list[str] = []
        conn.set_trace_callback(seen.append)
        notifications.counts(conn, busiest, win)
        conn.set_trace_callback(None)
        print(f"sidebar statements: {len(seen)}; plan:")
        for row in conn.execute("EXPLAIN QUERY PLAN " + seen[0]):
            print("   ", row[3])
    finally:
        conn.execute("ROLLBACK")
        conn.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
