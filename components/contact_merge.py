"""The duplicates panel on the contacts page: likely pairs, a side-by-side choice per field, merge."""

from __future__ import annotations

import streamlit as st

from components.i18n import channel_label, error_text, t
from components.layout import PageContext
from components.text import esc
from db.analytics.kpi import change_token
from db.core import records
from db.core.connection import connect, db_path
from db.core.errors import DomainError
from db.crm import duplicates

SHOWN = ("first_name", "last_name", "email", "phone", "title", "lifecycle", "channel", "tags")


@st.cache_data(ttl=600, max_entries=4, show_spinner=False)
def _candidates(path: str, token: tuple) -> list[dict]:
    """Likely duplicate pairs, found again only when the data changed (a scan of every contact)."""
    conn = connect(path)
    try:
        return duplicates.candidates(conn)
    finally:
        conn.close()


def render_duplicates(ctx: PageContext) -> None:
    """Closed, it costs nothing: the scan runs only while the panel is open (with people saving all day the
    change token moves often, and it was ~5 % of the server's CPU on every contacts run)."""
    panel = st.expander(t("merge.title"), icon=":material/merge:", key="merge_panel", on_change="rerun")
    if not panel.open:
        return
    with panel:
        pairs = _candidates(str(db_path()), change_token(ctx.conn))
        if not pairs:
            st.caption(t("merge.none"))
            return
        labels = {i: f"#{p['a']} ↔ #{p['b']} · {t('merge.by_' + p['reason'].replace(' ', '_'))} · {p['value']}"
                  for i, p in enumerate(pairs)}
        pick = st.selectbox(t("merge.pair"), list(labels), format_func=labels.get, key="merge_pair")
        pair = pairs[pick]
        try:
            a, b = records.get(ctx.conn, "contacts", pair["a"]), records.get(ctx.conn, "contacts", pair["b"])
        except DomainError as err:
            st.error(error_text(err))
            return
        keep = {}
        st.caption(t("merge.help", a=pair["a"], b=pair["b"]))  # text-safe: ids
        for field in SHOWN:
            if (a[field] or "") == (b[field] or ""):
                continue
            keep[field] = st.radio(t(f"contacts.{field}") if field != "lifecycle" else t("contacts.lifecycle"),
                                   ["survivor", "loser"], horizontal=True, key=f"merge_{pair['a']}_{pair['b']}_{field}",
                                   format_func=lambda s, f=field: esc(_shown(f, (a if s == "survivor" else b)[f])))
        if st.button(t("merge.go", a=pair["a"], b=pair["b"]), type="primary", key="merge_go"):  # text-safe: ids
            try:
                moved = duplicates.merge(ctx.conn, pair["a"], pair["b"], keep, ctx.actor)
                parts = [t(f"merge.moved_{name}", n=count) for name, count in moved.items() if count]
                st.success(t("merge.done", moved=", ".join(parts)) if parts else t("merge.done_nothing"))  # text-safe: counts
            except DomainError as err:
                st.error(error_text(err))


def _shown(field: str, value) -> str:
    """A value as the merge choice shows it: built-in choices (lifecycle, channel) in the user's language (plain text: the caller escapes it)."""
    if not value:
        return "—"
    if field == "lifecycle":
        return t(f"contacts.lifecycle_{value}")
    return channel_label(value) if field == "channel" else str(value)
