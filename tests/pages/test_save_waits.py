"""A grid save while someone else holds the write lock (say, an import): it waits with a notice, then saves;
only a wait past the limit fails, with a plain message and no server path."""

from __future__ import annotations

import threading
import time

from db.core import connection, records
from db.core.connection import connect
from tests.apptest import page, texts

GRID = "contacts_grid_0_25"


def _hold_write_lock(path, seconds: float) -> threading.Thread:
    """Another connection (another session's long write) holds the write lock for ``seconds``."""
    taken = threading.Event()

    def hold():
        c = connect(path)
        c.execute("BEGIN IMMEDIATE")
        c.execute("INSERT INTO audit_log (entity, entity_id, action) VALUES ('test', 0, 'hold')")
        taken.set()
        time.sleep(seconds)
        c.execute("COMMIT")
        c.close()

    thread = threading.Thread(target=hold)
    thread.start()
    assert taken.wait(5)
    return thread


def _edited(path):
    first = connect(path).execute("SELECT id FROM contacts WHERE deleted_at IS NULL ORDER BY last_name COLLATE "
                                  "NOCASE, first_name COLLATE NOCASE, id LIMIT 1").fetchone()[0]
    at = page("pages/contacts.py", path, "admin")
    at.run()
    at.session_state[GRID] = {"edited_rows": {0: {"title": "Saved after waiting"}}, "added_rows": [],
                              "deleted_rows": []}
    at.run()
    return at, first


def test_a_save_waits_for_another_write_with_a_notice_not_an_error(seeded):
    path = seeded[0]
    at, first = _edited(path)
    holder = _hold_write_lock(path, 1.0)
    at.button(key="c_save").click().run()
    holder.join()
    assert not at.exception and not at.error
    assert any("Waiting for another change" in str(t.value) for t in at.toast)
    assert records.get(connect(path), "contacts", first)["title"] == "Saved after waiting"


def test_a_save_that_waits_too_long_says_so_plainly(seeded, monkeypatch):
    path = seeded[0]
    at, first = _edited(path)
    monkeypatch.setattr(connection, "BUSY_TIMEOUT_MS", 700)
    holder = _hold_write_lock(path, 2.0)
    at.button(key="c_save").click().run()
    holder.join()
    assert not at.exception
    shown = texts(at)
    assert "still being saved" in shown and "Nothing was saved" in shown
    assert str(path.parent) not in shown and "CRM_DB" not in shown and "locked" not in shown
    assert records.get(connect(path), "contacts", first)["title"] != "Saved after waiting"
