"""The naive peer of the CRM: four pages written the way a typical Streamlit tutorial would (see README.md).

Run: ``NAIVE_DB=/path/crm.db [NAIVE_CACHE=1] streamlit run bench/naive/app.py``. No sign-in, read-only.
"""

import streamlit as st

st.set_page_config(page_title="Naive CRM", layout="wide")


def home() -> None:
    st.title("Naive CRM")
    st.write("Contacts, deals, calendar and dashboard, each read whole into pandas.")


pages = [st.Page(home, title="Home", url_path="home", default=True),
         st.Page("views/contacts.py", title="Contacts"), st.Page("views/deals.py", title="Deals"),
         st.Page("views/calendar.py", title="Calendar"), st.Page("views/dashboard.py", title="Dashboard")]
st.navigation(pages).run()
