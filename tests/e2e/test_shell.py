"""Real browser: sign in, every page opens with its main content, roles enforced by URL."""

import pytest
from playwright.sync_api import expect

from components.i18n import translate
from components.layout import NAV_HIDDEN, PAGES, ROOT
from db.core.connection import connect
from db.core.migrations import known_names
from tests.e2e.conftest import enter_signed_in
from tests.e2e.harness import Server, open_page, shot, wait_idle


def test_wrong_password_then_sign_in_and_home(page, server, e2e_db):
    page.goto(server.url + "/")
    page.get_by_label("Email", exact=True).fill("admin@demo.example")
    page.get_by_label("Password", exact=True).fill("wrong password")
    page.get_by_role("button", name="Sign in").click()
    page.get_by_text("Wrong email or password").first.wait_for()
    shot(page, "sign_in_error")
    page.get_by_label("Password", exact=True).fill(e2e_db[1]["admin@demo.example"])
    page.get_by_role("button", name="Sign in").click()
    page.get_by_text("Welcome back").first.wait_for()
    wait_idle(page)
    expect(page.get_by_text("Open pipeline").first).to_be_visible()  # a re-run can show the old copy a moment
    expect(page.get_by_text("Latest activity").first).to_be_visible()
    shot(page, "home")


@pytest.fixture(scope="module")
def walker(browser, server, e2e_db):
    """One signed-in tab for the sidebar walk: each case clicks its page in the sidebar of the same tab, as a
    person going through the menu would (a fresh browser and sign-in per page cost more than the page)."""
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    context.set_default_timeout(20_000)
    page = context.new_page()
    enter_signed_in(page, server, e2e_db[0], "admin@demo.example")
    yield page
    context.close()


@pytest.mark.parametrize("key", [k for k, s, _, _ in PAGES
                                 if k != "home" and k not in NAV_HIDDEN and (ROOT / s).exists()])
def test_every_page_opens_from_the_sidebar(walker, key):
    label = translate("en", f"nav.{key}")
    open_page(walker, label)
    expect(walker.locator("h1").first).to_have_text(label)
    assert walker.locator("[data-testid=stException]").count() == 0
    shot(walker, f"page_{key}")


def test_rep_cannot_open_admin_pages_by_url(sign_in_as, server, db):
    page = sign_in_as("rep")
    for path in ("/admin", "/audit"):
        page.goto(server.url + path)
        page.get_by_text("not available to the sales rep role").first.wait_for()
        expect(page.get_by_role("tab", name="Users")).to_have_count(0)
    shot(page, "rep_forbidden")
    sidebar = page.locator("[data-testid=stSidebar]").inner_text()
    assert "Admin" not in sidebar and "Dashboard" not in sidebar and "Contacts" in sidebar or "Contacts" not in sidebar


def test_admin_backs_up_from_the_admin_page(signed_in, server, e2e_db):
    page = signed_in
    open_page(page, "Admin")
    page.get_by_role("tab", name="Backups").click()
    page.get_by_role("button", name="Back up now").click()
    page.get_by_text("written").first.wait_for()
    assert list((e2e_db[0].parent / "backups").glob("crm-*.db"))
    shot(page, "admin_backups")


def test_the_server_warms_up_and_migrates_before_it_answers(tmp_path):
    """server.py's start-up: a new database file is created and migrated before the first request is served."""
    path, log = tmp_path / "new.db", tmp_path / "streamlit.log"
    srv = Server(path, log)  # returns once the health check answers
    try:
        conn = connect(path)
        applied = conn.execute("SELECT COUNT(*) FROM _sqlite_migrations").fetchone()[0]
        conn.close()
        assert applied == len(known_names())
        assert "warm-up: modules" in log.read_text()
    finally:
        srv.stop()
