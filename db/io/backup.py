"""Online backups with SQLite's backup API, a kept number of daily backups, and a checked restore.

CLI: ``python -m db.io.backup create [--dir D] [--keep N]``, ``list``, ``restore FILE``.
Backups are consistent while the app is running (the backup API copies a snapshot page by page).
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
from datetime import UTC, datetime
from pathlib import Path

from db.core.connection import connect, db_path
from db.core.errors import ValidationError
from db.core.migrations import known_names

KEEP_DAYS = 7


def backup_dir(path: Path | None = None) -> Path:
    return (path or db_path()).parent / "backups"


def create(conn: sqlite3.Connection, folder: Path, keep: int | None = KEEP_DAYS) -> Path:
    """Copy the live database to ``folder/crm-YYYYmmdd-HHMMSS-micro.db`` and prune old days."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"crm-{datetime.now(UTC):%Y%m%d-%H%M%S-%f}.db"
    dest = sqlite3.connect(target)
    try:
        conn.backup(dest)
    finally:
        dest.close()
    if keep:
        prune(folder, keep)
    return target


def list_backups(folder: Path) -> list[dict]:
    out = []
    for f in sorted(folder.glob("crm-*.db"), reverse=True):
        out.append({"name": f.name, "path": f, "size": f.stat().st_size, "day": f.name[4:12]})
    return out


def prune(folder: Path, keep: int) -> list[Path]:
    """Keep every backup of the newest ``keep`` days that have backups; delete older ones."""
    items = list_backups(folder)
    days = sorted({i["day"] for i in items}, reverse=True)[:keep]
    removed = [i["path"] for i in items if i["day"] not in days]
    for path in removed:
        path.unlink()
    return removed


def check(source: Path) -> None:
    """Refuse a file that is not a sound database of this app (integrity, known schema)."""
    try:
        src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
        try:
            result = src.execute("PRAGMA integrity_check").fetchone()[0]
            names = {r[0] for r in src.execute("SELECT name FROM _sqlite_migrations WHERE migration_set = 'crm'")}
        finally:
            src.close()
    except sqlite3.DatabaseError as exc:
        raise ValidationError("{value} is not a readable CRM database ({detail}).", field="backup",
                              key="admin.err_backup_unreadable", value=source.name, detail=str(exc)) from exc
    if result != "ok":
        raise ValidationError("{value} failed the integrity check: {detail}", field="backup",
                              key="admin.err_backup_corrupt", value=source.name, detail=result)
    if not names or names - known_names():
        raise ValidationError("{value} is not a database of this app version.", field="backup",
                              key="admin.err_backup_schema", value=source.name)


def restore(conn: sqlite3.Connection, source: Path, folder: Path | None = None) -> Path | None:
    """Check ``source``, back up the live database first, then copy ``source`` over it online."""
    check(source)
    safety = create(conn, folder, keep=None) if folder else None
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    try:
        src.backup(conn)
    finally:
        src.close()
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
            print(f"Backed up to {create(conn, folder, args.keep)}")
        else:
            if not args.file:
                parser.error("restore needs the backup FILE")
            safety = restore(conn, args.file, folder)
            print(f"Restored {args.file.name}; the previous state is saved as {safety}")
    except ValidationError as err:
        print(err.message, file=sys.stderr)
        return 2
    finally:
        conn.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
