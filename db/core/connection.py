"""One connection factory; every connection gets the same PRAGMAs.

Connections are opened in autocommit mode so that ``write()`` can issue ``BEGIN IMMEDIATE``
itself: writers take the write lock up front instead of failing half-way on upgrade.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from db.core.errors import DatabaseUnavailable

DEFAULT_PATH = Path(__file__).resolve().parents[2] / "data" / "crm.db"
BUSY_TIMEOUT_MS = 5000


def db_path() -> Path:
    """The database path: ``CRM_DB`` if set, else the embedded default under data/."""
    return Path(os.environ.get("CRM_DB") or DEFAULT_PATH)


def now() -> str:
    """Current UTC time as stored everywhere: ``YYYY-MM-DD HH:MM:SS``."""
    return datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S")


def connect(path: str | Path | None = None, *, create: bool = True) -> sqlite3.Connection:
    """Open a connection with WAL, foreign keys, busy timeout and NORMAL sync."""
    path = Path(path) if path else db_path()
    if not create and not path.exists():
        raise DatabaseUnavailable(path=str(path), reason="the file does not exist")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=BUSY_TIMEOUT_MS / 1000)
        conn.row_factory = sqlite3.Row
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("PRAGMA synchronous = NORMAL")
    except (sqlite3.OperationalError, sqlite3.DatabaseError, OSError) as exc:
        raise DatabaseUnavailable(path=str(path), reason=str(exc)) from exc
    return conn


POOL_SIZE = 4  # idle connections kept per database file
_IDLE: dict[str, list[sqlite3.Connection]] = {}
_POOL = threading.Lock()


@contextmanager
def pooled(path: str | Path) -> Iterator[sqlite3.Connection]:
    """A reader connection to the existing file ``path``, reused across calls.

    Opening a connection parses the whole schema on its first statement (~10 ms: the rollup triggers are
    long), which the dashboard's figure threads paid on every recompute. A connection goes back to the
    pool only if it holds no transaction, so the next user starts from the current data; at most
    ``POOL_SIZE`` idle ones are kept per file."""
    key = str(path)
    with _POOL:
        idle = _IDLE.get(key)
        conn = idle.pop() if idle else None
    if conn is None:
        conn = connect(path, create=False)
    try:
        yield conn
    finally:
        if conn.in_transaction:
            conn.close()
        else:
            with _POOL:
                idle = _IDLE.setdefault(key, [])
                kept = len(idle) < POOL_SIZE
                if kept:
                    idle.append(conn)
            if not kept:
                conn.close()


@contextmanager
def write(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """A ``BEGIN IMMEDIATE`` transaction: all of it commits, or none of it.

    Nested use joins the outer transaction, so db functions can compose.
    """
    if conn.in_transaction:
        yield conn
        return
    try:
        conn.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as exc:
        raise DatabaseUnavailable(path=_path_of(conn), reason=str(exc)) from exc
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    else:
        conn.execute("COMMIT")


def _path_of(conn: sqlite3.Connection) -> str:
    row = conn.execute("PRAGMA database_list").fetchone()
    return row[2] if row else "?"


def rows(conn: sqlite3.Connection, sql: str, params=()) -> list[dict]:
    """Run a read query and return plain dicts."""
    return [dict(r) for r in conn.execute(sql, params).fetchall()]


def tuples(conn: sqlite3.Connection, sql: str, params=()) -> list[tuple]:
    """Run a read query and return plain tuples (cheaper than rows when thousands are merged in Python)."""
    cursor = conn.cursor()
    cursor.row_factory = None
    return cursor.execute(sql, params).fetchall()


def one(conn: sqlite3.Connection, sql: str, params=()) -> dict | None:
    r = conn.execute(sql, params).fetchone()
    return dict(r) if r else None


def scalar(conn: sqlite3.Connection, sql: str, params=()):
    r = conn.execute(sql, params).fetchone()
    return r[0] if r else None
