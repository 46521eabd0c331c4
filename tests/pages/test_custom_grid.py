"""AppTest of custom fields in the grids: a typed column per visible field (hidden ones absent, locked ones
disabled), inline edits saved through the write path with errors naming the field's label, the "More
filters" area and the sort; the same on the companies grid and the deals list."""

from __future__ import annotations

import json

import pytest

from db.core import fields, records
from db.core.connection import connect
from db.core.permissions import Actor
from db.crm import contacts, custom
from tests.apptest import page, texts, user_id

GRID = "contacts_grid_0_25"


@pytest.fixture
def defined(seeded):
    path = seeded[0]
    c = connect(path)
    admin = Actor(user_id(path, "admin"), "admin")
    spec = [("number", "Seats", {}), ("money", "Budget", {}), ("percent", "Discount", {}), ("date", "Renewal", {}),
            ("datetime", "Last call", {}), ("checkbox", "VIP", {}),
            ("choice", "Tier", {"options": ["Gold", "Silver"]}),
            ("multi_choice", "Likes", {"options": ["Tea", "Coffee"]}), ("url", "Profile", {}),
            ("user", "Engineer", {}), ("company", "Partner", {}), ("text", "Insurer", {}),
            ("money", "Salary", {"view_roles": ["manager"]}), ("number", "Score", {"edit_roles": ["manager"]})]
    made = {label: fields.define(c, "contacts", {"type": kind, "label": label, **extra}, admin)
            for kind, label, extra in spec}
    return path, made


def _columns(at) -> dict:
    return json.loads(at.dataframe[0].proto.columns)


def _first_page(path):
    return contacts.page(connect(path), contacts.Query(), limit=25)[0]


def test_each_visible_field_is_a_typed_column_hidden_ones_absent_locked_ones_disabled(defined):
    path, f = defined
    at = page("pages/contacts.py", path, "rep")
    at.run()
    assert not at.exception
    cols = _columns(at)
    kinds = {label: cols[field.column]["type_config"]["type"] for label, field in f.items() if field.column in cols}
    assert kinds == {"Seats": "number", "Budget": "number", "Discount": "number", "Renewal": "date",
                     "Last call": "datetime", "VIP": "checkbox", "Tier": "selectbox", "Likes": "multiselect",
                     "Profile": "link", "Engineer": "selectbox", "Partner": "text", "Insurer": "text",
                     "Score": "number"}  # Salary: managers only
    assert f["Salary"].column not in at.dataframe[0].proto.column_order
    assert f["Salary"].column not in at.dataframe[0].value.columns  # not even read
    assert cols[f["Score"].column].get("disabled") is True and not cols[f["Seats"].column].get("disabled")
    assert cols[f["Partner"].column].get("disabled") is True  # changed on the record page
    assert cols[f["Tier"].column]["type_config"]["options"] == ["Gold", "Silver"]
    assert cols[f["Seats"].column]["label"] == "Seats"
    assert "€" in cols[f["Budget"].column]["type_config"]["format"]
    assert list(at.dataframe[0].proto.column_order)[-13:] == [f[k].column for k in f if k != "Salary"]
    manager = page("pages/contacts.py", path, "manager")
    manager.run()
    assert f["Salary"].column in _columns(manager)


def test_inline_edit_saves_custom_values_and_a_bad_one_names_the_field(defined):
    path, f = defined
    first = _first_page(path)
    at = page("pages/contacts.py", path, "admin")
    at.run()
    at.session_state[GRID] = {"edited_rows": {0: {f["Seats"].column: 12, f["Likes"].column: ["Coffee", "Tea"],
                                                  f["VIP"].column: True, f["Renewal"].column: "2027-01-31",
                                                  f["Tier"].column: "Gold"}},
                              "added_rows": [], "deleted_rows": []}
    at.run()
    at.button(key="c_save").click().run()
    assert not at.exception
    row = records.get(connect(path), "contacts", first[0]["id"])
    assert row[f["Seats"].column] == 12 and json.loads(row[f["Likes"].column]) == ["Coffee", "Tea"]
    assert row[f["VIP"].column] == 1 and row[f["Renewal"].column] == "2027-01-31" and row[f["Tier"].column] == "Gold"

    at.session_state[GRID] = {"edited_rows": {0: {"title": "Fine"}, 1: {f["Profile"].column: "javascript:x"}},
                              "added_rows": [], "deleted_rows": []}
    at.run()
    at.button(key="c_save").click().run()
    shown = texts(at)
    assert "Row 2" in shown and "not a web address" in shown
    assert records.get(connect(path), "contacts", first[0]["id"])["title"] != "Fine"  # nothing saved
    at.session_state[GRID] = {"edited_rows": {0: {f["Tier"].column: "Bronze"}}, "added_rows": [], "deleted_rows": []}
    at.run()
    at.button(key="c_save").click().run()
    assert "Row 1" in texts(at) and "Tier" in texts(at) and f["Tier"].column not in texts(at)


def test_a_time_is_typed_in_the_persons_zone_and_stored_in_utc(defined):
    path, f = defined
    c = connect(path)
    uid = user_id(path, "admin")
    c.execute("UPDATE users SET timezone = 'Europe/Berlin' WHERE id = ?", (uid,))
    first = _first_page(path)
    at = page("pages/contacts.py", path, "admin")
    at.run()
    at.session_state[GRID] = {"edited_rows": {0: {f["Last call"].column: "2026-07-01T10:30:00"}},
                              "added_rows": [], "deleted_rows": []}
    at.run()
    at.button(key="c_save").click().run()
    assert not at.exception
    assert records.get(c, "contacts", first[0]["id"])[f["Last call"].column] == "2026-07-01 08:30:00"


def test_more_filters_and_sort_on_custom_fields(defined):
    path, f = defined
    c = connect(path)
    admin = Actor(user_id(path, "admin"), "admin")
    rows = _first_page(path)
    for r, tier in zip(rows[:3], ["Gold", "Silver", "Gold"], strict=True):
        records.update(c, "contacts", r["id"], r["version"], {f["Tier"].column: tier}, admin)
    at = page("pages/contacts.py", path, "rep")
    at.run()
    at.multiselect(key=f"c_cf_{f['Tier'].id}").set_value(["Gold"]).run()
    assert not at.exception
    assert sorted(at.dataframe[0].value["id"].tolist()) == sorted([rows[0]["id"], rows[2]["id"]])
    assert "of 2" in texts(at)
    at.multiselect(key=f"c_cf_{f['Tier'].id}").set_value([]).run()
    sort = custom.sort_key(f["Tier"], descending=True)
    assert sort in at.selectbox(key="c_sort").options or "Tier ↓" in at.selectbox(key="c_sort").options
    at.selectbox(key="c_sort").set_value(sort).run()
    gold = sorted([rows[0]["id"], rows[2]["id"]], reverse=True)  # ties by id, the same way
    assert at.dataframe[0].value["id"].tolist()[:3] == [rows[1]["id"], *gold]


def test_companies_grid_and_deals_list_show_and_save_custom_fields(seeded):
    path = seeded[0]
    c = connect(path)
    admin = Actor(user_id(path, "admin"), "admin")
    seats = fields.define(c, "companies", {"type": "number", "label": "Seats"}, admin)
    region = fields.define(c, "deals", {"type": "choice", "label": "Region", "options": ["EU", "US"]}, admin)
    at = page("pages/companies.py", path, "admin")
    at.run()
    assert _columns(at)[seats.column]["label"] == "Seats"
    first = at.dataframe[0].value["id"].tolist()[0]
    at.session_state["companies_grid_0_25"] = {"edited_rows": {0: {seats.column: 40}}, "added_rows": [],
                                               "deleted_rows": []}
    at.run()
    at.button(key="co_save").click().run()
    assert records.get(c, "companies", first)[seats.column] == 40

    at = page("pages/deals.py", path, "admin", state={"d_view": "list"})
    at.run()
    assert not at.exception
    assert _columns(at)[region.column]["type_config"]["options"] == ["EU", "US"]
    deal = at.dataframe[0].value["id"].tolist()[0]
    at.session_state["deals_list_0_25"] = {"edited_rows": {0: {region.column: "EU", "amount": 1234}},
                                           "added_rows": [], "deleted_rows": []}
    at.run()
    at.button(key="d_list_save").click().run()
    assert not at.exception
    saved = records.get(c, "deals", deal)
    assert saved[region.column] == "EU" and saved["amount"] == 1234
    at.multiselect(key=f"d_cf_{region.id}").set_value(["EU"]).run()
    assert at.dataframe[0].value["id"].tolist() == [deal]
