"""Every file the app exports is built here, so no exported cell can attack the spreadsheet that opens it.

A text cell that begins with ``=``, ``+``, ``-``, ``@``, tab or CR is a formula to Excel, LibreOffice and
Google Sheets (CSV injection). CSV: such a cell gets a leading apostrophe (the OWASP rule); a value that
already begins with apostrophes before one of those marks gets one more, so ``restore`` (used by the
import) gives back exactly the stored value. Excel: every text value is written as a string cell, never a
formula, so it needs no prefix. The stored value is never changed.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Iterable, Sequence

_FORMULA = re.compile(r"'*[=+\-@\t\r]")
_PREFIXED = re.compile(r"'+[=+\-@\t\r]")
EXPORT_CAP = 100_000  # rows per exported file, for every table
EXCEL_CELL_MAX = 32_767  # characters Excel keeps in one cell
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def neutralise(value: object) -> object:
    """The CSV form of one cell: text that a spreadsheet would run as a formula gets a leading apostrophe."""
    if isinstance(value, str) and _FORMULA.match(value):
        return "'" + value
    return value


def restore(value: str) -> str:
    """Undo ``neutralise`` on a cell read back from a CSV file (the import's side of the rule)."""
    return value[1:] if _PREFIXED.match(value) else value


def _columns(rows: Sequence[dict], columns: Sequence[str] | None) -> list[str]:
    if columns is not None:
        return list(columns)
    out: dict[str, None] = {}
    for r in rows[:1]:
        out.update(dict.fromkeys(r))
    return list(out)


def _plain(value: object) -> object:
    """None and non-finite numbers as empty cells; everything else as it is."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return ""
    return value


def to_csv(rows: Sequence[dict], columns: Sequence[str] | None = None, headers: Iterable[str] | None = None) -> bytes:
    """UTF-8 with a byte-order mark (Excel then reads accents right), every text cell neutralised."""
    cols = _columns(rows, columns)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([neutralise(h) for h in (list(headers) if headers is not None else cols)])
    for r in rows:
        writer.writerow([neutralise(_plain(r.get(c))) for c in cols])
    return out.getvalue().encode("utf-8-sig")


def _excel_text(value: str) -> str:
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    return ILLEGAL_CHARACTERS_RE.sub("\ufffd", value)[:EXCEL_CELL_MAX]


def to_xlsx(rows: Sequence[dict], columns: Sequence[str] | None = None, headers: Iterable[str] | None = None,
            sheet: str = "export") -> bytes:
    """One sheet; text as string cells (never formulas), numbers as numbers; control characters Excel
    cannot hold become U+FFFD."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    cols = _columns(rows, columns)
    book = Workbook(write_only=True)
    ws = book.create_sheet(re.sub(r"[\[\]:*?/\\]", "_", sheet)[:31] or "export")

    def cell(value: object) -> WriteOnlyCell:
        value = _plain(value)
        if value == "":
            return WriteOnlyCell(ws, value=None)
        if isinstance(value, str):
            c = WriteOnlyCell(ws, value=_excel_text(value))
            c.data_type = "s"  # openpyxl would otherwise store text beginning with "=" as a formula
            return c
        return WriteOnlyCell(ws, value=value)

    ws.append([cell(h) for h in (list(headers) if headers is not None else cols)])
    for r in rows:
        ws.append([cell(r.get(c)) for c in cols])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
