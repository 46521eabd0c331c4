"""HTTP integrations served from the app's own process: webhook delivery, web-to-lead forms, calendar feeds.

Routes here are thin, like pages: they parse the request, call db/ functions and shape the answer.
server.py mounts ``routes()`` and starts the webhook worker from its lifespan.
"""

from __future__ import annotations


def routes() -> list:
    """Every integration route, for ``st.App(routes=...)``."""
    from integrations import feeds, forms

    return [*forms.ROUTES, *feeds.ROUTES]
