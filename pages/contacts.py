"""Contacts: the server-side grid (search, filters, inline edit, add, delete, bulk actions, export),
or one customer's record when the URL says ``?id=N``."""

import streamlit as st

from components.contact_record import render_record
from components.contacts_grid import render_contacts
from components.layout import page_setup

ctx = page_setup("contacts")
record_id = st.query_params.get("id")
if record_id and record_id.isdigit():
    render_record(ctx, int(record_id))
else:
    render_contacts(ctx)
