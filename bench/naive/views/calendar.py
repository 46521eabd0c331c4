"""Calendar: the whole team's calls, meetings and tasks of the current week, every one, in a week view."""

from datetime import date, timedelta

import pandas as pd
import streamlit as st
from naive_data import live
from streamlit_calendar import calendar

st.title("Calendar")
activities = live("activities")
activities = activities[activities["kind"].isin(["call", "meeting", "task"])].copy()
activities["start"] = pd.to_datetime(activities["starts_at"].fillna(activities["due_at"]))
activities["end"] = pd.to_datetime(activities["ends_at"]).fillna(activities["start"] + pd.Timedelta(minutes=30))
monday = date.today() - timedelta(days=date.today().weekday())
week = activities[(activities["start"] >= pd.Timestamp(monday))
                  & (activities["start"] < pd.Timestamp(monday + timedelta(days=7)))]
events = [{"id": str(row.id), "title": row.subject, "start": row.start.isoformat(), "end": row.end.isoformat()}
          for row in week.itertuples()]
calendar(events=events, options={"initialView": "timeGridWeek", "initialDate": monday.isoformat(),
                                 "firstDay": 1, "headerToolbar": {"left": "", "center": "title", "right": ""}},
         key="naive_calendar")
st.caption(f"{len(events):,} activities this week")
