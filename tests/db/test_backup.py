"""Backups: admins only, never a partial file listed as a backup, no side files left, and a restore of an
older schema brought to the current one before any page reads it."""

import os
import signal
import sqlite3
import subprocess
import sys
import time

import pytest
import sqlite_utils

from components.i18n import error_text
from db.core import records
from db.core.connection import connect
from db.core.errors import PermissionDenied
from db.core.migrations import known_names, migrate, migrations
from db.io import backup
from tests.conftest import ROOT


@pytest.mark.parametrize("role", ["manager", "rep"])
def test_only_an_admin_may_back_up_or_restore(conn, admin, manager, rep, tmp_path, role):
    actor = {"manager": manager, "rep": rep}[role]
    made = backup.create(conn, tmp_path, admin)
    with pytest.raises(PermissionDenied) as err:
        backup.create(conn, tmp_path, actor)
    assert error_text(err.value, "en") == "Only an administrator may manage backups."
    with pytest.raises(PermissionDenied):
        backup.restore(conn, made, tmp_path, actor)
    assert [b["path"] for b in backup.list_backups(tmp_path)] == [made]


def test_a_backup_opens_without_side_files_and_checks_leave_none(conn, admin, tmp_path):
    tmp_path = tmp_path / "b"
    made = backup.create(conn, tmp_path, admin)
    backup.check(made)
    backup.restore(conn, made, tmp_path, admin)
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.endswith(".db")) == []
    # a WAL-mode copy (as older versions wrote them): the check's -wal/-shm are removed again
    old = tmp_path / "crm-20260101-000000-000000.db"
    dest = sqlite3.connect(old)
    conn.backup(dest)
    dest.close()
    backup.check(old)
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(("-wal", "-shm"))]
    # leftovers from before this fix: prune removes side files whose backup is gone, and stale partials
    (tmp_path / "crm-20250101-000000-000000.db-wal").write_bytes(b"")
    (tmp_path / "crm-20250101-000000-000000.db-shm").write_bytes(b"")
    partial = tmp_path / ".crm-20250101-000000-000000.db.partial"
    partial.write_bytes(b"half")
    os.utime(partial, (time.time() - 7 * 3600,) * 2)
    fresh = tmp_path / ".crm-20260102-000000-000000.db.partial"
    fresh.write_bytes(b"being written")
    backup.prune(tmp_path, keep=7)
    names = {p.name for p in tmp_path.iterdir()}
    assert not any(n.endswith(("-wal", "-shm")) for n in names)
    assert partial.name not in names and fresh.name in names  # a running backup's file is left alone


def test_a_killed_backup_is_never_listed(seeded, tmp_path):
    """Kill a process that backs up in a loop at random moments: every listed backup is complete and sound."""
    folder = tmp_path / "b"
    code = ("import random, sys; from pathlib import Path; from db.core.connection import connect; "
            "from db.core.permissions import SYSTEM; from db.io import backup\n"
            f"c = connect({str(seeded[0])!r}); previous = None\n"
            "print('ready', flush=True)\n"
            "while True:\n"
            "    made = backup.create(c, Path(sys.argv[1]), SYSTEM, keep=None)\n"
            "    previous and previous.unlink(); previous = made\n"
            "    print('made', flush=True)\n")
    for delay in (0.005, 0.03, 0.08):
        proc = subprocess.Popen([sys.executable, "-c", code, str(folder)], cwd=ROOT, stdout=subprocess.PIPE)
        assert proc.stdout.readline() == b"ready\n"
        assert proc.stdout.readline() == b"made\n"  # one complete backup exists whatever the machine's load
        time.sleep(delay)  # then kill at a moment inside a later backup (or between two)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        proc.stdout.close()
    listed = backup.list_backups(folder)
    assert listed
    for item in listed:
        backup.check(item["path"])
        assert sqlite3.connect(item["path"]).execute("SELECT COUNT(*) FROM contacts").fetchone()[0] > 0
    leftovers = {p for p in folder.iterdir()} - {i["path"] for i in listed}
    assert all(p.name.startswith(".crm-") and ".partial" in p.name for p in leftovers)
    for p in leftovers:
        os.utime(p, (time.time() - 7 * 3600,) * 2)
    backup.prune(folder, keep=7)
    assert {p.name for p in folder.iterdir()} == {i["name"] for i in listed}  # killed ones cleaned up


def test_restoring_an_older_schema_migrates_it_before_any_read(conn, admin, tmp_path):
    """The old-backup case: the live database stays at the current schema, in this process and the next."""
    old = tmp_path / "crm-20250101-000000-000000.db"
    older = sqlite_utils.Database(sqlite3.connect(old, isolation_level=None))
    migrations.apply(older, stop_before="0016_deal_cube")
    older.conn.execute("INSERT INTO users (email, name, role, password_hash) VALUES ('o@x.example', 'Old', "
                       "'admin', 'x')")
    older.conn.close()
    assert "deal_cube" not in sqlite_utils.Database(old).table_names()
    records.create(conn, "contacts", {"first_name": "Now"}, admin)
    backup.restore(conn, old, tmp_path, admin)
    assert conn.execute("SELECT COUNT(*) FROM deal_cube").fetchone()[0] == 0  # no "no such table"
    assert conn.execute("SELECT name FROM users").fetchall()[0][0] == "Old"
    assert {r[0] for r in conn.execute("SELECT name FROM _sqlite_migrations")} == known_names()
    assert migrate(conn) == []
    other = connect(conn.execute("PRAGMA database_list").fetchone()[2])
    assert other.execute("SELECT COUNT(*) FROM deal_cube").fetchone()[0] == 0
    other.close()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".restore-")]


def test_a_file_replaced_under_the_process_is_migrated_on_the_next_page_run(tmp_path):
    """Another process (an older app's CLI, a copy by hand) puts an older schema in place: the per-process
    memo notices the schema version moved and migrates again instead of trusting 'already done'."""
    from components.layout import migrated

    path = tmp_path / "live.db"
    migrated(str(path))
    older = sqlite_utils.Database(sqlite3.connect(tmp_path / "old.db", isolation_level=None))
    migrations.apply(older, stop_before="0016_deal_cube")
    live = sqlite3.connect(path)
    older.conn.backup(live)
    older.conn.close()
    assert "deal_cube" not in sqlite_utils.Database(live).table_names()
    migrated(str(path))
    assert "deal_cube" in sqlite_utils.Database(live).table_names()
    live.close()


def test_backups_and_restores_are_in_the_audit_log(conn, admin, tmp_path):
    made = backup.create(conn, tmp_path, admin)
    logged = conn.execute("SELECT user_id, action, after FROM audit_log WHERE entity = 'backups'").fetchall()
    assert [(r[0], r[1]) for r in logged] == [(admin.id, "create")] and made.name in logged[0][2]
    backup.restore(conn, made, tmp_path, admin)  # back to before that row; the restore itself is logged
    logged = conn.execute("SELECT user_id, action, after FROM audit_log WHERE entity = 'backups'").fetchall()
    assert [(r[0], r[1]) for r in logged] == [(admin.id, "restore")] and made.name in logged[0][2]
