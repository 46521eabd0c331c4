"""The shared write path: optimistic locking, audit in the same transaction, soft delete, permissions."""

import json

import pytest

from db.core import records
from db.core.connection import write
from db.core.errors import ConflictError, NotFoundError, PermissionDenied, ValidationError


def _audit(conn, entity, entity_id):
    return [dict(r) for r in conn.execute(
        "SELECT * FROM audit_log WHERE entity = ? AND entity_id = ? ORDER BY id", (entity, entity_id))]


def test_create_writes_the_row_and_an_audit_row(conn, admin):
    cid = records.create(conn, "contacts", {"first_name": "Ana", "last_name": "Lima"}, admin)
    row = records.get(conn, "contacts", cid)
    assert (row["first_name"], row["version"], row["updated_by"], row["owner_id"]) == ("Ana", 1, admin.id, admin.id)
    (entry,) = _audit(conn, "contacts", cid)
    assert entry["action"] == "create" and entry["user_id"] == admin.id
    assert json.loads(entry["after"])["first_name"] == "Ana"


def test_update_bumps_version_and_audits_before_and_after(conn, admin):
    cid = records.create(conn, "contacts", {"first_name": "Ana"}, admin)
    row = records.update(conn, "contacts", cid, 1, {"first_name": "Anna", "title": "CEO"}, admin)
    assert (row["first_name"], row["title"], row["version"]) == ("Anna", "CEO", 2)
    entry = _audit(conn, "contacts", cid)[-1]
    assert json.loads(entry["before"]) == {"first_name": "Ana", "title": None}
    assert json.loads(entry["after"]) == {"first_name": "Anna", "title": "CEO", "version": 2}


def test_stale_write_is_refused_names_who_and_changes_nothing(conn, admin, manager):
    cid = records.create(conn, "contacts", {"first_name": "Ana", "title": "CTO"}, admin)
    records.update(conn, "contacts", cid, 1, {"title": "CEO"}, manager)
    audit_before = len(_audit(conn, "contacts", cid))
    with pytest.raises(ConflictError) as err:
        records.update(conn, "contacts", cid, 1, {"first_name": "Anastasia"}, admin)
    assert err.value.changed == ["title"]
    assert "Mia Manager" in str(err.value) and "title" in str(err.value)
    assert err.value.current["title"] == "CEO"
    row = records.get(conn, "contacts", cid)
    assert (row["first_name"], row["title"], row["version"]) == ("Ana", "CEO", 2)
    assert len(_audit(conn, "contacts", cid)) == audit_before


def test_an_update_that_changes_nothing_writes_nothing(conn, admin):
    cid = records.create(conn, "contacts", {"first_name": "Ana"}, admin)
    row = records.update(conn, "contacts", cid, 1, {"first_name": "Ana"}, admin)
    assert row["version"] == 1
    assert len(_audit(conn, "contacts", cid)) == 1


def test_soft_delete_hides_and_restore_brings_back(conn, admin):
    cid = records.create(conn, "contacts", {"first_name": "Ana"}, admin)
    records.soft_delete(conn, "contacts", cid, admin)
    with pytest.raises(NotFoundError):
        records.get(conn, "contacts", cid)
    assert records.get(conn, "contacts", cid, include_deleted=True)["deleted_at"]
    records.restore(conn, "contacts", cid, admin)
    assert records.get(conn, "contacts", cid)["deleted_at"] is None
    assert [e["action"] for e in _audit(conn, "contacts", cid)] == ["create", "delete", "restore"]


def test_delete_with_stale_version_is_refused(conn, admin):
    cid = records.create(conn, "contacts", {"first_name": "Ana"}, admin)
    records.update(conn, "contacts", cid, 1, {"first_name": "Anna"}, admin)
    with pytest.raises(ConflictError):
        records.soft_delete(conn, "contacts", cid, admin, version=1)
    assert records.get(conn, "contacts", cid)["deleted_at"] is None


@pytest.mark.parametrize("values", [
    {"first_name": "Ana", "is_admin": 1},
    {"first_name": "Ana", "id; DROP TABLE contacts": 1},
])
def test_unknown_fields_are_refused(conn, admin, values):
    with pytest.raises(ValidationError):
        records.create(conn, "contacts", values, admin)
    assert conn.execute("SELECT COUNT(*) FROM contacts").fetchone()[0] == 0


def test_tables_outside_the_whitelist_are_refused(conn, admin):
    with pytest.raises(ValueError):
        records.create(conn, "sqlite_master", {"name": "x"}, admin)
    with pytest.raises(ValueError):
        records.create(conn, "audit_log", {"action": "x"}, admin)


def test_hostile_text_is_stored_verbatim(conn, admin):
    hostile = "Robert'); DROP TABLE contacts;-- <script>alert(1)</script> 🙂 שלום"
    cid = records.create(conn, "contacts", {"first_name": hostile}, admin)
    assert records.get(conn, "contacts", cid)["first_name"] == hostile
    assert conn.execute("SELECT COUNT(*) FROM contacts").fetchone()[0] == 1


def test_a_failing_step_rolls_back_the_whole_transaction(conn, admin):
    with pytest.raises(RuntimeError), write(conn):
        records.create(conn, "contacts", {"first_name": "One"}, admin)
        records.create(conn, "contacts", {"first_name": "Two"}, admin)
        raise RuntimeError("boom")
    assert conn.execute("SELECT COUNT(*) FROM contacts").fetchone()[0] == 0
    assert conn.execute("SELECT COUNT(*) FROM audit_log WHERE entity = 'contacts'").fetchone()[0] == 0


def test_constraint_violation_is_a_validation_error(conn, admin):
    with pytest.raises(ValidationError):
        records.create(conn, "contacts", {"first_name": "Ana", "lifecycle": "zombie"}, admin)


def test_rep_cannot_edit_someone_elses_record(conn, admin, rep):
    cid = records.create(conn, "contacts", {"first_name": "Ana", "owner_id": admin.id}, admin)
    with pytest.raises(PermissionDenied):
        records.update(conn, "contacts", cid, 1, {"first_name": "Hacked"}, rep)
    with pytest.raises(PermissionDenied):
        records.soft_delete(conn, "contacts", cid, rep)
    assert records.get(conn, "contacts", cid)["first_name"] == "Ana"


def test_rep_cannot_give_away_or_take_records(conn, admin, rep):
    own = records.create(conn, "contacts", {"first_name": "Mine"}, rep)
    assert records.get(conn, "contacts", own)["owner_id"] == rep.id
    with pytest.raises(PermissionDenied):
        records.create(conn, "contacts", {"first_name": "Theirs", "owner_id": admin.id}, rep)
    with pytest.raises(PermissionDenied):
        records.update(conn, "contacts", own, 1, {"owner_id": admin.id}, rep)


def test_manager_edits_any_record_but_not_users(conn, admin, manager):
    cid = records.create(conn, "contacts", {"first_name": "Ana", "owner_id": admin.id}, admin)
    records.update(conn, "contacts", cid, 1, {"title": "CEO"}, manager)
    with pytest.raises(PermissionDenied):
        records.update(conn, "users", admin.id, 1, {"name": "Evil"}, manager)


def test_history_lists_changes_newest_first_with_names(conn, admin):
    cid = records.create(conn, "contacts", {"first_name": "Ana"}, admin)
    records.update(conn, "contacts", cid, 1, {"first_name": "Anna"}, admin)
    hist = records.history(conn, "contacts", cid)
    assert [h["action"] for h in hist] == ["update", "create"]
    assert hist[0]["who"] == "Ada Admin" and hist[0]["after"]["first_name"] == "Anna"
