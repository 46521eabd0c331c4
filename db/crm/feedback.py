"""CSAT and NPS answers: record one (validated) or import a CSV all-or-nothing with a per-row report."""

from __future__ import annotations

import csv
import io
import sqlite3
from datetime import UTC, datetime

from db.core import records
from db.core.connection import one, rows, write
from db.core.errors import ValidationError
from db.core.permissions import Actor

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
        when = datetime.fromisoformat(str(responded_at).strip())
    except ValueError:
        raise ValidationError("Use a date like 2026-11-23.", field="responded_at", row=row,
                              key="feedback.err_date") from None
    if when.replace(tzinfo=None) > datetime.now(UTC).replace(tzinfo=None):
        raise ValidationError("The date is in the future.", field="responded_at", row=row, key="feedback.err_future")
    comment = (comment or "").strip()
    if len(comment) > 2000:
        raise ValidationError("The comment is too long (2000 characters at most).", field="comment", row=row,
                              key="feedback.err_comment")
    records.get(conn, "contacts", contact_id)
    return records.create(conn, "feedback", {"contact_id": contact_id, "kind": kind, "score": value,
                                             "responded_at": when.strftime("%Y-%m-%d %H:%M:%S"), "comment": comment},
                          actor)


def import_csv(conn: sqlite3.Connection, raw: bytes, actor: Actor) -> tuple[int, list[str]]:
    """Import answers (columns: email or contact_id, kind, score, date, comment). All rows or none:
    returns (imported, problems); with any problem nothing is written."""
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
        return 0, ["duplicate column names"]
    missing = {"kind", "score", "date"} - set(headers)
    if missing or not ({"email", "contact_id"} & set(headers)):
        return 0, [f"missing columns: {', '.join(sorted(missing) or ['email or contact_id'])}"]
    problems, count = [], 0
    try:
        with write(conn):
            for n, raw_row in enumerate(reader, start=2):
                if n > MAX_ROWS + 1:
                    raise ValidationError("too many rows", field="file", key="feedback.err_file")
                row = {k.strip().lower(): (v or "").strip() for k, v in raw_row.items() if k}
                try:
                    contact = _contact(conn, row, n)
                    record(conn, contact, row["kind"], row["score"], row["date"], row.get("comment", ""), actor, row=n)
                    count += 1
                except ValidationError as err:
                    problems.append(f"row {n}: {err.message}")
                except Exception as err:  # noqa: BLE001 - any bad row is reported, never half-imported
                    problems.append(f"row {n}: {err}")
            if problems:
                raise ValidationError("rejected", field="file", key="feedback.err_file")
    except ValidationError:
        return 0, problems or ["the file was rejected"]
    return count, []


def _contact(conn: sqlite3.Connection, row: dict, n: int) -> int:
    if row.get("contact_id"):
        if not row["contact_id"].isdigit():
            raise ValidationError("contact_id must be a number.", field="contact_id", row=n, key="feedback.err_contact")
        return int(row["contact_id"])
    found = one(conn, "SELECT id FROM contacts WHERE email = ? AND deleted_at IS NULL", (row.get("email", "").lower(),))
    if not found:
        raise ValidationError("No contact with email {value}.", field="email", row=n, key="feedback.err_email",
                              value=row.get("email", "")[:80])
    return found["id"]
