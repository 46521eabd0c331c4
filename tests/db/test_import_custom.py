"""Import into custom fields: columns matched by label (any language) or key, values converted by the field's
rules, bad ones at their line and column, nothing in the note; a column becomes a new field in one click
(admins only, type guessed from its values); companies too."""

import csv
import io

import pytest

from db.core import fields, records
from db.core.errors import PermissionDenied
from db.io import importer
from db.io.import_map import NOTE, day_text, guess_mapping, guess_type


def _table(rows):
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return importer.read(out.getvalue().encode(), "c.csv")


def _notes(conn):
    return [r[0] for r in conn.execute("SELECT notes FROM activities WHERE kind = 'note'")]


@pytest.fixture
def custom(conn, admin):
    tier = fields.define(conn, "contacts", {"type": "choice", "labels": {"en": "Tier", "ru": "Уровень"},
                                            "options": ["Gold", "Silver"]}, admin)
    salary = fields.define(conn, "contacts", {"type": "money", "label": "Expected salary"}, admin)
    start = fields.define(conn, "contacts", {"type": "date", "label": "Start date"}, admin)
    return tier, salary, start


def test_columns_match_custom_fields_by_label_in_any_language_or_key(conn, custom):
    assert guess_mapping(["First name", "Уровень", "expected_salary", "Start Date", "Hobby"], "contacts",
                         fields.active(conn, "contacts")) == {
        "First name": "first_name", "Уровень": "cf:tier", "expected_salary": "cf:expected_salary",
        "Start Date": "cf:start_date", "Hobby": NOTE}


def test_values_are_converted_and_bad_ones_flagged_at_their_line(conn, admin, custom):
    tier, salary, start = custom
    table = _table([["First name", "Tier", "Expected salary", "Start date"],
                    ["Ana", " gold ", "1,250.5", "31.12.2026"], ["Bo", "Silver", "900", "2027-01-02"],
                    ["Cy", "Bronze", "lots", "03/04/2026"]])
    mapping = guess_mapping(table.headers, "contacts", importer.mappable_fields(conn, "contacts", admin))
    planned = importer.plan(conn, table, mapping, actor=admin)
    assert [(p.line, p.column) for r in planned.bad for p in r.problems] == [(4, "Tier"), (4, "Expected salary"),
                                                                             (4, "Start date")]
    ana = planned.rows[0].values
    assert (ana[tier.column], ana[salary.column], ana[start.column]) == ("Gold", 1250.5, "2026-12-31")
    assert planned.kept == []
    done = importer.commit(conn, planned, {}, admin, skip_bad=True)
    assert done["created"] == 2 and done["notes"] == 0 and _notes(conn) == []
    stored = conn.execute(f"SELECT {tier.column}, {salary.column} FROM contacts ORDER BY id").fetchall()
    assert [tuple(r) for r in stored] == [("Gold", 1250.5), ("Silver", 900)]


def test_a_required_field_missing_is_a_problem_at_each_row(conn, admin):
    fields.define(conn, "contacts", {"type": "number", "label": "Seats", "required": True}, admin)
    table = _table([["First name", "Seats"], ["Ana", "3"], ["Bo", ""]])
    planned = importer.plan(conn, table, guess_mapping(table.headers, "contacts", fields.active(conn, "contacts")),
                            actor=admin)
    assert [(r.line, r.problems[0].error.key) for r in planned.bad] == [(3, "errors.integrity_required")]


def test_a_rep_cannot_map_to_a_field_they_may_not_change(conn, admin, rep):
    locked = fields.define(conn, "contacts", {"type": "text", "label": "Score", "edit_roles": ["manager"]}, admin)
    assert importer.mappable_fields(conn, "contacts", rep) == []
    table = _table([["First name", "Score"], ["Ana", "A"]])
    with pytest.raises(Exception) as err:
        importer.plan(conn, table, {"First name": "first_name", "Score": "cf:" + locked.key}, actor=rep)
    assert err.value.key == "import.err_custom_target"


@pytest.mark.parametrize(("values", "kind", "options"), [
    (["12", "1,250.5", "-3"], "number", []),
    (["12%", "7.5 %"], "percent", []),
    (["2026-12-31", "31.12.2026", "25/12/2026"], "date", []),
    (["a@x.com", "B@Y.org"], "email", []),
    (["https://x.com", "http://y.org/p"], "url", []),
    (["+49 30 1234567", "+1 (555) 123-4567"], "phone", []),
    (["Gold", "gold ", "Silver", "Gold"], "choice", ["Gold", "Silver"]),
    (["one", "two", "three"], "text", []),  # every value different: not a choice
    (["x" * 600], "long_text", []),
    ([], "text", []),
])
def test_the_type_of_a_new_field_is_guessed_from_the_values(values, kind, options):
    assert guess_type(values) == (kind, options)


def test_ambiguous_dates_are_not_guessed():
    assert day_text("03/04/2026") is None and day_text("13/04/2026") == "2026-04-13"
    assert day_text("04/13/2026") == "2026-04-13" and day_text("31.02.2026") is None


def test_a_column_becomes_a_new_field_in_one_click(conn, admin, manager):
    table = _table([["Name", "Plan", "Seats", "Renewal"], ["Acme", "Pro", "10", "2027-01-31"],
                    ["Beta", "Basic", "3", "2027-02-28"], ["Core", "pro", "", ""]])
    assert importer.guess_field(table, "Plan") == ("choice", ["Pro", "Basic"])
    assert importer.guess_field(table, "Seats") == ("number", [])
    with pytest.raises(PermissionDenied):
        importer.field_from_column(conn, table, "Seats", "companies", "number", manager)
    plan_field = importer.field_from_column(conn, table, "Plan", "companies", "choice", admin)
    seats = importer.field_from_column(conn, table, "Seats", "companies", "number", admin)
    assert plan_field.options == ("Pro", "Basic") and plan_field.label() == "Plan"
    mapping = guess_mapping(table.headers, "companies", importer.mappable_fields(conn, "companies", admin))
    assert mapping == {"Name": "name", "Plan": "cf:plan", "Seats": "cf:seats", "Renewal": NOTE}
    planned = importer.plan(conn, table, mapping, target="companies", actor=admin)
    assert not planned.bad and planned.kept == ["Renewal"]
    importer.commit(conn, planned, {}, admin)
    got = [tuple(r) for r in conn.execute(f"SELECT name, {plan_field.column}, {seats.column} FROM companies "
                                          "ORDER BY id")]
    assert got == [("Acme", "Pro", 10), ("Beta", "Basic", 3), ("Core", "Pro", None)]
    assert _notes(conn) == ["Renewal: 2027-01-31", "Renewal: 2027-02-28"]  # only the column left unmapped


def test_existing_records_are_updated_with_custom_values(conn, admin, custom):
    tier = custom[0]
    cid = records.create(conn, "contacts", {"first_name": "Ana", "email": "ana@x.com", "lifecycle": "lead"}, admin)
    table = _table([["First name", "Email", "Tier"], ["Ana", "ana@x.com", "silver"]])
    planned = importer.plan(conn, table, guess_mapping(table.headers, "contacts", fields.active(conn, "contacts")),
                            actor=admin)
    importer.commit(conn, planned, {2: "update"}, admin)
    assert records.get(conn, "contacts", cid)[tier.column] == "Silver"
