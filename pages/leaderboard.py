"""Leaderboard: who won what this period. The worked example in docs/new-page.md."""

from datetime import date

import streamlit as st

from components.empty import empty_state, nothing
from components.export import export_buttons
from components.i18n import money, t
from components.layout import page_setup
from components.text import esc
from db.analytics.leaderboard import leaderboard
from db.core.filters import PERIODS, period

ctx = page_setup("leaderboard")
st.title(t("nav.leaderboard"))
kind = st.segmented_control(t("dashboard.period"), PERIODS[:3], default="month", key="lb_period",
                            format_func=lambda p: t(f"dashboard.period_{p}")) or "month"
start, end = period(kind, date.today())
board = leaderboard(ctx.conn, start.isoformat(), end.isoformat())
if nothing(board, "won", "activities"):  # the table still shows each person's open pipeline
    empty_state(t("leaderboard.none"))
st.dataframe(
    [{t("leaderboard.person"): r["name"], t("leaderboard.won"): r["won"],
      t("kpi.revenue"): money(r["revenue"], ctx.lang), t("leaderboard.activities"): r["activities"],
      t("leaderboard.open"): money(r["open_pipeline"], ctx.lang)} for r in board],
    hide_index=True, width="stretch")
if board and board[0]["revenue"]:
    st.success(t("leaderboard.leader", name=esc(board[0]["name"]), amount=money(board[0]["revenue"], ctx.lang)))
if board:
    with st.expander(t("export.title"), icon=":material/download:"):
        export_buttons("leaderboard", board, key="lb_export")
