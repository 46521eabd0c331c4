"""AppTest helpers: run a page script against a real database file as a given user."""

from __future__ import annotations

import os
import re
from pathlib import Path

from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parent.parent


def user_id(db_path: Path, role: str) -> int:
    from db.core.connection import connect

    c = connect(db_path)
    try:
        return c.execute("SELECT id FROM users WHERE role = ? ORDER BY id LIMIT 1", (role,)).fetchone()[0]
    finally:
        c.close()


def session_for(db_path: Path, uid: int) -> str:
    """A live server-side session for user ``uid``: every script run checks it, as for a real sign-in."""
    from db.core.connection import connect
    from db.core.users import create_session

    c = connect(db_path)
    try:
        return create_session(c, uid)
    finally:
        c.close()


def page(script: str, db_path: Path, role: str | None = "admin", *, query: dict | None = None,
         state: dict | None = None, timeout: float = 30) -> AppTest:
    """An AppTest for ``script`` signed in as the first user with ``role`` (None: signed out). Not yet run."""
    os.environ["CRM_DB"] = str(db_path)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=timeout)
    if script != "app.py":
        at.switch_page(script)  # run as a page of the real app, so sidebar links resolve
    if role:
        at.session_state["session_token"] = session_for(db_path, user_id(db_path, role))
    for key, value in (state or {}).items():
        at.session_state[key] = value
    for key, value in (query or {}).items():
        at.query_params[key] = str(value)
    return at


def texts(at: AppTest) -> str:
    """Everything readable on the page, for 'is it there' assertions: as the reader sees it, so the escapes
    and invisible joiners of ``components.text.esc`` are resolved (AppTest reports the markdown source)."""
    parts = []
    for kind in ("title", "header", "subheader", "markdown", "caption", "text", "info", "warning", "error", "success"):
        parts += [str(e.value) for e in getattr(at, kind)]
    parts += [f"{m.label} {m.value}" for m in at.metric]
    return shown("\n".join(parts))


def shown(markdown: str) -> str:
    """What Streamlit shows for markdown source that went through ``esc``: backslash escapes and the
    invisible WORD JOINER removed."""
    return re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", markdown).replace("\u2060", "")


def said(err, lang: str = "en") -> str:
    """A domain error as the user reads it (error_text is markdown with its parameters escaped)."""
    from components.i18n import error_text

    return shown(error_text(err, lang))
