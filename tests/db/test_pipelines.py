import pytest

from db.core import records
from db.core.errors import PermissionDenied, ValidationError
from db.crm import deals, pipelines


def test_new_pipeline_has_a_valid_shape(conn, admin):
    pid = pipelines.create_pipeline(conn, "Partners", "sales", admin)
    assert [s["kind"] for s in deals.stages(conn, pid)] == ["open", "won", "lost"]
    with pytest.raises(ValidationError):
        pipelines.create_pipeline(conn, " ", "sales", admin)


def test_stage_edits_keep_an_open_and_a_won_stage(conn, admin):
    pid = pipelines.create_pipeline(conn, "P", "sales", admin)
    stages = deals.stages(conn, pid)
    won = next(s for s in stages if s["kind"] == "won")
    with pytest.raises(ValidationError):
        pipelines.save_stages(conn, pid, [(won, {"kind": "open"})], [], [], admin)
    assert records.get(conn, "stages", won["id"])["kind"] == "won"  # rolled back
    pipelines.save_stages(conn, pid, [(stages[0], {"name": "Qualified", "probability": 0.3})],
                          [{"name": "Demo", "position": 1, "probability": 0.6}], [], admin)
    names = [s["name"] for s in deals.stages(conn, pid)]
    assert "Qualified" in names and "Demo" in names


def test_stage_with_deals_cannot_be_removed_and_bad_probability_is_refused(conn, admin):
    pid = pipelines.create_pipeline(conn, "P", "sales", admin)
    first = deals.stages(conn, pid)[0]
    deals.create(conn, {"pipeline_id": pid, "stage_id": first["id"], "title": "d"}, admin)
    with pytest.raises(ValidationError):
        pipelines.save_stages(conn, pid, [], [], [first], admin)
    with pytest.raises(ValidationError):
        pipelines.save_stages(conn, pid, [(first, {"probability": 1.5})], [], [], admin)


def test_only_admins_change_pipelines(conn, manager):
    with pytest.raises(PermissionDenied):
        pipelines.create_pipeline(conn, "Mine", "sales", manager)


def test_rename_and_reorder_a_pipeline(conn, admin):
    first = pipelines.create_pipeline(conn, "A", "sales", admin)
    second = pipelines.create_pipeline(conn, "B", "recruiting", admin)
    pipelines.update_pipeline(conn, second, 1, "Hiring", 0, admin)
    assert [p["name"] for p in deals.pipelines(conn)][0] == "Hiring"
    with pytest.raises(ValidationError):
        pipelines.update_pipeline(conn, first, 1, "", 5, admin)
