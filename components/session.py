"""Browser side of the lasting sign-in: read the session cookie, call the cookie routes.

The call is a components-v2 element (it runs in the app page, not a sandboxed iframe) that
fetches ``/auth/session`` or ``/auth/logout`` served by server.py. The response sets or clears
the HttpOnly cookie without a reload, so the Streamlit session simply carries on.
"""

from __future__ import annotations

from urllib.parse import urlencode

import streamlit as st

COOKIE = "crm_session"
# Set by server.py when the cookie routes are mounted; plain `streamlit run app.py` (and AppTest)
# keep the sign-in in the Streamlit session only.
ROUTES_ENABLED = False
_JS = """
export default function(component) {
  const { data, setTriggerValue } = component;
  if (!data || !data.url || window.__crmCalled === data.url) return;
  window.__crmCalled = data.url;
  fetch(data.url, { credentials: "same-origin", cache: "no-store" })
    .then((r) => setTriggerValue("done", r.status))
    .catch(() => setTriggerValue("done", 0));
}
"""
_caller = None


def cookie_token() -> str | None:
    try:
        value = st.context.cookies.get(COOKIE)
    except Exception:  # noqa: BLE001 - no request context (AppTest, bare mode)
        return None
    return value if isinstance(value, str) and value else None


def session_url(ticket: str) -> str:
    return "/auth/session?" + urlencode({"ticket": ticket})


def call_route(url: str) -> None:
    """Have the browser fetch a same-site cookie route once (sets or clears the cookie)."""
    global _caller
    if _caller is None:
        _caller = st.components.v2.component("crm_cookie_route", js=_JS)
    _caller(data={"url": url}, key="cookie-route", on_done_change=lambda: None)
