"""Real browser: sign in, every page opens with its main content, roles enforced by URL."""

import pytest

from components.i18n import translate
from components.layout import PAGES, ROOT
from tests.e2e.harness import open_page, shot, wait_idle


def test_wrong_password_then_sign_in_and_home(page, server, e2e_db):
    page.goto(server.url + "/")
    page.get_by_label("Email", exact=True).fill("admin@demo.example")
    page.get_by_label("Password", exact=True).fill("wrong password")
    page.get_by_role("button", name="Sign in").click()
    page.get_by_text("Wrong email or password").wait_for()
    shot(page, "sign_in_error")
    page.get_by_label("Password", exact=True).fill(e2e_db[1]["admin@demo.example"])
    page.get_by_role("button", name="Sign in").click()
    page.get_by_text("Welcome back").wait_for()
    wait_idle(page)
    assert page.get_by_text("Open pipeline").is_visible()
    assert page.get_by_text("Latest activity").is_visible()
    shot(page, "home")


@pytest.mark.parametrize("key", [k for k, s, _, _ in PAGES if k != "home" and (ROOT / s).exists()])
def test_every_page_opens_from_the_sidebar(signed_in, key):
    label = translate("en", f"nav.{key}")
    open_page(signed_in, label)
    assert signed_in.locator("[data-testid=stException]").count() == 0
    assert signed_in.locator("h1").first.is_visible()
    shot(signed_in, f"page_{key}")


def test_rep_cannot_open_an_admin_page_by_url(sign_in_as, server):
    page = sign_in_as("rep")
    page.goto(server.url + "/admin")
    wait_idle(page)
    # A full reload starts a new session: the rep is asked to sign in, never shown the page.
    body = page.locator("body").inner_text()
    assert "Users" not in body or "not available" in body
