"""How long each user action holds the write lock, and how many rows it writes.

Usage: ``.venv/bin/python -m bench.locks [--scale large] [--runs 3] [--only refresh,owner]``.
Runs every action on a scratch copy of the cached seeded database (``bench/.cache/<scale>.db``;
``BENCH_LARGE=/path.db`` reuses another) through the real ``db/`` functions, as an admin, and prints per
action: the write transactions it opened, the longest and the total time the write lock was held (from
``BEGIN IMMEDIATE`` to ``COMMIT`` as the connection executed them), the rows written (SQLite's
``total_changes``: triggers' rows included) and the call's wall time. The segment refresh also runs with
another connection saving a contact as soon as the refresh holds the lock: how long that save waited.
Prints; asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from bench.importer import Saver
from bench.pages import database
from db.analytics import segments
from db.core.connection import connect
from db.core.migrations import migrate
from db.core.permissions import Actor
from db.crm import activities, contacts, deals, timeline


class Locks:
    """Watches one connection's statements: when each write transaction began and ended."""

    def __init__(self, conn):
        self.conn, self.holds, self.began = conn, [], None
        conn.set_trace_callback(self._seen)

    def _seen(self, sql: str) -> None:
        head = sql.lstrip()[:16].upper()
        if head.startswith("BEGIN"):
            self.began = time.perf_counter()
        elif (head.startswith("COMMIT") or head.startswith("ROLLBACK")) and self.began is not None:
            self.holds.append(time.perf_counter() - self.began)
            self.began = None

    def measure(self, action) -> dict:
        self.holds, changes, started = [], self.conn.total_changes, time.perf_counter()
        action()
        wall = time.perf_counter() - started
        return {"transactions": len(self.holds), "longest": max(self.holds, default=0.0),
                "held": sum(self.holds), "rows": self.conn.total_changes - changes, "wall": wall}


def customers(conn, n: int, offset: int = 0) -> list[int]:
    """``n`` customers with a history (won deals, activities): the costly ones to re-file."""
    return [r[0] for r in conn.execute(
        "SELECT c.id FROM contacts c WHERE c.acquired_at IS NOT NULL AND c.deleted_at IS NULL AND EXISTS "
        "(SELECT 1 FROM activities a WHERE a.contact_id = c.id) ORDER BY c.id LIMIT ? OFFSET ?", (n, offset))]


def actions(conn, path: Path, admin: Actor, run: int) -> list[tuple[str, object]]:
    """(label, zero-argument callable) per action; ``run`` picks other records on each repeat."""
    one = customers(conn, 1, 500 + run)[0]
    reps = [r[0] for r in conn.execute("SELECT id FROM users WHERE role = 'rep' ORDER BY id")]
    hundred = customers(conn, 100, 1000 + 100 * run)
    deal = conn.execute("SELECT d.id, d.version, d.pipeline_id FROM deals d JOIN stages s ON s.id = d.stage_id "
                        "WHERE s.kind = 'open' AND d.contact_id IS NOT NULL AND d.deleted_at IS NULL "
                        "ORDER BY d.id LIMIT 1 OFFSET ?", (run,)).fetchone()
    won = conn.execute("SELECT id FROM stages WHERE pipeline_id = ? AND kind = 'won'", (deal["pipeline_id"],)).fetchone()
    version = conn.execute("SELECT version FROM contacts WHERE id = ?", (one,)).fetchone()[0]
    start = (date.today() + timedelta(days=3 + run)).isoformat()

    def refresh(today=None):
        return lambda: segments.refresh(conn, today)

    def owner(to):
        return lambda: contacts.bulk(conn, hundred, "owner", to, admin)

    return [
        ("log a call on a customer (timeline.add)",
         lambda: timeline.add(conn, one, "call", "Called about the renewal", admin)),
        ("plan a meeting (activities.create)",
         lambda: activities.create(conn, {"kind": "meeting", "subject": "Review", "contact_id": one,
                                          "starts_at": f"{start} 10:00", "ends_at": f"{start} 11:00"}, admin)),
        ("change one customer's owner", lambda: contacts.update(conn, one, version, {"owner_id": reps[run % len(reps)]},
                                                                admin)),
        ("bulk owner change, 100 customers", owner(reps[(run + 1) % len(reps)])),
        ("move a deal to won", lambda: deals.move(conn, deal["id"], won["id"], deal["version"], admin,
                                                  amount=None)),
        ("segment refresh, nothing changed", refresh()),
        ("segment refresh a quarter later (many changes)", refresh(date.today() + timedelta(days=92 * (run + 1)))),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", default="large")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--only", default="", help="comma-separated words; an action runs if its label has one")
    args = parser.parse_args(argv)
    template = database(args.scale)
    with tempfile.TemporaryDirectory(dir=os.environ.get("BENCH_TMP")) as tmp:
        path = Path(tmp) / "locks.db"
        shutil.copy(template, path)
        conn = connect(path)
        migrate(conn)
        admin = Actor(conn.execute("SELECT id FROM users WHERE role = 'admin' ORDER BY id").fetchone()[0], "admin")
        segments.refresh(conn)  # today's segments stored: the "nothing changed" run starts from them
        watch = Locks(conn)
        results: dict[str, list[dict]] = {}
        waits: list[str] = []
        for run in range(args.runs):
            for label, action in actions(conn, path, admin, run):
                if args.only and not any(word in label for word in args.only.split(",")):
                    continue
                if label.startswith("segment refresh, nothing"):
                    segments.refresh(conn)  # the actions before changed a few customers' figures
                saver = Saver(path, admin, "Saved during a long job") if label.startswith("segment refresh a quarter") else None
                if saver:
                    saver.start()
                results.setdefault(label, []).append(watch.measure(action))
                if saver:
                    saver.stop.set()
                    saver.join()
                    waits.append(f"failed: {saver.error}" if saver.error else
                                 "-" if saver.waited is None else f"{saver.waited * 1000:.0f} ms")
            segments.refresh(conn)  # back to today's segments for the next run
        conn.close()
    print(f"\n{args.scale} scale, median of {args.runs} runs (load average {os.getloadavg()[0]:.1f}); "
          "lock = BEGIN IMMEDIATE to COMMIT, rows = total_changes\n")
    print(f"{'action':<50} {'transactions':>12} {'longest lock ms':>16} {'lock total ms':>14} {'rows':>8} "
          f"{'wall ms':>9}")
    for label, got in results.items():
        med = {k: statistics.median(r[k] for r in got) for k in got[0]}
        print(f"{label:<50} {med['transactions']:>12.0f} {med['longest'] * 1000:>16.1f} {med['held'] * 1000:>14.1f} "
              f"{med['rows']:>8.0f} {med['wall'] * 1000:>9.0f}")
    if waits:
        print(f"\nanother session's save during the refresh a quarter later waited: {', '.join(waits)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
