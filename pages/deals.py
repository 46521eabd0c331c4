"""Deals: the kanban board of a pipeline (drag to move), deal detail, new deals, weighted forecast."""

import streamlit as st

from components.deals_view import (
    board_filters,
    handle_move,
    render_deal,
    render_deals_list,
    render_export,
    render_forecast,
    render_move_notice,
    render_new_deal_button,
    render_pipeline_board,
    view_switch,
)
from components.errors import query_id
from components.i18n import t
from components.layout import page_setup
from components.new_record import render_created
from components.saved_views import apply_from_url, render_save

ctx = page_setup("deals")
deal_id = query_id("id", back="pages/deals.py")
if deal_id is not None:
    render_deal(ctx, deal_id)
    st.stop()

head, switch, new_button = st.columns([3, 1, 1], vertical_alignment="bottom")
head.title(t("nav.deals"))
with switch:
    view = view_switch()
apply_from_url(ctx, "deals")
query = board_filters(ctx)
with new_button:
    render_new_deal_button(ctx, query.pipeline_id)
render_created("deal")
render_save(ctx, "deals")
render_move_notice(ctx)
pending = st.session_state.get("deal_move")
if pending:
    handle_move(ctx, pending)
if view == "list":
    render_deals_list(ctx, query)
else:
    render_pipeline_board(ctx, query)
    render_forecast(ctx, query.pipeline_id)
render_export(ctx, query)
