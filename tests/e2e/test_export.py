"""Real browser: the contacts export downloads CSV and Excel files in which no cell can run as a formula."""

import csv
import io

from openpyxl import load_workbook

from db.core import records
from db.core.permissions import SYSTEM
from tests.e2e.harness import enter_text, open_page, shot

EVIL = "=HYPERLINK(\"http://evil.example/\",\"Zyxport\")"


def test_contacts_export_is_safe_to_open(signed_in, db):
    page = signed_in
    records.create(db, "contacts", {"first_name": EVIL, "last_name": "Zyxport", "email": "zyx@export.example",
                                    "lifecycle": "lead"}, SYSTEM)
    open_page(page, "Contacts")
    enter_text(page, page.get_by_test_id("stMainBlockContainer").get_by_role("textbox", name="Search"), "Zyxport")
    page.get_by_text("Export this view").click()
    csv_button = page.get_by_role("button", name="Download CSV")
    csv_button.wait_for()
    shot(page, "contacts_export")
    with page.expect_download() as got:
        csv_button.click()
    text = got.value.path().read_bytes().decode("utf-8-sig")
    table = list(csv.DictReader(io.StringIO(text, newline="")))
    assert [r["last_name"] for r in table] == ["Zyxport"]
    assert table[0]["first_name"] == "'" + EVIL
    with page.expect_download() as got:
        page.get_by_role("button", name="Download Excel").click()
    sheet = load_workbook(io.BytesIO(got.value.path().read_bytes())).active
    header = [c.value for c in sheet[1]]
    cell = sheet.cell(row=2, column=header.index("first_name") + 1)
    assert cell.value == EVIL and cell.data_type == "s"
