"""No traceback ever reaches a page: unexpected errors get an error id, links get checked ids.

``install()`` (called first thing by ``page_setup``, and given to ``st.App`` in server.py) hooks Streamlit's
uncaught-exception handler (``on_script_error``) for this session's script runs: the person sees
"Something went wrong (error id ABC123)" in their language, the server log carries the id and the
traceback. ``client.showErrorDetails = "none"`` in .streamlit/config.toml is the second line: anything
that fails before the hook is installed shows Streamlit's generic text, never a trace or a file path.

``query_id`` is the one reader of id query parameters (``?id=N``, ``?view=N``): ASCII digits only, 1..2^63-1.
"""

from __future__ import annotations

import secrets

import streamlit as st
from streamlit.logger import get_logger

from components.i18n import t

log = get_logger("crm.errors")
MAX_ID = 2**63 - 1
_ID_CHARS = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud over the phone


def new_error_id() -> str:
    return "".join(secrets.choice(_ID_CHARS) for _ in range(6))


def on_script_error(exc: Exception) -> bool:
    """Streamlit's ``on_script_error`` hook: log the traceback with an id, show only the id. Returns True so
    Streamlit does not draw its own exception box."""
    error_id = new_error_id()
    log.error("error id %s: uncaught %s in a page run", error_id, type(exc).__name__, exc_info=exc)
    try:
        st.error(t("errors.unexpected", error_id=error_id), icon=":material/error:")  # text-safe: a generated id
    except Exception:  # noqa: BLE001 - drawing failed too: Streamlit's redacted default box is the fallback
        log.exception("error id %s: could not show the message", error_id)
        return False
    return True


def install() -> None:
    """Hook ``on_script_error`` into this session's script-run context (it lives as long as the session's
    script thread, so fragments and callbacks are covered too). Works under ``streamlit run app.py`` and
    AppTest, where no ``st.App`` handler exists."""
    from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx

    ctx = get_script_run_ctx()
    if ctx is not None and ctx.on_script_error is not on_script_error:
        ctx.on_script_error = on_script_error


def parse_id(raw: object) -> int | None:
    """A record id from link text: ASCII digits only (no sign, space, '²' or '٣'), 1..2^63-1; else None."""
    if not isinstance(raw, str) or not 0 < len(raw) <= 19 or not raw.isascii() or not raw.isdigit():
        return None
    value = int(raw)
    return value if 1 <= value <= MAX_ID else None


def query_id(name: str = "id", *, back: str | None = None) -> int | None:
    """The id in query parameter ``name``: None when absent. A bad value says "That link is not valid"; with
    ``back`` (a page script) it offers that page and stops, else it returns None and the page goes on."""
    if name not in st.query_params:
        return None
    value = parse_id(st.query_params.get(name))
    if value is None:
        st.error(t("errors.bad_link"), icon=":material/link_off:")
        if back:
            st.page_link(back, label=t("errors.bad_link_back"), icon=":material/arrow_back:")
            st.stop()
    return value


def query_text(name: str, limit: int = 200) -> str:
    """Free text from query parameter ``name`` (a search link, ``/search?q=...``): "" when absent, cut to
    ``limit`` characters. Still user text: escape it before markdown like any other."""
    value = st.query_params.get(name)
    return value[:limit] if isinstance(value, str) else ""
