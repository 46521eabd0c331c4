"""Saved views over custom fields: filter, group (choice, checkbox, user, date by month), sum and average,
the schema accepting them, archived and hidden fields left out with a note, hostile keys refused."""

import pytest

from db.core import fields, records
from db.core.errors import ValidationError
from db.crm import views


@pytest.fixture
def deals(conn, admin, manager, rep):
    x = conn.execute
    x("INSERT INTO pipelines (id, name) VALUES (1, 'Sales')")
    x("INSERT INTO stages (id, pipeline_id, name, kind, probability) VALUES (1, 1, 'Lead', 'open', 0.5)")
    tier = fields.define(conn, "deals", {"type": "choice", "label": "Tier", "options": ["Gold", "Silver"]}, admin)
    seats = fields.define(conn, "deals", {"type": "number", "label": "Seats"}, admin)
    vip = fields.define(conn, "deals", {"type": "checkbox", "label": "VIP"}, admin)
    ends = fields.define(conn, "deals", {"type": "date", "label": "Contract end"}, admin)
    engineer = fields.define(conn, "deals", {"type": "user", "label": "Engineer"}, admin)
    secret = fields.define(conn, "deals", {"type": "money", "label": "Margin floor", "view_roles": ["manager"],
                                           "edit_roles": ["manager"]}, admin)
    rows = [("Gold", 10, "yes", "2027-01-15", rep.id, 5), ("Gold", "1,250.5", "no", "2027-01-20", rep.id, 7),
            ("Silver", 3, "yes", "2027-03-01", admin.id, 11), (None, None, None, None, None, None)]
    for t, s, v, e, u, m in rows:
        values = {"pipeline_id": 1, "stage_id": 1, "title": "d", "amount": 100, tier.column: t, seats.column: s,
                  vip.column: v, ends.column: e, engineer.column: u, secret.column: m}
        records.create(conn, "deals", {k: val for k, val in values.items() if val is not None}, admin)
    return {"tier": tier, "seats": seats, "vip": vip, "ends": ends, "engineer": engineer, "secret": secret}


def _run(conn, actor=None, **d):
    return {r["label"]: r["value"] for r in views.run(conn, {"schema": 1, "record": "deals", **d}, actor)}


def test_group_by_a_choice_summing_a_number(conn, deals, manager):
    assert _run(conn, manager, group="cf:tier", measure={"kind": "sum", "field": "cf:seats"}) == \
        {"Gold": 1260.5, "Silver": 3, "—": 0}
    assert _run(conn, manager, group="cf:tier", measure={"kind": "avg", "field": "cf:seats"})["Gold"] == 630.25


def test_group_by_checkbox_user_and_date_month(conn, deals, manager):
    assert _run(conn, manager, group="cf:vip") == {"yes": 2, "no": 2}
    rows = views.run(conn, {"schema": 1, "record": "deals", "group": "cf:vip"}, manager, words=("ja", "nein"))
    assert {r["label"] for r in rows} == {"ja", "nein"}
    assert _run(conn, manager, group="cf:engineer") == {"Rob Rep": 2, "Ada Admin": 1, "—": 1}
    months = views.run(conn, {"schema": 1, "record": "deals", "group": "cf:contract_end"}, manager)
    assert [(r["label"], r["value"]) for r in months] == [("2027-01", 2), ("2027-03", 1), ("—", 1)]


def test_filters_convert_values_by_the_fields_rules(conn, deals, manager):
    assert _run(conn, manager, filters=[{"field": "cf:seats", "op": ">", "value": "5"}]) == {"all": 2}
    assert _run(conn, manager, filters=[{"field": "cf:tier", "op": "=", "value": " gold "}]) == {"all": 2}
    assert _run(conn, manager, filters=[{"field": "cf:vip", "op": "=", "value": "no"}]) == {"all": 2}
    assert _run(conn, manager, filters=[{"field": "cf:contract_end", "op": "<", "value": "2027-02-01"}]) == {"all": 2}
    assert _run(conn, manager, filters=[{"field": "cf:engineer", "op": "=", "value": "Rob Rep"}]) == {"all": 2}
    assert _run(conn, manager, filters=[{"field": "cf:tier", "op": "is empty"}]) == {"all": 1}
    with pytest.raises(ValidationError) as err:
        _run(conn, manager, filters=[{"field": "cf:seats", "op": ">", "value": "many"}])
    assert err.value.key == "views.err_custom_value" and err.value.params["label"] == "Seats"


def test_a_multi_choice_filter_matches_one_of_the_values(conn, admin, manager):
    likes = fields.define(conn, "contacts", {"type": "multi_choice", "label": "Likes", "options": ["Tea", "Coffee"]},
                          admin)
    for given in (["Tea", "Coffee"], ["Coffee"], None):
        records.create(conn, "contacts", {"first_name": "A", "lifecycle": "lead", likes.column: given}, admin)
    run = views.run(conn, {"schema": 1, "record": "contacts", "filters": [
        {"field": "cf:likes", "op": "=", "value": "tea"}]}, manager)
    assert run == [{"label": "all", "value": 1}]
    run = views.run(conn, {"schema": 1, "record": "contacts", "filters": [
        {"field": "cf:likes", "op": "!=", "value": "Tea"}]}, manager)
    assert run == [{"label": "all", "value": 2}]


def test_archived_field_is_left_out_with_a_note(conn, deals, admin, manager):
    definition = {"schema": 1, "record": "deals", "group": "cf:tier", "measure": {"kind": "sum", "field": "cf:seats"},
                  "filters": [{"field": "cf:seats", "op": ">", "value": "5"}]}
    vid = views.save(conn, "Seats by tier", "views", definition, manager, shared=True)
    fields.set_archived(conn, deals["seats"].id, True, admin)
    rows, notes = views.run_noted(conn, views.get(conn, vid, manager.id)["definition"], manager)
    assert {r["label"]: r["value"] for r in rows} == {"Gold": 2, "Silver": 1, "—": 1}  # count, no filter
    assert notes == [("archived", fields.get(conn, deals["seats"].id))]
    fields.set_archived(conn, deals["seats"].id, False, admin)
    assert views.run_noted(conn, definition, manager)[1] == []


def test_a_shared_view_never_shows_a_field_hidden_from_the_viewer(conn, deals, manager, rep):
    definition = {"schema": 1, "record": "deals", "group": "cf:tier",
                  "measure": {"kind": "sum", "field": "cf:margin_floor"}}
    assert _run(conn, manager, **definition) == {"Gold": 12, "Silver": 11, "—": 0}
    rows, notes = views.run_noted(conn, {"schema": 1, **definition}, rep)
    assert {r["label"]: r["value"] for r in rows} == {"Gold": 2, "Silver": 1, "—": 1}
    assert notes == [("hidden", None)]  # not even its name
    assert [f.key for f in views.custom_fields(conn, "deals", rep)] == ["tier", "seats", "vip", "contract_end",
                                                                        "engineer"]


def test_unfit_types_and_unknown_keys(conn, deals, manager):
    rows, notes = views.run_noted(conn, {"schema": 1, "record": "deals", "group": "cf:seats",
                                         "measure": {"kind": "sum", "field": "cf:tier"}}, manager)
    assert rows == [{"label": "all", "value": 4}]
    assert [n[0] for n in notes] == ["group", "measure"]
    rows, notes = views.run_noted(conn, {"schema": 1, "record": "deals", "group": "cf:nope"}, manager)
    assert notes == [("missing", None)] and rows == [{"label": "all", "value": 4}]


@pytest.mark.parametrize("definition,field", [
    ({"schema": 1, "record": "deals", "group": "cf:Tier; DROP"}, "group"),
    ({"schema": 1, "record": "deals", "group": "cf_3"}, "group"),
    ({"schema": 1, "record": "feedback", "group": "cf:tier"}, "group"),
    ({"schema": 1, "record": "deals", "filters": [{"field": "cf:x y", "op": "=", "value": "1"}]}, "filters"),
    ({"schema": 1, "record": "deals", "measure": {"kind": "sum", "field": "cf:" + "a" * 60}}, "measure"),
])
def test_custom_names_are_checked_before_any_sql(conn, definition, field):
    with pytest.raises(ValidationError) as err:
        views.validate(definition)
    assert err.value.field == field


def test_a_list_of_records_with_custom_columns(conn, deals, admin, manager, rep):
    definition = {"schema": 1, "record": "deals", "columns": ["stage", "cf:tier", "cf:seats", "cf:engineer",
                                                              "cf:margin_floor"],
                  "filters": [{"field": "cf:tier", "op": "is empty"}, {"field": "cf:tier", "op": "!=", "value": "x"}]}
    with pytest.raises(ValidationError):
        views.run(conn, definition, manager)  # "x" is not one of the choices: said at the filter
    definition["filters"] = [{"field": "cf:seats", "op": ">", "value": "0"}]
    rows = views.run(conn, definition, manager)
    assert [(r["label"], r["cf:tier"], r["cf:seats"], r["cf:engineer"], r["cf:margin_floor"]) for r in rows] == [
        ("d", "Silver", 3, "Ada Admin", 11), ("d", "Gold", 1250.5, "Rob Rep", 7), ("d", "Gold", 10, "Rob Rep", 5)]
    rows, notes = views.run_noted(conn, definition, rep)
    assert "cf:margin_floor" not in rows[0] and notes == [("hidden", None)]
    fields.set_archived(conn, deals["seats"].id, True, admin)
    rows, notes = views.run_noted(conn, definition, manager)
    assert len(rows) == 4 and "cf:seats" not in rows[0] and notes[0][0] == "archived"
    with pytest.raises(ValidationError) as err:
        views.validate({**definition, "columns": ["password_hash"]})
    assert err.value.field == "columns"
    with pytest.raises(ValidationError) as err:
        views.validate({**definition, "columns": ["owner"] * 13})
    assert err.value.field == "columns"


def test_grid_views_keep_custom_field_filter_widgets(conn, rep):
    vid = views.save(conn, "Gold customers", "contacts", {"schema": 1, "filters": {
        "c_lifecycle": "customer", "c_cf_tier": ["Gold"], "c_cf_seats_min": 5}}, rep, shared=True)
    assert views.get(conn, vid, rep.id)["definition"]["filters"] == {"c_lifecycle": "customer", "c_cf_tier": ["Gold"],
                                                                     "c_cf_seats_min": 5}
    for bad in ({"c_cf_Tier; DROP": 1}, {"co_cf_tier": "x"}, {f"c_cf_f{i}": 1 for i in range(40)},
                {"c_cf_tier": {"$gt": 1}}):
        with pytest.raises(ValidationError):
            views.save(conn, "Bad", "contacts", {"schema": 1, "filters": bad}, rep)
    assert views.grid_custom_key("calendar") is None
