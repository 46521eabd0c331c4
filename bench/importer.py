"""Contact import at scale: how long the commit holds the write lock, and what one contact insert writes.

Usage: ``.venv/bin/python -m bench.importer [--rows 10000,100000] [--scale small] [--per-row] [--breakdown]``.
Each run imports into a fresh copy of the cached seeded database (``bench/.cache/<scale>.db``, built on
first use; ``BENCH_SMALL=/path.db`` reuses another). The file is built in memory as an export from another
CRM would be (names, unique emails and phones, a third at existing companies, titles, tags) and goes
through ``importer.plan`` (validation and duplicates, before any lock) and ``importer.commit`` (one
``BEGIN IMMEDIATE`` transaction: its time is the time everyone else's saves wait). ``--per-row`` also
times the previous commit, ``records.create`` per row in one transaction. While each commit runs, another
connection saves one contact and the bench prints how long that save waited. ``--breakdown`` times the
contact insert the old way (one INSERT per row, as the per-row path and the seed do) on scratch copies:
with every trigger and index, without the FTS trigger, without the secondary indexes. ``--preload N``
first imports N contacts (untimed), to time an import into a database as big as a large team's. Prints; asserts nothing. The file reader's 50,000-row cap is lifted for the bench,
so 100,000 rows measure the write path.
"""

from __future__ import annotations

import argparse
import csv
import importlib
import importlib.util
import io
import os
import shutil
import sqlite3
import tempfile
import threading
import time
from pathlib import Path

from bench.pages import database
from db.core import records
from db.core.connection import connect, write
from db.core.permissions import Actor
from db.crm import contacts
from db.io import bulk, importer

HEADERS = ["First Name", "Last Name", "Email", "Mobile Phone", "Account Name", "Job Title", "Tags", "Lead Source"]


def source(conn, n: int) -> list[list[str]]:
    """``n`` rows of a plausible export: unique emails and phones, every third row at an existing company."""
    companies = [r[0] for r in conn.execute("SELECT name FROM companies WHERE deleted_at IS NULL LIMIT 200")]
    titles = ["CEO", "Head of Sales", "Buyer", "", "Engineer", "Office manager"]
    return [[f"Anna{i}", f"Berg-{i % 997}", f"anna.berg{i}@import{i % 50}.example", f"+49 30 {5_000_000 + i}",
             companies[i % len(companies)] if i % 3 == 0 else "", titles[i % len(titles)],
             "imported,fair 2026" if i % 2 else "", "trade fair" if i % 4 else "website"] for i in range(n)]


def csv_bytes(table: list[list[str]]) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows([HEADERS, *table])
    return out.getvalue().encode()


def uncapped() -> None:
    """Lift the file reader's row cap (50,000) so 100,000 rows can measure the write path."""
    for name in ("db.io.importer", "db.io.import_read"):
        if importlib.util.find_spec(name) is not None:
            module = importlib.import_module(name)
            if hasattr(module, "MAX_ROWS"):
                module.MAX_ROWS = 10_000_000


def plan_of(conn, raw: bytes):
    """read + plan, with the importer's API before or after its rework; returns (plan, its rows)."""
    uncapped()
    got = importer.read(raw, "export.csv")
    if isinstance(got, tuple):
        headers, body, _ = got
        planned = importer.plan(conn, headers, body, importer.guess_mapping(headers))
        return planned, planned
    planned = importer.plan(conn, got, importer.guess_mapping(got.headers, "contacts"), target="contacts")
    return planned, planned.rows


def admin_of(conn) -> Actor:
    return Actor(conn.execute("SELECT id FROM users WHERE role = 'admin' ORDER BY id").fetchone()[0], "admin")


def per_row_commit(conn, planned, actor) -> None:
    """The commit before create_many: one records.create (pragma, insert, audit insert) per row."""
    with write(conn):
        for r in planned:
            records.create(conn, "contacts", {"lifecycle": "lead", **{k: v for k, v in r.values.items()
                                                                      if not k.startswith("_")}}, actor)


class Saver(threading.Thread):
    """Another session: as soon as it finds the write lock taken (an import's or a long job's transaction has
    begun), it saves one contact (as ``admin``, else the database's first admin) and times how long that save
    waited. bench/locks.py races its long jobs with it too."""

    def __init__(self, path: Path, admin=None, title: str = "Saved during the import"):
        super().__init__()
        self.path, self.admin, self.title = path, admin, title
        self.waited, self.error, self.stop = None, None, threading.Event()

    def run(self) -> None:
        c = connect(self.path)
        row = c.execute("SELECT id, version FROM contacts WHERE deleted_at IS NULL ORDER BY id DESC LIMIT 1").fetchone()
        while not lock_taken(self.path):
            if self.stop.wait(0.002):
                c.close()
                return
        started = time.perf_counter()
        try:
            contacts.update(c, row["id"], row["version"], {"title": self.title}, self.admin or admin_of(c))
        except Exception as exc:  # noqa: BLE001 - the bench reports whatever a user would have seen
            self.error = exc
        self.waited = time.perf_counter() - started
        c.close()


def lock_taken(path: Path) -> bool:
    """Whether another connection holds the write lock right now (never waits, never keeps it)."""
    probe = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        probe.execute("BEGIN IMMEDIATE")
        probe.execute("ROLLBACK")
        return False
    except sqlite3.OperationalError:
        return True
    finally:
        probe.close()


def preload(template: Path, n: int, folder: Path) -> Path:
    """A copy of ``template`` that already holds ``n`` more contacts (imported untimed): the indexes and the
    search index an import adds to are then as big as a large team's."""
    path = folder / f"preloaded-{n}.db"
    shutil.copy(template, path)
    conn = connect(path)
    body = [[f"Pre{i}", f"Load-{i % 991}", f"pre{i}@preload{i % 70}.example", f"+44 20 {7_000_000 + i}", "", "",
             "", ""] for i in range(n)]
    importer.commit(conn, plan_of(conn, csv_bytes(body))[0], {}, admin_of(conn))
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    return path


def import_once(template: Path, n: int, per_row: bool) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.db"
        shutil.copy(template, path)
        conn = connect(path)
        actor = admin_of(conn)
        body = source(conn, n)
        started = time.perf_counter()
        planned, planned_rows = plan_of(conn, csv_bytes(body))
        plan_s = time.perf_counter() - started
        assert not any(getattr(r, "errors", None) or getattr(r, "problems", None) or r.duplicate_of
                       for r in planned_rows)
        saver = Saver(path)
        saver.start()
        changes = conn.total_changes
        cpu = time.thread_time()  # this thread only: the saver thread polls meanwhile
        started = time.perf_counter()
        if per_row:
            conn.execute("BEGIN IMMEDIATE")  # write() joins it: the same single transaction as before
            per_row_commit(conn, planned_rows, actor)
            conn.execute("COMMIT")
        else:
            importer.commit(conn, planned, {}, actor)
        commit_s = time.perf_counter() - started
        commit_cpu = time.thread_time() - cpu
        written = conn.total_changes - changes
        saver.stop.set()
        saver.join()
        conn.close()
    staged = 0 if per_row else n  # create_many's TEMP staging rows: counted by total_changes, not in the file
    return {"plan": plan_s, "commit": commit_s, "cpu": commit_cpu, "per_contact": (written - staged) / n,
            "waited": saver.waited, "error": saver.error}


def one_insert(template: Path) -> dict:
    """Rows written by one contact created alone (its own transaction), by table where SQLite tells."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "one.db"
        shutil.copy(template, path)
        conn = connect(path)
        tables = ["contacts", "audit_log", "contacts_fts_content", "contacts_fts_docsize", "contacts_fts_data",
                  "contacts_fts_idx", "customer_months", "kpi_cube", "deal_cube", "serve_costs"]
        counts = {t: conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in tables}
        before = conn.total_changes
        company = conn.execute("SELECT id FROM companies LIMIT 1").fetchone()[0]
        contacts.create(conn, {"first_name": "Ada", "last_name": "Lovelace", "email": "ada@example.org",
                               "phone": "+49 30 1234567", "company_id": company, "tags": "vip"}, admin_of(conn))
        total = conn.total_changes - before
        grown = {t: conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] - counts[t] for t in tables}
        conn.close()
    return {"total_changes": total, "new rows": {t: d for t, d in grown.items() if d}}


def breakdown(template: Path, n: int) -> list[tuple[str, float, float]]:
    """The contact insert alone, on scratch copies: one INSERT per row (the old path, and the seed's) with
    and without its costly parts, then create_many's way (one INSERT ... SELECT, one FTS statement)."""
    fts_off = ["INSERT INTO fts_deferred (tbl) VALUES ('contacts')"]
    variants = [("one INSERT per row, every trigger and index", [], False),
                ("  without the FTS trigger", fts_off, False),
                ("  without the 12 secondary indexes", ["indexes"], False),
                ("  without both", fts_off + ["indexes"], False),
                ("one INSERT ... SELECT + one FTS statement", fts_off, True)]
    out = []
    for label, setup, set_based in variants:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "parts.db"
            shutil.copy(template, path)
            conn = connect(path)
            if "indexes" in setup:
                for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'index' AND "
                                            "tbl_name = 'contacts' AND sql IS NOT NULL").fetchall():
                    conn.execute(f"DROP INDEX {name}")
            base = conn.execute("SELECT MAX(id) FROM contacts").fetchone()[0]
            rows = [(base + 1 + i, f"Anna{i}", f"Berg-{i % 997}", f"anna.berg{i}@import{i % 50}.example",
                     f"+4930{5_000_000 + i}", "imported,fair") for i in range(n)]
            insert = "INSERT INTO contacts (id, first_name, last_name, email, phone, tags) "
            conn.execute("BEGIN IMMEDIATE")
            for sql in setup:
                if sql != "indexes":
                    conn.execute(sql)
            started, cpu = time.perf_counter(), time.process_time()
            if set_based:
                conn.execute("CREATE TEMP TABLE staged (a, b, c, d, e, f)")
                conn.executemany("INSERT INTO temp.staged VALUES (?, ?, ?, ?, ?, ?)", rows)
                conn.execute(insert + "SELECT * FROM temp.staged ORDER BY a")
                conn.execute(bulk.DEFERRED_FTS["contacts"], (base + 1, base + n))
            else:
                conn.executemany(insert + "VALUES (?, ?, ?, ?, ?, ?)", rows)
            conn.execute("DELETE FROM fts_deferred")
            conn.execute("COMMIT")
            out.append((label, time.perf_counter() - started, time.process_time() - cpu))
            conn.close()
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", default="10000,100000")
    parser.add_argument("--scale", default="small")
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--per-row", action="store_true", help="also time the previous row-by-row commit")
    parser.add_argument("--breakdown", action="store_true", help="time the insert without FTS / indexes")
    parser.add_argument("--preload", type=int, default=0, help="first import this many contacts, untimed")
    args = parser.parse_args(argv)
    template = database(args.scale)
    scratch = tempfile.TemporaryDirectory()
    if args.preload:
        template = preload(template, args.preload, Path(scratch.name))
    sizes = [int(n) for n in args.rows.split(",") if n]
    one = one_insert(template)
    contacts_now = connect(template).execute("SELECT COUNT(*) FROM contacts").fetchone()[0]
    print(f"\n{args.scale} scale, {contacts_now:,} contacts before the import. One contact created alone: total_changes {one['total_changes']}, "
          f"new rows {one['new rows']}")
    print("\ncommit s is the time the write lock is held (wall clock; CPU s beside it: this machine's 2 cores are "
          "shared).\nchanges/contact: sqlite3 total_changes per imported contact, rows staged in TEMP not counted.")
    print(f"\n{'rows':>8} {'commit path':<12} {'plan s':>7} {'commit s':>9} {'CPU s':>6} {'changes/contact':>16} "
          f"{'other save waited s':>20}")
    for n in sizes:
        for per_row in ([True, False] if args.per_row else [False]):
            for _ in range(args.runs):
                got = import_once(template, n, per_row)
                waited = "failed: " + str(got["error"]) if got["error"] else f"{got['waited']:.2f}"
                print(f"{n:>8} {'per row' if per_row else 'create_many':<12} {got['plan']:>7.2f} "
                      f"{got['commit']:>9.2f} {got['cpu']:>6.2f} {got['per_contact']:>16.2f} {waited:>20}  "
                      f"(load {os.getloadavg()[0]:.1f})", flush=True)
    if args.breakdown:
        for n in sizes:
            print(f"\nwhere the time goes: inserting {n} contacts (seconds, wall / CPU)")
            for label, seconds, cpu in breakdown(template, n):
                print(f"  {label:<45} {seconds:>7.2f} / {cpu:>5.2f}", flush=True)
    scratch.cleanup()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
