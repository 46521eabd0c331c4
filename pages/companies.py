"""Companies: the same server-side grid as contacts, with each company's contacts, open deals and revenue."""

import streamlit as st

from components.companies_view import render_companies, render_company
from components.layout import page_setup

ctx = page_setup("companies")
company_id = st.query_params.get("id")
if company_id and company_id.isdigit():
    render_company(ctx, int(company_id))
else:
    render_companies(ctx)
