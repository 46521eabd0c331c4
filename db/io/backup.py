"""Online backups with SQLite's backup API, a kept number of daily backups, and a checked restore.

CLI: ``python -m db.io.backup create [--dir D] [--keep N]``, ``list``, ``restore FILE``.
Backups are consistent while the app is running (the backup API copies a snapshot page by page). Only an
administrator may make or restore one (checked here, like every write). A backup is written under a hidden
``.partial`` name and renamed when complete, so a killed backup never lists as a good one. A restore copies
the file aside, checks it, brings its schema to this version's migrations, saves the current state, and only
then copies it over the live database: a page never reads an older schema.
"""

from __future__ import annotations

import argparse
import os
import secrets
import sqlite3
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from db.core import records
from db.core.connection import connect, db_path, write
from db.core.errors import DomainError, ValidationError
from db.core.migrations import known_names, migrate
from db.core.permissions import SYSTEM, Actor, check_write

KEEP_DAYS = 7
PARTIAL_HOURS = 6  # a .partial file older than this is a killed backup's leftover
SIDECARS = ("-wal", "-shm", "-journal")


def backup_dir(path: Path | None = None) -> Path:
    return (path or db_path()).parent / "backups"


def create(conn: sqlite3.Connection, folder: Path, actor: Actor, keep: int | None = KEEP_DAYS) -> Path:
    """Copy the live database to ``folder/crm-YYYYmmdd-HHMMSS-micro.db`` (admins only) and prune old days."""
    check_write(actor, "backups", None, "create")
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"crm-{datetime.now(UTC):%Y%m%d-%H%M%S-%f}.db"
    partial = folder / f".{target.name}.partial"
    try:
        _copy(conn, partial)
        os.replace(partial, target)  # atomic: the list only ever sees complete backups
    finally:
        _remove(partial)
    _audit(conn, actor, "create", {"file": target.name})
    if keep:
        prune(folder, keep)
    return target


def _audit(conn: sqlite3.Connection, actor: Actor, action: str, after: dict) -> None:
    """Who backed up or restored what, in the audit log (a restore's row lands in the restored database, and
    moves the dashboard's change token so no cached figure of the old state is shown)."""
    with write(conn):
        records.audit(conn, actor, "backups", 0, action, None, after)


def _copy(source: sqlite3.Connection, path: Path) -> None:
    """SQLite's online backup of ``source`` into a new file ``path``, left in rollback-journal mode so that
    opening it later (to check or restore it) creates no ``-wal``/``-shm`` files beside it."""
    dest = sqlite3.connect(path)
    try:
        source.backup(dest)
        dest.execute("PRAGMA journal_mode = DELETE")
    finally:
        dest.close()


def _remove(path: Path) -> None:
    """Delete ``path`` and its SQLite side files, if there."""
    for each in (path, *(path.with_name(path.name + s) for s in SIDECARS)):
        each.unlink(missing_ok=True)


def list_backups(folder: Path) -> list[dict]:
    out = []
    for f in sorted(folder.glob("crm-*.db"), reverse=True):
        out.append({"name": f.name, "path": f, "size": f.stat().st_size, "day": f.name[4:12]})
    return out


def prune(folder: Path, keep: int) -> list[Path]:
    """Keep every backup of the newest ``keep`` days that have backups; delete older ones, killed backups'
    ``.partial`` files and side files (``-wal``/``-shm``) that no backup owns any more."""
    items = list_backups(folder)
    days = sorted({i["day"] for i in items}, reverse=True)[:keep]
    removed = [i["path"] for i in items if i["day"] not in days]
    for path in removed:
        _remove(path)
    stale = time.time() - PARTIAL_HOURS * 3600
    for path in folder.glob(".crm-*.partial"):
        if path.stat().st_mtime < stale:
            _remove(path)
            removed.append(path)
    for side in [p for s in SIDECARS for p in folder.glob(f"crm-*.db{s}")]:
        if not side.with_name(side.name.rsplit("-", 1)[0]).exists():
            side.unlink(missing_ok=True)
            removed.append(side)
    return removed


@contextmanager
def _read_only(source: Path) -> Iterator[sqlite3.Connection]:
    """``source`` opened read-only; side files the read creates (a WAL-mode file gets ``-wal``/``-shm``)
    are removed again afterwards, so checks leave nothing behind in the backup folder."""
    before = {s for s in SIDECARS if source.with_name(source.name + s).exists()}
    try:
        src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
        try:
            yield src
        finally:
            src.close()
    finally:
        for side in set(SIDECARS) - before:
            source.with_name(source.name + side).unlink(missing_ok=True)


def check(source: Path) -> None:
    """Refuse a file that is not a sound database of this app (integrity, known schema)."""
    try:
        with _read_only(source) as src:
            _check_open(src, source.name)
    except sqlite3.DatabaseError as exc:
        raise ValidationError("{value} is not a readable CRM database ({detail}).", field="backup",
                              key="admin.err_backup_unreadable", value=source.name, detail=str(exc)) from exc


def _check_open(src: sqlite3.Connection, name: str) -> None:
    try:
        result = src.execute("PRAGMA integrity_check").fetchone()[0]
        names = {r[0] for r in src.execute("SELECT name FROM _sqlite_migrations WHERE migration_set = 'crm'")}
    except sqlite3.DatabaseError as exc:
        raise ValidationError("{value} is not a readable CRM database ({detail}).", field="backup",
                              key="admin.err_backup_unreadable", value=name, detail=str(exc)) from exc
    if result != "ok":
        raise ValidationError("{value} failed the integrity check: {detail}", field="backup",
                              key="admin.err_backup_corrupt", value=name, detail=result)
    if not names or names - known_names():
        raise ValidationError("{value} is not a database of this app version.", field="backup",
                              key="admin.err_backup_schema", value=name)


def restore(conn: sqlite3.Connection, source: Path, folder: Path | None, actor: Actor) -> Path | None:
    """Admins only: check ``source`` and migrate a copy of it to the current schema, back up the live
    database, then copy the migrated copy over it online. Returns the safety backup's path."""
    check_write(actor, "backups", None, "restore")
    check(source)
    live = conn.execute("PRAGMA database_list").fetchone()[2]
    staged = (Path(live).parent if live else Path(tempfile.gettempdir())) / f".restore-{secrets.token_hex(4)}.db"
    try:
        with _read_only(source) as src:
            _copy(src, staged)
        work = connect(staged, create=False)
        try:
            migrate(work)  # an older backup gets every migration since, before any page can read it
            safety = create(conn, folder, actor, keep=None) if folder else None
            work.backup(conn)
        finally:
            work.close()
        _audit(conn, actor, "restore", {"file": source.name, "safety": safety.name if safety else None})
    except DomainError:
        raise
    except sqlite3.DatabaseError as exc:
        raise ValidationError("{value} is not a readable CRM database ({detail}).", field="backup",
                              key="admin.err_backup_unreadable", value=source.name, detail=str(exc)) from exc
    finally:
        _remove(staged)
    return safety


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Back up or restore the CRM database.")
    parser.add_argument("command", choices=("create", "list", "restore"))
    parser.add_argument("file", nargs="?", type=Path)
    parser.add_argument("--db", type=Path, default=None, help="database (default: CRM_DB or data/crm.db)")
    parser.add_argument("--dir", type=Path, default=None, help="backup folder (default: backups/ beside it)")
    parser.add_argument("--keep", type=int, default=KEEP_DAYS)
    args = parser.parse_args(argv)
    path = args.db or db_path()
    folder = args.dir or backup_dir(path)
    if args.command == "list":
        for item in list_backups(folder):
            print(f"{item['name']}  {item['size']:>12,} bytes")
        return 0
    conn = connect(path, create=False)
    try:
        if args.command == "create":
            print(f"Backed up to {create(conn, folder, SYSTEM, args.keep)}")
        else:
            if not args.file:
                parser.error("restore needs the backup FILE")
            safety = restore(conn, args.file, folder, SYSTEM)
            print(f"Restored {args.file.name}; the previous state is saved as {safety}")
    except DomainError as err:
        print(err.message, file=sys.stderr)
        return 2
    finally:
        conn.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
