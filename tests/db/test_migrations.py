import sqlite3

import pytest

from db.core.connection import connect
from db.core.errors import DatabaseUnavailable, SchemaTooNew
from db.core.migrations import known_names, migrate


def test_fresh_database_gets_every_migration_once(db_file):
    c = connect(db_file)
    applied = migrate(c)
    assert applied == sorted(known_names())
    assert migrate(c) == []
    tables = {r[0] for r in c.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"users", "contacts", "companies", "campaigns", "pipelines", "stages", "deals", "deal_stage_history",
            "activities", "feedback", "comments", "audit_log", "saved_views", "sessions"} <= tables


def test_second_apply_changes_nothing(db_file):
    c = connect(db_file)
    migrate(c)
    before = c.execute("SELECT sql FROM sqlite_master ORDER BY name").fetchall()
    migrate(c)
    assert c.execute("SELECT sql FROM sqlite_master ORDER BY name").fetchall() == before
    assert c.execute("SELECT COUNT(*) FROM _sqlite_migrations").fetchone()[0] == len(known_names())


def test_pragmas_are_set_on_every_connection(db_file):
    c = connect(db_file)
    assert c.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert c.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert c.execute("PRAGMA busy_timeout").fetchone()[0] >= 1000
    assert c.execute("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL


def test_newer_schema_is_refused_with_a_readable_message(db_file):
    c = connect(db_file)
    migrate(c)
    c.execute("INSERT INTO _sqlite_migrations (migration_set, name, applied_at) VALUES ('crm', '9999_future', 'x')")
    with pytest.raises(SchemaTooNew) as err:
        migrate(c)
    assert "9999_future" in str(err.value)
    assert "newer version" in str(err.value)


def test_unwritable_path_gives_a_clear_message(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(DatabaseUnavailable) as err:
        connect(blocker / "crm.db")
    # the person reads a plain sentence; the server path and SQLite's words are for the log and the CLI
    assert "administrator" in err.value.message
    assert str(tmp_path) not in err.value.message and "CRM_DB" not in err.value.message
    assert str(blocker) in str(err.value)


def test_not_a_database_gives_a_clear_message(tmp_path):
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises((DatabaseUnavailable, sqlite3.DatabaseError)):
        c = connect(junk)
        migrate(c)
