"""Contacts: every contact with its company and owner, a search box and a lifecycle filter, in one grid."""

import streamlit as st
from naive_data import live

st.title("Contacts")
contacts = live("contacts")
companies = live("companies")[["id", "name"]].rename(columns={"id": "company_id", "name": "company"})
users = live("users")[["id", "name"]].rename(columns={"id": "owner_id", "name": "owner"})
df = contacts.merge(companies, on="company_id", how="left").merge(users, on="owner_id", how="left")
df["name"] = df["first_name"].fillna("") + " " + df["last_name"].fillna("")

left, right = st.columns([3, 1])
search = left.text_input("Search", placeholder="name, email or company")
lifecycle = right.selectbox("Lifecycle", ["All", *sorted(df["lifecycle"].dropna().unique())])
if search:
    hit = (df["name"].str.contains(search, case=False, regex=False)
           | df["email"].str.contains(search, case=False, regex=False, na=False)
           | df["company"].str.contains(search, case=False, regex=False, na=False))
    df = df[hit]
if lifecycle != "All":
    df = df[df["lifecycle"] == lifecycle]

st.caption(f"{len(df):,} contacts")
st.dataframe(df[["name", "email", "phone", "company", "owner", "lifecycle", "channel", "created_at"]],
             hide_index=True, width="stretch")
