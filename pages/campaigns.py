"""Campaigns: edit channel, dates, budget and spend; see leads, customers, revenue, ROI and CAC per campaign."""

from datetime import date

import streamlit as st

from components import grid
from components.flash import flash, saved_message, show_flash
from components.i18n import channel_label, date_format, error_text, money_column_format, t
from components.layout import page_setup
from components.reruns import rerun
from db.core import settings
from db.core.errors import DomainError
from db.crm import campaigns

ctx = page_setup("campaigns")
st.title(t("nav.campaigns"))
st.caption(t("campaigns.help"))
channels = settings.get(ctx.conn, "channels")
cash = money_column_format()  # like every other amount on the page: the language's grouping and sign
data = campaigns.results(ctx.conn)
config = {
    "name": st.column_config.TextColumn(t("campaigns.name"), max_chars=200, required=True),
    "channel": st.column_config.SelectboxColumn(t("contacts.channel"), options=channels, required=True,
                                                default=channels[0] if channels else None, format_func=channel_label),
    "starts_on": st.column_config.DateColumn(t("campaigns.starts"), format=date_format()),
    "ends_on": st.column_config.DateColumn(t("campaigns.ends"), format=date_format()),
    "budget": st.column_config.NumberColumn(t("campaigns.budget"), min_value=0, format=cash),
    "spend": st.column_config.NumberColumn(t("campaigns.spend"), min_value=0, format=cash),
    "leads": st.column_config.NumberColumn(t("campaigns.leads"), disabled=True),
    "customers": st.column_config.NumberColumn(t("campaigns.customers"), disabled=True),
    "revenue": st.column_config.NumberColumn(t("kpi.revenue"), disabled=True, format=cash),
    "roi": st.column_config.NumberColumn(t("campaigns.roi"), disabled=True, format="percent",
                                         help=t("campaigns.roi_help")),
    "cac": st.column_config.NumberColumn(t("kpi.cac"), disabled=True, format=cash, help=t("kpi.cac_help")),
    "margin": None,
}
for row in data:  # the grid's date column wants dates
    for key in ("starts_on", "ends_on"):
        if row[key]:
            row[key] = date.fromisoformat(row[key])
changes = grid.editable("campaigns_grid", data, config, ["name", "channel", "starts_on", "ends_on", "budget", "spend",
                                                         "leads", "customers", "revenue", "roi", "cac"])
if st.button(t("contacts.save", n=len(changes.edits) + len(changes.added)), type="primary", key="camp_save",
             disabled=not (changes.edits or changes.added) or bool(changes.incomplete)):
    edits = [(o, {k: v for k, v in d.items() if k in campaigns.EDITABLE}) for o, d in changes.edits]
    try:
        campaigns.save_grid(ctx.conn, [e for e in edits if e[1]], changes.added, channels, ctx.actor)
        grid.forget("campaigns_grid")
        flash("campaigns_grid", saved_message(len(edits), len(changes.added)))
        rerun()
    except DomainError as err:
        where = t("contacts.row", row_no=err.row) + ": " if getattr(err, "row", None) else ""
        st.error(where + error_text(err))  # text-safe: a row number
show_flash("campaigns_grid")
