"""Round trip: export contacts and companies as the pages do (CSV and Excel), import them into an empty
database with the same team, and every field, link, tag and owner comes back equal, values that begin
with = + - @ included."""

from __future__ import annotations

import pytest

from db.core import records
from db.core.connection import connect
from db.core.migrations import migrate
from db.core.permissions import SYSTEM, Actor
from db.crm import companies, contacts
from db.io import export, importer

TEAM = [("Ada Admin", "admin@rt.example", "admin"), ("Mia Manager", "mia@rt.example", "manager"),
        ("Rob Rep", "rob@rt.example", "rep")]
COMPANIES = [
    {"name": "=HYPERLINK(\"http://evil.example\",\"x\")", "industry": "+Tools", "website": "https://acme.example",
     "phone": "-", "city": "@Berlin", "country": "DE", "lifecycle": "customer", "tags": "vip,-minus"},
    {"name": "Émile & Fils", "industry": "Wine", "city": "Lyon", "country": "FR", "lifecycle": "lead", "tags": ""},
    {"name": "Плюс-Минус ООО", "industry": "=1+1", "city": "Москва", "country": "RU", "lifecycle": "prospect",
     "tags": "партнёр"},
]
CONTACTS = [
    {"first_name": "=cmd|' /C calc'!A0", "last_name": "@Lee", "email": "ana@rt.example", "phone": "+4930123456",
     "title": "+CTO", "company": 0, "owner": 1, "lifecycle": "customer", "channel": "referral", "tags": "vip,trial"},
    {"first_name": "José", "last_name": "Müller", "email": "jose@rt.example", "phone": "+33156574501",
     "title": "'=quoted already", "company": 1, "owner": 2, "lifecycle": "lead", "channel": "web", "tags": ""},
    {"first_name": "Олена", "last_name": "Шевченко", "email": "", "phone": "", "title": "",
     "company": 2, "owner": 0, "lifecycle": "prospect", "channel": "", "tags": "партнёр,b2b"},
    {"first_name": "No", "last_name": "Company", "email": "no.company@rt.example", "phone": "+14155550199",
     "title": "\tTabbed", "company": None, "owner": 1, "lifecycle": "churned", "channel": "", "tags": "x"},
]
COMPANY_FIELDS = ("name", "industry", "website", "phone", "city", "country", "lifecycle", "tags")
CONTACT_FIELDS = ("first_name", "last_name", "email", "phone", "title", "lifecycle", "channel", "tags")


def _team(conn) -> list[int]:
    ids = [records.create(conn, "users", {"name": n, "email": e, "role": r, "password_hash": "x"}, SYSTEM)
           for n, e, r in TEAM]
    return ids


def _source(path) -> tuple:
    conn = connect(path)
    migrate(conn)
    team = _team(conn)
    admin = Actor(team[0], "admin", "Ada Admin")
    company_ids = [companies.create(conn, {**c, "owner_id": team[i % 3]}, admin) for i, c in enumerate(COMPANIES)]
    for c in CONTACTS:
        values = {k: v for k, v in c.items() if k not in ("company", "owner") and v != ""}
        values["company_id"] = company_ids[c["company"]] if c["company"] is not None else None
        values["owner_id"] = team[c["owner"]]
        contacts.create(conn, values, admin)
    return conn, admin


def _snapshot(conn) -> dict:
    people = {r[0]: r[1] for r in conn.execute("SELECT id, email FROM users")}
    names = {r[0]: r[1] for r in conn.execute("SELECT id, name FROM companies")}
    out = {"companies": sorted(
        tuple(r[f] or "" for f in COMPANY_FIELDS) + (people.get(r["owner_id"]),)
        for r in conn.execute("SELECT * FROM companies WHERE deleted_at IS NULL"))}
    out["contacts"] = sorted(
        tuple(r[f] or "" for f in CONTACT_FIELDS) + (names.get(r["company_id"]), people.get(r["owner_id"]))
        for r in conn.execute("SELECT * FROM contacts WHERE deleted_at IS NULL"))
    return out


def _import(conn, raw: bytes, name: str, target: str, actor: Actor) -> None:
    table = importer.read(raw, name)
    planned = importer.plan(conn, table, importer.guess_mapping(table.headers, target), target=target,
                            policy="all", actor=actor)
    assert not planned.bad, [(p.line, p.column, p.error.message) for r in planned.bad for p in r.problems]
    importer.commit(conn, planned, {}, actor)


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_export_then_import_into_an_empty_database_gives_everything_back(tmp_path, fmt):
    source, _ = _source(tmp_path / "source.db")
    write = export.to_csv if fmt == "csv" else export.to_xlsx
    company_file = write(companies.export_rows(source))
    contact_file = write(contacts.export_rows(source, contacts.Query()))
    if fmt == "csv":  # the file really is guarded: no cell a spreadsheet would run
        assert b"\r\n=" not in company_file and b",=" not in contact_file and b",@" not in contact_file

    target = connect(tmp_path / "target.db")
    migrate(target)
    team = _team(target)
    admin = Actor(team[0], "admin", "Ada Admin")
    _import(target, company_file, f"companies.{fmt}", "companies", admin)
    _import(target, contact_file, f"contacts.{fmt}", "contacts", admin)

    assert _snapshot(target) == _snapshot(source)
    # The formula-looking values are stored verbatim, not with the export's guard.
    assert target.execute("SELECT COUNT(*) FROM contacts WHERE first_name = ?",
                          (CONTACTS[0]["first_name"],)).fetchone()[0] == 1
    # Linked by name: no company was created twice.
    assert target.execute("SELECT COUNT(*) FROM companies").fetchone()[0] == len(COMPANIES)
    source.close()
    target.close()
