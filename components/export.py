"""Export buttons: CSV and Excel of a table, built only when the user clicks (on Streamlit's download thread,
with its own connection), always through db.io.export so no cell can run as a formula.

Streamlit's own "Download as CSV" on tables is switched off (``client.disableDataExport``): it writes cells
as they are, formulas included.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

import streamlit as st

from components.i18n import t
from db.core.connection import connect, db_path
from db.io import export

Produce = Callable[[sqlite3.Connection], list[dict]]


def _deferred(produce: Produce, build: Callable[[list[dict]], bytes]) -> Callable[[], bytes]:
    path = str(db_path())

    def run() -> bytes:
        conn = connect(path, create=False)
        try:
            return build(produce(conn))
        finally:
            conn.close()

    return run


def export_buttons(name: str, produce: Produce | list[dict], *, key: str, sheet: str | None = None) -> None:
    """Two download buttons side by side; ``produce`` reads the rows on click (or is the rows already shown)."""
    reader: Produce = produce if callable(produce) else (lambda _conn, data=produce: data)
    row = st.container(horizontal=True)
    row.download_button(t("export.csv"), _deferred(reader, export.to_csv), f"{name}.csv", "text/csv",
                        icon=":material/csv:", key=f"{key}_csv", on_click="ignore")
    row.download_button(t("export.xlsx"), _deferred(reader, lambda r: export.to_xlsx(r, sheet=sheet or name)),
                        f"{name}.xlsx", export.XLSX_TYPE, icon=":material/table:", key=f"{key}_xlsx",
                        on_click="ignore")
