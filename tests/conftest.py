"""Shared fixtures: a fresh real SQLite file per test, migrated or seeded through the real data layer."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest

from db.connection import connect
from db.migrations import migrate
from db.permissions import Actor
from db.seed import seed

ROOT = Path(__file__).resolve().parent.parent
TODAY = date(2026, 11, 23)


@pytest.fixture
def db_file(tmp_path) -> Path:
    return tmp_path / "crm.db"


@pytest.fixture
def conn(db_file):
    """A migrated, empty database."""
    c = connect(db_file)
    migrate(c)
    yield c
    c.close()


@pytest.fixture(scope="session")
def _seeded_template(tmp_path_factory) -> tuple[Path, dict[str, str]]:
    path = tmp_path_factory.mktemp("seed") / "template.db"
    c = connect(path)
    creds = seed(c, "tiny", 3, TODAY)
    c.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    c.close()
    return path, creds


@pytest.fixture
def seeded(tmp_path, _seeded_template):
    """A copy of a tiny seeded database: (path, credentials)."""
    template, creds = _seeded_template
    path = tmp_path / "seeded.db"
    shutil.copy(template, path)
    return path, creds


@pytest.fixture
def seeded_conn(seeded):
    c = connect(seeded[0])
    yield c
    c.close()


@pytest.fixture
def admin(conn) -> Actor:
    from db.users import create_user

    uid = create_user(conn, email="admin@test.example", name="Ada Admin", role="admin", password="correct horse 1")
    return Actor(uid, "admin", "Ada Admin")


@pytest.fixture
def rep(conn) -> Actor:
    from db.users import create_user

    uid = create_user(conn, email="rep@test.example", name="Rob Rep", role="rep", password="correct horse 2")
    return Actor(uid, "rep", "Rob Rep")


@pytest.fixture
def manager(conn) -> Actor:
    from db.users import create_user

    uid = create_user(conn, email="manager@test.example", name="Mia Manager", role="manager",
                      password="correct horse 3")
    return Actor(uid, "manager", "Mia Manager")
