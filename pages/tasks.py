"""My day: overdue, today's and upcoming tasks, completed with one click."""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import streamlit as st

from components.calendar import local_to_utc, to_local
from components.i18n import error_text, moment, t
from components.layout import nav_link, page_setup
from components.reruns import rerun
from components.text import esc
from db.core import users
from db.core.errors import DomainError
from db.crm import activities

ctx = page_setup("tasks")
st.title(t("nav.tasks"))
tz = ctx.user.get("timezone") or "UTC"
person = ctx.user["id"]
if ctx.actor.is_manager:
    people = users.people(ctx.conn)
    person = st.selectbox(t("calendar.person"), list(people), index=list(people).index(ctx.user["id"]),
                          format_func=people.get, key="tasks_person")
today = datetime.now(ZoneInfo(tz)).date()
start = local_to_utc(datetime.combine(today, time()), tz)
end = local_to_utc(datetime.combine(today + timedelta(days=1), time()), tz)
week = local_to_utc(datetime.combine(today + timedelta(days=8), time()), tz)
groups = activities.my_tasks(ctx.conn, person, start, end, week)
for name, icon in (("overdue", ":material/warning:"), ("today", ":material/today:"), ("upcoming", ":material/event:")):
    with st.container(border=True):
        st.subheader(f"{icon} {t('tasks.' + name)} ({len(groups[name])})", anchor=False)
        if not groups[name]:
            st.caption(t("tasks.none"))
        for task in groups[name]:
            c1, c2 = st.columns([6, 1])
            who = f" · {esc(task['contact'])}" if task["contact"] else ""
            c1.markdown(f"**{esc(task['subject'])}**{who}  \n:gray[{moment(to_local(task['due_at'], tz), ctx.lang)}]")
            if c2.button(t("tasks.done"), key=f"done_{task['id']}", icon=":material/check:"):
                try:
                    activities.complete(ctx.conn, task["id"], task["version"], ctx.actor)
                    rerun()
                except DomainError as err:
                    st.error(error_text(err))
nav_link(ctx, "calendar", icon=":material/calendar_month:")
