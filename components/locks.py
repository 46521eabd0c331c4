"""Read-only records: the one check (``permissions.may_write``, the rule the write path enforces and the
board's locked cards use) and the line that says why a form's fields are disabled."""

from __future__ import annotations

import streamlit as st

from components.i18n import t
from components.layout import PageContext
from components.text import esc
from db.core.permissions import may_write


def writable(ctx: PageContext, table: str, row: dict, owner: str | None) -> bool:
    """True when the signed-in person may change ``row``; otherwise say so (and who owns it) and return False."""
    if may_write(ctx.actor, table, row):
        return True
    st.info(t("record.read_only", owner=esc(owner or "—")), icon=":material/lock:")  # text-safe: esc'd owner name
    return False
