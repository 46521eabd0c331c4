"""Real browser: sign in, every page opens with its main content, roles enforced by URL."""

import gzip
import urllib.error
import urllib.request

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


def _get(url: str) -> tuple[int, int, bytes]:
    """A GET as a browser sends it (gzip accepted): status, whether Content-Length is the length of the
    bytes sent, body decoded."""
    request = urllib.request.Request(url, headers={"Accept-Encoding": "gzip"})
    with urllib.request.urlopen(request, timeout=20) as response:
        body = response.read()
        length_right = int(response.headers.get("Content-Length", -1)) == len(body)
        if response.headers.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        return response.status, length_right, body


def test_a_page_address_tells_the_frontend_where_the_server_is(server):
    """Every page's address carries server.BASE_HINT (once, before Streamlit's bundle); the root, the static
    files and the API's answers are Streamlit's own bytes."""
    from server import BASE_HINT, page_names

    names = page_names()
    assert {"contacts", "deals", "calendar", "dashboard"} <= names
    for name in sorted(names):
        status, length_right, body = _get(f"{server.url}/{name}?id=1")
        assert status == 200 and body.count(BASE_HINT) == 1, name
        assert body.index(BASE_HINT) < body.index(b'type="module"'), name
        assert length_right, name
    for path in ("/", "/_stcore/health", "/_stcore/host-config", "/no-such-page"):
        assert BASE_HINT not in _get(server.url + path)[2], path
    # The API's answer at a path that ends like a page is not touched (only HTML is edited).
    request = urllib.request.Request(server.url + "/api/v1/contacts", headers={"Accept-Encoding": "gzip"})
    with pytest.raises(urllib.error.HTTPError) as caught:  # no key: 401, the API's own JSON answer
        urllib.request.urlopen(request, timeout=20)
    err = caught.value
    assert err.code == 401 and "json" in err.headers.get("Content-Type", "")
    raw = err.read()
    assert BASE_HINT not in (gzip.decompress(raw) if err.headers.get("Content-Encoding") == "gzip" else raw)


def test_a_new_tab_connects_at_once_and_never_leaves_the_server(browser, server, e2e_db):
    """A record opened by URL (the grid's ↗) finds the server on its first try: no health check at the
    page's own address (a 404, then a retry ~100 ms later). And no page asks another host for anything
    (the favicon was a Google-hosted icon): an internal CRM works offline and tells no one who uses it."""
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    try:
        page = context.new_page()
        enter_signed_in(page, server, e2e_db[0], "admin@demo.example")
        seen: list[str] = []
        context.on("request", lambda request: seen.append(request.url))
        for path in ("/contacts?id=1", "/deals", "/dashboard", "/calendar"):
            tab = context.new_page()
            tab.goto(server.url + path)
            tab.locator("[data-testid=stMain] h1").first.wait_for()
            wait_idle(tab)
            tab.close()
        probes = [u for u in seen if "_stcore/health" in u]
        assert probes and all(u == server.url + "/_stcore/health" for u in probes), probes
        outside = [u for u in seen if not u.startswith((server.url, "data:", "blob:"))
                   and not u.startswith(server.url.replace("http", "ws"))]
        assert outside == [], outside
    finally:
        context.close()
