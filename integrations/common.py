"""What the integration routes share: a connection per request (off the event loop), the caller's
language and address, plain HTML pages."""

from __future__ import annotations

import asyncio
import html
from collections.abc import Callable

from starlette.requests import Request

from components.i18n import DEFAULT, LANGUAGES
from db.core.connection import connect


async def with_db(work: Callable, *args):
    """Run ``work(conn, *args)`` on a worker thread with its own connection (SQLite waits must not block the
    event loop that also serves the app's websockets)."""
    def run():
        conn = connect()
        try:
            return work(conn, *args)
        finally:
            conn.close()
    return await asyncio.to_thread(run)


def language(request: Request) -> str:
    """The first of the app's languages the caller's ``Accept-Language`` names; English otherwise."""
    for part in request.headers.get("accept-language", "").split(","):
        code = part.split(";")[0].strip().lower()[:2]
        if code in LANGUAGES:
            return code
    return DEFAULT


def address(request: Request) -> str:
    """The caller's address (uvicorn's proxy middleware has already applied a trusted proxy's header)."""
    return request.client.host if request.client else "unknown"


def page(title: str, body: str, lang: str = DEFAULT) -> str:
    """A small self-contained HTML page; ``body`` is already-escaped HTML."""
    return (f"<!doctype html><html lang=\"{lang}\"><head><meta charset=\"utf-8\">"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            f"<title>{html.escape(title)}</title><style>body{{font-family:system-ui,sans-serif;max-width:34rem;"
            "margin:3rem auto;padding:0 1rem;color:#222;line-height:1.5}label{display:block;margin:.6rem 0}"
            "input,textarea{display:block;width:100%;padding:.4rem;margin-top:.2rem;box-sizing:border-box}"
            "button{margin-top:1rem;padding:.5rem 1.2rem}</style></head>"
            f"<body>{body}</body></html>")
