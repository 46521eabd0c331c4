"""One connection factory; every connection gets the same PRAGMAs.

Connections are opened in autocommit mode so that ``write()`` can issue ``BEGIN IMMEDIATE``
itself: writers take the write lock up front instead of failing half-way on upgrade.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from pathlib import Path

from db.core.errors import (
    DatabaseBusy,
    DatabaseFull,
    DatabaseReadOnly,
    DatabaseUnavailable,
    DatabaseWriteFailed,
)

log = logging.getLogger(__name__)

DEFAULT_PATH = Path(__file__).resolve().parents[2] / "data" / "crm.db"
# How long a write waits for another connection's write lock before it gives up. The longest writer is an
# import (50,000 rows commit in a few seconds); a save must wait that out, never fail because of it.
BUSY_TIMEOUT_MS = 30_000
NOTICE_AFTER_MS = 300  # a write still waiting after this long tells the person (``on_wait``)


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
        log.error("cannot open the database %s: %s", path, exc)
        raise DatabaseUnavailable(path=str(path), reason=str(exc)) from exc
    return conn


POOL_SIZE = 4  # idle connections kept per database file
_IDLE: dict[str, list[sqlite3.Connection]] = {}
_POOL = threading.Lock()


@contextmanager
def pooled(path: str | Path, keep: int = POOL_SIZE) -> Iterator[sqlite3.Connection]:
    """A reader connection to the existing file ``path``, reused across calls.

    Opening a connection parses the whole schema on its first statement (~10 ms: the rollup triggers are
    long), which the dashboard's figure threads paid on every recompute. A connection goes back to the
    pool only if it holds no transaction, so the next user starts from the current data; at most ``keep``
    idle ones are kept per file (the API, serving up to a thread pool's worth of requests at once, keeps more)."""
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
                kept = len(idle) < keep
                if kept:
                    idle.append(conn)
            if not kept:
                conn.close()


_ON_WAIT: ContextVar[Callable[[], None] | None] = ContextVar("crm_on_wait", default=None)


def on_wait(notice: Callable[[], None] | None) -> None:
    """Call ``notice`` (say, a "waiting for another change" toast) when a write of this thread or task has to
    wait for another connection's write lock for more than ``NOTICE_AFTER_MS``; it then keeps waiting up to
    ``BUSY_TIMEOUT_MS``. ``None`` turns it off. The page shell sets it once per script run."""
    _ON_WAIT.set(notice)


@contextmanager
def write(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """A ``BEGIN IMMEDIATE`` transaction: all of it commits, or none of it.

    Nested use joins the outer transaction, so db functions can compose. Waits up to ``BUSY_TIMEOUT_MS`` for
    another writer. The outermost block turns SQLite's own failures (locked, disk full, read-only, I/O) into
    domain errors (``DatabaseBusy``, ``DatabaseFull``, ``DatabaseReadOnly``, ``DatabaseWriteFailed``) and
    always raises the original failure, never a failed ROLLBACK's: SQLite may already have rolled back by
    itself (disk full), so it rolls back only a transaction that is still open.
    """
    if conn.in_transaction:
        yield conn
        return
    _begin(conn)
    try:
        yield conn
    except BaseException as exc:
        _rollback(conn)
        mapped = _domain_error(conn, exc)
        if mapped is not None:
            raise mapped from exc
        raise
    if not conn.in_transaction:  # SQLite ended it under us (an error someone caught): nothing was saved
        log.error("write transaction on %s ended before COMMIT", _path_of(conn))
        raise DatabaseWriteFailed(path=_path_of(conn), reason="the transaction ended before COMMIT")
    try:
        conn.execute("COMMIT")
    except sqlite3.Error as exc:
        _rollback(conn)
        raise (_domain_error(conn, exc) or DatabaseWriteFailed(path=_path_of(conn), reason=str(exc))) from exc


def _begin(conn: sqlite3.Connection) -> None:
    """Take the write lock, waiting for another writer; tell the person once the wait is noticeable."""
    notice = _ON_WAIT.get()
    try:
        if notice is None:
            conn.execute("BEGIN IMMEDIATE")
            return
        conn.execute(f"PRAGMA busy_timeout = {NOTICE_AFTER_MS}")
        try:
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            if _code(exc) not in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
                raise
            try:
                notice()
            except Exception:  # noqa: BLE001 - a failed notice must not cost the save
                log.exception("the waiting notice failed")
            conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS - NOTICE_AFTER_MS}")
            conn.execute("BEGIN IMMEDIATE")
        finally:
            conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    except sqlite3.Error as exc:
        raise (_domain_error(conn, exc) or DatabaseWriteFailed(path=_path_of(conn), reason=str(exc))) from exc


def _rollback(conn: sqlite3.Connection) -> None:
    """Undo the open transaction, if SQLite has not already; a failing ROLLBACK is logged, never raised over
    the error that caused it."""
    if not conn.in_transaction:
        return
    try:
        conn.execute("ROLLBACK")
    except sqlite3.Error as exc:
        log.error("ROLLBACK failed on %s: %s", _path_of(conn), exc)


def _code(exc: BaseException) -> int | None:
    code = getattr(exc, "sqlite_errorcode", None)
    return None if code is None else code & 0xFF  # the primary result code


_DOMAIN = {
    sqlite3.SQLITE_BUSY: DatabaseBusy, sqlite3.SQLITE_LOCKED: DatabaseBusy,
    sqlite3.SQLITE_FULL: DatabaseFull,
    sqlite3.SQLITE_READONLY: DatabaseReadOnly,
    sqlite3.SQLITE_IOERR: DatabaseWriteFailed, sqlite3.SQLITE_CORRUPT: DatabaseWriteFailed,
    sqlite3.SQLITE_CANTOPEN: DatabaseWriteFailed, sqlite3.SQLITE_NOTADB: DatabaseWriteFailed,
    sqlite3.SQLITE_PROTOCOL: DatabaseWriteFailed, sqlite3.SQLITE_NOMEM: DatabaseWriteFailed,
}


def _domain_error(conn: sqlite3.Connection, exc: BaseException) -> DatabaseUnavailable | None:
    """The domain error for a failure of the database itself (None for anything else: a constraint, a bug,
    a domain error). The server log gets the file and SQLite's words; the person gets a plain sentence."""
    kind = _DOMAIN.get(_code(exc)) if isinstance(exc, sqlite3.Error) else None
    if kind is None:
        return None
    path = _path_of(conn)
    log.error("write failed on %s: %s", path, exc)
    return kind(path=path, reason=str(exc))


def _path_of(conn: sqlite3.Connection) -> str:
    try:
        row = conn.execute("PRAGMA database_list").fetchone()
    except sqlite3.Error:
        return "?"
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
