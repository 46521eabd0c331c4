"""Saved views: schema validation, whitelisted SQL, every measure, hostile input, sharing."""

import pytest

from db.core.errors import NotFoundError, ValidationError
from db.crm import views


@pytest.fixture
def data(conn, admin, rep):
    x = conn.execute
    x("INSERT INTO pipelines (id, name) VALUES (1, 'Sales')")
    x("INSERT INTO stages (id, pipeline_id, name, kind, probability) VALUES (1, 1, 'Won', 'won', 1), "
      "(2, 1, 'Lost', 'lost', 0), (3, 1, 'Lead', 'open', 0.5)")
    for stage, amount, owner in [(1, 100, rep.id), (1, 300, rep.id), (2, 50, rep.id), (3, 1000, admin.id)]:
        x("INSERT INTO deals (pipeline_id, stage_id, title, amount, owner_id, created_at) VALUES (1, ?, 'd', ?, ?, "
          "'2026-11-05')", (stage, amount, owner))
    x("INSERT INTO contacts (id, first_name) VALUES (1, 'a')")
    for kind, score in [("csat", 5), ("csat", 2), ("nps", 10), ("nps", 3)]:
        x("INSERT INTO feedback (contact_id, kind, score, responded_at) VALUES (1, ?, ?, '2026-11-01')", (kind, score))
    return conn


def _run(conn, **d):
    return {r["label"]: r["value"] for r in views.run(conn, {"schema": 1, **d})}


def test_every_measure(data):
    # Rep: 100 + 300 won, 50 lost; admin: 1000 open (weighted 500).
    assert _run(data, record="deals", group="owner", measure={"kind": "count"}) == {"Rob Rep": 3, "Ada Admin": 1}
    assert _run(data, record="deals", group="stage", measure={"kind": "sum", "field": "amount"})["Won"] == 400
    assert _run(data, record="deals", group=None, measure={"kind": "avg", "field": "amount"}) == {"all": 362.5}
    assert _run(data, record="deals", group="owner", measure={"kind": "kpi", "field": "win rate"})["Rob Rep"] == \
        pytest.approx(2 / 3)
    assert _run(data, record="deals", measure={"kind": "kpi", "field": "weighted pipeline"}) == {"all": 500}
    # CSAT: 1 of 2 scored 4-5 -> 50 %; NPS: (1 promoter - 1 detractor) / 2 -> 0.
    assert _run(data, record="feedback", measure={"kind": "kpi", "field": "CSAT %"}) == {"all": 50}
    assert _run(data, record="feedback", measure={"kind": "kpi", "field": "NPS"}) == {"all": 0}
    assert _run(data, record="deals", group="month", measure={"kind": "count"}) == {"2026-11": 4}


def test_filters_bind_values_even_hostile_ones(data):
    assert _run(data, record="deals", group="owner", filters=[{"field": "owner", "op": "=", "value": "Rob Rep"}]
                ) == {"Rob Rep": 3}
    hostile = "x' OR 1=1; DROP TABLE deals; --"
    assert _run(data, record="deals", filters=[{"field": "owner", "op": "=", "value": hostile}]) == {"all": 0}
    assert _run(data, record="deals", filters=[{"field": "owner", "op": "contains", "value": "%"}]) == {"all": 0}
    assert data.execute("SELECT COUNT(*) FROM deals").fetchone()[0] == 4


@pytest.mark.parametrize("definition,field", [
    ({"schema": 2, "record": "deals"}, "schema"),
    ({"schema": 1, "record": "users"}, "record"),
    ({"schema": 1, "record": "deals", "group": "password_hash"}, "group"),
    ({"schema": 1, "record": "deals", "filters": [{"field": "r.id; DROP TABLE x", "op": "=", "value": "1"}]},
     "filters"),
    ({"schema": 1, "record": "deals", "filters": [{"field": "owner", "op": "UNION SELECT", "value": "1"}]}, "filters"),
    ({"schema": 1, "record": "deals", "measure": {"kind": "sum", "field": "password_hash"}}, "measure"),
    ({"schema": 1, "record": "contacts", "measure": {"kind": "kpi", "field": "NPS"}}, "measure"),
    ("{not json", "definition"),
])
def test_bad_definitions_are_refused_before_any_sql(data, definition, field):
    with pytest.raises(ValidationError) as err:
        views.run(data, definition) if isinstance(definition, dict) else views.validate(definition)
    assert err.value.field == field


def test_save_share_pin_and_visibility(data, admin, rep):
    mine = views.save(data, "Won by owner", "views", {"schema": 1, "record": "deals", "group": "owner"}, rep,
                      pinned=True)
    shared = views.save(data, "Team", "views", {"schema": 1, "record": "deals"}, admin, shared=True)
    private = views.save(data, "Admin only", "views", {"schema": 1, "record": "deals"}, admin)
    assert {v["id"] for v in views.visible(data, rep.id)} == {mine, shared}
    with pytest.raises(NotFoundError):
        views.get(data, private, rep.id)
    assert [v["name"] for v in views.pinned(data, rep.id)] == ["Won by owner"]
    with pytest.raises(ValidationError):
        views.save(data, "  ", "views", {"schema": 1, "record": "deals"}, rep)


def test_grid_views_keep_only_whitelisted_filter_keys(conn, rep):
    vid = views.save(conn, "My customers", "contacts", {"schema": 1, "filters": {"c_lifecycle": "customer",
                                                                                 "c_mine": True}}, rep, shared=True)
    assert views.get(conn, vid, rep.id)["definition"]["filters"] == {"c_lifecycle": "customer", "c_mine": True}
    for bad in ({"schema": 1, "filters": {"user_id": 1}}, {"schema": 1, "filters": {"c_search": {"$gt": 1}}},
                {"schema": 3, "filters": {}}, {"schema": 1, "filters": {"c_search": "x" * 500}}):
        with pytest.raises(ValidationError):
            views.save(conn, "Bad", "contacts", bad, rep)
    with pytest.raises(ValidationError):
        views.save(conn, "Nope", "users", {"schema": 1, "filters": {}}, rep)


@pytest.mark.parametrize("definition,field", [
    ({"schema": 1, "record": "deals", "limit": -1}, "limit"),  # LIMIT -1 would mean no cap at all
    ({"schema": 1, "record": "deals", "limit": 10**9}, "limit"),
    ({"schema": 1, "record": "deals", "limit": True}, "limit"),
    ({"schema": 0, "record": "deals"}, "schema"),
    ({"schema": True, "record": "deals"}, "schema"),
    ({"schema": 1.5, "record": "deals"}, "schema"),
    ({"schema": 1, "record": "deals", "measure": "sum"}, "measure"),
    ({"schema": 1, "record": "deals", "filters": [{"field": "owner", "op": "=", "value": "x"}] * 10_000}, "filters"),
    ({"schema": 1, "record": "deals", "filters": [{"field": "owner", "op": "=", "value": {"$gt": 1}}]}, "filters"),
    ({"schema": 1, "record": "deals", "display": "<script>"}, "display"),
    ({"schema": 1, "record": "deals", "extra": 1}, "definition"),
])
def test_the_schema_refuses_types_ranges_and_counts(data, definition, field):
    import time

    started = time.perf_counter()
    with pytest.raises(ValidationError) as err:
        views.save(data, "Bad", "views", definition, _actor(data))
    assert err.value.field == field and err.value.key == "views.err_shape"
    assert time.perf_counter() - started < 1
    assert data.execute("SELECT COUNT(*) FROM saved_views").fetchone()[0] == 0


def _actor(conn):
    from db.core.permissions import Actor

    uid, name = conn.execute("SELECT id, name FROM users WHERE role = 'admin'").fetchone()
    return Actor(uid, "admin", name)


def test_the_limit_caps_the_rows(data):
    assert views.to_sql({"schema": 1, "record": "deals", "group": "owner", "limit": 500})[1][-1] == 500
    assert views.to_sql({"schema": 1, "record": "deals", "group": "owner"})[1][-1] == 50
