"""Contact import from CSV or Excel: read, guess the column mapping, validate every row, find duplicates,
then commit all rows or none."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field

from db.core import records
from db.core.connection import rows, write
from db.core.errors import DomainError, ValidationError
from db.core.permissions import Actor
from db.crm import contacts
from db.io import bulk

MAX_ROWS = 50_000
CHUNK = 5000  # records per create_many call: progress moves between chunks
MAX_BYTES = 20 * 1024 * 1024
ENCODINGS = ("utf-8-sig", "cp1251", "latin-1")
TARGETS = ("first_name", "last_name", "email", "phone", "title", "company", "channel", "tags", "lifecycle")
SYNONYMS = {
    "first_name": {"first name", "firstname", "given name", "first", "name", "vorname", "prénom", "имя"},
    "last_name": {"last name", "lastname", "surname", "family name", "last", "nachname", "фамилия"},
    "email": {"email", "e-mail", "email address", "e-mail address", "e-mail 1 - value", "mail", "почта"},
    "phone": {"phone", "mobile", "mobile phone", "phone number", "business phone", "telephone", "tel",
              "phone 1 - value", "телефон"},
    "title": {"title", "job title", "position", "role", "должность"},
    "company": {"company", "account name", "organization", "organisation", "company name", "account",
                "organization 1 - name", "компания"},
    "channel": {"lead source", "source", "channel", "original source"},
    "tags": {"tags", "labels", "group membership", "теги"},
    "lifecycle": {"lifecycle", "lifecycle stage", "status", "lead status"},
}


@dataclass
class Row:
    number: int  # line in the file (header is line 1)
    values: dict
    errors: list[str] = field(default_factory=list)
    duplicate_of: int | None = None
    reason: str = ""


def read(raw: bytes, filename: str) -> tuple[list[str], list[list[str]], str]:
    """Headers, data rows and the encoding used. Raises ValidationError with a readable message."""
    if len(raw) > MAX_BYTES:
        raise ValidationError("The file is larger than 20 MB.", field="file", key="import.err_size")
    if filename.lower().endswith((".xlsx", ".xlsm")):
        return (*_excel(raw), "Excel")
    for encoding in ENCODINGS:
        try:
            text = raw.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    table = list(csv.reader(io.StringIO(text), dialect))
    return (*_split(table), encoding)


def _excel(raw: bytes) -> tuple[list[str], list[list[str]]]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - any unreadable workbook gets the same clear message
        raise ValidationError("This is not a readable Excel file ({detail}).", field="file", key="import.err_excel",
                              detail=str(exc)[:100]) from None
    sheet = book.worksheets[0]
    table = [["" if v is None else str(v) for v in r] for r in sheet.iter_rows(values_only=True, max_row=MAX_ROWS + 1)]
    return _split(table)


def _split(table: list[list[str]]) -> tuple[list[str], list[list[str]]]:
    if not table or not any(c.strip() for c in table[0]):
        raise ValidationError("The file has no header row.", field="file", key="import.err_empty")
    headers = [c.strip() for c in table[0]]
    seen = [h.lower() for h in headers if h]
    dupes = sorted({h for h in seen if seen.count(h) > 1})
    if dupes:
        raise ValidationError("Duplicate column names: {names}.", field="file", key="import.err_dupe_headers",
                              names=", ".join(dupes)[:200])
    body = [r for r in table[1:] if any(c.strip() for c in r)]
    if len(body) > MAX_ROWS:
        raise ValidationError("At most {n} rows per import.", field="file", key="import.err_rows", n=MAX_ROWS)
    return headers, body


def guess_mapping(headers: list[str]) -> dict[str, str | None]:
    """Header -> contact field, from the names other CRMs export (None: ignore the column)."""
    out, used = {}, set()
    for h in headers:
        key = " ".join(h.lower().replace("_", " ").split())
        target = next((f for f, names in SYNONYMS.items() if key in names or key == f.replace("_", " ")), None)
        out[h] = target if target and target not in used else None
        if target:
            used.add(target)
    return out


def plan(conn: sqlite3.Connection, headers: list[str], body: list[list[str]], mapping: dict[str, str | None]
         ) -> list[Row]:
    """Validate every row and find likely duplicates (email, normalised phone, name + company)."""
    if "first_name" not in mapping.values():
        raise ValidationError("Map a column to First name.", field="mapping", key="import.err_first_name")
    index = {h: i for i, h in enumerate(headers)}
    companies = {r["name"].lower(): r["id"] for r in rows(conn, "SELECT id, name FROM companies WHERE deleted_at "
                                                                "IS NULL")}
    out = []
    for n, cells in enumerate(body, start=2):
        values = {f: (cells[index[h]] if index[h] < len(cells) else "").strip()
                  for h, f in mapping.items() if f}
        row = Row(n, {})
        company = values.pop("company", "")
        if len(cells) > len(headers) and any(c.strip() for c in cells[len(headers):]):
            row.errors.append("more cells than columns")
        try:
            cleaned = contacts.clean({k: v for k, v in values.items() if v != ""} | {"first_name":
                                                                                    values.get("first_name", "")},
                                     row=n)
            if company:
                cleaned["company_id"] = companies.get(company.lower())
                row.values["_company"] = company
            row.values.update(cleaned)
        except ValidationError as err:
            row.errors.append(err.message)
        out.append(row)
    _find_duplicates(conn, out)
    return out


def _find_duplicates(conn: sqlite3.Connection, planned: list[Row]) -> None:
    emails = [r.values["email"] for r in planned if r.values.get("email")]
    phones = [r.values["phone"] for r in planned if r.values.get("phone")]
    by_email = {r["email"]: r["id"] for r in rows(conn, "SELECT id, email FROM contacts WHERE deleted_at IS NULL AND "
                                                        "email IN (SELECT value FROM json_each(?))", (json.dumps(emails),))}
    by_phone = {r["phone"]: r["id"] for r in rows(conn, "SELECT id, phone FROM contacts WHERE deleted_at IS NULL AND "
                                                        "phone IN (SELECT value FROM json_each(?))", (json.dumps(phones),))}
    names = [[r.values.get("first_name", "").lower(), r.values.get("last_name", "").lower()] for r in planned]
    by_name = {}
    for r in rows(conn, "SELECT c.id, lower(c.first_name) AS f, lower(c.last_name) AS l, c.company_id FROM contacts c "
                        "WHERE c.deleted_at IS NULL AND lower(c.first_name) IN (SELECT json_extract(value, '$[0]') "
                        "FROM json_each(?))", (json.dumps(names),)):
        by_name[(r["f"], r["l"], r["company_id"])] = r["id"]
    seen_in_file: dict[str, int] = {}
    for r in planned:
        v = r.values
        if v.get("email") in by_email:
            r.duplicate_of, r.reason = by_email[v["email"]], "email"
        elif v.get("phone") in by_phone:
            r.duplicate_of, r.reason = by_phone[v["phone"]], "phone"
        elif v.get("company_id") and (v.get("first_name", "").lower(), v.get("last_name", "").lower(),
                                      v["company_id"]) in by_name:
            r.duplicate_of = by_name[(v["first_name"].lower(), v.get("last_name", "").lower(), v["company_id"])]
            r.reason = "name and company"
        key = v.get("email") or v.get("phone")
        if key and key in seen_in_file and not r.errors:
            r.errors.append(f"same as line {seen_in_file[key]} of this file")
        elif key:
            seen_in_file[key] = r.number


def commit(conn: sqlite3.Connection, planned: list[Row], choices: dict[int, str], actor: Actor,
           progress: Callable[[float], None] | None = None) -> dict:
    """Write every row (create, update a duplicate, or skip it) in ONE transaction; any error: nothing written."""
    bad = [r for r in planned if r.errors]
    if bad:
        raise ValidationError("{n} rows have problems; fix the file and try again.", field="file",
                              key="import.err_rows_bad", n=len(bad))
    done = {"created": 0, "updated": 0, "skipped": 0}
    creates: list[dict] = []  # written together by create_many, after the updates
    lines: list[int] = []  # the file line of each of them, for an error message
    with write(conn):
        for i, r in enumerate(planned):
            values = {k: v for k, v in r.values.items() if not k.startswith("_")}
            choice = choices.get(r.number, "skip") if r.duplicate_of else "create"
            try:
                if choice == "skip":
                    done["skipped"] += 1
                elif choice == "update":
                    current = records.get(conn, "contacts", r.duplicate_of)
                    records.update(conn, "contacts", r.duplicate_of, current["version"],
                                   {k: v for k, v in values.items() if v not in (None, "")}, actor)
                    done["updated"] += 1
                else:
                    creates.append({"lifecycle": "lead", **values})
                    lines.append(r.number)
            except DomainError as err:
                raise ValidationError("Line {n}: {detail}", field="file", key="import.err_line", n=r.number,
                                      detail=err.message) from None
            if progress and i % 200 == 0:
                progress(i / max(len(planned), 1) / 2)
        for start in range(0, len(creates), CHUNK):
            chunk = creates[start:start + CHUNK]
            try:
                bulk.create_many(conn, "contacts", chunk, actor)
            except DomainError as err:
                line = lines[start + err.row - 1] if getattr(err, "row", None) else lines[start]
                raise ValidationError("Line {n}: {detail}", field="file", key="import.err_line", n=line,
                                      detail=err.message) from None
            done["created"] += len(chunk)
            if progress:
                progress(0.5 + (start + len(chunk)) / len(creates) / 2)
    if progress:
        progress(1.0)
    return done
