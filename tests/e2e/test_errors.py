"""Real browser, real server: an unexpected failure shows an error id and nothing else; the server log has the
id with the traceback. Bad links and damaged stored views say so. Own server: the database is broken on purpose."""

from __future__ import annotations

import re
from datetime import date

import pytest
from playwright.sync_api import expect

from db.core.connection import connect
from db.io.seed import seed
from tests.e2e.harness import Server, shot, sign_in, wait_idle

LEAKS = ("Traceback", 'File "', ".py", "deal_cube", "OperationalError", "sqlite3", "/work/", "site-packages")


@pytest.fixture(scope="module")
def broken(tmp_path_factory):
    """A tiny database whose deal_cube rollup is gone (what an old backup restored by hand looked like)."""
    folder = tmp_path_factory.mktemp("broken")
    path = folder / "crm.db"
    conn = connect(path)
    creds = seed(conn, "tiny", 3, date.today())
    conn.execute("DROP TABLE deal_cube")
    admin = conn.execute("SELECT id FROM users WHERE role = 'admin' ORDER BY id LIMIT 1").fetchone()[0]
    conn.execute("INSERT INTO saved_views (name, owner_id, page, definition) VALUES ('Damaged', ?, 'views', "
                 "'{\"schema\": 1, \"record\": \"deals\", \"limit\": -1, \"measure\": \"sum\"}')", (admin,))
    view_id = conn.execute("SELECT id FROM saved_views WHERE name = 'Damaged'").fetchone()[0]
    conn.close()
    log = folder / "streamlit.log"
    srv = Server(path, log)
    email = next(e for e in creds if e.startswith("admin"))
    yield srv, log, email, creds[email], view_id
    srv.stop()


def _main_text(page) -> str:
    return page.locator("[data-testid=stMain]").inner_text()


def test_an_unexpected_failure_shows_only_an_error_id(page, broken):
    srv, log, email, password, _ = broken
    sign_in(page, srv.url, email, password)
    page.goto(srv.url + "/dashboard")
    page.get_by_text(re.compile(r"error id [A-Z0-9]{6}")).first.wait_for()
    wait_idle(page)
    text = _main_text(page)
    found = re.search(r"Something went wrong \(error id ([A-Z0-9]{6})\)\. The team can find it in the server log\.",
                      text)
    assert found, text
    assert not [leak for leak in LEAKS if leak in text], text
    assert page.locator("[data-testid=stException]").count() == 0
    shot(page, "error_id")
    logged = log.read_text()
    at = logged.index(f"error id {found.group(1)}")
    assert "Traceback" in logged[at:] and "no such table: deal_cube" in logged[at:]


def test_bad_links_and_damaged_views_say_so(page, broken):
    srv, _, email, password, view_id = broken
    sign_in(page, srv.url, email, password)
    page.goto(srv.url + "/contacts?id=%C2%B2")  # ?id=²
    page.get_by_text("That link is not valid.").first.wait_for()
    wait_idle(page)
    expect(page.get_by_role("link", name="Show the list")).to_have_count(1)
    shot(page, "bad_link")
    page.goto(srv.url + "/deals?id=9223372036854775808")
    page.get_by_text("That link is not valid.").first.wait_for()
    page.goto(srv.url + "/companies?id=987654321")
    page.get_by_text("No such company #987654321").first.wait_for()
    page.goto(srv.url + f"/views?view={view_id}")
    page.get_by_text("damaged or not supported").first.wait_for()
    wait_idle(page)
    text = _main_text(page)
    assert "error id" not in text and not [leak for leak in LEAKS if leak in text]
    shot(page, "damaged_view")


def test_admin_backs_up_from_the_page(page, broken):
    srv, _, email, password, _ = broken
    sign_in(page, srv.url, email, password)
    page.goto(srv.url + "/admin")
    page.get_by_role("tab", name="Backups").click()
    page.get_by_role("button", name="Back up now").click()
    page.get_by_text(re.compile(r"Backup crm-\d{8}-\d{6}-\d{6}\.db written\.")).first.wait_for()
    wait_idle(page)
    shot(page, "admin_backups")
    assert "error id" not in _main_text(page)
