"""AppTest of the admin and audit pages: the grid edit and forms drive the database."""

from db.core.connection import connect
from tests.apptest import page, texts, user_id


def test_admin_edits_a_users_hourly_cost_in_the_grid(seeded):
    path, _ = seeded
    at = page("pages/admin.py", path, "admin")
    at.run()
    assert not at.exception
    c = connect(path)
    rows = c.execute("SELECT id, email FROM users WHERE deleted_at IS NULL ORDER BY name").fetchall()
    rep_index = next(i for i, r in enumerate(rows) if r["email"].startswith("rep"))
    at.session_state["admin_users"] = {"edited_rows": {rep_index: {"hourly_cost": 77.0}}, "added_rows": [],
                                       "deleted_rows": []}
    at.run()
    at.button(key="save_users").click().run()
    assert not at.exception
    assert c.execute("SELECT hourly_cost FROM users WHERE id = ?", (rows[rep_index]["id"],)).fetchone()[0] == 77.0


def test_bad_grid_edit_names_the_row_and_changes_nothing(seeded):
    path, _ = seeded
    at = page("pages/admin.py", path, "admin")
    at.run()
    c = connect(path)
    rows = c.execute("SELECT id, email FROM users WHERE deleted_at IS NULL ORDER BY name").fetchall()
    at.session_state["admin_users"] = {"edited_rows": {0: {"email": "not-an-email"}}, "added_rows": [],
                                       "deleted_rows": []}
    at.run()
    at.button(key="save_users").click().run()
    assert "not a valid email address" in texts(at) and rows[0]["email"] in texts(at)
    assert c.execute("SELECT email FROM users WHERE id = ?", (rows[0]["id"],)).fetchone()[0] == rows[0]["email"]


def test_admin_adds_a_user_who_can_sign_in(seeded):
    path, _ = seeded
    at = page("pages/admin.py", path, "admin")
    at.run()
    form_inputs = [w for w in at.text_input if w.label in ("Name", "Email")]
    form_inputs[0].input("Nina New")
    form_inputs[1].input("nina@example.com")
    next(b for b in at.button if b.label == "Add user").click().run()
    assert not at.exception
    assert "nina@example.com" in texts(at)
    c = connect(path)
    assert c.execute("SELECT role FROM users WHERE email = 'nina@example.com'").fetchone()[0] == "rep"


def test_backup_button_writes_a_backup(seeded):
    path, _ = seeded
    at = page("pages/admin.py", path, "admin")
    at.run()
    at.button(key="backup_now").click().run()
    assert not at.exception
    assert list((path.parent / "backups").glob("crm-*.db"))


def test_audit_page_lists_changes_and_reverts_one(seeded):
    path, _ = seeded
    from db.core import records
    from db.core.permissions import Actor

    c = connect(path)
    admin_id = user_id(path, "admin")
    cid = c.execute("SELECT id FROM contacts ORDER BY id LIMIT 1").fetchone()[0]
    version = c.execute("SELECT version FROM contacts WHERE id = ?", (cid,)).fetchone()[0]
    records.update(c, "contacts", cid, version, {"title": "Chief Tester"}, Actor(admin_id, "admin"))
    at = page("pages/audit.py", path, "admin")
    at.run()
    assert not at.exception
    assert at.dataframe[0].value.shape[0] >= 1
    at.session_state["audit_table"] = {"selection": {"rows": [0], "columns": [], "cells": []}}
    at.run()
    next(b for b in at.button if b.label == "Revert this change").click().run()
    assert not at.exception
    assert c.execute("SELECT title FROM contacts WHERE id = ?", (cid,)).fetchone()[0] != "Chief Tester"


def test_restoring_an_older_backup_on_the_admin_page_leaves_every_page_working(seeded):
    """The reported case: an older-schema backup restored into the running app; the dashboard (deal_cube)
    then read 'no such table' until a restart."""
    import sqlite3

    import sqlite_utils

    from db.core.migrations import migrations

    path, _ = seeded
    folder = path.parent / "backups"
    folder.mkdir()
    old = folder / "crm-20250101-000000-000000.db"
    older = sqlite_utils.Database(sqlite3.connect(old, isolation_level=None))
    migrations.apply(older, stop_before="0016_deal_cube")
    older.conn.execute("INSERT INTO users (email, name, role, password_hash) VALUES ('old@x.example', 'Olga Old', "
                       "'admin', 'x')")
    older.conn.close()
    admin = page("pages/admin.py", path, "admin")
    admin.run()  # this process has migrated the live file now: the memo says "done"
    form_select = next(s for s in admin.selectbox if old.name in s.options)
    form_select.select(old.name)
    next(c for c in admin.checkbox if c.label.startswith("I understand")).check()
    next(b for b in admin.button if b.label == "Restore").click().run()
    assert not admin.exception
    assert "Restored" in texts(admin), texts(admin)
    after = page("pages/dashboard.py", path, "admin")
    after.session_state["user_id"] = connect(path).execute("SELECT id FROM users WHERE name = 'Olga Old'").fetchone()[0]
    after.run()
    assert not after.exception and "error id" not in texts(after)
    assert not [p for p in folder.iterdir() if p.name.endswith(("-wal", "-shm"))]
