"""Feedback: record a customer's CSAT or NPS answer, or import answers from a CSV file."""

from datetime import date

import streamlit as st

from components.export import export_buttons
from components.i18n import date_format, error_text, t
from components.layout import page_setup
from db.core.errors import DomainError
from db.crm import contacts, feedback

ctx = page_setup("feedback")
st.title(t("nav.feedback"))
left, right = st.columns(2, gap="large")
with left.container(border=True):
    st.subheader(t("feedback.record"), anchor=False)
    search = st.text_input(t("feedback.customer_search"), key="fb_search", max_chars=100)
    found = contacts.page(ctx.conn, contacts.Query(search=search), limit=20)[0] if search.strip() else []
    who = st.selectbox(t("feedback.customer"), [c["id"] for c in found], key="fb_customer",
                       format_func=lambda i: next(f"{c['first_name']} {c['last_name']} · {c['email'] or ''}"
                                                  for c in found if c["id"] == i),
                       placeholder=t("feedback.search_first"))
    with st.form("record_feedback", clear_on_submit=True):
        kind = st.segmented_control(t("feedback.kind"), ["csat", "nps"], default="csat",
                                    format_func=lambda k: t(f"feedback.kind_{k}"))
        score = st.slider(t("feedback.score"), 0, 10, 5, help=t("feedback.score_help"))
        when = st.date_input(t("feedback.date"), format=date_format(), value=date.today(), max_value=date.today())
        comment = st.text_area(t("feedback.comment"), max_chars=2000)
        if st.form_submit_button(t("feedback.save"), type="primary"):
            if who is None:
                st.error(t("feedback.search_first"))
            else:
                try:
                    feedback.record(ctx.conn, who, kind or "csat", score, when.isoformat(), comment, ctx.actor)
                    st.success(t("feedback.saved"))
                except DomainError as err:
                    st.error(error_text(err))
with right.container(border=True):
    st.subheader(t("feedback.import"), anchor=False)
    st.caption(t("feedback.import_help"))
    upload = st.file_uploader(t("feedback.file"), type=["csv"], key="fb_file")
    if upload is not None and st.button(t("feedback.import_now"), key="fb_import", type="primary"):
        count, problems = feedback.import_csv(ctx.conn, upload.getvalue(), ctx.actor)
        if problems:
            st.error(t("feedback.import_failed", n=len(problems)))
            st.dataframe({t("feedback.problem"): [error_text(p, plain=True) for p in problems[:500]]}, hide_index=True, width="stretch")
        else:
            st.success(t("feedback.imported", n=count))  # text-safe: a count
with st.expander(t("feedback.export"), icon=":material/download:"):
    export_buttons("feedback", feedback.export_rows, key="fb_export")
