"""Empty states: an empty table or chart says why it is empty and what to do, in the user's language."""

from __future__ import annotations

import streamlit as st


def empty_state(message: str, where=None) -> None:
    """Instead of an empty table, axis or board: ``message`` is our own t() sentence (why, then what to do)."""
    (where or st).info(message, icon=":material/search_off:")  # text-safe: a t() sentence from the caller


def nothing(items, *fields: str) -> bool:
    """True when ``items`` is empty or every row has only zeros/None in ``fields`` (a funnel of 0s is empty)."""
    return not items or (bool(fields) and not any(row.get(f) for row in items for f in fields))
