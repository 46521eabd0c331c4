"""Browser fixtures: one seeded database and one server per test session; a fresh page per test."""

from __future__ import annotations

from datetime import date

import pytest
from playwright.sync_api import expect

from components.session import COOKIE
from db.core import users
from db.core.connection import connect
from db.io.seed import seed
from tests.e2e.harness import CHROMIUM_ARGS, Server, chromium_path, wait_idle

# A loaded two-core machine (CI runs two workers, each with a server and a browser) can take longer than
# Playwright's 5 s default for an expect; the page's own default is 20 s (the ``page`` fixture).
expect.set_options(timeout=20_000)


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    path = chromium_path()
    if path is None:
        pytest.fail("Debian's chromium is not installed: run the README's test command, which installs it.")
    return {**browser_type_launch_args, "executable_path": path, "args": CHROMIUM_ARGS, "headless": True}


@pytest.fixture(scope="session")
def e2e_db(tmp_path_factory):
    path = tmp_path_factory.mktemp("e2e") / "crm.db"
    conn = connect(path)
    creds = seed(conn, "small", 7, date.today())
    conn.close()
    return path, creds


@pytest.fixture(scope="session")
def server(e2e_db, tmp_path_factory):
    srv = Server(e2e_db[0], tmp_path_factory.mktemp("logs") / "streamlit.log")
    yield srv
    srv.stop()


@pytest.fixture
def db(e2e_db):
    """A connection to the server's database, to assert what the browser changed."""
    conn = connect(e2e_db[0])
    yield conn
    conn.close()


@pytest.fixture
def page(page):
    page.set_viewport_size({"width": 1440, "height": 900})
    page.set_default_timeout(20_000)
    return page


def enter_signed_in(page, server, db_path, email: str) -> None:
    """Open the app as a returning user: a fresh session made through the data layer, its token in the
    HttpOnly cookie the server would have set, then the home page. The sign-in form itself (argon2, the
    cookie route, the server's cookie attributes) is walked by test_shell, test_session and the tests that
    call ``harness.sign_in``; the other tests only need someone signed in, and this costs a page load."""
    conn = connect(db_path)
    try:
        uid = conn.execute("SELECT id FROM users WHERE email = ?", (email,)).fetchone()[0]
        token = users.create_session(conn, uid)
    finally:
        conn.close()
    page.context.add_cookies([{"name": COOKIE, "value": token, "url": server.url, "httpOnly": True,
                               "sameSite": "Lax"}])
    page.goto(server.url + "/")
    page.get_by_text("Welcome back").first.wait_for(timeout=20_000)
    wait_idle(page)


@pytest.fixture
def signed_in(page, server, e2e_db):
    """A page signed in as the admin; use ``sign_in_as`` for other roles."""
    enter_signed_in(page, server, e2e_db[0], "admin@demo.example")
    return page


@pytest.fixture
def sign_in_as(page, server, e2e_db):
    def _sign_in(role: str):
        enter_signed_in(page, server, e2e_db[0], next(e for e in e2e_db[1] if e.startswith(role)))
        return page
    return _sign_in
