"""Browser side of the lasting sign-in: read the session cookie, send the browser to the cookie routes.

The redirect is a components-v2 element (it runs in the app page, not a sandboxed iframe), so it
can move the whole tab to ``/auth/session`` or ``/auth/logout`` served by server.py.
"""

from __future__ import annotations

import json
from urllib.parse import urlencode

import streamlit as st

COOKIE = "crm_session"
# Set by server.py when the cookie routes are mounted; plain `streamlit run app.py` (and AppTest)
# keep the sign-in in the Streamlit session only.
ROUTES_ENABLED = False
_JS = """
export default function(component) {
  const { data } = component;
  if (data && data.url && !window.__crmRedirected) {
    window.__crmRedirected = true;
    window.location.assign(data.url);
  }
}
"""
_redirect = None


def cookie_token() -> str | None:
    try:
        value = st.context.cookies.get(COOKIE)
    except Exception:  # noqa: BLE001 - no request context (AppTest, bare mode)
        return None
    return value if isinstance(value, str) and value else None


def current_path() -> str:
    try:
        url = st.context.url or "/"
    except Exception:  # noqa: BLE001
        return "/"
    path = "/" + url.split("://", 1)[-1].split("/", 1)[-1] if "://" in url else url
    return path if path.startswith("/") else "/"


def session_url(ticket: str, next_path: str) -> str:
    return "/auth/session?" + urlencode({"ticket": ticket, "next": next_path})


def redirect(url: str) -> None:
    """Move the browser tab to ``url`` (same-site path)."""
    global _redirect
    if _redirect is None:
        _redirect = st.components.v2.component("crm_redirect", js=_JS)
    _redirect(data={"url": url}, key=f"redirect-{json.dumps(url)[:40]}")
