"""The import panel on the contacts page: upload, map columns, preview, report, choose, commit."""

from __future__ import annotations

import streamlit as st

from components.i18n import error_text, t
from components.layout import PageContext
from components.text import esc
from db.core.errors import DomainError
from db.io import importer


def render_import(ctx: PageContext) -> None:
    with st.expander(t("import.title"), icon=":material/upload_file:"):
        upload = st.file_uploader(t("import.file"), type=["csv", "xlsx"], key="imp_file")
        if upload is None:
            st.caption(t("import.help"))
            return
        try:
            headers, body, encoding = importer.read(upload.getvalue(), upload.name)
        except DomainError as err:
            st.error(error_text(err), icon=":material/error:")
            return
        st.caption(t("import.read", n=len(body), encoding=esc(encoding)))
        guessed = importer.guess_mapping(headers)
        cols = st.columns(min(len(headers), 5) or 1)
        mapping = {}
        for i, h in enumerate(headers):
            options = [None, *importer.TARGETS]
            mapping[h] = cols[i % len(cols)].selectbox(
                esc(h or f"#{i + 1}"), options, index=options.index(guessed.get(h)), key=f"imp_map_{i}",
                format_func=lambda f: t("import.ignore") if f is None else t(f"import.field_{f}"))
        try:
            planned = importer.plan(ctx.conn, headers, body, mapping)
        except DomainError as err:
            st.error(error_text(err))
            return
        bad = [r for r in planned if r.errors]
        dupes = [r for r in planned if r.duplicate_of and not r.errors]
        st.markdown(t("import.summary", ok=len(planned) - len(bad), bad=len(bad), dupes=len(dupes)))
        st.dataframe([{t("import.line"): r.number, **{k: v for k, v in r.values.items() if not k.startswith("_")}}
                      for r in planned[:20]], hide_index=True, width="stretch")
        if bad:
            st.error(t("import.fix_first"))
            st.dataframe([{t("import.line"): r.number, t("import.problem"): "; ".join(error_text(e) for e in r.errors)} for r in bad[:500]],
                         hide_index=True, width="stretch")
            return
        choices = {}
        if dupes:
            edited = st.data_editor(
                [{"line": r.number, "name": f"{r.values.get('first_name', '')} {r.values.get('last_name', '')}",
                  "match": r.reason, "existing": f"/contacts?id={r.duplicate_of}", "action": "skip"} for r in dupes],
                key="imp_dupes", hide_index=True, width="stretch", disabled=["line", "name", "match", "existing"],
                column_config={"action": st.column_config.SelectboxColumn(t("import.action"),
                                                                          options=["skip", "update", "create"]),
                               "existing": st.column_config.LinkColumn(t("import.existing"), display_text="↗")})
            choices = {row["line"]: row["action"] for row in edited}
        if st.button(t("import.go", n=len(planned)), type="primary", key="imp_go"):
            bar = st.progress(0.0, text=t("import.working"))
            try:
                done = importer.commit(ctx.conn, planned, choices, ctx.actor, progress=lambda p: bar.progress(p))
            except DomainError as err:
                st.error(t("import.nothing") + " " + error_text(err))
                return
            st.success(t("import.done", **done))  # text-safe: counts
