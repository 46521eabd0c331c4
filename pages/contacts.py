"""Contacts: the server-side grid (search, filters, inline edit, add, delete, bulk actions, export),
or one customer's record when the URL says ``?id=N``."""

from components.contact_record import render_record
from components.contacts_grid import render_contacts
from components.errors import query_id
from components.layout import page_setup

ctx = page_setup("contacts")
record_id = query_id("id", back="pages/contacts.py")
if record_id is not None:
    render_record(ctx, record_id)
else:
    render_contacts(ctx)
