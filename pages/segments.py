"""Segments: ABC by profit and revenue and RFM scores, refreshed on demand, compared side by side."""

from datetime import date

import streamlit as st

from components.charts import PALETTE, bars
from components.empty import empty_state, nothing
from components.export import export_buttons
from components.i18n import money, number, percent, t
from components.layout import page_setup
from db.analytics import segments
from db.analytics.kpi import change_token
from db.core.connection import connect, db_path
from db.core.filters import Filters, period

ctx = page_setup("segments")
st.title(t("nav.segments"))
st.caption(t("segments.help"))
if st.button(t("segments.refresh"), icon=":material/refresh:", key="seg_refresh"):
    with st.spinner(t("dashboard.computing")):  # computed without a lock; only changed rows written, in chunks
        done = segments.refresh(ctx.conn)
    said = [t("segments.refreshed", n=done.customers), t("segments.changed", n=done.written + done.removed)]
    st.success(" ".join(said))  # text-safe: counts
start, end = period("year", date.today())


@st.cache_data(ttl=3600, max_entries=8, show_spinner=False)
def _compare(path: str, token: tuple, start: date, end: date) -> list[dict]:
    """Cached per change token: recomputed only when the data changed."""
    conn = connect(path)
    try:
        return segments.compare(conn, Filters(start, end))
    finally:
        conn.close()


with st.spinner(t("dashboard.computing")):
    table = _compare(str(db_path()), change_token(ctx.conn), start, end)
if nothing(table, "customers"):
    empty_state(t("segments.none"))
    st.stop()
st.dataframe([{t("dashboard.segment"): r["segment"], t("segments.customers"): r["customers"],
               t("kpi.revenue"): money(r["revenue"], ctx.lang), t("kpi.profit"): money(r["profit"], ctx.lang),
               t("kpi.csat"): percent(r["csat"], ctx.lang),
               t("kpi.nps"): number(r["nps"], ctx.lang, 1) if r["nps"] is not None else "—"} for r in table],
             hide_index=True, width="stretch")
with st.expander(t("export.title"), icon=":material/download:"):
    export_buttons("segments", table, key="seg_export")
left, right = st.columns(2)
left.vega_lite_chart(bars([{"label": r["segment"], "value": r["customers"], "colour": PALETTE[i % 3]}
                          for i, r in enumerate(table)], t("segments.customers_by_abc")), key="seg_abc")
rfm = segments.recency_counts(ctx.conn)
right.vega_lite_chart(bars([{"label": str(score), "value": n} for score, n in rfm.items()], t("segments.recency"),
                           PALETTE[4]), key="seg_rfm")
