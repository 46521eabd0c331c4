"""Deals: the main pipeline's board, a column per stage with its count and sum and the first cards by amount
(won and lost columns: the last 30 days' closes, as the CRM's board shows)."""

from datetime import datetime, timedelta

import pandas as pd
import streamlit as st
from naive_data import live

PER_COLUMN = 30

st.title("Deals")
pipelines = live("pipelines").sort_values(["position", "id"])
pipeline = pipelines[pipelines["kind"] == "sales"].iloc[0]
stages = live("stages")
stages = stages[stages["pipeline_id"] == pipeline["id"]].sort_values(["position", "id"])
deals = live("deals")
deals = deals[deals["pipeline_id"] == pipeline["id"]]
contacts = live("contacts")
companies = live("companies")
users = live("users")
activities = live("activities")

contacts["who"] = contacts["first_name"] + " " + contacts["last_name"]
deals = deals.merge(contacts[["id", "who"]].rename(columns={"id": "contact_id"}), on="contact_id", how="left")
deals = deals.merge(companies[["id", "name"]].rename(columns={"id": "company_id", "name": "company"}),
                    on="company_id", how="left")
deals = deals.merge(users[["id", "name"]].rename(columns={"id": "owner_id", "name": "owner"}), on="owner_id",
                    how="left")
deals["who"] = deals["company"].fillna(deals["who"])
planned = activities[(activities["done"] == 0) & activities["deal_id"].notna()].copy()
planned["at"] = planned["starts_at"].fillna(planned["due_at"])
planned = planned.dropna(subset=["at"]).sort_values("at").drop_duplicates("deal_id")
deals = deals.merge(planned[["deal_id", "kind", "subject", "at"]].rename(columns={"deal_id": "id"}), on="id",
                    how="left")

now = datetime.now()
recent = (now - timedelta(days=30)).strftime("%Y-%m-%d")
columns = st.columns(len(stages))
for col, (_, stage) in zip(columns, stages.iterrows(), strict=True):
    in_stage = deals[deals["stage_id"] == stage["id"]]
    if stage["kind"] != "open":
        in_stage = in_stage[in_stage["closed_at"] >= recent]
    with col:
        st.subheader(stage["name"], anchor=False)
        st.caption(f"{len(in_stage):,} deals · {in_stage['amount'].sum():,.0f}")
        for _, deal in in_stage.sort_values(["amount", "id"], ascending=[False, True]).head(PER_COLUMN).iterrows():
            with st.container(border=True):
                st.text(deal["title"])
                st.text(f"{deal['who'] or ''} · {deal['amount']:,.0f}")
                days = (now - pd.to_datetime(deal["stage_entered_at"])).days
                st.text(f"{deal['owner'] or ''} · {days} d in stage")
                if stage["kind"] == "open" and isinstance(deal["at"], str):
                    st.text(f"Next: {deal['kind']} {deal['subject']} ({deal['at'][:10]})")
