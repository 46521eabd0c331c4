"""A confirmation that outlives the rerun a save triggers.

A save ends with ``rerun()`` so the grid shows the stored rows; an ``st.success`` drawn before it is never
seen and a toast fades in seconds. ``flash(key, message)`` keeps the line in session state and
``show_flash(key)`` draws it on the next run, where the save button is; it stays until the next action.
"""

from __future__ import annotations

import streamlit as st

from components.i18n import t
from components.reruns import rerun

FLASH = "_flash"


def flash(key: str, message: str) -> None:
    """Keep ``message`` (our own translated text, already markdown-safe) for ``show_flash(key)``."""
    st.session_state.setdefault(FLASH, {})[key] = message


def show_flash(key: str) -> None:
    """Draw the kept confirmation of ``key`` once (the run after the save), then forget it."""
    message = st.session_state.get(FLASH, {}).pop(key, None)
    if message:
        st.success(message, icon=":material/check_circle:")  # text-safe: t() text with counts, set by flash()


def saved_message(updated: int = 0, created: int = 0, deleted: int = 0) -> str:
    """"Saved: 2 changes, 1 new row." in the user's language, each count in its plural form; zero parts left out."""
    parts = [t(f"contacts.saved_{name}", n=count) for name, count in
             (("updated", updated), ("created", created), ("deleted", deleted)) if count]
    return t("contacts.saved", parts=", ".join(parts)) if parts else t("admin.saved")


def act(key: str, action, message: str) -> None:
    """Run ``action`` (a save); when it works, say ``message`` after the rerun under ``key``; when the data layer
    refuses, show why here and keep the inputs."""
    from components.layout import show_error
    from db.core.errors import DomainError

    try:
        action()
    except DomainError as err:
        show_error(err)
        return
    flash(key, message)
    rerun()
