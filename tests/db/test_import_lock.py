"""An import in another process: a save made during it waits and succeeds, and a kill -9 part-way through
leaves no imported row and an intact database. Real processes, real files, real SQLite locks."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from db.core import connection
from db.core.connection import connect
from db.core.permissions import Actor
from db.crm import contacts
from tests.conftest import ROOT

# Imports ``n`` contacts through importer.commit (one transaction, create_many in chunks) and prints
# "inside" once its progress reaches ``at`` (0: the write lock is taken; 0.5 + k / chunks / 2: chunk k written).
WORKER = r"""
import sys, time
from db.core.connection import connect
from db.core.permissions import Actor
from db.io import importer

path, n, at = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
conn = connect(path)
admin = Actor(conn.execute("SELECT id FROM users WHERE role = 'admin' ORDER BY id").fetchone()[0], "admin")
planned = [importer.Row(i + 2, {"first_name": f"Imp{i}", "last_name": "Bulk", "email": f"imp{i}@bulk.example",
                                "phone": f"+4930{5000000 + i}", "tags": "import"}) for i in range(n)]
told = False

def progress(x):
    global told
    if not told and x >= at:
        told = True
        print("inside", flush=True)

started = time.perf_counter()
importer.commit(conn, planned, {}, admin, progress)
print(f"done {time.perf_counter() - started:.2f}", flush=True)
"""


def _start(path, n: int, at: float) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-c", WORKER, str(path), str(n), str(at)], cwd=ROOT,
                            env={**os.environ, "PYTHONPATH": str(ROOT)}, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    line = proc.stdout.readline().strip()
    assert line == "inside", (line, proc.stderr.read() if proc.poll() is not None else "")
    return proc


def _imported(c) -> int:
    return c.execute("SELECT COUNT(*) FROM contacts WHERE last_name = 'Bulk'").fetchone()[0]


def test_a_save_during_an_import_waits_and_succeeds(seeded, seeded_conn):
    conn = seeded_conn
    user = conn.execute("SELECT id, role FROM users WHERE role = 'rep' ORDER BY id").fetchone()
    rep = Actor(user["id"], "rep")
    mine = conn.execute("SELECT id, version FROM contacts WHERE owner_id = ? AND deleted_at IS NULL",
                        (rep.id,)).fetchone()
    told = []
    proc = _start(seeded[0], 40_000, 0.0)  # holds the write lock from here until it commits (~1 s)
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
    print(f"save waited {waited:.2f} s for the import ({out.strip()} s)")


def test_kill_9_mid_import_leaves_nothing_and_an_intact_database(seeded):
    path = seeded[0]
    c = connect(path)
    before = [c.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in ("contacts", "audit_log", "contacts_fts")]
    c.close()
    wal = path.with_name(path.name + "-wal")
    wal_before = wal.stat().st_size if wal.exists() else 0
    proc = _start(path, 16_000, 0.75)  # after 2 of 4 chunks: 10,000 contacts written, not committed
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    assert proc.returncode == -signal.SIGKILL
    assert wal.stat().st_size > wal_before + 1_000_000  # uncommitted pages had reached the disk
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
