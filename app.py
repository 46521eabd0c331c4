"""Home: an overview of the current data with links to the pages."""

import streamlit as st

from components.i18n import day, money, stamp, t
from components.layout import nav_link, page_setup
from components.text import esc
from components.views_ui import render_pinned
from db.analytics import overview

ctx = page_setup("home")
st.title(t("home.title", name=esc((ctx.user["name"] or "").split(" ")[0])))

figures = overview.summary(ctx.conn)
cols = st.columns(4)
cols[0].metric(t("home.open_pipeline"), money(figures["open_value"], ctx.lang), border=True,
               help=t("home.open_pipeline_help", n=figures["open_deals"]))  # text-safe: counts
cols[1].metric(t("home.weighted"), money(figures["weighted"], ctx.lang), border=True, help=t("home.weighted_help"))
cols[2].metric(t("home.won_month"), money(figures["won_value"], ctx.lang), border=True,
               help=t("home.won_month_help", n=figures["won_deals"]))  # text-safe: counts
cols[3].metric(t("home.new_customers"), figures["new_customers"], border=True, help=t("home.new_customers_help"))

render_pinned(ctx)

left, right = st.columns(2, gap="medium")
with left.container(border=True):
    st.subheader(t("home.due_today"), anchor=False)
    tasks = overview.due_today(ctx.conn, ctx.user["id"])
    if not tasks:
        st.caption(t("home.no_tasks"))
    for task in tasks:
        who = f" · {esc(task['contact'])}" if task["contact"] else ""
        st.markdown(f":material/task_alt: **{day(task['due_at'], ctx.lang)}** · {esc(task['subject'])}{who}")
    nav_link(ctx, "tasks", label=t("home.open_tasks"), icon=":material/arrow_forward:")

with right.container(border=True):
    st.subheader(t("home.latest"), anchor=False)
    for item in overview.latest_activity(ctx.conn):
        line = f"{t('kinds.' + item['kind'])} · {esc(item['subject'])} · {stamp(item['at'], ctx.lang)}"
        if item["contact_id"]:
            line += f" — {esc(item['contact'])}"
        st.markdown(f":material/history: {line}")

st.divider()
links = st.columns(4)
for col, key in zip(links, ("contacts", "deals", "calendar", "dashboard"), strict=True):
    with col:
        nav_link(ctx, key)
