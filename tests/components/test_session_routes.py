"""server.py's cookie routes, called with real Starlette requests over a real database file; and the
trusted-proxy setting. (The Secure cookie through a real server and proxy headers: tests/e2e/test_session.py.)"""

from __future__ import annotations

import threading
import time

import pytest
from starlette.requests import Request

from components import session
from db.core import connection, users
from db.core.connection import connect

PW = "long enough pw"


@pytest.fixture
def server(monkeypatch, conn, db_file):
    """server.py imported without leaving its process-wide switches behind for other tests."""
    import os

    routes, allow = session.ROUTES_ENABLED, os.environ.get("FORWARDED_ALLOW_IPS")
    import server as module

    session.ROUTES_ENABLED = routes
    if allow is None:
        os.environ.pop("FORWARDED_ALLOW_IPS", None)
    else:
        os.environ["FORWARDED_ALLOW_IPS"] = allow
    monkeypatch.setenv("CRM_DB", str(db_file))
    return module


def _request(path: str, *, query: str = "", cookie: str | None = None, headers: dict | None = None,
             scheme: str = "http") -> Request:
    raw = [(b"host", b"crm.test")] + [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
    if cookie:
        raw.append((b"cookie", f"{session.COOKIE}={cookie}".encode()))
    return Request({"type": "http", "method": "POST", "path": path, "query_string": query.encode(), "headers": raw,
                    "scheme": scheme, "server": ("crm.test", 443 if scheme == "https" else 80),
                    "client": ("10.0.0.9", 5000), "root_path": ""})


def _set_cookie(response) -> str:
    return "; ".join(v.decode() for k, v in response.raw_headers if k == b"set-cookie")


def _signed_in(conn) -> str:
    uid = users.create_user(conn, email="ana@example.com", name="Ana", role="rep", password=PW)
    return users.create_session(conn, uid)


def _hold_write_lock(db_file, seconds: float) -> threading.Thread:
    """Another writer: BEGIN IMMEDIATE on its own connection, held for ``seconds``."""
    ready = threading.Event()

    def hold():
        c = connect(db_file)
        c.execute("BEGIN IMMEDIATE")
        ready.set()
        time.sleep(seconds)
        c.execute("COMMIT")
        c.close()

    th = threading.Thread(target=hold)
    th.start()
    ready.wait(5)
    return th


def test_logout_waits_for_a_write_lock_then_revokes(server, conn, db_file):
    token = _signed_in(conn)
    holder = _hold_write_lock(db_file, 1.0)
    began = time.monotonic()
    response = server.logout_route(_request("/auth/logout", cookie=token))
    holder.join()
    assert response.status_code == 204
    assert f'{session.COOKIE}=""' in _set_cookie(response) and "Max-Age=0" in _set_cookie(response)
    assert time.monotonic() - began >= 0.8
    assert users.session_user(conn, token) is None


def test_logout_clears_the_cookie_even_when_the_revocation_cannot_be_written(server, conn, db_file, monkeypatch):
    token = _signed_in(conn)
    logged = []
    monkeypatch.setattr(server._log, "error", lambda msg, *args: logged.append(msg % args))
    monkeypatch.setattr(connection, "BUSY_TIMEOUT_MS", 100)
    monkeypatch.setattr(server, "LOGOUT_WAIT", 0.3)
    holder = _hold_write_lock(db_file, 2.0)
    response = server.logout_route(_request("/auth/logout", cookie=token))
    holder.join()
    assert response.status_code == 204  # never a 500
    assert "Max-Age=0" in _set_cookie(response)
    assert users.session_user(conn, token) is not None  # not written, and said so in the log
    assert logged and "could not be revoked" in logged[0]


def test_logout_of_a_broken_database_still_clears_the_cookie(server, monkeypatch, tmp_path):
    monkeypatch.setenv("CRM_DB", str(tmp_path))  # a folder: SQLite cannot open it
    response = server.logout_route(_request("/auth/logout", cookie="whatever"))
    assert response.status_code == 204 and "Max-Age=0" in _set_cookie(response)


def test_session_route_sets_the_tabs_session_and_secure_only_over_https(server, conn):
    token = _signed_in(conn)
    plain = server.session_route(_request("/auth/session", query="ticket=" + users.create_ticket(conn, token)))
    assert f"{session.COOKIE}={token}" in _set_cookie(plain)
    assert "HttpOnly" in _set_cookie(plain) and "SameSite=lax" in _set_cookie(plain)
    assert "Secure" not in _set_cookie(plain)
    tls = server.session_route(_request("/auth/session", query="ticket=" + users.create_ticket(conn, token),
                                        scheme="https"))
    assert "Secure" in _set_cookie(tls)


def test_session_route_refuses_cross_site_calls(server, conn):
    ticket = users.create_ticket(conn, _signed_in(conn))
    response = server.session_route(_request("/auth/session", query="ticket=" + ticket,
                                             headers={"Sec-Fetch-Site": "cross-site"}))
    assert response.status_code == 403 and not _set_cookie(response)
    assert users.redeem_ticket(conn, ticket)  # not spent by the refused call


@pytest.mark.parametrize("value,expected", [
    ("", ""),
    ("127.0.0.1", "127.0.0.1/32"),
    (" 10.0.0.0/8 , ::1 ", "10.0.0.0/8,::1/128"),
    ("192.168.1.7/24", "192.168.1.0/24"),
])
def test_trusted_proxies_setting(value, expected):
    assert session.forwarded_allow_ips(value) == expected


@pytest.mark.parametrize("value", ["*", "proxy.local", "10.0.0.300", "127.0.0.1;10.0.0.1"])
def test_a_bad_trusted_proxies_setting_stops_the_start(value):
    with pytest.raises(ValueError, match="CRM_TRUSTED_PROXIES"):
        session.forwarded_allow_ips(value)
