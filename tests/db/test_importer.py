"""Import: encodings, mapping from other CRMs' headers, per-row report, duplicates, all or nothing, speed."""

import io
import time

import pytest
from openpyxl import Workbook

from db.core import records
from db.core.errors import ValidationError
from db.io import importer


def _plan(conn, raw, name="c.csv"):
    headers, body, encoding = importer.read(raw, name)
    return importer.plan(conn, headers, body, importer.guess_mapping(headers)), encoding


def test_other_crm_headers_are_mapped():
    got = importer.guess_mapping(["Given Name", "Surname", "E-mail Address", "Mobile Phone", "Account Name",
                                  "Lead Source", "Favourite colour"])
    assert got == {"Given Name": "first_name", "Surname": "last_name", "E-mail Address": "email",
                   "Mobile Phone": "phone", "Account Name": "company", "Lead Source": "channel",
                   "Favourite colour": None}


def test_cp1251_file_is_read_and_says_which_encoding(conn):
    raw = "First Name;Last Name;Email\nИван;Петров;ivan@x.io\n".encode("cp1251")
    planned, encoding = _plan(conn, raw)
    assert encoding == "cp1251" and planned[0].values["last_name"] == "Петров"


@pytest.mark.parametrize("raw,message", [
    (b"", "no header row"),
    (b"email,Email\nx@y.io,z@y.io\n", "Duplicate column names"),
])
def test_unreadable_files_give_a_clear_message(conn, raw, message):
    with pytest.raises(ValidationError, match=message):
        importer.read(raw, "c.csv")


def test_missing_first_name_column_is_refused(conn):
    headers, body, _ = importer.read(b"Email\nx@y.io\n", "c.csv")
    with pytest.raises(ValidationError, match="First name"):
        importer.plan(conn, headers, body, importer.guess_mapping(headers))


def test_bad_rows_are_reported_and_nothing_is_written(conn, admin):
    raw = (b"First Name,Email,Phone\nAna,ana@x.io,+49 30 1234567\n,nobody@x.io,\nBob,not-an-email,\n"
           b"Cy,cy@x.io,+1 415 555 0101,extra\n<script>alert(1)</script>,s@x.io,\n")
    planned, _ = _plan(conn, raw)
    problems = {r.number: r.errors for r in planned if r.errors}
    assert set(problems) == {3, 4, 5}
    with pytest.raises(ValidationError):
        importer.commit(conn, planned, {}, admin)
    assert conn.execute("SELECT COUNT(*) FROM contacts").fetchone()[0] == 0


def test_duplicates_can_be_skipped_updated_or_created(conn, admin):
    a = records.create(conn, "contacts", {"first_name": "Ana", "email": "ana@x.io"}, admin)
    records.create(conn, "contacts", {"first_name": "Bob", "phone": "+49301234567"}, admin)
    raw = b"First Name,Email,Phone,Job Title\nAna,ANA@x.io,,CEO\nBobby,,+49 30 1234567,\nNew,new@x.io,,\n"
    planned, _ = _plan(conn, raw)
    assert [(r.number, r.reason) for r in planned if r.duplicate_of] == [(2, "email"), (3, "phone")]
    done = importer.commit(conn, planned, {2: "update", 3: "skip"}, admin)
    assert done == {"created": 1, "updated": 1, "skipped": 1}
    assert records.get(conn, "contacts", a)["title"] == "CEO"
    assert conn.execute("SELECT COUNT(*) FROM contacts").fetchone()[0] == 3


def test_excel_import(conn, admin):
    book = Workbook()
    sheet = book.active
    sheet.append(["First name", "Last name", "Company"])
    sheet.append(["Zoe", "Quinn", "Unknown Ltd"])
    buffer = io.BytesIO()
    book.save(buffer)
    planned, encoding = _plan(conn, buffer.getvalue(), "people.xlsx")
    assert encoding == "Excel" and planned[0].values["last_name"] == "Quinn"
    with pytest.raises(ValidationError, match="Excel"):
        importer.read(b"not a zip", "broken.xlsx")


def test_ten_thousand_rows_import_in_seconds(conn, admin):
    lines = ["First Name,Last Name,Email"] + [f"P{i},L{i},p{i}@bulk.io" for i in range(10_000)]
    started = time.perf_counter()
    planned, _ = _plan(conn, "\n".join(lines).encode())
    importer.commit(conn, planned, {}, admin)
    assert conn.execute("SELECT COUNT(*) FROM contacts").fetchone()[0] == 10_000
    print(f"10,000-row import: {time.perf_counter() - started:.2f} s")
