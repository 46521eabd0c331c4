"""Real browser: a sign-in survives a reload; sign-out revokes it; forged cookies get the sign-in page."""

import pytest
from playwright.sync_api import expect

from db.core import users
from db.core.connection import connect
from tests.e2e.harness import Server, open_page, shot, sign_in, wait_idle


@pytest.fixture
def signed_in(page, server, e2e_db):
    """Through the sign-in form here: these tests check the cookie the server itself sets."""
    sign_in(page, server.url, "admin@demo.example", e2e_db[1]["admin@demo.example"])
    return page


def _cookie(page):
    return next((c for c in page.context.cookies() if c["name"] == "crm_session"), None)


def test_sign_in_survives_a_reload_and_sign_out_ends_it(signed_in, server, db):
    page = signed_in
    page.wait_for_function("() => document.cookie !== undefined")
    page.wait_for_timeout(500)
    cookie = _cookie(page)
    assert cookie and cookie["httpOnly"] and cookie["sameSite"] == "Lax"
    page.reload()
    page.get_by_text("Welcome back").first.wait_for()
    live = db.execute("SELECT COUNT(*) FROM sessions WHERE revoked_at IS NULL").fetchone()[0]
    assert live >= 1
    page.locator("[data-testid=stSidebar]").get_by_role("button", name="Sign out").click()
    page.get_by_role("button", name="Sign in").first.wait_for()
    wait_idle(page)
    assert _cookie(page) is None
    page.reload()
    page.get_by_role("button", name="Sign in").first.wait_for()
    assert page.get_by_text("Welcome back").count() == 0
    assert db.execute("SELECT COUNT(*) FROM sessions WHERE revoked_at IS NOT NULL").fetchone()[0] >= 1


def test_forged_cookie_gets_the_sign_in_page(page, server):
    page.context.add_cookies([{"name": "crm_session", "value": "forged-token", "url": server.url}])
    page.goto(server.url + "/")
    page.get_by_role("button", name="Sign in").first.wait_for()
    assert page.get_by_text("Welcome back").count() == 0
    shot(page, "sign_in")


def test_deep_link_works_after_a_reload(signed_in, server):
    page = signed_in
    page.wait_for_timeout(500)
    page.goto(server.url + "/account")
    wait_idle(page)
    expect(page.get_by_role("button", name="Sign in")).to_have_count(0)


ENDED = "You were signed out"


def _context(browser):
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    context.set_default_timeout(20_000)
    return context


def test_revocation_reaches_open_tabs_and_other_browsers(browser, server, e2e_db):
    """Tabs A1, A2 (one browser, one cookie) and B (another browser), all the same person. Signing out in A1
    ends A2 at its next click, not B; "sign out on every device" in A then ends B at its next click."""
    email = next(e for e in e2e_db[1] if e.startswith("rep"))
    a, b = _context(browser), _context(browser)
    try:
        a1 = a.new_page()
        sign_in(a1, server.url, email, e2e_db[1][email])
        a2 = a.new_page()
        a2.goto(server.url + "/")
        a2.get_by_text("Welcome back").first.wait_for()  # signed in by the cookie: the same session as A1
        b1 = b.new_page()
        sign_in(b1, server.url, email, e2e_db[1][email])

        a1.locator("[data-testid=stSidebar]").get_by_role("button", name="Sign out").click()
        a1.get_by_role("button", name="Sign in").first.wait_for()
        open_page(a2, "Contacts")
        a2.get_by_text(ENDED).first.wait_for()
        expect(a2.get_by_role("button", name="Sign in")).to_have_count(1)
        open_page(b1, "Contacts")
        assert b1.get_by_text(ENDED).count() == 0 and b1.get_by_role("button", name="Sign in").count() == 0

        sign_in(a1, server.url, email, e2e_db[1][email])
        open_page(a1, "Account")
        a1.get_by_role("button", name="Sign out on every device").click()
        a1.get_by_text("sessions ended").first.wait_for()
        open_page(b1, "Companies")
        b1.get_by_text(ENDED).first.wait_for()
        expect(b1.get_by_role("button", name="Sign in")).to_have_count(1)
        shot(b1, "session_ended")
        expect(b1.get_by_text(ENDED)).to_have_count(1)  # still there after the cookie route's rerun
        b1.reload()  # and the cookie of browser B no longer signs it in either
        b1.get_by_role("button", name="Sign in").first.wait_for()
        wait_idle(b1)
        assert b1.get_by_text("Welcome back").count() == 0
    finally:
        a.close()
        b.close()


def _cookie_through(url: str, db_path, forwarded: dict) -> str:
    """POST a fresh ticket to /auth/session as a proxy would forward it; the Set-Cookie header."""
    import urllib.request

    conn = connect(db_path)
    try:
        uid = conn.execute("SELECT id FROM users WHERE role = 'rep' ORDER BY id LIMIT 1").fetchone()[0]
        ticket = users.create_ticket(conn, users.create_session(conn, uid))
    finally:
        conn.close()
    request = urllib.request.Request(f"{url}/auth/session?ticket={ticket}", method="POST", headers=forwarded)
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.headers.get("Set-Cookie") or ""


def test_secure_cookie_and_client_address_only_behind_a_trusted_proxy(browser, server, e2e_db, tmp_path):
    tls = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.5"}
    untrusted = _cookie_through(server.url, e2e_db[0], tls)  # CRM_TRUSTED_PROXIES unset: trust nobody
    assert "crm_session=" in untrusted and "secure" not in untrusted.lower()
    # FORWARDED_ALLOW_IPS empty: uvicorn's outer middleware trusts nobody, so this proves server.py's own
    # middleware (what a plain `streamlit run server.py` relies on) reads CRM_TRUSTED_PROXIES.
    proxied = Server(e2e_db[0], tmp_path / "proxied.log",
                     env={"CRM_TRUSTED_PROXIES": "127.0.0.1", "FORWARDED_ALLOW_IPS": ""})
    try:
        assert "secure" in _cookie_through(proxied.url, e2e_db[0], tls).lower()
        assert "secure" not in _cookie_through(proxied.url, e2e_db[0], {"X-Forwarded-Proto": "http"}).lower()
        # the websocket too: a wrong password is throttled under the forwarded client address
        _wrong_password_through(browser, proxied.url, "203.0.113.9")
        _wrong_password_through(browser, server.url, "203.0.113.10")
        conn = connect(e2e_db[0])
        try:
            assert users.attempts(conn, "nobody@demo.example", "203.0.113.9") == 1
            assert users.attempts(conn, "nobody@demo.example", "203.0.113.10") == 0  # not trusted there
        finally:
            conn.close()
    finally:
        proxied.stop()


def _wrong_password_through(browser, url: str, client: str) -> None:
    context = browser.new_context(extra_http_headers={"X-Forwarded-For": client})
    try:
        page = context.new_page()
        page.goto(url + "/")
        page.get_by_label("Email", exact=True).fill("nobody@demo.example")
        page.get_by_label("Password", exact=True).fill("not the password")
        page.get_by_role("button", name="Sign in").click()
        page.get_by_text("Wrong email or password").first.wait_for(timeout=20_000)
    finally:
        context.close()


def test_a_link_cannot_trade_a_ticket(server, e2e_db):
    """Login CSRF: /auth/session answers only the app's own POST, not a link (GET: the app's page, no
    cookie) or a cross-site call (403); the ticket is left unspent by both."""
    import urllib.error
    import urllib.request

    conn = connect(e2e_db[0])
    try:
        uid = conn.execute("SELECT id FROM users WHERE role = 'rep' ORDER BY id LIMIT 1").fetchone()[0]
        ticket = users.create_ticket(conn, users.create_session(conn, uid))
    finally:
        conn.close()
    url = f"{server.url}/auth/session?ticket={ticket}"
    with urllib.request.urlopen(urllib.request.Request(url, method="GET"), timeout=10) as response:
        assert "crm_session" not in (response.headers.get("Set-Cookie") or "")
    cross = urllib.request.Request(url, method="POST", headers={"Sec-Fetch-Site": "cross-site"})
    try:
        urllib.request.urlopen(cross, timeout=10)
        raise AssertionError("a cross-site call was answered")
    except urllib.error.HTTPError as err:
        assert err.code == 403 and "crm_session" not in (err.headers.get("Set-Cookie") or "")
    with urllib.request.urlopen(urllib.request.Request(url, method="POST"), timeout=10) as response:
        assert "crm_session=" in (response.headers.get("Set-Cookie") or "")  # still good for the app itself
