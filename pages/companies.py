"""Companies: the same server-side grid as contacts, with each company's contacts, open deals and revenue."""

from components.companies_view import render_companies, render_company
from components.errors import query_id
from components.layout import page_setup

ctx = page_setup("companies")
company_id = query_id("id", back="pages/companies.py")
if company_id is not None:
    render_company(ctx, company_id)
else:
    render_companies(ctx)
