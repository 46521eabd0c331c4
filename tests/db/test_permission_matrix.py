"""Every role against every kind of write, through the shared write path (not the UI)."""

import pytest

from db.core import records
from db.core.errors import PermissionDenied
from db.core.permissions import SYSTEM, Actor

# table -> a minimal valid row (ids filled in by the fixture)
ROWS = {
    "contacts": lambda ids: {"first_name": "Ana"},
    "companies": lambda ids: {"name": "Acme"},
    "campaigns": lambda ids: {"name": "Spring", "channel": "email"},
    "pipelines": lambda ids: {"name": "P", "kind": "sales"},
    "stages": lambda ids: {"pipeline_id": ids["pipeline"], "name": "S"},
    "deals": lambda ids: {"pipeline_id": ids["pipeline"], "stage_id": ids["stage"], "title": "D"},
    "activities": lambda ids: {"kind": "call", "subject": "Hi"},
    "feedback": lambda ids: {"contact_id": ids["contact"], "kind": "csat", "score": 4,
                             "responded_at": "2026-11-01 10:00:00"},
    "comments": lambda ids: {"entity": "contacts", "entity_id": ids["contact"], "body": "x"},
    "saved_views": lambda ids: {"name": "v", "page": "contacts"},
}
OWNED = {"contacts", "companies", "deals", "activities", "saved_views"}
ADMIN_ONLY = {"pipelines", "stages"}
MANAGERS_UP = {"campaigns"}


def expected(role: str, table: str, own: bool) -> bool:
    if role == "admin":
        return True
    if table in ADMIN_ONLY:
        return False
    if role == "manager":
        return True
    if table in MANAGERS_UP:
        return False
    if table in OWNED:
        return own
    if table == "comments":
        return own
    return True


@pytest.fixture
def world(conn, admin, manager, rep):
    pipeline = records.create(conn, "pipelines", {"name": "Sales", "kind": "sales"}, SYSTEM)
    stage = records.create(conn, "stages", {"pipeline_id": pipeline, "name": "Lead"}, SYSTEM)
    contact = records.create(conn, "contacts", {"first_name": "Base", "owner_id": admin.id}, admin)
    return {"pipeline": pipeline, "stage": stage, "contact": contact}, {"admin": admin, "manager": manager,
                                                                        "rep": rep}


def _make(conn, table, ids, owner: Actor):
    values = ROWS[table](ids)
    if table in OWNED:
        values["owner_id"] = owner.id
    if table == "comments":
        values["author_id"] = owner.id
    return records.create(conn, table, values, SYSTEM)


@pytest.mark.parametrize("table", sorted(ROWS))
@pytest.mark.parametrize("role", ["admin", "manager", "rep"])
@pytest.mark.parametrize("own", [True, False], ids=["own", "others"])
def test_update_and_delete(conn, world, table, role, own):
    ids, people = world
    actor = people[role]
    owner = actor if own else (people["admin"] if role != "admin" else people["manager"])
    record_id = _make(conn, table, ids, owner)
    field = "name" if "name" in records.columns(conn, table) else ("subject" if table == "activities" else None)
    field = field or ("body" if table == "comments" else "score" if table == "feedback" else "title")
    value = 5 if field == "score" else "changed"
    allowed = expected(role, table, own)
    if allowed:
        records.update(conn, table, record_id, 1, {field: value}, actor)
        records.soft_delete(conn, table, record_id, actor)
        assert records.get(conn, table, record_id, include_deleted=True)["deleted_at"]
    else:
        with pytest.raises(PermissionDenied):
            records.update(conn, table, record_id, 1, {field: value}, actor)
        with pytest.raises(PermissionDenied):
            records.soft_delete(conn, table, record_id, actor)
        row = records.get(conn, table, record_id)
        assert row["version"] == 1 and row["deleted_at"] is None


@pytest.mark.parametrize("table", sorted(ROWS))
@pytest.mark.parametrize("role", ["admin", "manager", "rep"])
def test_create(conn, world, table, role):
    ids, people = world
    actor = people[role]
    values = ROWS[table](ids)
    if expected(role, table, own=True):
        new_id = records.create(conn, table, values, actor)
        assert records.get(conn, table, new_id)["updated_by"] == actor.id
    else:
        with pytest.raises(PermissionDenied):
            records.create(conn, table, values, actor)


def test_users_table_is_admin_only(conn, world):
    _, people = world
    for role in ("manager", "rep"):
        with pytest.raises(PermissionDenied):
            records.update(conn, "users", people["rep"].id, 1, {"name": "X"}, people[role])
