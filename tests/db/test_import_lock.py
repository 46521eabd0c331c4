"""An import in another process: a save made during it waits and succeeds, and a kill -9 part-way through
leaves no imported row and an intact database. Real processes, real files, real SQLite locks.

The test sees that the import is inside its transaction the way another session would: its own
``BEGIN IMMEDIATE`` finds the write lock taken (and, before a kill, the WAL has grown by the import's
uncommitted pages)."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time

from db.core import connection
from db.core.connection import connect
from db.core.permissions import Actor
from db.crm import contacts
from tests.conftest import ROOT

WORKER = r"""
import sys
from db.core.connection import connect
from db.core.permissions import Actor
from tests.db.import_support import import_csv, people_csv

conn = connect(sys.argv[1])
admin = Actor(conn.execute("SELECT id FROM users WHERE role = 'admin' ORDER BY id").fetchone()[0], "admin")
print(import_csv(conn, people_csv(int(sys.argv[2])), admin), flush=True)
"""


def _start(path, n: int) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", WORKER, str(path), str(n)], cwd=ROOT,
                            env={**os.environ, "PYTHONPATH": str(ROOT)}, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def _lock_taken(path) -> bool:
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


def _wait_until(proc, ready, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not ready():
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "the import never got there"
        time.sleep(0.005)


def _imported(c) -> int:
    return c.execute("SELECT COUNT(*) FROM contacts WHERE last_name = 'Bulk'").fetchone()[0]


def test_a_save_during_an_import_waits_and_succeeds(seeded, seeded_conn):
    conn, path = seeded_conn, seeded[0]
    user = conn.execute("SELECT id FROM users WHERE role = 'rep' ORDER BY id").fetchone()
    rep = Actor(user["id"], "rep")
    mine = conn.execute("SELECT id, version FROM contacts WHERE owner_id = ? AND deleted_at IS NULL",
                        (rep.id,)).fetchone()
    told = []
    proc = _start(path, 40_000)
    _wait_until(proc, lambda: _lock_taken(path))  # the import's transaction has begun
    connection.on_wait(lambda: told.append(time.perf_counter()))
    try:
        started = time.perf_counter()
        saved = contacts.update(conn, mine["id"], mine["version"], {"title": "Saved during the import"}, rep)
        waited = time.perf_counter() - started
    finally:
        connection.on_wait(None)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert saved["title"] == "Saved during the import" and saved["version"] == mine["version"] + 1
    assert len(told) == 1 and waited > connection.NOTICE_AFTER_MS / 1000  # it waited, was told once, then saved
    assert _imported(conn) == 40_000
    print(f"save waited {waited:.2f} s for the import ({out.strip()})")


def test_kill_9_mid_import_leaves_nothing_and_an_intact_database(seeded):
    path = seeded[0]
    c = connect(path)
    before = [c.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in ("contacts", "audit_log", "contacts_fts")]
    c.close()
    wal = path.with_name(path.name + "-wal")
    wal_before = wal.stat().st_size if wal.exists() else 0
    proc = _start(path, 30_000)
    # inside the transaction, with uncommitted pages already written to the WAL
    _wait_until(proc, lambda: wal.exists() and wal.stat().st_size > wal_before + 1_000_000 and _lock_taken(path))
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    assert proc.returncode == -signal.SIGKILL
    c = connect(path)
    try:
        assert c.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        c.execute("INSERT INTO contacts_fts (contacts_fts) VALUES ('integrity-check')")  # raises if damaged
        assert [c.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]
                for t in ("contacts", "audit_log", "contacts_fts")] == before
        assert _imported(c) == 0
        admin = Actor(c.execute("SELECT id FROM users WHERE role = 'admin'").fetchone()[0], "admin")
        assert contacts.create(c, {"first_name": "After", "last_name": "Crash"}, admin)  # writable again
    finally:
        c.close()
