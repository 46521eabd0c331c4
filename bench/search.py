"""Global search at scale: migration 0190's time, query times, index sizes and the insert cost it adds.

    .venv/bin/python -m db.io.seed --scale large --path /tmp/large.db   # once (built by older code is fine)
    .venv/bin/python -m bench.search --path /tmp/large.db

Pending migrations are applied first and timed (the database file is changed: use a copy you can lose).
Query times are the median and worst of ``--runs`` calls of ``db.crm.search.search`` on a warm connection.
"""

from __future__ import annotations

import argparse
import statistics
import time

from db.core import records
from db.core.connection import connect, write
from db.core.migrations import migrate
from db.core.permissions import Actor
from db.crm.search import search
from db.io import bulk

QUERIES = ["a", "an", "call", "c", "deal 3", "Deal 31415", "müller", "иван", "gmbh", "renewal", "pricing call",
           "example", "zzqx", "+49", "vip", "anna schmidt", "Prefers email"]


def _ms(fn, runs: int) -> tuple[float, float, object]:
    times, out = [], None
    for _ in range(runs):
        t0 = time.perf_counter()
        out = fn()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times), max(times), out


def _size(conn, prefix: str) -> str:
    try:
        pages = conn.execute("SELECT SUM(pgsize) FROM dbstat WHERE name LIKE ?", (prefix + "%",)).fetchone()[0]
    except Exception:  # noqa: BLE001 - dbstat is an optional SQLite build option
        return "?"
    return f"{(pages or 0) / 1e6:.1f} MB"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--path", required=True)
    ap.add_argument("--runs", type=int, default=15)
    ap.add_argument("--inserts", type=int, default=300)
    args = ap.parse_args(argv)
    conn = connect(args.path)
    t0 = time.perf_counter()
    applied = migrate(conn)
    if applied:
        print(f"migrations {', '.join(applied)}: {time.perf_counter() - t0:.1f} s")
    counts = {t: conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]
              for t in ("contacts", "companies", "deals", "activities")}
    print("rows: " + ", ".join(f"{t} {n:,}" for t, n in counts.items()))
    print("index sizes: " + ", ".join(f"{p} {_size(conn, p)}" for p in
                                      ("contacts_fts", "companies_fts", "deals_fts", "activities_fts")))
    print(f"\n{'query':<16}{'median ms':>10}{'max ms':>9}{'results':>9}  first")
    worst = 0.0
    for q in QUERIES:
        med, top, out = _ms(lambda q=q: search(conn, q), args.runs)
        worst = max(worst, top)
        first = f"{out[0]['kind']} {out[0]['name'][:28]}" if out else "-"
        print(f"{q:<16}{med:>10.1f}{top:>9.1f}{len(out):>9}  {first}")
    print(f"worst single call: {worst:.1f} ms")

    admin = Actor(conn.execute("SELECT id FROM users WHERE role = 'admin' LIMIT 1").fetchone()[0], "admin")
    contact = conn.execute("SELECT MAX(id) FROM contacts").fetchone()[0]
    values = {"kind": "call", "subject": "Bench pricing call", "contact_id": contact, "duration_min": 15}
    for label, off in (("with the search trigger", False), ("search trigger stood aside", True)):
        t0 = time.perf_counter()
        with write(conn):
            if off:
                conn.execute("INSERT INTO fts_deferred (tbl) VALUES ('activities')")
            for _ in range(args.inserts):
                records.create(conn, "activities", values, admin)
            if off:
                conn.execute("DELETE FROM fts_deferred WHERE tbl = 'activities'")
            conn.execute("ROLLBACK")
            conn.execute("BEGIN")  # write() commits an empty transaction: nothing of the bench stays
        print(f"records.create activity, {label}: {(time.perf_counter() - t0) * 1000 / args.inserts:.2f} ms each "
              f"({args.inserts} in one transaction)")
    t0 = time.perf_counter()
    with write(conn):
        bulk.create_many(conn, "activities", [values] * 5000, admin)
        conn.execute("ROLLBACK")
        conn.execute("BEGIN")
    print(f"create_many 5,000 activities (indexed in one statement): {(time.perf_counter() - t0) * 1000:.0f} ms")
    conn.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
