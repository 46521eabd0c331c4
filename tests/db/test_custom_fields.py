"""Custom fields through the real write path: every type's valid and invalid values, required, defaults,
unique, roles, archive and restore, choice rename, type changes kept or refused, search."""

from __future__ import annotations

import json

import pytest

from db.core import fields, records
from db.core.errors import NotFoundError, PermissionDenied, ValidationError
from db.crm import contacts


def _contact(conn, actor, **extra) -> int:
    return records.create(conn, "contacts", {"first_name": "Ana", "last_name": "Lee", "lifecycle": "lead", **extra},
                          actor)


VALID = [
    ("text", {}, "  Two  weeks ", "Two  weeks"),
    ("long_text", {}, "line one\r\nline two", "line one\nline two"),
    ("number", {}, "1,250.5", 1250.5),
    ("number", {}, 3, 3),
    ("money", {}, "99.90", 99.9),
    ("percent", {}, "12.5%", 12.5),
    ("date", {}, "2026-12-31", "2026-12-31"),
    ("datetime", {}, "2026-12-01T10:30:00+02:00", "2026-12-01 08:30:00"),
    ("checkbox", {}, "yes", 1),
    ("checkbox", {}, False, 0),
    ("choice", {"options": ["Gold", "Silver"]}, " gold ", "Gold"),
    ("multi_choice", {"options": ["Email", "Phone", "Post"]}, "phone; Email", '["Phone", "Email"]'),
    ("multi_choice", {"options": ["Email", "Phone"]}, ["Email", "Email"], '["Email"]'),
    ("url", {}, "https://example.com/a?b=1", "https://example.com/a?b=1"),
    ("email", {}, "Ana@Example.COM", "ana@example.com"),
    ("phone", {}, "+49 30 1234567", "+49301234567"),
]

INVALID = [
    ("text", {}, "x" * 501, "errors.too_long"),
    ("number", {}, "twelve", "errors.number"),
    ("number", {}, float("nan"), "errors.range"),
    ("number", {}, True, "errors.number"),
    ("date", {}, "31/12/2026x", "errors.day"),
    ("checkbox", {}, "maybe", "custom.err_checkbox"),
    ("choice", {"options": ["Gold", "Silver"]}, "Bronze", "custom.err_choice"),
    ("multi_choice", {"options": ["Email"]}, "Email, Fax", "custom.err_choice"),
    ("url", {}, "javascript:alert(1)", "custom.err_url"),
    ("email", {}, "not-an-email", "errors.email_invalid"),
    ("phone", {}, "call me", "contacts.err_phone"),
    ("user", {}, 999, "contacts.err_choice"),
    ("company", {}, "abc", "contacts.err_choice"),
]


@pytest.mark.parametrize(("kind", "extra", "given", "stored"), VALID)
def test_each_type_stores_a_valid_value_converted(conn, admin, kind, extra, given, stored):
    field = fields.define(conn, "contacts", {"type": kind, "label": "Thing", **extra}, admin)
    cid = _contact(conn, admin, **{field.column: given})
    assert records.get(conn, "contacts", cid)[field.column] == stored


@pytest.mark.parametrize(("kind", "extra", "given", "key"), INVALID)
def test_each_type_refuses_a_bad_value_at_the_field(conn, admin, kind, extra, given, key):
    field = fields.define(conn, "contacts", {"type": kind, "label": "Thing", **extra}, admin)
    with pytest.raises(ValidationError) as err:
        _contact(conn, admin, **{field.column: given})
    assert err.value.key == key and err.value.field == field.column
    assert conn.execute("SELECT COUNT(*) FROM contacts").fetchone()[0] == 0  # nothing half-written


def test_links_to_users_contacts_and_companies(conn, admin):
    company = records.create(conn, "companies", {"name": "Acme"}, admin)
    link_user = fields.define(conn, "deals", {"type": "user", "label": "Engineer"}, admin)
    link_company = fields.define(conn, "contacts", {"type": "company", "label": "Partner"}, admin)
    cid = _contact(conn, admin, **{link_company.column: str(company)})
    assert records.get(conn, "contacts", cid)[link_company.column] == company
    records.soft_delete(conn, "companies", company, admin)
    with pytest.raises(ValidationError):
        _contact(conn, admin, **{link_company.column: company})  # a deleted record is not offered
    assert link_user.column == f"cf_{link_user.id}"


def test_required_default_and_values_kept_on_other_edits(conn, admin):
    notice = fields.define(conn, "contacts", {"type": "number", "label": "Notice period", "required": True}, admin)
    source = fields.define(conn, "contacts", {"type": "choice", "label": "Source", "options": ["Web", "Fair"],
                                              "default": "web"}, admin)
    with pytest.raises(ValidationError) as err:
        _contact(conn, admin)
    assert err.value.field == notice.column and err.value.key == "errors.integrity_required"
    cid = _contact(conn, admin, **{notice.column: 30})
    row = records.get(conn, "contacts", cid)
    assert row[source.column] == "Web"  # the default, as its canonical choice
    saved = records.update(conn, "contacts", cid, row["version"], {"title": "CTO"}, admin)
    assert saved[notice.column] == 30
    with pytest.raises(ValidationError):
        records.update(conn, "contacts", cid, saved["version"], {notice.column: ""}, admin)


def test_unique_values_among_live_records(conn, admin):
    code = fields.define(conn, "companies", {"type": "text", "label": "VAT number", "unique": True}, admin)
    first = records.create(conn, "companies", {"name": "A", code.column: "DE123"}, admin)
    with pytest.raises(ValidationError) as err:
        records.create(conn, "companies", {"name": "B", code.column: "DE123"}, admin)
    assert err.value.key == "errors.integrity_unique"
    records.soft_delete(conn, "companies", first, admin)
    records.create(conn, "companies", {"name": "C", code.column: "DE123"}, admin)  # the deleted one frees it


def test_unique_refused_while_values_repeat(conn, admin):
    city = fields.define(conn, "contacts", {"type": "text", "label": "Branch"}, admin)
    for _ in range(2):
        _contact(conn, admin, **{city.column: "Kyiv"})
    with pytest.raises(ValidationError) as err:
        fields.change(conn, city.id, city.version, {"unique": True}, admin)
    assert err.value.key == "custom.err_not_unique" and err.value.params["n"] == 2
    assert not fields.get(conn, city.id).unique


def test_only_admins_define_fields(conn, manager, rep):
    for actor in (manager, rep):
        with pytest.raises(PermissionDenied):
            fields.define(conn, "contacts", {"type": "text", "label": "X"}, actor)
    assert fields.active(conn, "contacts") == []
    assert "cf_1" not in records.columns(conn, "contacts")  # no column left behind by a refused definition


def test_roles_hide_and_refuse_fields(conn, admin, manager, rep):
    salary = fields.define(conn, "contacts", {"type": "money", "label": "Expected salary",
                                              "view_roles": ["manager"], "edit_roles": ["manager"]}, admin)
    rating = fields.define(conn, "contacts", {"type": "number", "label": "Rating", "edit_roles": ["manager"]}, admin)
    assert [f.key for f in fields.visible(conn, "contacts", rep)] == ["rating"]
    assert fields.editable(conn, "contacts", rep) == []
    cid = _contact(conn, rep)
    row = records.get(conn, "contacts", cid)
    with pytest.raises(PermissionDenied) as err:
        records.update(conn, "contacts", cid, row["version"], {rating.column: 5}, rep)
    assert err.value.params["field"] == rating.column
    records.update(conn, "contacts", cid, row["version"], {salary.column: 5000}, manager)
    shown = fields.strip(conn, "contacts", records.get(conn, "contacts", cid), rep)
    assert salary.column not in shown and rating.column in shown
    assert fields.strip(conn, "contacts", records.get(conn, "contacts", cid), manager)[salary.column] == 5000


def test_archive_keeps_values_and_restore_brings_them_back(conn, admin):
    cid = _contact(conn, admin)
    other = fields.define(conn, "contacts", {"type": "number", "label": "Seats"}, admin)
    records.update(conn, "contacts", cid, 1, {other.column: 12}, admin)
    fields.set_archived(conn, other.id, True, admin)
    assert [f.id for f in fields.active(conn, "contacts")] == []
    assert other.column not in fields.strip(conn, "contacts", records.get(conn, "contacts", cid), admin)
    with pytest.raises(ValidationError) as err:
        records.update(conn, "contacts", cid, 2, {other.column: 13}, admin)
    assert err.value.key == "custom.err_archived"
    fields.set_archived(conn, other.id, False, admin)
    assert records.get(conn, "contacts", cid)[other.column] == 12
    records.update(conn, "contacts", cid, 2, {other.column: 13}, admin)


def test_renaming_a_choice_updates_the_records_and_their_versions(conn, admin):
    tier = fields.define(conn, "contacts", {"type": "choice", "label": "Tier", "options": ["Gold", "Silver"]}, admin)
    tags = fields.define(conn, "contacts", {"type": "multi_choice", "label": "Likes",
                                            "options": ["Tea", "Coffee"]}, admin)
    ids = [_contact(conn, admin, **{tier.column: "Gold", tags.column: ["Tea", "Coffee"]}) for _ in range(3)]
    silver = _contact(conn, admin, **{tier.column: "Silver"})
    assert fields.rename_choice(conn, tier.id, "Gold", "Platinum", admin) == 3
    assert fields.get(conn, tier.id).options == ("Platinum", "Silver")
    for cid in ids:
        row = records.get(conn, "contacts", cid)
        assert row[tier.column] == "Platinum" and row["version"] == 2
    assert records.get(conn, "contacts", silver)[tier.column] == "Silver"
    fields.rename_choice(conn, tags.id, "Tea", "Green tea", admin)
    assert json.loads(records.get(conn, "contacts", ids[0])[tags.column]) == ["Green tea", "Coffee"]
    with pytest.raises(ValidationError):
        fields.rename_choice(conn, tier.id, "Silver", "platinum", admin)  # would merge two choices silently


def test_removing_a_choice_in_use_is_refused(conn, admin):
    tier = fields.define(conn, "contacts", {"type": "choice", "label": "Tier", "options": ["Gold", "Silver"]}, admin)
    _contact(conn, admin, **{tier.column: "Gold"})
    with pytest.raises(ValidationError) as err:
        fields.change(conn, tier.id, tier.version, {"options": ["Silver"]}, admin)
    assert err.value.key == "custom.err_option_used" and err.value.params["n"] == 1
    changed = fields.change(conn, tier.id, tier.version, {"options": ["Gold", "Silver", "Bronze"]}, admin)
    assert changed.options == ("Gold", "Silver", "Bronze")


def test_type_change_converts_values_or_is_refused(conn, admin):
    size = fields.define(conn, "contacts", {"type": "text", "label": "Team size"}, admin)
    a = _contact(conn, admin, **{size.column: "12"})
    b = _contact(conn, admin, **{size.column: "about 40"})
    with pytest.raises(ValidationError) as err:
        fields.change_type(conn, size.id, "number", admin)
    assert err.value.key == "custom.err_type_values" and err.value.params["n"] == 1
    assert err.value.params["value"] == "about 40"
    assert fields.get(conn, size.id).type == "text"  # nothing changed
    row = records.get(conn, "contacts", b)
    records.update(conn, "contacts", b, row["version"], {size.column: "40"}, admin)
    fields.change_type(conn, size.id, "number", admin)
    assert records.get(conn, "contacts", a)[size.column] == 12
    with pytest.raises(ValidationError) as err:
        fields.change_type(conn, size.id, "checkbox", admin)
    assert err.value.key == "custom.err_type_change"


def test_labels_per_language_and_keys(conn, admin):
    field = fields.define(conn, "contacts", {"type": "text", "labels": {"en": "Insurance", "ru": "Страховка"},
                                             "help": {"en": "The insurer's name"}}, admin)
    assert field.label("ru") == "Страховка" and field.label("bg") == "Insurance" and field.key == "insurance"
    again = fields.define(conn, "contacts", {"type": "text", "labels": {"ru": "Страховка"}}, admin)
    assert again.key == "strakhovka"
    third = fields.define(conn, "contacts", {"type": "text", "label": "Insurance"}, admin)
    assert third.key == "insurance_2"
    with pytest.raises(ValidationError) as err:
        fields.define(conn, "contacts", {"type": "text", "label": ""}, admin)
    assert err.value.field == "labels"
    with pytest.raises(ValidationError):
        fields.define(conn, "contacts", {"type": "choice", "label": "Tier", "options": []}, admin)
    with pytest.raises(ValidationError):
        fields.define(conn, "users", {"type": "text", "label": "X"}, admin)


def test_hostile_labels_and_values_stay_text(conn, admin):
    field = fields.define(conn, "contacts", {"type": "text", "label": "![x](http://h/p.png) **b**"}, admin)
    cid = _contact(conn, admin, **{field.column: "'; DROP TABLE contacts; --"})
    assert records.get(conn, "contacts", cid)[field.column] == "'; DROP TABLE contacts; --"
    assert field.key == "x_http_h_p_png_b"


def test_custom_text_is_searchable_and_follows_edits(conn, admin):
    note = fields.define(conn, "contacts", {"type": "text", "label": "Insurer"}, admin)
    cid = _contact(conn, admin, **{note.column: "Allianz Gesundheit"})
    sql = fields.search_ids_sql("contacts")
    assert [r[0] for r in conn.execute(sql, (contacts.fts_query("allianz"),))] == [cid]
    records.update(conn, "contacts", cid, 1, {note.column: "AXA"}, admin)
    assert [r[0] for r in conn.execute(sql, (contacts.fts_query("allianz"),))] == []
    later = fields.define(conn, "contacts", {"type": "text", "label": "Hobby"}, admin)  # triggers rebuilt
    records.update(conn, "contacts", cid, 2, {later.column: "sailing"}, admin)
    assert [r[0] for r in conn.execute(sql, (contacts.fts_query("axa sailing"),))] == [cid]


def test_api_shape_round_trip(conn, admin):
    tier = fields.define(conn, "contacts", {"type": "multi_choice", "label": "Channels", "options": ["A", "B"]}, admin)
    vip = fields.define(conn, "contacts", {"type": "checkbox", "label": "VIP"}, admin)
    given = fields.from_keys(fields.active(conn, "contacts"), {"channels": ["B"], "vip": True})
    cid = _contact(conn, admin, **given)
    out = fields.custom_values(records.get(conn, "contacts", cid), fields.active(conn, "contacts"))
    assert out == {"channels": ["B"], "vip": True}
    with pytest.raises(ValidationError) as err:
        fields.from_keys(fields.active(conn, "contacts"), {"nope": 1})
    assert err.value.field == "nope"
    assert tier.key == "channels" and vip.key == "vip"


def test_bulk_create_applies_the_same_rules(conn, admin):
    from db.io import bulk

    tier = fields.define(conn, "contacts", {"type": "choice", "label": "Tier", "options": ["Gold"],
                                            "required": True}, admin)
    base = {"first_name": "A", "last_name": "B", "lifecycle": "lead"}
    with pytest.raises(ValidationError) as err:
        bulk.create_many(conn, "contacts", [{**base, tier.column: "gold"}, {**base}], admin)
    assert err.value.row == 2 and err.value.field == tier.column
    ids = bulk.create_many(conn, "contacts", [{**base, tier.column: "gold"}], admin)
    assert records.get(conn, "contacts", ids[0])[tier.column] == "Gold"


def test_unknown_field_id_is_not_found(conn):
    with pytest.raises(NotFoundError):
        fields.get(conn, 42)


def test_definition_changes_are_audited_and_locked(conn, admin):
    field = fields.define(conn, "contacts", {"type": "text", "label": "Hobby"}, admin)
    fields.change(conn, field.id, field.version, {"labels": {"en": "Hobbies"}}, admin)
    from db.core.errors import ConflictError
    with pytest.raises(ConflictError):
        fields.change(conn, field.id, field.version, {"labels": {"en": "Stale"}}, admin)
    actions = [h["action"] for h in records.history(conn, "custom_fields", field.id)]
    assert actions == ["update", "create"]
