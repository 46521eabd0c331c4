"""ASGI entry point: the Streamlit app plus two small routes that own the session cookie.

``streamlit run server.py`` serves everything. The sign-in form (in the Streamlit script) checks the
password and has the browser fetch ``/auth/session`` with a one-time ticket, which is traded for an
HttpOnly, SameSite=Lax cookie holding a random session token (only its hash is stored).
``/auth/logout`` revokes the session on the server and clears the cookie. Nothing here runs a
query at import; the server's start (``lifespan``) does the one-time loading of components/warmup.py.
"""

from __future__ import annotations

import asyncio
from contextlib import asynccontextmanager

import streamlit as st
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route
from streamlit.logger import get_logger

from components import errors, session, warmup
from db.core import users
from db.core.connection import connect

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


def session_route(request: Request) -> Response:
    conn = connect()
    try:
        token = users.redeem_ticket(conn, request.query_params.get("ticket"))
    finally:
        conn.close()
    response = _reply(request)
    if token:
        response.set_cookie(COOKIE, token, max_age=users.SESSION_DAYS * 86400, httponly=True, samesite="lax",
                            secure=request.url.scheme == "https", path="/")
    return response


def logout_route(request: Request) -> Response:
    conn = connect()
    try:
        users.revoke_session(conn, request.cookies.get(COOKIE))
    finally:
        conn.close()
    response = _reply(request)
    response.delete_cookie(COOKIE, path="/")
    return response


@asynccontextmanager
async def lifespan(_app):
    """Warm the process before it serves: imports, plotly's validators, locale data, the migration check
    (off the event loop; the server answers once it is done, ~1-1.5 s)."""
    took = await asyncio.to_thread(warmup.warm)
    get_logger(__name__).info("warm-up: %s", ", ".join(f"{k} {v:.0f} ms" for k, v in took.items()))
    yield


session.ROUTES_ENABLED = True
app = st.App("app.py", lifespan=lifespan, on_script_error=errors.on_script_error,
             routes=[Route("/auth/session", session_route), Route("/auth/logout", logout_route)])
