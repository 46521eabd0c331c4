"""Custom fields at the large scale: five fields on 100k contacts, then filter and sort on them against the
same on built-in fields, in the data layer and as contacts page script runs.

Usage: ``.venv/bin/python -m bench.custom_fields [--runs 9] [--pages]``. Works on a copy of the large
database (``bench/.cache/large-custom.db``, made from bench.pages' large one and reused); the fields are added
and filled on the first run (timed: it must itself be quick, so the values are written by bulk UPDATEs of
20,000 rows each). Prints medians in milliseconds; asserts nothing.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import time
from pathlib import Path

from bench.pages import CACHE, database, page_time
from db.core import fields
from db.core.connection import connect, write
from db.core.permissions import Actor
from db.crm import contacts, custom

CHUNK = 20_000
SPECS = [  # (key, definition, SQL giving each row its value)
    ("tier", {"type": "choice", "label": "Tier", "options": ["Gold", "Silver", "Bronze", "Iron"]},
     # the same records as each lifecycle, so a filter on one reads exactly the rows of the other: the
     # comparison is of the storage (a custom column's index against a built-in one), not of the data
     "CASE lifecycle WHEN 'customer' THEN 'Gold' WHEN 'churned' THEN 'Iron' WHEN 'prospect' THEN 'Silver' "
     "ELSE 'Bronze' END"),
    ("seats", {"type": "number", "label": "Seats"}, "(id * 7919) % 1000"),
    ("renewal", {"type": "date", "label": "Renewal"}, "date('2026-01-01', '+' || ((id * 31) % 730) || ' days')"),
    ("vip", {"type": "checkbox", "label": "VIP"}, "CASE WHEN id % 30 = 1 THEN 1 ELSE 0 END"),
    ("insurer", {"type": "text", "label": "Insurer"}, "'Insurer ' || ((id * 13) % 997)"),
]


def prepared(source: Path) -> tuple[Path, dict[str, float]]:
    """The copy with the five fields defined and filled, and how long that took (empty when reused)."""
    path = CACHE / "large-custom.db"
    conn = connect(path) if path.exists() else None
    if conn is not None and {f.key for f in fields.active(conn, "contacts")} >= {k for k, _, _ in SPECS}:
        conn.close()
        return path, {}
    if conn is not None:
        conn.close()
    for suffix in ("", "-wal", "-shm"):
        Path(str(path) + suffix).unlink(missing_ok=True)
    shutil.copyfile(source, path)
    conn = connect(path)
    admin = Actor(conn.execute("SELECT id FROM users WHERE role = 'admin' ORDER BY id LIMIT 1").fetchone()[0], "admin")
    times = {}
    started = time.perf_counter()
    made = {key: fields.define(conn, "contacts", spec, admin) for key, spec, _ in SPECS}
    times["define five fields (columns, indexes, search triggers)"] = time.perf_counter() - started
    # The text field stands archived while it is filled, so its search trigger (one FTS5 write per row) is
    # off; restoring it re-indexes every record's custom text in one statement (fields.schema._sync_search).
    fields.set_archived(conn, made["insurer"].id, True, admin)
    started = time.perf_counter()
    top = conn.execute("SELECT MAX(id) FROM contacts").fetchone()[0]
    sets = ", ".join(f"{made[key].column} = {expr}" for key, _, expr in SPECS)
    for low in range(0, top + 1, CHUNK):
        with write(conn):
            conn.execute(f"UPDATE contacts SET {sets} WHERE id > ? AND id <= ?", (low, low + CHUNK))
    times[f"fill {top:,} rows ({CHUNK:,} per UPDATE)"] = time.perf_counter() - started
    started = time.perf_counter()
    fields.set_archived(conn, made["insurer"].id, False, admin)
    times["restore the text field: index every record's custom text"] = time.perf_counter() - started
    started = time.perf_counter()
    conn.execute("ANALYZE")
    times["ANALYZE (planner statistics for the new indexes)"] = time.perf_counter() - started
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    return path, times


def medians_ms(first, second, runs: int) -> tuple[float, float]:
    """Median ms of two calls timed in turn (the machine is shared: alternating keeps a busy spell from
    landing on one side only)."""
    first(), second()
    a, b = [], []
    for _ in range(runs):
        for fn, out in ((first, a), (second, b)):
            started = time.perf_counter()
            fn()
            out.append((time.perf_counter() - started) * 1000)
    return statistics.median(a), statistics.median(b)


def pairs(conn, made: dict[str, fields.Field]) -> list[tuple[str, contacts.Query, contacts.Query]]:
    """(what, built-in query, custom query) of comparable work (similar numbers of matching rows)."""
    C = custom.Condition
    name = conn.execute("SELECT last_name FROM contacts WHERE deleted_at IS NULL GROUP BY last_name "
                        "HAVING COUNT(*) BETWEEN 90 AND 130 ORDER BY COUNT(*) DESC LIMIT 1").fetchone()[0]
    return [
        ("filter: one value of a choice", contacts.Query(lifecycle="customer"),
         contacts.Query(custom=(C("tier", "any", ("Gold",)),))),
        ("filter: a rare value", contacts.Query(lifecycle="churned"),
         contacts.Query(custom=(C("tier", "any", ("Iron",)),))),
        ("filter: a yes/no", contacts.Query(segment="A"), contacts.Query(custom=(C("vip", "yes"),))),
        ("filter: date range (a month)", contacts.Query(created_from="2026-03-01", created_to="2026-03-31"),
         contacts.Query(custom=(C("renewal", "range", ("2026-03-01", "2026-03-31")),))),
        ("sort: indexed column, first page", contacts.Query(sort="lifecycle"),
         contacts.Query(sort=custom.sort_key(made["tier"]))),
        ("sort: by a name / text", contacts.Query(sort="name"), contacts.Query(sort=custom.sort_key(made["insurer"]))),
        ("search: a word in ~100 records", contacts.Query(search=name), contacts.Query(search="996")),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--pages", action="store_true", help="also time contacts page script runs")
    args = parser.parse_args(argv)
    path, setup = prepared(database("large"))
    for what, seconds in setup.items():
        print(f"setup: {what}: {seconds:.1f} s")
    conn = connect(path)
    admin = Actor(conn.execute("SELECT id FROM users WHERE role = 'admin' ORDER BY id LIMIT 1").fetchone()[0], "admin")
    made = {f.key: f for f in fields.active(conn, "contacts")}
    print(f"\ncontacts.page (count + 25 rows with the five custom columns), median of {args.runs}, ms")
    print(f"{'what':<36}{'built-in':>10}{'rows':>8}{'custom':>10}{'rows':>8}{'ratio':>8}")
    for what, builtin, own in pairs(conn, made):
        a, b = medians_ms(lambda q=builtin: contacts.page(conn, q, limit=25, actor=admin),
                          lambda q=own: contacts.page(conn, q, limit=25, actor=admin), args.runs)
        na = contacts.page(conn, builtin, limit=0, actor=admin)[1]
        nb = contacts.page(conn, own, limit=0, actor=admin)[1]
        print(f"{what:<36}{a:>10.1f}{na:>8}{b:>10.1f}{nb:>8}{b / a:>8.2f}", flush=True)
    found = custom.shown(conn, "contacts", admin)
    where, params = contacts._where(pairs(conn, made)[0][2], conn, found)
    plan = [r[3] for r in conn.execute(f"EXPLAIN QUERY PLAN SELECT COUNT(*) FROM contacts c WHERE {where}", params)]
    print(f"\nplan of the choice filter: {' | '.join(plan)}")
    conn.close()
    if args.pages:
        tier = made["tier"]
        states = [("contacts page, no filter", {}),
                  ("  filter lifecycle = customer", {"c_lifecycle": "customer"}),
                  ("  filter Tier = Gold (custom)", {f"c_cf_{tier.id}": ["Gold"]}),
                  ("  sort by lifecycle", {"c_sort": "lifecycle"}),
                  ("  sort by Tier (custom)", {"c_sort": custom.sort_key(tier)})]
        print(f"\ncontacts page script run at the large scale, admin, cold + median of {args.runs} warm, ms")
        for what, state in states:
            cold, warm = page_time("pages/contacts.py", path, args.runs, state=state)
            print(f"{what:<36}{cold:>10.0f}{warm:>10.1f}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
