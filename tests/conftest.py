"""Shared fixtures: a fresh real SQLite file per test, migrated or seeded through the real data layer."""

from __future__ import annotations

import shutil
from collections import Counter
from datetime import date
from pathlib import Path

import pytest

from db.core.connection import connect
from db.core.migrations import migrate
from db.core.permissions import Actor
from db.io.seed import seed

ROOT = Path(__file__).resolve().parent.parent
TODAY = date(2026, 11, 23)
# Longest work first. ``--dist loadfile`` hands each file, as one unit, to the next free worker, in collection
# order (pyproject turns off xdist's own reorder, which puts the files with most tests first and so left a
# one-test, one-minute browser file for the very end while the other worker sat idle): the browser and server
# files start first and the many short database files fill the end evenly.
# Within a group the files keep xdist's old order (most tests first): browser files that share the session's
# database on a worker still meet in the order they always did.
FIRST = ("tests/e2e/", "tests/integrations/", "tests/api/", "tests/pages/", "tests/components/")


def pytest_collection_modifyitems(items):
    per_file = Counter(item.nodeid.split("::", 1)[0] for item in items)

    def rank(item) -> tuple[int, int]:
        group = next((i for i, prefix in enumerate(FIRST) if item.nodeid.startswith(prefix)), len(FIRST))
        return group, -per_file[item.nodeid.split("::", 1)[0]]
    items.sort(key=rank)  # stable: each file keeps its own order, and equal files their collection order


@pytest.fixture
def db_file(tmp_path) -> Path:
    return tmp_path / "crm.db"


@pytest.fixture(scope="session")
def _migrated_template(tmp_path_factory) -> Path:
    """One migrated, empty database per test session: hundreds of tests copy it rather than migrate anew."""
    path = tmp_path_factory.mktemp("migrated") / "template.db"
    c = connect(path)
    migrate(c)
    c.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    c.close()
    return path


@pytest.fixture
def conn(db_file, _migrated_template):
    """A migrated, empty database (a copy of the session's template; ``migrate`` then finds nothing to do)."""
    shutil.copy(_migrated_template, db_file)
    c = connect(db_file)
    assert migrate(c) == []
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


@pytest.fixture(scope="session")
def _password_hash() -> str:
    """One argon2 hash for every fixture user (hashing is deliberately slow)."""
    from db.core.users import hash_password

    return hash_password("correct horse battery")


def _person(conn, password_hash: str, email: str, name: str, role: str) -> Actor:
    from db.core import records
    from db.core.permissions import SYSTEM

    uid = records.create(conn, "users", {"email": email, "name": name, "role": role,
                                         "password_hash": password_hash}, SYSTEM)
    return Actor(uid, role, name)


@pytest.fixture
def admin(conn, _password_hash) -> Actor:
    return _person(conn, _password_hash, "admin@test.example", "Ada Admin", "admin")


@pytest.fixture
def rep(conn, _password_hash) -> Actor:
    return _person(conn, _password_hash, "rep@test.example", "Rob Rep", "rep")


@pytest.fixture
def manager(conn, _password_hash) -> Actor:
    return _person(conn, _password_hash, "manager@test.example", "Mia Manager", "manager")
