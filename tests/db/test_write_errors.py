"""write() under real SQLite failures: the original error, as a plain domain error, and nothing saved.

Disk full is real: ``PRAGMA max_page_count`` caps the file, so SQLite raises SQLITE_FULL and (as on a
full disk) rolls the whole transaction back by itself, which made the old ``write()`` hide the error
behind "cannot rollback - no transaction is active".
"""

from __future__ import annotations

import sqlite3

import pytest

from components.i18n import LANGUAGES, error_text
from db.core import connection, records
from db.core.connection import connect, write
from db.core.errors import (
    DatabaseBusy,
    DatabaseFull,
    DatabaseReadOnly,
    DatabaseUnavailable,
    DatabaseWriteFailed,
    DomainError,
)
from db.io import bulk
from tests.db.import_support import import_csv, people_csv


def _state(c) -> tuple:
    return tuple(c.execute(f"SELECT COUNT(*), COALESCE(MAX(rowid), 0) FROM {t}").fetchone()[:]
                 for t in ("contacts", "audit_log", "contacts_fts"))


def _fill_up(c) -> None:
    """Let the file grow by only a few pages from now on."""
    pages = c.execute("PRAGMA page_count").fetchone()[0]
    c.execute(f"PRAGMA max_page_count = {pages + 8}")


@pytest.mark.parametrize("how", ["one record", "many records", "import"])
def test_disk_full_raises_the_real_error_and_saves_nothing(conn, admin, how):
    records.create(conn, "contacts", {"first_name": "Kept"}, admin)
    before = _state(conn)
    _fill_up(conn)
    with pytest.raises(DatabaseFull) as err:
        if how == "one record":
            records.create(conn, "contacts", {"first_name": "Big", "tags": "x" * 200_000}, admin)
        elif how == "many records":
            with write(conn):
                bulk.create_many(conn, "contacts", [{"first_name": f"P{i}", "tags": "t" * 300} for i in range(3000)],
                                 admin)
        else:
            import_csv(conn, people_csv(3000), admin)
    assert isinstance(err.value.__cause__, sqlite3.OperationalError)
    assert "disk is full" in str(err.value.__cause__)  # the original error, not "cannot rollback"
    assert not conn.in_transaction
    conn.execute("PRAGMA max_page_count = 1073741823")
    assert _state(conn) == before
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    records.create(conn, "contacts", {"first_name": "Later"}, admin)  # the connection is usable again


def test_an_error_after_sqlite_rolled_back_is_raised_as_itself(conn, admin):
    with pytest.raises(ZeroDivisionError), write(conn):
        records.create(conn, "contacts", {"first_name": "Gone"}, admin)
        conn.execute("ROLLBACK")  # what SQLite does by itself on a full disk or an I/O error
        1 / 0  # noqa: B018
    assert conn.execute("SELECT COUNT(*) FROM contacts").fetchone()[0] == 0


def test_a_transaction_lost_under_the_block_is_not_reported_as_saved(conn, admin):
    with pytest.raises(DatabaseWriteFailed), write(conn):
        records.create(conn, "contacts", {"first_name": "Gone"}, admin)
        conn.execute("ROLLBACK")
    assert conn.execute("SELECT COUNT(*) FROM contacts").fetchone()[0] == 0


def test_a_read_only_database_says_so(conn, admin):
    conn.execute("PRAGMA query_only = 1")
    with pytest.raises(DatabaseReadOnly):
        records.create(conn, "contacts", {"first_name": "No"}, admin)
    conn.execute("PRAGMA query_only = 0")
    assert conn.execute("SELECT COUNT(*) FROM contacts").fetchone()[0] == 0


def test_a_save_that_waits_too_long_gets_a_plain_busy_error(conn, admin, db_file):
    holder = connect(db_file)
    holder.execute("BEGIN IMMEDIATE")
    try:
        conn.execute("PRAGMA busy_timeout = 50")
        with pytest.raises(DatabaseBusy):
            records.create(conn, "contacts", {"first_name": "Waits"}, admin)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert records.create(conn, "contacts", {"first_name": "Now"}, admin) == 1


def test_domain_errors_pass_through_unchanged(conn, admin):
    with pytest.raises(ValueError), write(conn):
        raise ValueError("not a database failure")
    with pytest.raises(sqlite3.IntegrityError), write(conn):
        conn.execute("INSERT INTO contacts (first_name, lifecycle) VALUES ('A', 'bogus')")


@pytest.mark.parametrize("kind", [DatabaseUnavailable, DatabaseBusy, DatabaseFull, DatabaseReadOnly,
                                  DatabaseWriteFailed])
def test_messages_are_plain_in_every_language(kind):
    err = kind(path="/srv/secret/crm.db", reason="database is locked")
    assert isinstance(err, DomainError)
    assert "/srv/secret/crm.db" in str(err)  # for the server log and the command line
    for lang in LANGUAGES:
        text = error_text(err, lang)
        assert text and text != err.key
        assert "/srv" not in text and "CRM_DB" not in text and "locked" not in text, (lang, text)


def test_every_connection_waits_as_long_as_the_policy_says(conn):
    assert conn.execute("PRAGMA busy_timeout").fetchone()[0] == connection.BUSY_TIMEOUT_MS >= 30_000


def test_transactions_begin_and_end_only_in_write():
    """write() is the one place that maps SQLite's failures and never hides them: no other code may open,
    commit or roll back a transaction itself (create_many's savepoint lives inside write())."""
    import re

    from tests.conftest import ROOT

    pattern = re.compile(r"""execute\(\s*f?["'](BEGIN|COMMIT|ROLLBACK(?!\s+TO)|END)\b""", re.IGNORECASE)
    offenders = []
    for folder in ("db", "components", "pages"):
        for path in (ROOT / folder).rglob("*.py"):
            if path.relative_to(ROOT).as_posix() == "db/core/connection.py":
                continue
            text = path.read_text(encoding="utf-8")
            offenders += [f"{path.relative_to(ROOT)}: {m.group(0)}" for m in pattern.finditer(text)]
    assert not offenders, offenders


def test_a_failing_waiting_notice_does_not_cost_the_save(conn, admin, db_file):
    import threading
    import time

    holder, taken = connect(db_file), threading.Event()

    def hold():
        holder.execute("BEGIN IMMEDIATE")
        taken.set()
        time.sleep(0.8)
        holder.execute("COMMIT")

    def broken_notice():
        raise RuntimeError("the page went away")

    thread = threading.Thread(target=hold)
    thread.start()
    assert taken.wait(5)
    connection.on_wait(broken_notice)
    try:
        assert records.create(conn, "contacts", {"first_name": "Saved anyway"}, admin) == 1
    finally:
        connection.on_wait(None)
        thread.join()
        holder.close()
    assert conn.execute("PRAGMA busy_timeout").fetchone()[0] == connection.BUSY_TIMEOUT_MS
