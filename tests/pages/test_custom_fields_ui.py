"""AppTest of custom fields in the UI: the admin's Fields tab (add every type, edit, reorder, archive and
restore, rename a choice, a refused type change), the record forms (filled, hidden, read-only, required
with its label in the message, a conflict) and the history's labels. The New dialogs are tested in the browser
(tests/e2e/test_custom_fields_admin.py): AppTest does not keep a dialog open across runs."""

from __future__ import annotations

import json

import pytest

from db.core import fields, records
from db.core.connection import connect
from db.core.permissions import Actor
from tests.apptest import page, texts, user_id

CHOICES = ("choice", "multi_choice")


def _admin(path) -> Actor:
    return Actor(user_id(path, "admin"), "admin", "Admin")


def _fields_tab(path, lang: str = "en"):
    c = connect(path)
    c.execute("UPDATE users SET language = ? WHERE role = 'admin'", (lang,))
    at = page("pages/admin.py", path, "admin")
    at.run()
    assert not at.exception, at.exception
    return at


def _button(at, key):
    return at.button(key=key)


def test_admin_adds_a_field_of_every_type(seeded):
    path = seeded[0]
    at = _fields_tab(path)
    at.segmented_control(key="cfa_entity").set_value("deals").run()
    for kind in fields.TYPES:
        at.selectbox(key="cfa_add_type").set_value(kind).run()
        at.text_input(key="cfa_add_label_en").input(f"My {kind}")
        if kind in CHOICES:
            at.text_area(key="cfa_add_options").input("Gold\nSilver")
        at.run()
        _button(at, "cfa_add_go").click().run()
        assert not at.exception, at.exception
        assert f"Field “My {kind}” added." in texts(at)
        assert at.text_input(key="cfa_add_label_en").value == ""  # the form starts afresh
    made = fields.active(connect(path), "deals")
    assert [f.type for f in made] == list(fields.TYPES)
    assert [f.label("en") for f in made] == [f"My {k}" for k in fields.TYPES]
    assert made[fields.TYPES.index("choice")].options == ("Gold", "Silver")
    listed = next(d.value for d in at.dataframe if "Type" in d.value.columns)
    assert list(listed["Type"])[:3] == ["text", "long text", "number"]


def test_add_with_labels_rules_roles_and_a_default(seeded):
    path = seeded[0]
    at = _fields_tab(path)
    at.selectbox(key="cfa_add_type").set_value("choice").run()
    at.text_input(key="cfa_add_label_en").input("Tier")
    at.text_input(key="cfa_add_label_ru").input("Уровень")
    at.text_input(key="cfa_add_section").input("Account")
    at.checkbox(key="cfa_add_required").check()
    at.text_area(key="cfa_add_options").input("Gold\nSilver\nBronze")
    at.run()
    next(s for s in at.selectbox if s.label == "Default value").set_value("Silver")
    at.multiselect(key="cfa_add_edit").set_value(["manager"])
    at.run()
    _button(at, "cfa_add_go").click().run()
    assert not at.exception
    field = fields.active(connect(path), "contacts")[0]
    assert (field.labels, field.section, field.required, field.default) == (
        {"en": "Tier", "ru": "Уровень"}, "Account", True, "Silver")
    assert field.view_roles == ("admin", "manager", "rep") and field.edit_roles == ("admin", "manager")


def test_a_refused_add_keeps_the_input_and_says_why_at_the_field(seeded):
    path = seeded[0]
    at = _fields_tab(path)
    at.selectbox(key="cfa_add_type").set_value("choice").run()
    at.text_input(key="cfa_add_label_en").input("Tier")
    _button(at, "cfa_add_go").click().run()
    assert not at.exception
    assert "Give at least one choice, one per line." in texts(at)
    assert at.text_input(key="cfa_add_label_en").value == "Tier"
    assert fields.active(connect(path), "contacts") == []


def test_edit_reorder_archive_and_restore(seeded):
    path = seeded[0]
    c = connect(path)
    admin = _admin(path)
    first = fields.define(c, "contacts", {"type": "text", "label": "Hobby"}, admin)
    second = fields.define(c, "contacts", {"type": "number", "label": "Seats"}, admin)
    cid = c.execute("SELECT id, version FROM contacts WHERE deleted_at IS NULL LIMIT 1").fetchone()
    records.update(c, "contacts", cid[0], cid[1], {second.column: 12}, admin)
    at = _fields_tab(path)
    at.selectbox(key="cfa_pick_contacts").set_value(second.id).run()
    _button(at, "cfa_up").click().run()
    assert [f.id for f in fields.active(c, "contacts")] == [second.id, first.id]
    at.text_input(key=f"cfa_edit_{second.id}_{fields.get(c, second.id).version}_label_en").input("Licences")
    _button(at, "cfa_save").click().run()
    assert not at.exception
    assert fields.get(c, second.id).label("en") == "Licences" and "Field “Licences” saved." in texts(at)
    _button(at, "cfa_archive").click().run()
    assert fields.get(c, second.id).archived and "archived" in texts(at)
    assert [f.id for f in fields.active(c, "contacts")] == [first.id]
    _button(at, "cfa_restore").click().run()
    assert not fields.get(c, second.id).archived
    assert records.get(c, "contacts", cid[0])[second.column] == 12  # the values came back


def test_rename_a_choice_says_how_many_records_changed(seeded):
    path = seeded[0]
    c = connect(path)
    admin = _admin(path)
    tier = fields.define(c, "deals", {"type": "choice", "label": "Tier", "options": ["Gold", "Silver"]}, admin)
    for deal_id, version in c.execute("SELECT id, version FROM deals WHERE deleted_at IS NULL LIMIT 3").fetchall():
        records.update(c, "deals", deal_id, version, {tier.column: "Gold"}, admin)
    at = _fields_tab(path)
    at.segmented_control(key="cfa_entity").set_value("deals").run()
    at.selectbox(key=f"cfa_rename_old_{tier.id}").set_value("Gold")
    at.text_input(key=f"cfa_rename_new_{tier.id}").input("Platinum")
    _button(at, "cfa_rename_go").click().run()
    assert not at.exception
    assert "Choice renamed: 3 records changed." in texts(at)
    assert c.execute(f"SELECT COUNT(*) FROM deals WHERE {tier.column} = 'Platinum'").fetchone()[0] == 3


def test_a_type_change_that_does_not_fit_is_refused_with_the_reason(seeded):
    path = seeded[0]
    c = connect(path)
    admin = _admin(path)
    size = fields.define(c, "contacts", {"type": "text", "label": "Team size"}, admin)
    rows = c.execute("SELECT id, version FROM contacts WHERE deleted_at IS NULL LIMIT 2").fetchall()
    records.update(c, "contacts", rows[0][0], rows[0][1], {size.column: "12"}, admin)
    records.update(c, "contacts", rows[1][0], rows[1][1], {size.column: "about 40"}, admin)
    at = _fields_tab(path)
    at.selectbox(key=f"cfa_type_{size.id}").set_value("number")
    _button(at, "cfa_type_go").click().run()
    assert not at.exception
    assert "1 record has a value that is not a number, e.g. 'about 40'; change it first." in texts(at)
    assert fields.get(c, size.id).type == "text"
    row = c.execute("SELECT version FROM contacts WHERE id = ?", (rows[1][0],)).fetchone()
    records.update(c, "contacts", rows[1][0], row[0], {size.column: "40"}, admin)
    at.run()
    _button(at, "cfa_type_go").click().run()
    assert fields.get(c, size.id).type == "number" and "is now a number field" in texts(at)
    assert records.get(c, "contacts", rows[0][0])[size.column] == 12


def test_the_fields_tab_in_russian(seeded):
    at = _fields_tab(seeded[0], "ru")
    assert "Поля" in [t.label for t in at.tabs]
    assert "несколько вариантов" in at.selectbox(key="cfa_add_type").options


def _rep_deal(path):
    rep = user_id(path, "rep")
    return connect(path).execute("SELECT id FROM deals WHERE owner_id = ? AND deleted_at IS NULL ORDER BY id LIMIT 1",
                                 (rep,)).fetchone()[0]


def test_a_rep_fills_custom_fields_on_the_deal_form(seeded):
    path = seeded[0]
    c = connect(path)
    admin = _admin(path)
    tier = fields.define(c, "deals", {"type": "choice", "label": "Tier", "options": ["Gold", "Silver"],
                                      "section": "Account"}, admin)
    seats = fields.define(c, "deals", {"type": "number", "label": "Seats"}, admin)
    secret = fields.define(c, "deals", {"type": "money", "label": "Floor price", "view_roles": ["manager"]}, admin)
    fixed = fields.define(c, "deals", {"type": "text", "label": "Contract no", "edit_roles": ["manager"]}, admin)
    deal_id = _rep_deal(path)
    at = page("pages/deals.py", path, "rep", query={"id": deal_id})
    at.run()
    assert not at.exception, at.exception
    key = f"deal_{deal_id}"
    assert "Floor price" not in texts(at) and not [w for w in at.number_input if "Floor price" in w.label]
    assert at.text_input(key=f"{key}_{fixed.column}").disabled
    assert "Account" in texts(at)  # the section's heading
    at.selectbox(key=f"{key}_{tier.column}").set_value("Silver")
    at.number_input(key=f"{key}_{seats.column}").set_value(25)
    at.button(key=f"{key}_save").click().run()
    assert not at.exception, at.exception
    row = records.get(c, "deals", deal_id)
    assert (row[tier.column], row[seats.column], row[secret.column], row[fixed.column]) == ("Silver", 25, None, None)
    assert "Saved." in texts(at)
    assert at.selectbox(key=f"{key}_{tier.column}").value == "Silver"


def test_a_required_field_left_empty_is_named_by_its_label_at_the_field(seeded):
    path = seeded[0]
    c = connect(path)
    admin = _admin(path)
    licence = fields.define(c, "contacts", {"type": "text", "labels": {"en": "Licence no", "ru": "Лицензия"}}, admin)
    cid = c.execute("SELECT id, version FROM contacts WHERE deleted_at IS NULL ORDER BY id LIMIT 1").fetchone()
    records.update(c, "contacts", cid[0], cid[1], {licence.column: "L-1"}, admin)
    fields.change(c, licence.id, licence.version, {"required": True}, admin)
    at = page("pages/contacts.py", path, "admin", query={"id": cid[0]})
    at.run()
    key = f"details_{cid[0]}"
    assert at.text_input(key=f"{key}_{licence.column}").label == "Licence no \\*"
    at.text_input(key=f"{key}_{licence.column}").input("")
    at.text_input(key=f"{key}_title").input("Buyer")
    at.button(key=f"{key}_save").click().run()
    assert not at.exception
    assert "Licence no is required." in texts(at) and "cf_" not in texts(at)  # named by its label
    assert at.text_input(key=f"{key}_title").value == "Buyer"  # nothing lost
    assert records.get(c, "contacts", cid[0])["title"] != "Buyer"


def test_a_save_over_someone_elses_change_is_a_conflict_and_keeps_the_input(seeded):
    path = seeded[0]
    c = connect(path)
    admin = _admin(path)
    seats = fields.define(c, "companies", {"type": "number", "label": "Seats"}, admin)
    company = c.execute("SELECT id FROM companies WHERE deleted_at IS NULL ORDER BY id LIMIT 1").fetchone()[0]
    at = page("pages/companies.py", path, "admin", query={"id": company})
    at.run()
    key = f"co_details_{company}"
    row = records.get(c, "companies", company)
    records.update(c, "companies", company, row["version"], {"city": "Elsewhere"}, admin)  # someone else
    at.number_input(key=f"{key}_{seats.column}").set_value(7)
    at.button(key=f"{key}_save").click().run()
    assert "changed this record" in texts(at)
    assert at.number_input(key=f"{key}_{seats.column}").value == 7
    at.button(key=f"{key}_save").click().run()  # saved again: only this person's change is sent
    row = records.get(c, "companies", company)
    assert (row[seats.column], row["city"]) == (7, "Elsewhere")


def test_history_shows_labels_names_and_choices(seeded):
    path = seeded[0]
    c = connect(path)
    admin = _admin(path)
    partner = fields.define(c, "contacts", {"type": "company", "label": "Partner"}, admin)
    likes = fields.define(c, "contacts", {"type": "multi_choice", "label": "Likes", "options": ["Tea", "Coffee"]},
                          admin)
    vip = fields.define(c, "contacts", {"type": "checkbox", "label": "VIP"}, admin)
    company = c.execute("SELECT id, name FROM companies WHERE deleted_at IS NULL ORDER BY id LIMIT 1").fetchone()
    cid = c.execute("SELECT id, version FROM contacts WHERE deleted_at IS NULL ORDER BY id LIMIT 1").fetchone()
    records.update(c, "contacts", cid[0], cid[1], {partner.column: company[0], likes.column: ["Coffee", "Tea"],
                                                   vip.column: True}, admin)
    from components.changes import change_rows

    rows = {r["label"]: r for r in change_rows(c, records.history(c, "contacts", cid[0]), "en", "UTC",
                                               entity="contacts")}
    assert rows["Partner"]["to"] == company[1]
    assert rows["Likes"]["to"] == "Coffee, Tea" and rows["VIP"]["to"] == "yes"
    assert json.loads(c.execute(f"SELECT {likes.column} FROM contacts WHERE id = ?", (cid[0],)).fetchone()[0]) == \
        ["Coffee", "Tea"]
    at = page("pages/contacts.py", path, "admin", query={"id": cid[0]})
    at.run()
    assert not at.exception
    shown = next(d.value for d in at.dataframe if "Field" in d.value.columns)
    assert "Partner" in list(shown["Field"]) and company[1] in list(shown["To"])


@pytest.mark.parametrize("role, sees", [("rep", False), ("manager", True)])
def test_history_of_a_hidden_field_is_hidden_too(seeded, role, sees):
    path = seeded[0]
    c = connect(path)
    admin = _admin(path)
    salary = fields.define(c, "contacts", {"type": "money", "label": "Salary wish", "view_roles": ["manager"]}, admin)
    cid = c.execute("SELECT id, version FROM contacts WHERE deleted_at IS NULL ORDER BY id LIMIT 1").fetchone()
    records.update(c, "contacts", cid[0], cid[1], {salary.column: 5000, "title": "Lead buyer"}, admin)
    at = page("pages/contacts.py", path, role, query={"id": cid[0]})
    at.run()
    assert not at.exception
    shown = next(d.value for d in at.dataframe if "Field" in d.value.columns)
    assert "Job title" in list(shown["Field"])
    assert ("Salary wish" in list(shown["Field"])) is sees
    assert ("Salary wish: €5,000.00" in texts(at)) is sees  # the timeline's change entry
    assert "5000" not in texts(at) and "cf_" not in texts(at)


def test_link_pickers_search_instead_of_listing_every_record(seeded):
    path = seeded[0]
    c = connect(path)
    admin = _admin(path)
    partner = fields.define(c, "deals", {"type": "company", "label": "Partner"}, admin)
    referrer = fields.define(c, "deals", {"type": "contact", "label": "Referred by"}, admin)
    company = c.execute("SELECT id, name FROM companies WHERE deleted_at IS NULL ORDER BY id DESC LIMIT 1").fetchone()
    person = c.execute("SELECT id, first_name, last_name FROM contacts WHERE deleted_at IS NULL AND last_name != '' "
                       "ORDER BY id DESC LIMIT 1").fetchone()
    deal_id = c.execute("SELECT id FROM deals WHERE deleted_at IS NULL ORDER BY id LIMIT 1").fetchone()[0]
    at = page("pages/deals.py", path, "admin", query={"id": deal_id})
    at.run()
    key = f"deal_{deal_id}"
    assert at.selectbox(key=f"{key}_{partner.column}").options == ["—"]  # nothing listed before a search
    at.text_input(key=f"{key}_{partner.column}_q").input(company[1]).run()
    at.text_input(key=f"{key}_{referrer.column}_q").input(person[2]).run()
    assert not at.exception, at.exception
    assert at.selectbox(key=f"{key}_{partner.column}").value == company[0]  # the first match is picked
    assert len(at.selectbox(key=f"{key}_{referrer.column}").options) <= 21
    at.selectbox(key=f"{key}_{referrer.column}").set_value(person[0])
    at.button(key=f"{key}_save").click().run()
    assert not at.exception, at.exception
    row = records.get(c, "deals", deal_id)
    assert (row[partner.column], row[referrer.column]) == (company[0], person[0])
    at.run()
    assert at.selectbox(key=f"{key}_{partner.column}").value == company[0]  # shown by name after the save
    assert company[1] in at.selectbox(key=f"{key}_{partner.column}").options
