"""Real browser: a sign-in survives a reload; sign-out revokes it; forged cookies get the sign-in page."""

from tests.e2e.harness import shot, wait_idle


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
    assert page.get_by_role("button", name="Sign in").count() == 0
