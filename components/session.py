"""Browser side of the lasting sign-in: read the session cookie, call the cookie routes; the client address.

The call is a components-v2 element (it runs in the app page, not a sandboxed iframe) that
fetches ``/auth/session`` or ``/auth/logout`` served by server.py. The response sets or clears
the HttpOnly cookie without a reload, so the Streamlit session simply carries on.

Behind a reverse proxy the server sees the proxy's address and plain http. ``CRM_TRUSTED_PROXIES``
(comma-separated addresses or CIDR networks) names the proxies whose ``X-Forwarded-For`` and
``X-Forwarded-Proto`` are believed; server.py hands it to uvicorn's proxy-headers middleware, which
rewrites the client address and scheme for the routes and the websocket alike (and bin/start to
uvicorn's outer copy, ``FORWARDED_ALLOW_IPS``). Unset: nobody is.
"""

from __future__ import annotations

import ipaddress
import os
import secrets
from urllib.parse import urlencode

import streamlit as st

COOKIE = "crm_session"
TRUSTED_PROXIES_ENV = "CRM_TRUSTED_PROXIES"
# Set by server.py when the cookie routes are mounted; plain `streamlit run app.py` (and AppTest)
# keep the sign-in in the Streamlit session only (still a server-side session, so revocation works).
ROUTES_ENABLED = False
_JS = """
export default function(component) {
  const { data, setTriggerValue } = component;
  if (!data || !data.url || window.__crmCalled === data.url) return;
  window.__crmCalled = data.url;
  fetch(data.url, { method: "POST", credentials: "same-origin", cache: "no-store" })
    .then((r) => setTriggerValue("done", r.status))
    .catch(() => setTriggerValue("done", 0));
}
"""
_caller = None


def trusted_proxies(value: str | None = None) -> list[str]:
    """The trusted proxies from ``CRM_TRUSTED_PROXIES`` (or ``value``), checked: a typo stops the start
    with a message rather than silently trusting nothing (or everything). ``*`` is refused: it would let
    any client forge its address and scheme."""
    raw = os.environ.get(TRUSTED_PROXIES_ENV, "") if value is None else value
    found = []
    for item in (part.strip() for part in raw.split(",")):
        if not item:
            continue
        try:
            found.append(str(ipaddress.ip_network(item, strict=False)))
        except ValueError:
            raise ValueError(f"{TRUSTED_PROXIES_ENV}: '{item[:60]}' is not an IP address or CIDR network "
                             "(for example 127.0.0.1,10.0.0.0/8)") from None
    return found


def forwarded_allow_ips(value: str | None = None) -> str:
    """uvicorn's ``FORWARDED_ALLOW_IPS`` for our setting: empty (trust no proxy) unless one is named.
    ``python -m components.session`` prints it (bin/start exports it before the server starts)."""
    return ",".join(trusted_proxies(value))


def client_address() -> str:
    """The client's address for sign-in throttling: the websocket peer, which uvicorn has already taken
    from ``X-Forwarded-For`` when the peer is a trusted proxy; ``local`` for localhost and AppTest."""
    try:
        address = st.context.ip_address
    except Exception:  # noqa: BLE001 - no request context (AppTest, bare mode)
        address = None
    return address if isinstance(address, str) and address else "local"


def cookie_token() -> str | None:
    try:
        value = st.context.cookies.get(COOKIE)
    except Exception:  # noqa: BLE001 - no request context (AppTest, bare mode)
        return None
    return value if isinstance(value, str) and value else None


def session_url(ticket: str) -> str:
    return "/auth/session?" + urlencode({"ticket": ticket})


def logout_url() -> str:
    """Unique per call: the browser element skips a URL it has just fetched."""
    return "/auth/logout?" + urlencode({"n": secrets.token_hex(4)})


def call_route(url: str) -> None:
    """Have the browser fetch a same-site cookie route once (sets or clears the cookie)."""
    global _caller
    if _caller is None:
        _caller = st.components.v2.component("crm_cookie_route", js=_JS)
    _caller(data={"url": url}, key="cookie-route", on_done_change=lambda: None)


if __name__ == "__main__":
    import sys

    try:
        print(forwarded_allow_ips())
    except ValueError as err:
        sys.exit(str(err))
