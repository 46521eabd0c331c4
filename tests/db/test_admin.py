"""Admin data rules: user edits, settings lists, audit revert/restore, backups."""

import sqlite3

import pytest

from db.core import audit, records, settings, users
from db.core.errors import ConflictError, PermissionDenied, ValidationError
from db.io import backup


def test_admin_edits_a_user_and_deactivation_ends_sessions(conn, admin, rep):
    token = users.create_session(conn, rep.id)
    row = users.update_user(conn, rep.id, 1, {"hourly_cost": "55.5", "active": False}, admin)
    assert (row["hourly_cost"], row["active"]) == (55.5, 0)
    assert users.session_user(conn, token) is None


@pytest.mark.parametrize("changes,field", [
    ({"role": "god"}, "role"), ({"hourly_cost": "lots"}, "hourly_cost"), ({"hourly_cost": -1}, "hourly_cost"),
    ({"email": "nope"}, "email"), ({"email": "admin@test.example"}, "email"), ({"password_hash": "x"}, "password_hash"),
])
def test_bad_user_edits_are_refused(conn, admin, rep, changes, field):
    with pytest.raises(ValidationError) as err:
        users.update_user(conn, rep.id, 1, changes, admin)
    assert err.value.field == field
    assert users.get_user(conn, rep.id)["role"] == "rep"


def test_admin_cannot_lock_themselves_out(conn, admin):
    with pytest.raises(ValidationError):
        users.update_user(conn, admin.id, 1, {"role": "rep"}, admin)


def test_only_admins_edit_users_and_settings(conn, manager, rep):
    with pytest.raises(PermissionDenied):
        users.update_user(conn, rep.id, 1, {"name": "X"}, manager)
    with pytest.raises(PermissionDenied):
        settings.set_value(conn, "tags", ["a"], manager)
    with pytest.raises(PermissionDenied):
        users.reset_password(conn, rep.id, rep)


def test_reset_password_gives_a_working_one_and_audits_without_the_hash(conn, admin, rep):
    password = users.reset_password(conn, rep.id, admin)
    assert users.authenticate(conn, "rep@test.example", password)["id"] == rep.id
    logged = conn.execute("SELECT before, after FROM audit_log WHERE entity = 'users'").fetchall()
    assert all("argon2" not in (r[0] or "") + (r[1] or "") for r in logged)


def test_lists_are_cleaned_deduplicated_and_audited(conn, admin):
    settings.set_value(conn, "tags", ["  vip ", "VIP", "", "new   tag", "<b>x</b>"], admin)
    assert settings.get(conn, "tags") == ["vip", "new tag", "<b>x</b>"]
    assert conn.execute("SELECT COUNT(*) FROM audit_log WHERE entity = 'settings'").fetchone()[0] == 1
    with pytest.raises(ValidationError):
        settings.set_value(conn, "tags", ["x" * 61], admin)
    with pytest.raises(ValidationError):
        settings.set_value(conn, "currency", "XYZ", admin)
    assert settings.get(conn, "currency") == "EUR"


def test_revert_puts_back_the_old_value_once(conn, admin):
    cid = records.create(conn, "contacts", {"first_name": "Ana", "title": "CTO"}, admin)
    records.update(conn, "contacts", cid, 1, {"title": "CEO"}, admin)
    entry = audit.search(conn, entity="contacts", action="update")[0]
    audit.revert(conn, entry["id"], admin)
    assert records.get(conn, "contacts", cid)["title"] == "CTO"
    with pytest.raises(ConflictError):
        audit.revert(conn, entry["id"], admin)  # the field moved on since: no silent overwrite


def test_restore_from_the_audit_log(conn, admin):
    cid = records.create(conn, "contacts", {"first_name": "Ana"}, admin)
    records.soft_delete(conn, "contacts", cid, admin)
    entry = audit.search(conn, entity="contacts", action="delete")[0]
    audit.restore(conn, entry["entity"], entry["entity_id"], admin)
    assert records.get(conn, "contacts", cid)["deleted_at"] is None


def test_audit_search_filters(conn, admin, rep):
    records.create(conn, "contacts", {"first_name": "A"}, admin)
    records.create(conn, "contacts", {"first_name": "B"}, rep)
    assert {e["who"] for e in audit.search(conn, entity="contacts", user_id=rep.id)} == {"Rob Rep"}
    assert audit.search(conn, entity="contacts'; DROP TABLE users;--") == []
    assert conn.execute("SELECT COUNT(*) FROM users").fetchone()[0] == 2


def test_backup_and_restore_round_trip(conn, admin, tmp_path):
    cid = records.create(conn, "contacts", {"first_name": "Before"}, admin)
    made = backup.create(conn, tmp_path / "b", admin)
    records.update(conn, "contacts", cid, 1, {"first_name": "After"}, admin)
    safety = backup.restore(conn, made, tmp_path / "b", admin)
    assert records.get(conn, "contacts", cid)["first_name"] == "Before"
    check = sqlite3.connect(safety)
    assert check.execute("SELECT first_name FROM contacts WHERE id = ?", (cid,)).fetchone()[0] == "After"


def test_restore_refuses_a_damaged_file(conn, admin, tmp_path):
    records.create(conn, "contacts", {"first_name": "Keep"}, admin)
    bad = tmp_path / "crm-20260101-000000.db"
    bad.write_bytes(b"SQLite format 3\x00" + b"\x00" * 200)
    with pytest.raises(ValidationError):
        backup.restore(conn, bad, tmp_path, admin)
    other = tmp_path / "other.db"
    sqlite3.connect(other).execute("CREATE TABLE x (y)")
    with pytest.raises(ValidationError):
        backup.restore(conn, other, tmp_path, admin)
    assert conn.execute("SELECT first_name FROM contacts").fetchone()[0] == "Keep"


def test_prune_keeps_the_newest_days(tmp_path):
    for name in ("crm-20261120-010000.db", "crm-20261121-010000.db", "crm-20261121-230000.db",
                 "crm-20261122-010000.db", "crm-20261123-010000.db"):
        (tmp_path / name).write_bytes(b"x")
    backup.prune(tmp_path, keep=3)
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "crm-20261121-010000.db", "crm-20261121-230000.db", "crm-20261122-010000.db", "crm-20261123-010000.db"]


def test_backup_cli(seeded, tmp_path, capsys):
    path, _ = seeded
    assert backup.main(["create", "--db", str(path), "--dir", str(tmp_path)]) == 0
    assert backup.main(["list", "--dir", str(tmp_path)]) == 0
    assert "crm-" in capsys.readouterr().out
