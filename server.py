"""ASGI entry point: the Streamlit app plus two small routes that own the session cookie.

``streamlit run server.py`` serves everything. The sign-in form (in the Streamlit script) checks the
password and has the browser fetch ``/auth/session`` with a one-time ticket, which is traded for an
HttpOnly, SameSite=Lax cookie holding a random session token (only its hash is stored).
``/auth/logout`` revokes the session on the server and clears the cookie. ``/api/v1`` is the REST API
(the ``api`` package). Nothing here runs a
query at import; the server's start (``lifespan``) does the one-time loading of components/warmup.py.

Behind a TLS proxy: ``CRM_TRUSTED_PROXIES`` names the proxies whose ``X-Forwarded-For``/``-Proto`` are
believed (uvicorn's proxy-headers middleware does the rewriting, for the routes and the websocket;
docs/security.md). Unset, none are; bin/start also hands the setting to uvicorn's own copy of that
middleware (``FORWARDED_ALLOW_IPS``), which would otherwise believe 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import gzip
import os
import socket
from contextlib import asynccontextmanager
from pathlib import Path

import streamlit as st
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route
from streamlit.logger import get_logger
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

import api
from components import errors, session, warmup
from db.core import users
from db.core.connection import connect
from integrations import delivery
from integrations import routes as integration_routes

COOKIE = session.COOKIE


def safe_next(target: str | None) -> str:
    """Only same-site relative paths: never an open redirect."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def _reply(request: Request) -> Response:
    """204 for the app's background fetch; a redirect when a person follows a link with ``next``."""
    target = request.query_params.get("next")
    if target is None:
        return Response(status_code=204, headers={"Cache-Control": "no-store"})
    return RedirectResponse(safe_next(target), status_code=303)


LOGOUT_WAIT = 10.0  # seconds a sign-out keeps retrying its revocation while another writer holds the lock
_log = get_logger(__name__)


def _cookie_args(request: Request) -> dict:
    """The cookie's attributes: ``Secure`` when the browser reached us over https (directly, or through
    a trusted proxy that said so)."""
    return {"path": "/", "httponly": True, "samesite": "lax", "secure": request.url.scheme == "https"}


def session_route(request: Request) -> Response:
    """Trade a one-time ticket for the session cookie; refuse cross-site calls (login CSRF)."""
    response = _reply(request)
    if request.headers.get("sec-fetch-site", "same-origin") != "same-origin":
        return Response(status_code=403, headers={"Cache-Control": "no-store"})
    token = None
    try:
        conn = connect()
        try:
            token = users.redeem_ticket(conn, request.query_params.get("ticket"))
        finally:
            conn.close()
    except Exception as exc:  # noqa: BLE001 - the tab stays signed in; only the lasting cookie is missed
        _log.warning("sign-in cookie not issued: %s", exc)
    if token:
        response.set_cookie(COOKIE, token, max_age=users.SESSION_DAYS * 86400, **_cookie_args(request))
    return response


def logout_route(request: Request) -> Response:
    """Clear the cookie, always; revoke its session, retrying while the database is busy.

    A revocation that cannot be written at all is logged: the browser is signed out either way, and the
    session would still end at its expiry or on "sign out on every device"."""
    token = request.cookies.get(COOKIE)
    if token:
        try:
            conn = connect()
            try:
                users.revoke_session(conn, token, wait=LOGOUT_WAIT)
            finally:
                conn.close()
        except Exception as exc:  # noqa: BLE001 - never a 500 here: the cookie must go
            _log.error("sign-out: the session could not be revoked (%s); the cookie is cleared anyway", exc)
    response = _reply(request)
    response.delete_cookie(COOKIE, **_cookie_args(request))
    return response


# A page's own address (/contacts) is where Streamlit's frontend first looks for the server: its health check
# there answers 404, and it tries the parent ~100 ms later. On a page's address the HTML says where the
# server is (the parent, with any prefix a proxy added), so a tab opened by URL connects at once.
BASE_HINT = (b"<script>(()=>{const p=location.pathname.replace(/\\/+$/,'');"
             b"window.__streamlit=Object.assign({},window.__streamlit,"
             b"{BACKEND_BASE_URL:location.origin+p.slice(0,p.lastIndexOf('/')+1)})})()</script>")


class BaseHint:
    """ASGI middleware: put ``BASE_HINT`` into the HTML that Streamlit serves at a page's address.

    Only HTML answered at the address of one of the app's pages (``/contacts``, ``/prefix/contacts`` behind a
    proxy) gets it, compressed again when it came compressed; every other answer (the API's JSON at
    ``/api/v1/contacts`` too) passes untouched."""

    def __init__(self, app, pages: frozenset[str] | None = None) -> None:
        self.app = app
        self.pages = pages if pages is not None else page_names()

    async def __call__(self, scope, receive, send) -> None:
        path = scope.get("path", "") if scope["type"] == "http" and scope.get("method") == "GET" else ""
        if path.rstrip("/").rsplit("/", 1)[-1] not in self.pages:
            await self.app(scope, receive, send)
            return
        start: dict | None = None
        body = bytearray()

        async def hold(message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                headers = dict(message.get("headers", []))
                if message["status"] == 200 and headers.get(b"content-type", b"").startswith(b"text/html"):
                    start = message
                    return
            elif start is not None and message["type"] == "http.response.body":
                body.extend(message.get("body", b""))
                if message.get("more_body"):
                    return
                headers = start.get("headers", [])
                gzipped = dict(headers).get(b"content-encoding", b"") == b"gzip"
                html = gzip.decompress(bytes(body)) if gzipped else bytes(body)
                html = html.replace(b"<head>", b"<head>" + BASE_HINT, 1)
                html = gzip.compress(html) if gzipped else html
                headers = [(k, v) for k, v in headers if k.lower() != b"content-length"]
                await send({**start, "headers": [*headers, (b"content-length", str(len(html)).encode())]})
                message = {"type": "http.response.body", "body": html}
            await send(message)

        await self.app(scope, receive, hold)


def page_names() -> frozenset[str]:
    """The last part of each page's address: Streamlit names a page in pages/ after its file."""
    return frozenset(p.stem for p in (Path(__file__).resolve().parent / "pages").glob("*.py"))


def nodelay_connections() -> None:
    """Set TCP_NODELAY on every connection uvicorn accepts.

    Streamlit binds its listening socket with protocol 0, and asyncio sets TCP_NODELAY only on sockets whose
    protocol is IPPROTO_TCP, so Nagle's algorithm met the client's delayed ACK: every answer on a reused
    connection (the API's, the app's own files) waited ~40 ms (docs/bench.md, "REST API"). Idempotent."""
    from uvicorn.protocols.http import h11_impl

    classes = [h11_impl.H11Protocol]
    try:
        from uvicorn.protocols.http import httptools_impl
        classes.append(httptools_impl.HttpToolsProtocol)
    except ImportError:  # httptools is optional; h11 is what uvicorn uses without it
        pass
    for cls in classes:
        original = cls.connection_made
        if getattr(original, "nodelay", False):
            continue

        def connection_made(self, transport, _original=original):
            sock = transport.get_extra_info("socket")
            if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
                try:
                    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                except OSError:  # a connection already gone: nothing to tune
                    pass
            _original(self, transport)

        connection_made.nodelay = True
        cls.connection_made = connection_made


@asynccontextmanager
async def lifespan(_app):
    """Warm the process before it serves: imports, locale data, the migration check
    (off the event loop; the server answers once it is done, ~1-1.5 s)."""
    nodelay_connections()  # before uvicorn accepts anything: it starts serving after the lifespan's start
    took = await asyncio.to_thread(warmup.warm)
    get_logger(__name__).info("warm-up: %s", ", ".join(f"{k} {v:.0f} ms" for k, v in took.items()))
    delivery.start()  # the webhook worker (integrations/delivery.py): after the migration check, once per process
    yield
    await asyncio.to_thread(delivery.stop)


if os.environ.get("FORWARDED_ALLOW_IPS") is None:
    _log.warning("FORWARDED_ALLOW_IPS is not set, so uvicorn believes X-Forwarded-* headers from 127.0.0.1 and "
                 "::1; bin/start sets it from CRM_TRUSTED_PROXIES (docs/security.md)")
session.ROUTES_ENABLED = True
# Our own copy of uvicorn's proxy-headers middleware, trusting CRM_TRUSTED_PROXIES only (a bad value stops the
# start). uvicorn's outer one is configured before this module is imported (FORWARDED_ALLOW_IPS, set by bin/start).
app = st.App("app.py", lifespan=lifespan, on_script_error=errors.on_script_error,
             middleware=[Middleware(ProxyHeadersMiddleware, trusted_hosts=session.trusted_proxies()),
                         Middleware(BaseHint)],
             routes=[Route("/auth/session", session_route, methods=["POST"]),  # fetch only: no link can sign in
                     Route("/auth/logout", logout_route, methods=["GET", "POST"]),
                     api.mount(),  # the REST API at /api/v1 (api/, docs/api.md)
                     *integration_routes()])  # web-to-lead forms and calendar feeds (integrations/)
