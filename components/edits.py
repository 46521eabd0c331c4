"""Turn ``st.data_editor`` state into per-row changes, a pure function that is unit-tested."""

from __future__ import annotations

from collections.abc import Sequence


def row_changes(rows: Sequence[dict], edited_rows: dict, id_field: str = "id") -> list[tuple[dict, dict]]:
    """[(original row, {field: new value})] for rows whose values really changed."""
    out = []
    for index, changes in (edited_rows or {}).items():
        i = int(index)
        if not 0 <= i < len(rows):
            continue
        original = rows[i]
        diff = {k: v for k, v in changes.items() if k != id_field and original.get(k) != v}
        if diff:
            out.append((original, diff))
    return out
