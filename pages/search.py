"""Search results: contacts, companies, deals and activities in one ranked list (the sidebar box opens it)."""

from components.global_search import render_search_page
from components.layout import page_setup

ctx = page_setup("search")
render_search_page(ctx)
