"""Every entity's text fields x hostile values, through the real data layer: stored clean, or refused with a
sentence that names the field by its label (in every language), never a raw column name or a cut."""

import math
import re

import pytest

from components.i18n import LANGUAGES
from db.core import records, settings, users
from db.core.errors import DomainError, ValidationError
from db.core.text import _CONTROL, clean_moment, clean_number
from db.crm import activities, campaigns, companies, contacts, deals, feedback, pipelines, timeline, views
from tests.apptest import said as error_text

WHEN = {"starts_at": "2026-11-20 10:00:00", "ends_at": "2026-11-20 10:30:00"}


@pytest.fixture
def world(conn, admin, rep):
    x = conn.execute
    x("INSERT INTO pipelines (id, name) VALUES (1, 'Sales')")
    x("INSERT INTO stages (id, pipeline_id, name, kind, probability) VALUES (1, 1, 'Lead', 'open', 0.1), "
      "(2, 1, 'Lost', 'lost', 0)")
    cid = records.create(conn, "contacts", {"first_name": "Base"}, admin)
    return conn, admin, rep, cid



def _deal(conn, admin, title="Deal"):
    return deals.create(conn, {"pipeline_id": 1, "stage_id": 1, "title": title}, admin)


def _last(conn, table):
    return conn.execute(f"SELECT MAX(id) FROM {table}").fetchone()[0]


# name -> (write the value, (table, column) to read back, limit, keeps line breaks)
WRITERS = {
    "contact first name": (lambda c, a, r, cid, v: contacts.create(c, {"first_name": v}, a), ("contacts", "first_name"),
                           100, False),
    "contact last name": (lambda c, a, r, cid, v: contacts.create(c, {"first_name": "A", "last_name": v}, a),
                          ("contacts", "last_name"), 100, False),
    "contact job title": (lambda c, a, r, cid, v: contacts.create(c, {"first_name": "A", "title": v}, a),
                          ("contacts", "title"), 120, False),
    "contact tags": (lambda c, a, r, cid, v: contacts.create(c, {"first_name": "A", "tags": v}, a),
                     ("contacts", "tags"), 300, False),
    "contact channel": (lambda c, a, r, cid, v: contacts.create(c, {"first_name": "A", "channel": v}, a),
                        ("contacts", "channel"), 60, False),
    "company name": (lambda c, a, r, cid, v: companies.save_grid(c, [], [{"name": v}], [], a), ("companies", "name"),
                     200, False),
    "company city": (lambda c, a, r, cid, v: companies.save_grid(c, [], [{"name": "Co", "city": v}], [], a),
                     ("companies", "city"), 100, False),
    "company industry": (lambda c, a, r, cid, v: companies.save_grid(c, [], [{"name": "Co", "industry": v}], [], a),
                         ("companies", "industry"), 80, False),
    "deal title": (lambda c, a, r, cid, v: _deal(c, a, v), ("deals", "title"), 200, False),
    "deal lost reason": (lambda c, a, r, cid, v: deals.move(c, _deal(c, a), 2, 1, a, lost_reason=v),
                         ("deals", "lost_reason"), 200, False),
    "activity subject": (lambda c, a, r, cid, v: activities.create(c, {"kind": "call", "subject": v, **WHEN}, a),
                         ("activities", "subject"), 200, False),
    "activity notes": (lambda c, a, r, cid, v: activities.create(c, {"kind": "call", "subject": "S", "notes": v,
                                                                     **WHEN}, a), ("activities", "notes"), 5000, True),
    "timeline note": (lambda c, a, r, cid, v: timeline.add(c, cid, "note", v, a), ("activities", "notes"), 5000, True),
    "timeline comment": (lambda c, a, r, cid, v: timeline.add(c, cid, "comment", v, a), ("comments", "body"), 5000,
                         True),
    "campaign name": (lambda c, a, r, cid, v: campaigns.save_grid(c, [], [{"name": v, "channel": "Email"}],
                                                                  ["Email"], a), ("campaigns", "name"), 200, False),
    "pipeline name": (lambda c, a, r, cid, v: pipelines.create_pipeline(c, v, "sales", a), ("pipelines", "name"), 100,
                      False),
    "stage name": (lambda c, a, r, cid, v: pipelines.save_stages(c, 1, [], [{"name": v, "kind": "won"}], [], a),
                   ("stages", "name"), 100, False),
    "feedback comment": (lambda c, a, r, cid, v: feedback.record(c, cid, "csat", 5, "2026-11-01", v, a),
                         ("feedback", "comment"), 2000, True),
    "view name": (lambda c, a, r, cid, v: views.save(c, v, "views", {"schema": 1, "record": "deals"}, a),
                  ("saved_views", "name"), 100, False),
    "user name": (lambda c, a, r, cid, v: users.update_user(c, r.id, _version(c, r.id), {"name": v}, a),
                  ("users", "name"), 200, False),
    "company name setting": (lambda c, a, r, cid, v: settings.set_value(c, "company_name", v, a), None, 200, False),
}


def _version(conn, user_id):
    return conn.execute("SELECT version FROM users WHERE id = ?", (user_id,)).fetchone()[0]


# value -> what a single-line field stores (None: refused as too long)
HOSTILE = {
    "A\x00B": "AB",
    "\x1b[31mred\x07": "[31mred",
    "\ud800lone\udfff": "lone",
    "\u202eevil\u202c": "evil",
    "Zoe\u0308": "Zoë",
    "  spaced  ": "spaced",
    "one\ntwo": "one two",
    "👩\u200d👩\u200d👧 Ñandú 日本": "👩\u200d👩\u200d👧 Ñandú 日本",
    "'); DROP TABLE contacts; --": "'); DROP TABLE contacts; --",
    "x" * 1_000_000: None,
}
RAW_NAME = re.compile(r"\b[a-z]+_[a-z_]+\b")


def _stored(conn, target, name):
    if target is None:
        return settings.get(conn, "company_name")
    table, column = target
    return conn.execute(f"SELECT {column} FROM {table} WHERE id = ?", (_last(conn, table),)).fetchone()[0] \
        if name != "user name" else conn.execute("SELECT name FROM users WHERE role = 'rep'").fetchone()[0]


@pytest.mark.parametrize("name", list(WRITERS))
def test_every_text_field_stores_clean_text_or_says_why_not(world, name):
    conn, admin, rep, cid = world
    write, target, limit, multiline = WRITERS[name]
    for value, expected in HOSTILE.items():
        if multiline and "\n" in value:
            expected = value
        if name == "contact tags" and expected:
            expected = expected.lower()
        try:
            write(conn, admin, rep, cid, value)
        except ValidationError as err:
            assert expected is None, (name, value[:20], err.message)
            for lang in LANGUAGES:
                text = error_text(err, lang)
                assert not RAW_NAME.search(text), (name, lang, text)
                assert text.rstrip().endswith("."), (name, lang, text)
            assert f"{limit:,}" in error_text(err, "en")
            continue
        assert expected is not None, (name, "a million characters were accepted (or cut)")
        stored = _stored(conn, target, name)
        assert stored == expected, (name, value[:20], stored)
        assert not _CONTROL.search(stored) and len(stored) <= limit


@pytest.mark.parametrize("value", [float("nan"), float("inf"), "-inf", "NaN", "1e400", -1, "abc", None, [1]])
def test_amounts_must_be_finite_numbers_in_range(world, value):
    conn, admin, *_ = world
    with pytest.raises(ValidationError) as err:
        deals.create(conn, {"pipeline_id": 1, "stage_id": 1, "title": "D", "amount": value}, admin)
    assert error_text(err.value, "en") in ("Amount must be a number.", "Amount is required.",
                                           "Amount must be between 0 and 1,000,000,000,000.")
    assert clean_number("1,250.5", "amount", low=0, high=1e12) == 1250.5
    assert not math.isnan(clean_number("0", "amount", low=0, high=1))


@pytest.mark.parametrize("call", [
    lambda c, a: deals.create(c, {"pipeline_id": 1, "stage_id": 1, "title": "D", "expected_close": "2026-13-45"}, a),
    lambda c, a: deals.create(c, {"pipeline_id": 1, "stage_id": 1, "title": "D", "expected_close": "soon"}, a),
    lambda c, a: activities.create(c, {"kind": "call", "subject": "S", "starts_at": "2026-02-30 10:00",
                                       "ends_at": "2026-03-01 10:00"}, a),
    lambda c, a: activities.create(c, {"kind": "call", "subject": "S", "starts_at": None, "ends_at": "x"}, a),
    lambda c, a: campaigns.save_grid(c, [], [{"name": "C", "channel": "Email", "starts_on": "31/12/2026"}],
                                     ["Email"], a),
    lambda c, a: pipelines.update_pipeline(c, 1, 1, "Sales", "first", a),
])
def test_malformed_dates_and_numbers_are_validation_errors(world, call):
    conn, admin, *_ = world
    with pytest.raises(DomainError) as err:
        call(conn, admin)
    assert isinstance(err.value, ValidationError)
    assert not RAW_NAME.search(error_text(err.value, "en"))


def test_offsets_are_converted_to_utc(world):
    conn, admin, *_ = world
    assert str(clean_moment("2026-11-20T10:00:00+14:00", "starts_at")) == "2026-11-19 20:00:00"
    assert str(clean_moment("2026-11-20T10:00:00Z", "starts_at")) == "2026-11-20 10:00:00"
    (aid,) = activities.create(conn, {"kind": "call", "subject": "Kiribati", "starts_at": "2026-11-20T10:00:00+14:00",
                                      "ends_at": "2026-11-20T10:30:00+14:00"}, admin)
    assert conn.execute("SELECT starts_at, ends_at FROM activities WHERE id = ?", (aid,)).fetchone()[:] == (
        "2026-11-19 20:00:00", "2026-11-19 20:30:00")


@pytest.mark.parametrize("email,ok", [("a@example.com", True), ("ivan@пример.рф", True), ("a@example..com", False),
                                      ("a..b@example.com", False), (".a@example.com", False), ("a@-x.com", False),
                                      ("a@x.c", False), ("a@x.123", False)])
def test_email_addresses(world, email, ok):
    conn, admin, *_ = world
    if ok:
        contacts.create(conn, {"first_name": "E", "email": email}, admin)
    else:
        with pytest.raises(ValidationError) as err:
            contacts.create(conn, {"first_name": "E", "email": email}, admin)
        assert error_text(err.value, "en").endswith("is not a valid email address.")


def test_a_phone_extension_is_kept(world):
    conn, admin, *_ = world
    cid = contacts.create(conn, {"first_name": "P", "phone": "+1 650 253 0000 ext. 123"}, admin)
    assert records.get(conn, "contacts", cid)["phone"] == "+16502530000 ext. 123"
    row = records.get(conn, "contacts", cid)
    contacts.update(conn, cid, row["version"], {"phone": row["phone"]}, admin)  # saving it again changes nothing
    assert records.get(conn, "contacts", cid)["version"] == row["version"]


def test_permission_messages_are_sentences_with_labels(world):
    conn, admin, rep, _ = world
    mine = records.create(conn, "contacts", {"first_name": "Admin's"}, admin)
    failures = []
    for call in (lambda: users.reset_password(conn, admin.id, rep),
                 lambda: settings.set_value(conn, "currency", "USD", rep),
                 lambda: records.update(conn, "contacts", mine, 1, {"first_name": "X"}, rep),
                 lambda: campaigns.save_grid(conn, [], [{"name": "C", "channel": "Email"}], ["Email"], rep)):
        with pytest.raises(DomainError) as err:
            call()
        failures.append(error_text(err.value, "en"))
    assert failures == ["Only an administrator may manage users and passwords.",
                        "Only an administrator may manage settings.",
                        "You may change only the records you own; this one belongs to someone else.",
                        "Only a manager or an administrator may manage campaigns."]


def test_a_conflict_names_the_changed_fields_by_their_labels(world):
    conn, admin, rep, cid = world
    records.update(conn, "contacts", cid, 1, {"first_name": "Other", "last_name": "Hand"}, admin)
    with pytest.raises(DomainError) as err:
        records.update(conn, "contacts", cid, 1, {"first_name": "Mine"}, admin)
    text = error_text(err.value, "en")
    assert "(First name, Last name)" in text and not RAW_NAME.search(text)
    assert "(Имя, Фамилия)" in error_text(err.value, "ru")


def test_a_huge_record_id_is_not_found_not_an_overflow(world):
    conn, *_ = world
    for bad in (2**63, 2**70, -1, 0, True):
        with pytest.raises(DomainError) as err:
            records.get(conn, "contacts", bad)
        assert error_text(err.value, "en").startswith("No such contact #")
