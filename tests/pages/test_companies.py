from db.core import records
from db.core.connection import connect
from db.crm import companies
from tests.apptest import page, texts


def test_companies_grid_shows_figures_and_saves_an_edit(seeded):
    path = seeded[0]
    shown, total = companies.page(connect(path), limit=25)
    at = page("pages/companies.py", path, "admin")
    at.run()
    assert not at.exception and f"of {total}" in texts(at)
    at.session_state["companies_grid_0_25"] = {"edited_rows": {0: {"city": "Plovdiv"}}, "added_rows": [],
                                               "deleted_rows": []}
    at.run()
    at.button(key="co_save").click().run()
    assert records.get(connect(path), "companies", shown[0]["id"])["city"] == "Plovdiv"


def test_company_record_lists_people_and_deals(seeded):
    c = connect(seeded[0])
    cid = c.execute("SELECT company_id FROM contacts WHERE company_id IS NOT NULL LIMIT 1").fetchone()[0]
    at = page("pages/companies.py", seeded[0], "rep", query={"id": cid})
    at.run()
    assert not at.exception
    assert [tab.label for tab in at.tabs] == ["Timeline", "Details", "Contacts", "Deals", "Notes", "History"]


def test_company_record_shows_the_columns_an_import_kept(seeded):
    """A company import keeps columns with no company field in a note; the record's Notes tab shows it."""
    from db.core.permissions import Actor
    from db.io import importer

    c = connect(seeded[0])
    admin_id = c.execute("SELECT id FROM users WHERE role = 'admin' LIMIT 1").fetchone()[0]
    table = importer.read(b"Name,AnnualRevenue,Rating\nNoted Import Co,1200000,Hot\n", "Account.csv")
    planned = importer.plan(c, table, importer.guess_mapping(table.headers, "companies"), target="companies")
    importer.commit(c, planned, {}, Actor(admin_id, "admin"), note_subject="Imported from Account.csv")
    cid = c.execute("SELECT id FROM companies WHERE name = 'Noted Import Co'").fetchone()[0]
    at = page("pages/companies.py", seeded[0], "admin", query={"id": cid})
    at.run()
    assert not at.exception
    assert "AnnualRevenue: 1200000\nRating: Hot" in [x.value for x in at.text]


def test_company_validation_and_figures(conn, admin):
    import pytest

    from db.core.errors import ValidationError

    with pytest.raises(ValidationError):
        companies.save_grid(conn, [], [{"name": "  "}], [], admin)
    with pytest.raises(ValidationError):
        companies.save_grid(conn, [], [{"name": "Acme", "country": "D1"}], [], admin)
    companies.save_grid(conn, [], [{"name": "Acme", "country": "de", "website": "acme.io"}], [], admin)
    row = companies.page(conn)[0][0]
    assert (row["country"], row["website"], row["contacts"], row["revenue"]) == ("DE", "https://acme.io", 0, 0.0)
