"""Integration tests over real HTTP: a real server (tests/e2e/harness.py) on a copy of a seeded database, a
tiny receiving web server in the test process, and the real data layer to make and check changes."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest

from db.core.connection import connect
from db.core.permissions import Actor
from db.io.seed import seed
from tests.e2e.harness import Server
from tests.integrations.receiver import Receiver

FAST = {"CRM_WEBHOOK_POLL": "0.2", "CRM_WEBHOOK_RETRY_BASE": "0.5"}  # seconds: retries within a test's patience


@pytest.fixture(scope="session")
def _template(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("integrations") / "template.db"
    conn = connect(path)
    seed(conn, "tiny", 5, date.today())
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    return path


@pytest.fixture
def db_path(tmp_path, _template) -> Path:
    path = tmp_path / "crm.db"
    shutil.copy(_template, path)
    return path


@pytest.fixture
def conn(db_path):
    c = connect(db_path)
    yield c
    c.close()


@pytest.fixture
def admin(conn) -> Actor:
    row = conn.execute("SELECT id, name FROM users WHERE role = 'admin' AND active = 1 ORDER BY id LIMIT 1").fetchone()
    return Actor(row["id"], "admin", row["name"])


class Servers:
    """Start and stop the app's server on one database, as often as a test needs (a restart in between)."""

    def __init__(self, db_path: Path, logs: Path):
        self.db_path, self.logs, self.current, self.runs = db_path, logs, None, 0

    def start(self) -> Server:
        self.runs += 1
        self.current = Server(self.db_path, self.logs / f"server{self.runs}.log", env=FAST)
        return self.current

    def stop(self) -> None:
        if self.current is not None:
            self.current.stop()
            self.current = None

    def log_text(self) -> str:
        return "\n".join(p.read_text() for p in sorted(self.logs.glob("server*.log")))


@pytest.fixture
def servers(db_path, tmp_path):
    logs = tmp_path / "logs"
    logs.mkdir()
    handle = Servers(db_path, logs)
    yield handle
    handle.stop()


@pytest.fixture
def server(servers) -> Server:
    return servers.start()


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()
