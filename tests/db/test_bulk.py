"""create_many writes exactly what records.create writes, record by record, and all or nothing."""

from __future__ import annotations

import pytest

from db.core import records
from db.core.connection import connect, write
from db.core.errors import PermissionDenied, ValidationError
from db.core.migrations import migrate
from db.core.permissions import Actor
from db.io import bulk

STAMP = "2026-11-23 10:00:00"
HOSTILE = "<script>alert(1)</script> **bold** [x](javascript:y) ' OR 1=1 --"


@pytest.fixture
def frozen_clock(monkeypatch):
    """One instant for both write paths, so whole rows (timestamps included) can be compared."""
    monkeypatch.setattr(records, "now", lambda: STAMP)
    monkeypatch.setattr(bulk, "now", lambda: STAMP)


def _twin(tmp_path, name: str):
    c = connect(tmp_path / name)
    migrate(c)
    for email, role in (("a@x.io", "admin"), ("r@x.io", "rep"), ("m@x.io", "manager")):
        records.create(c, "users", {"email": email, "name": role, "role": role, "password_hash": "x"},
                       Actor(None, "admin"))
    return c


def _dump(c, sql: str) -> list[tuple]:
    return [tuple(r) for r in c.execute(sql).fetchall()]


COMPANIES = [{"name": "Acme GmbH", "country": "DE"}, {"name": HOSTILE, "tags": "a,b"}, {"name": "Ünïcode Ltd"}]
CONTACTS = [  # different fields per record: missing ones take the column default, explicit None stays NULL
    {"first_name": "Ana", "email": "ana@x.io", "company_id": 1, "tags": "vip"},
    {"first_name": "Bob", "last_name": "Ray", "phone": "+4930123456", "owner_id": None},
    {"first_name": HOSTILE, "title": "CEO", "lifecycle": "prospect", "company_id": 2, "email": None},
    {"first_name": "Cy", "owner_id": 3, "channel": "email", "tags": ""},
    {"first_name": "Дарья", "last_name": "Иванова", "company_id": 3},
    {"first_name": "Eve", "title": "Bidi\u202e and bell\x07 and NUL-free\ttab", "tags": "a"},  # whatever the
]  # write path does to text (records.create's field checks), create_many must do the same


@pytest.mark.parametrize("role", ["admin", "manager"])
def test_rows_and_audit_equal_what_records_create_writes(tmp_path, frozen_clock, role):
    one, many = _twin(tmp_path, "one.db"), _twin(tmp_path, "many.db")
    actor = Actor(3 if role == "manager" else 1, role)
    expected_ids = {"companies": [], "contacts": []}
    for table, values in (("companies", COMPANIES), ("contacts", CONTACTS)):
        with write(one):
            expected_ids[table] = [records.create(one, table, v, actor) for v in values]
        with write(many):
            assert bulk.create_many(many, table, values, actor) == expected_ids[table]
    assert expected_ids["contacts"] == [1, 2, 3, 4, 5, 6]
    for sql in ("SELECT * FROM companies ORDER BY id", "SELECT * FROM contacts ORDER BY id",
                "SELECT * FROM audit_log ORDER BY id",
                "SELECT rowid, name, email, phone, company, tags FROM contacts_fts ORDER BY rowid"):
        assert _dump(many, sql) == _dump(one, sql), sql
    assert _dump(many, "SELECT owner_id FROM contacts ORDER BY id") == [(actor.id,), (actor.id,), (actor.id,), (3,),
                                                                          (actor.id,), (actor.id,)]
    assert many.execute("SELECT COUNT(*) FROM audit_log WHERE action = 'create' AND entity = 'contacts'"
                        ).fetchone()[0] == len(CONTACTS)


def test_a_failure_part_way_leaves_nothing_of_the_call(conn, admin):
    records.create(conn, "contacts", {"first_name": "Kept"}, admin)
    before = _dump(conn, "SELECT * FROM contacts"), _dump(conn, "SELECT * FROM audit_log")
    batch = [{"first_name": f"P{i}"} for i in range(500)]
    batch[300] = {"first_name": "Bad", "lifecycle": "bogus"}  # violates the CHECK constraint
    with pytest.raises(ValidationError) as err, write(conn):
        bulk.create_many(conn, "contacts", batch, admin)
    assert err.value.row == 301
    assert (_dump(conn, "SELECT * FROM contacts"), _dump(conn, "SELECT * FROM audit_log")) == before
    assert conn.execute("SELECT COUNT(*) FROM contacts_fts").fetchone()[0] == 1
    assert not conn.in_transaction


@pytest.mark.parametrize("bad", [{"first_name": "Bad", "lifecycle": "bogus"}, {"first_name": None},
                                 {"first_name": "Orphan", "company_id": 999}])
def test_a_refused_record_reads_as_records_create_says_it(conn, admin, bad):
    with pytest.raises(ValidationError) as one:
        records.create(conn, "contacts", bad, admin)
    with pytest.raises(ValidationError) as many:
        bulk.create_many(conn, "contacts", [{"first_name": "Fine"}, bad], admin)
    assert (many.value.key, many.value.message, many.value.field) == (one.value.key, one.value.message,
                                                                       one.value.field)
    assert many.value.row == 2


def test_a_caught_failure_keeps_the_callers_other_writes_and_nothing_of_the_batch(conn, admin):
    with write(conn):
        records.create(conn, "contacts", {"first_name": "Before"}, admin)
        with pytest.raises(ValidationError):
            bulk.create_many(conn, "contacts", [{"first_name": "A"}, {"first_name": None}], admin)
        assert conn.in_transaction
        records.create(conn, "contacts", {"first_name": "After"}, admin)
    assert _dump(conn, "SELECT first_name FROM contacts ORDER BY id") == [("Before",), ("After",)]


def test_the_permission_check_runs_for_every_record(conn, rep, manager):
    batch = [{"first_name": "Mine"}, {"first_name": "Theirs", "owner_id": manager.id}]
    with pytest.raises(PermissionDenied):
        bulk.create_many(conn, "contacts", batch, rep)
    assert conn.execute("SELECT COUNT(*) FROM contacts").fetchone()[0] == 0
    assert bulk.create_many(conn, "contacts", batch[:1], rep) == [1]
    assert conn.execute("SELECT owner_id FROM contacts").fetchone()[0] == rep.id


@pytest.mark.parametrize("table,values,message", [
    ("contacts", [{"first_name": "A"}, {"first_name": "B", "nickname": "x"}], "Unknown field"),
    ("contacts", [{"first_name": "A", "version": 7}], "Unknown field"),
])
def test_bad_input_is_refused_whole(conn, admin, table, values, message):
    with pytest.raises(ValidationError, match=message):
        bulk.create_many(conn, table, values, admin)
    assert conn.execute("SELECT COUNT(*) FROM contacts").fetchone()[0] == 0


def test_only_editable_tables(conn, admin):
    with pytest.raises(ValueError):
        bulk.create_many(conn, "audit_log", [{"entity": "x"}], admin)
    assert bulk.create_many(conn, "contacts", [], admin) == []


def test_on_a_seeded_database_rollups_and_search_match_too(seeded, tmp_path, frozen_clock):
    """Rollup triggers (kpi_cube, serve_costs, customer_months, deal_cube) and the search index end up the same."""
    import shutil

    paths = [tmp_path / "one.db", tmp_path / "many.db"]
    for p in paths:
        shutil.copy(seeded[0], p)
    one, many = connect(paths[0]), connect(paths[1])
    admin = Actor(one.execute("SELECT id FROM users WHERE role = 'admin'").fetchone()[0], "admin")
    customers = [r[0] for r in one.execute("SELECT id FROM contacts WHERE acquired_at IS NOT NULL ORDER BY id LIMIT 6")]
    company = one.execute("SELECT id FROM companies ORDER BY id LIMIT 1").fetchone()[0]
    batches = [
        ("companies", [{"name": "Bulk Co", "country": "DE"}, {"name": HOSTILE}]),
        ("contacts", [{"first_name": "Zed", "last_name": "Quark", "email": "zed@q.io", "company_id": company,
                       "tags": "x,y"}, {"first_name": "Ünal", "phone": "+4930999111"}]),
        ("activities", [{"kind": "call", "subject": f"Call {i}", "contact_id": c, "done": 1, "duration_min": 30 + i,
                         "starts_at": "2026-11-02 10:00:00", "done_at": "2026-11-02 10:30:00", "notes": HOSTILE}
                        for i, c in enumerate(customers)]
         + [{"kind": "task", "subject": "Open", "contact_id": customers[0], "due_at": "2026-12-01 09:00:00"}]),
    ]
    rolled = "SELECT (SELECT TOTAL(cost) FROM serve_costs), (SELECT TOTAL(cost) FROM kpi_cube)"
    before = _dump(many, rolled)
    for table, values in batches:
        with write(one):
            expected = [records.create(one, table, v, admin) for v in values]
        with write(many):
            assert bulk.create_many(many, table, values, admin) == expected
    for table in ("companies", "contacts", "activities", "audit_log", "kpi_cube", "serve_costs", "customer_months",
                  "deal_cube"):
        sql = f"SELECT * FROM {table}"  # some rollups are WITHOUT ROWID: compare as sorted sets of rows
        assert sorted(_dump(many, sql), key=repr) == sorted(_dump(one, sql), key=repr), table
    assert _dump(many, rolled)[0][0] > before[0][0] and _dump(many, rolled)[0][1] > before[0][1]  # triggers did work
    search = "SELECT rowid FROM contacts_fts WHERE contacts_fts MATCH ? ORDER BY rowid"
    for words in ('"zed"*', '"quark"*', '"4930999111"*', f'"{HOSTILE.split()[0][1:7]}"*', '"x"*'):
        assert _dump(many, search.replace("?", "'" + words + "'")) == _dump(one, search.replace("?", "'" + words + "'"))
    assert _dump(many, search.replace("?", "'\"zed\"*'")) != []
    assert many.execute("SELECT COUNT(*) FROM fts_deferred").fetchone()[0] == 0
    many.execute("INSERT INTO contacts_fts (contacts_fts) VALUES ('integrity-check')")
    for fts, cols in (("companies_fts", "name, website, city, tags"), ("activities_fts", "subject")):
        sql = f"SELECT rowid, {cols} FROM {fts} ORDER BY rowid"  # the global search's indexes (migration 0190)
        assert _dump(many, sql) == _dump(one, sql), fts
        many.execute(f"INSERT INTO {fts} ({fts}) VALUES ('integrity-check')")
