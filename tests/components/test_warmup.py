"""The server's start-up warm-up: it migrates the database and loads what the first page run would, and a
step that fails is logged without stopping the others (the server must still start)."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

from components import warmup
from db.core.connection import connect
from db.core.migrations import known_names

ROOT = Path(__file__).resolve().parent.parent.parent


def _migrations(path) -> int:
    conn = connect(path)
    try:
        return conn.execute("SELECT COUNT(*) FROM _sqlite_migrations").fetchone()[0]
    finally:
        conn.close()


def test_warm_up_migrates_and_loads_without_a_failed_step(tmp_path, monkeypatch, caplog):
    path = tmp_path / "fresh.db"
    monkeypatch.setenv("CRM_DB", str(path))
    with caplog.at_level(logging.ERROR, logger=warmup.__name__):
        took = warmup.warm()
    assert list(took) == list(warmup.STEPS)
    assert not [r for r in caplog.records if r.name == warmup.__name__]
    assert _migrations(path) == len(known_names())


def test_a_failing_step_is_logged_and_the_rest_still_run(tmp_path, monkeypatch, caplog):
    folder = tmp_path / "a-folder.db"
    folder.mkdir()  # not a database file: the migration step cannot open it
    monkeypatch.setenv("CRM_DB", str(folder))
    with caplog.at_level(logging.ERROR, logger=warmup.__name__):
        took = warmup.warm(("database", "languages"))
    assert list(took) == ["database", "languages"]
    failed = [r.getMessage() for r in caplog.records if r.name == warmup.__name__]
    assert failed == ["warm-up step database failed"]


def test_the_calendar_component_is_left_to_a_script_run(tmp_path):
    """Streamlit registers (and serves) a component only when it is declared inside a script run; had the
    warm-up imported streamlit-calendar, every calendar would stay blank (the browser tests caught it)."""
    probe = ("import sys\nfrom components import warmup\nwarmup.warm(('modules',))\n"
             "assert 'components.dashboard' in sys.modules\nprint('streamlit_calendar' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=120,
                          env={**os.environ, "CRM_DB": str(tmp_path / "crm.db")})
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"
