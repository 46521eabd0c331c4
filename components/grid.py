"""One reusable server-side grid: a page of rows from SQL in ``st.data_editor``, a pager, and the edits.

Only the visible page is ever loaded. Hidden ``id``/``version`` travel with the rows so saves are
version-checked; a ``selected`` checkbox column feeds bulk actions and is never saved.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd
import streamlit as st

from components.edits import row_changes
from components.i18n import number, t

PAGE_SIZES = (25, 50, 100)


@dataclass
class GridEdits:
    edits: list[tuple[dict, dict]] = field(default_factory=list)
    added: list[dict] = field(default_factory=list)
    deleted: list[dict] = field(default_factory=list)
    selected: list[dict] = field(default_factory=list)
    incomplete: list[str] = field(default_factory=list)  # "Row 27: fill in Name", one per half-filled new row

    @property
    def dirty(self) -> bool:
        return bool(self.edits or self.added or self.deleted)

    @property
    def ready(self) -> bool:
        """Something to save and no half-filled new row (saving around it would lose it silently)."""
        return self.dirty and not self.incomplete


def pager(key: str, total: int, lang: str) -> tuple[int, int]:
    """Page size and offset, with previous/next buttons and 'rows x–y of N'."""
    size = st.session_state.get(f"{key}_size", PAGE_SIZES[0])
    pages = max(1, -(-total // size))
    current = min(st.session_state.get(f"{key}_page", 0), pages - 1)
    # one wrapping row, not columns: columns stack into four lines on a phone
    with st.container(horizontal=True, vertical_alignment="center", gap="small"):
        if st.button(t("grid.previous"), key=f"{key}_prev", disabled=current == 0, icon=":material/chevron_left:"):
            current -= 1
        if st.button(t("grid.next"), key=f"{key}_next", disabled=current >= pages - 1,
                     icon=":material/chevron_right:"):
            current += 1
        st.session_state[f"{key}_page"] = current
        first = current * size + 1 if total else 0
        st.caption(t("grid.showing", first=number(first, lang), last=number(min(total, (current + 1) * size), lang),
                     total=number(total, lang)), width="content")
        st.space("stretch")
        st.selectbox(t("grid.page_size"), PAGE_SIZES, key=f"{key}_size", label_visibility="collapsed",
                     format_func=lambda n: t("grid.per_page", n=n), width=130)
    return size, current * size


def reset_page(key: str) -> None:
    st.session_state[f"{key}_page"] = 0


def editable(key: str, rows: list[dict], column_config: dict, column_order: list[str], *,
             allow_add: bool = True, empty: str | None = None) -> GridEdits:
    """Render the page of rows; return what the user changed (not yet saved).

    While edits are pending, the rows (and their versions) stay as the user first saw them, so a
    save against rows someone changed meanwhile is refused as a conflict instead of overwriting.
    With ``allow_add``, new rows take the columns' defaults, a new row left blank (the one Enter adds
    under the last row) is dropped, and a half-filled one is named with its missing field under the grid.
    """
    pending = st.session_state.get(key) or {}
    if empty and not rows and not pending:
        # Streamlit's empty grid says "empty" in English and nothing about what to do next.
        st.info(empty, icon=":material/search_off:")  # text-safe: a t() message from the caller
        return GridEdits()
    if any(pending.get(k) for k in ("edited_rows", "added_rows", "deleted_rows")) and f"{key}_seen" in st.session_state:
        rows = st.session_state[f"{key}_seen"]
    else:
        st.session_state[f"{key}_seen"] = rows
    shown = [{"selected": False, **r} for r in rows]
    # Streamlit's editor holds back an added row until every required cell is filled, so the user sees
    # "Save 0 changes" and no reason; the required check is done here instead, with a message at the row.
    required = {name: c for name, c in column_config.items() if isinstance(c, dict) and c.get("required")}
    columns = {name: ({**c, "required": False} if name in required and allow_add else c)
               for name, c in column_config.items()}
    config = {"id": None, "version": None, "selected": st.column_config.CheckboxColumn("✓", width="small"),
              **columns}
    # a DataFrame, as Streamlit would build from the rows: given the list, it also converted its copy back into
    # a list of dicts each run for a return value this grid never reads (~15 % of the editor's server time)
    st.data_editor(pd.DataFrame(shown), key=key, hide_index=True, width="stretch", num_rows="dynamic" if allow_add else "delete",
                   placeholder="",
                   column_config=config, column_order=["selected", *column_order],
                   height=min(38 + 35 * max(len(rows) + (2 if allow_add else 0), 3), 600))  # no empty screen of blank rows
    state = st.session_state.get(key) or {}
    edited = {i: {k: v for k, v in change.items() if k != "selected"}
              for i, change in (state.get("edited_rows") or {}).items()}
    picks = [rows[int(i)] for i, change in (state.get("edited_rows") or {}).items()
             if change.get("selected") and int(i) < len(rows)]
    added, incomplete = (new_rows(state.get("added_rows") or [], column_config, len(rows)) if allow_add
                         else ([], []))
    for message in incomplete:
        st.warning(message, icon=":material/edit_note:")  # text-safe: a row number and our own column label
    deleted = [rows[i] for i in state.get("deleted_rows") or [] if i < len(rows)]
    return GridEdits(edits=row_changes(rows, edited), added=added, deleted=deleted, selected=picks,
                     incomplete=incomplete)


def new_rows(added_rows: list[dict], column_config: dict, first_row: int) -> tuple[list[dict], list[str]]:
    """The grid's added rows with the columns' defaults filled in, blank ones dropped, and a message for
    each row still missing a required value (numbered as the grid shows it, after ``first_row`` rows)."""
    defaults = {name: c["default"] for name, c in column_config.items()
                if isinstance(c, dict) and c.get("default") not in (None, "")}
    out, incomplete = [], []
    for i, row in enumerate(added_rows):
        typed = {k: v for k, v in row.items()
                 if k not in ("selected", "id", "version") and v not in (None, "") and defaults.get(k) != v}
        if not typed:
            continue  # a blank row (Enter under the last row adds one): nothing was typed into it
        values = {**defaults, **typed}
        missing = [c.get("label") or name for name, c in column_config.items()
                   if isinstance(c, dict) and c.get("required") and values.get(name) in (None, "")]
        if missing:
            incomplete.append(t("grid.row_missing", row_no=first_row + i + 1, field=", ".join(missing)))
        else:
            out.append(values)
    return out, incomplete


def forget(key: str) -> None:
    """Drop the editor's pending state after a successful save."""
    st.session_state.pop(key, None)
    st.session_state.pop(f"{key}_seen", None)
