"""Custom field values as people read them (``display``), and which form values count as a change."""

from __future__ import annotations

import pytest

from components.custom_fields import changed, display, link_names
from db.core import fields, records


def _field(conn, admin, kind, **extra):
    return fields.define(conn, "contacts", {"type": kind, "label": kind, **extra}, admin)


@pytest.mark.parametrize(("kind", "extra", "stored", "lang", "shown"), [
    ("text", {}, "Two weeks", "en", "Two weeks"),
    ("number", {}, 12, "en", "12"),
    ("number", {}, 1250.5, "ru", "1\xa0250,5"),
    ("money", {}, 99.9, "en", "€99.90"),
    ("percent", {}, 12.5, "en", "12.5%"),
    ("date", {}, "2026-12-31", "en", "31 Dec 2026"),
    ("datetime", {}, "2026-12-01 08:30:00", "en", "1 Dec 2026, 08:30"),
    ("checkbox", {}, 1, "ru", "да"),
    ("checkbox", {}, 0, "en", "no"),
    ("choice", {"options": ["Gold"]}, "Gold", "en", "Gold"),
    ("multi_choice", {"options": ["Tea", "Coffee"]}, '["Coffee", "Tea"]', "en", "Coffee, Tea"),
    ("text", {}, None, "en", "—"),
    ("multi_choice", {"options": ["Tea"]}, "[]", "en", "—"),
])
def test_values_read_as_words(conn, admin, kind, extra, stored, lang, shown):
    assert display(_field(conn, admin, kind, **extra), stored, lang, tz="UTC") == shown


def test_links_read_as_names_in_one_query_per_table(conn, admin):
    partner = _field(conn, admin, "company")
    buddy = _field(conn, admin, "user")
    company = records.create(conn, "companies", {"name": "Acme"}, admin)
    rows = [{partner.column: company, buddy.column: admin.id}, {partner.column: 999, buddy.column: None}]
    resolved = link_names(conn, [partner, buddy], rows)
    assert display(partner, company, "en", resolved) == "Acme"
    assert display(buddy, admin.id, "en", resolved) == "Ada Admin"
    assert display(partner, 999, "en", resolved) == "#999"


def test_only_what_the_person_changed_is_sent(conn, admin):
    seats = _field(conn, admin, "number")
    likes = _field(conn, admin, "multi_choice", options=["Tea", "Coffee"])
    vip = _field(conn, admin, "checkbox")
    note = _field(conn, admin, "text")
    row = {seats.column: 12, likes.column: '["Tea"]', vip.column: 0, note.column: None}
    same = {seats.column: 12.0, likes.column: ["Tea"], vip.column: False, note.column: None}
    assert changed([seats, likes, vip, note], row, same) == {}
    edited = {**same, likes.column: ["Tea", "Coffee"], vip.column: True}
    assert changed([seats, likes, vip, note], row, edited) == {likes.column: ["Tea", "Coffee"], vip.column: True}


def test_the_audit_page_names_custom_columns_of_any_record_type(conn, admin):
    from components.changes import change_rows

    tier = fields.define(conn, "deals", {"type": "choice", "labels": {"en": "Tier", "bg": "Ниво"},
                                         "options": ["Gold"]}, admin)
    price = fields.define(conn, "companies", {"type": "money", "label": "Floor"}, admin)
    entries = [{"id": 1, "at": "2026-11-23 10:00:00", "who": "Ada", "action": "update", "entity": "deals",
                "before": {tier.column: None}, "after": {tier.column: "Gold"}},
               {"id": 2, "at": "2026-11-23 10:00:00", "who": "Ada", "action": "update", "entity": "companies",
                "before": {price.column: 10}, "after": {price.column: 12.5}}]
    rows = change_rows(conn, entries, "bg", "UTC")
    assert [(r["label"], r["from"], r["to"]) for r in rows] == [("Ниво", "—", "Gold"),
                                                                ("Floor", "10,00\xa0€", "12,50\xa0€")]
