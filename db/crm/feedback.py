"""CSAT and NPS answers: record one (validated) or import a CSV all-or-nothing with a per-row report."""

from __future__ import annotations

import csv
import io
import sqlite3
from datetime import UTC, datetime

from db.core import records
from db.core.connection import one, rows, write
from db.core.errors import DomainError, ValidationError
from db.core.permissions import Actor
from db.core.text import clean_moment, clean_text

RANGES = {"csat": (1, 5), "nps": (0, 10)}
MAX_ROWS = 50_000


def export_rows(conn: sqlite3.Connection, cap: int = 100_000) -> list[dict]:
    """Every answer, newest first, with the customer's name and email (the import reads the same columns)."""
    return rows(conn, "SELECT f.id, c.first_name || ' ' || c.last_name AS customer, c.email, f.kind, f.score, "
                      "f.responded_at, f.comment FROM feedback f JOIN contacts c ON c.id = f.contact_id "
                      "WHERE f.deleted_at IS NULL ORDER BY f.responded_at DESC, f.id DESC LIMIT ?", (cap,))


def record(conn: sqlite3.Connection, contact_id: int, kind: str, score, responded_at, comment: str, actor: Actor,
           row: int | None = None) -> int:
    kind = (kind or "").strip().lower()
    if kind not in RANGES:
        raise ValidationError("Kind must be csat or nps.", field="kind", row=row, key="feedback.err_kind")
    low, high = RANGES[kind]
    try:
        value = int(str(score).strip())
    except (TypeError, ValueError):
        raise ValidationError("The score must be a whole number from {low} to {high}.", field="score", row=row,
                              key="feedback.err_score", low=low, high=high) from None
    if not low <= value <= high:
        raise ValidationError("The score must be a whole number from {low} to {high}.", field="score", row=row,
                              key="feedback.err_score", low=low, high=high)
    try:
        when = clean_moment(responded_at, "responded_at", row=row)
    except ValidationError:
        raise ValidationError("Use a date like 2026-11-23.", field="responded_at", row=row,
                              key="feedback.err_date") from None
    if when > datetime.now(UTC).replace(tzinfo=None):
        raise ValidationError("The date is in the future.", field="responded_at", row=row, key="feedback.err_future")
    if when.year < 1970:  # no answer is that old; strftime would also write a year below 1000 without its zeros
        raise ValidationError("Use a date like 2026-11-23.", field="responded_at", row=row, key="feedback.err_date")
    comment = clean_text(comment, "comment", 2000, row=row, multiline=True) or ""
    records.get(conn, "contacts", contact_id)
    return records.create(conn, "feedback", {"contact_id": contact_id, "kind": kind, "score": value,
                                             "responded_at": when.strftime("%Y-%m-%d %H:%M:%S"), "comment": comment},
                          actor)


def import_csv(conn: sqlite3.Connection, raw: bytes, actor: Actor) -> tuple[int, list[ValidationError]]:
    """Import answers (columns: email or contact_id, kind, score, date, comment). All rows or none:
    returns (imported, problems: errors a page shows with error_text); with any problem nothing is written."""
    text = None
    for encoding in ("utf-8-sig", "cp1251", "latin-1"):
        try:
            text = raw.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    reader = csv.DictReader(io.StringIO(text or ""))
    headers = [h.strip().lower() for h in reader.fieldnames or []]
    if len(set(headers)) != len(headers):
        return 0, [ValidationError("Two columns have the same name.", field="file", key="feedback.err_duplicate_columns")]
    missing = {"kind", "score", "date"} - set(headers)
    if missing or not ({"email", "contact_id"} & set(headers)):
        return 0, [ValidationError("The file needs the columns {names}.", field="file", key="feedback.err_columns",
                                   names=", ".join(sorted(missing) or ["email or contact_id"]))]
    problems, count = [], 0
    try:
        with write(conn):
            for n, raw_row in enumerate(reader, start=2):
                if n > MAX_ROWS + 1:
                    raise ValidationError("The file has more than {n} rows.", field="file", key="feedback.err_too_many",
                                          n=f"{MAX_ROWS:,}")
                row = {k.strip().lower(): (v or "").strip() for k, v in raw_row.items() if k}
                try:
                    contact = _contact(conn, row, n)
                    record(conn, contact, row["kind"], row["score"], row["date"], row.get("comment", ""), actor, row=n)
                    count += 1
                except DomainError as err:
                    problems.append(ValidationError("Row {row_no}: {detail}", field="file", row=n,
                                                    key="feedback.err_row", row_no=n, detail=err))
                except (KeyError, ValueError, TypeError):  # a row that cannot be read at all
                    problems.append(ValidationError("Row {row_no} cannot be read; check its columns.", field="file",
                                                    row=n, key="feedback.err_row_unreadable", row_no=n))
            if problems:
                raise ValidationError("rejected", field="file", key="feedback.err_file")
    except ValidationError as err:
        return 0, problems or [err]
    return count, []


def _contact(conn: sqlite3.Connection, row: dict, n: int) -> int:
    if row.get("contact_id"):
        if not (row["contact_id"].isascii() and row["contact_id"].isdigit()):
            raise ValidationError("The contact id must be a whole number.", field="contact_id", row=n,
                                  key="feedback.err_contact_id")
        return int(row["contact_id"])
    found = one(conn, "SELECT id FROM contacts WHERE email = ? AND deleted_at IS NULL", (row.get("email", "").lower(),))
    if not found:
        raise ValidationError("No contact with email {value}.", field="email", row=n, key="feedback.err_email",
                              value=row.get("email", "")[:80])
    return found["id"]
