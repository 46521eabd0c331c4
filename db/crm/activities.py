"""Calls, meetings, emails and tasks: validated create, recurring series, reschedule, complete, range reads.

All times are UTC text (``YYYY-MM-DD HH:MM:SS``); converting to and from a person's time zone is the
UI's job (components/calendar.py).
"""

from __future__ import annotations

import calendar as cal
import json
import sqlite3
from datetime import UTC, datetime, timedelta

from db.core import records
from db.core.connection import now, rows, write
from db.core.errors import ValidationError
from db.core.permissions import Actor, check_write
from db.core.text import clean_moment, clean_text

KINDS = ("call", "meeting", "email", "task", "note", "complaint")
TIMED = ("call", "meeting", "email", "note", "complaint")
FREQS = ("daily", "weekly", "monthly")
MAX_OCCURRENCES = 366
MAX_YEARS_AHEAD = 10
FMT = "%Y-%m-%d %H:%M:%S"


NOTES_LIMIT = 5000


def _parse(value, field: str) -> datetime:
    """Naive UTC; a time with an offset (+14:00, Z) is converted, not read as if it were UTC."""
    return clean_moment(value, field)


def _notes(text) -> str:
    """Notes keep their lines; more than NOTES_LIMIT characters is refused at the field, not cut."""
    return clean_text(text, "notes", NOTES_LIMIT, multiline=True) or ""


def validate_times(start, end) -> tuple[datetime, datetime]:
    """Start before end, a positive duration, and not absurdly far away."""
    s, e = _parse(start, "starts_at"), _parse(end, "ends_at")
    if e <= s:
        raise ValidationError("The end must be after the start.", field="ends_at", key="calendar.err_order")
    limit = datetime.now(UTC).replace(tzinfo=None) + timedelta(days=365 * MAX_YEARS_AHEAD)
    if s > limit or s.year < 2000:
        raise ValidationError("Choose a date within the next {n} years.", field="starts_at",
                              key="calendar.err_far", n=MAX_YEARS_AHEAD)
    if e - s > timedelta(days=14):
        raise ValidationError("An activity lasts at most 14 days.", field="ends_at", key="calendar.err_long")
    return s, e


def _subject(text: str) -> str:
    text = " ".join((clean_text(text, "subject", 200) or "").split())
    if not text:
        raise ValidationError("A subject is required.", field="subject", key="calendar.err_subject")
    return text


def expand(start: datetime, end: datetime, freq: str | None, until: datetime | None = None,
           count: int | None = None) -> list[tuple[datetime, datetime]]:
    """Occurrences of a series (pure). Monthly on the 31st falls on each month's last day."""
    if not freq:
        return [(start, end)]
    if freq not in FREQS:
        raise ValidationError("Repeat daily, weekly or monthly.", field="recurrence", key="calendar.err_freq")
    if not until and not count:
        raise ValidationError("Say until when or how many times.", field="recurrence", key="calendar.err_until")
    count = min(count or MAX_OCCURRENCES, MAX_OCCURRENCES)
    length, out, i = end - start, [], 0
    while len(out) < count:
        if freq == "daily":
            at = start + timedelta(days=i)
        elif freq == "weekly":
            at = start + timedelta(weeks=i)
        else:
            month = start.month - 1 + i
            year, month = start.year + month // 12, month % 12 + 1
            at = start.replace(year=year, month=month, day=min(start.day, cal.monthrange(year, month)[1]))
        if until and at.date() > until.date():
            break
        out.append((at, at + length))
        i += 1
    return out


def create(conn: sqlite3.Connection, values: dict, actor: Actor, *, freq: str | None = None,
           until=None, count: int | None = None) -> list[int]:
    """Create one activity, or a recurring series (rows sharing series_id) in one transaction."""
    kind = values.get("kind")
    if kind not in KINDS:
        raise ValidationError("Choose a type.", field="kind", key="calendar.err_kind")
    subject = _subject(values.get("subject", ""))
    notes = _notes(values.get("notes"))
    start, end = validate_times(values["starts_at"], values["ends_at"])
    occurrences = expand(start, end, freq, _parse(until, "until") if until else None, count)
    base = {k: values.get(k) for k in ("contact_id", "deal_id", "company_id", "owner_id") if values.get(k)}
    base.update({k: v for k, v in values.items() if k.startswith("cf_")})  # custom fields: the write path checks
    rule = json.dumps({"freq": freq, "until": str(until) if until else None, "count": count}) if freq else None
    ids = []
    with write(conn):
        for s, e in occurrences:
            row = {**base, "kind": kind, "subject": subject, "notes": notes,
                   "duration_min": int((e - s).total_seconds() // 60), "recurrence": rule}
            if kind == "task":
                row["due_at"] = s.strftime(FMT)
            else:
                row["starts_at"], row["ends_at"] = s.strftime(FMT), e.strftime(FMT)
            ids.append(records.create(conn, "activities", row, actor))
        if len(ids) > 1:
            conn.execute(f"UPDATE activities SET series_id = ? WHERE id IN ({','.join('?' * len(ids))})",
                         [ids[0], *ids])
    return ids


def reschedule(conn: sqlite3.Connection, activity_id: int, version: int, start, end, actor: Actor) -> dict:
    """Move or resize one activity (version-checked)."""
    s, e = validate_times(start, end)
    current = records.get(conn, "activities", activity_id)
    changes = {"duration_min": int((e - s).total_seconds() // 60)}
    if current["kind"] == "task":
        changes["due_at"] = s.strftime(FMT)
    else:
        changes.update(starts_at=s.strftime(FMT), ends_at=e.strftime(FMT))
    return records.update(conn, "activities", activity_id, version, changes, actor)


def edit(conn: sqlite3.Connection, activity_id: int, version: int, changes: dict, actor: Actor,
         whole_series: bool = False) -> int:
    """Edit subject/notes of one occurrence, or of this and every later occurrence of its series."""
    clean = {}
    if "subject" in changes:
        clean["subject"] = _subject(changes["subject"])
    if "notes" in changes:
        clean["notes"] = _notes(changes["notes"])
    current = records.get(conn, "activities", activity_id)
    with write(conn):
        records.update(conn, "activities", activity_id, version, clean, actor)
        touched = 1
        if whole_series and current["series_id"]:
            later = rows(conn, "SELECT id, version FROM activities WHERE series_id = ? AND id != ? AND deleted_at IS "
                               "NULL AND COALESCE(starts_at, due_at) > ?",
                         (current["series_id"], activity_id, current["starts_at"] or current["due_at"]))
            for other in later:
                records.update(conn, "activities", other["id"], other["version"], clean, actor)
            touched += len(later)
    return touched


def complete(conn: sqlite3.Connection, activity_id: int, version: int, actor: Actor, done: bool = True) -> dict:
    return records.update(conn, "activities", activity_id, version,
                          {"done": int(done), "done_at": now() if done else None}, actor)


def _range_where(owner_id: int | None, kinds: list[str] | None) -> tuple[str, list, list[str]]:
    where, params = ["a.deleted_at IS NULL"], []
    if owner_id is not None:
        where.append("a.owner_id = ?")
        params.append(owner_id)
    wanted = [k for k in (kinds or KINDS) if k in KINDS]
    where.append(f"a.kind IN ({','.join('?' * len(wanted))})")
    return " AND ".join(where), [*params, *wanted], wanted


def in_range(conn: sqlite3.Connection, start: str, end: str, owner_id: int | None = None,
             kinds: list[str] | None = None, limit: int | None = 2000) -> list[dict]:
    """Activities with a time inside [start, end) (UTC): timed ones by start, tasks by due time. ``limit``
    caps each of the two reads (None: everything, for an export whose size ``count_range`` showed first);
    the calendar itself reads per day through db/crm/calendar.py, which counts what it does not draw."""
    cond, params, wanted = _range_where(owner_id, kinds)
    cap = -1 if limit is None else limit
    sql = ("SELECT a.id, a.version, a.kind, a.subject, a.notes, a.starts_at, a.ends_at, a.due_at, a.duration_min, "
           "a.done, a.contact_id, a.deal_id, a.series_id, a.owner_id, u.name AS owner, "
           "c.first_name || ' ' || c.last_name AS contact FROM activities a LEFT JOIN users u ON u.id = a.owner_id "
           "LEFT JOIN contacts c ON c.id = a.contact_id WHERE ")
    timed = rows(conn, sql + cond + " AND a.starts_at >= ? AND a.starts_at < ? ORDER BY a.starts_at LIMIT ?",
                 [*params, start, end, cap])
    tasks = rows(conn, sql + cond + " AND a.kind = 'task' AND a.due_at >= ? AND a.due_at < ? ORDER BY a.due_at "
                 "LIMIT ?", [*params, start, end, cap]) if "task" in wanted else []
    return timed + tasks


def count_range(conn: sqlite3.Connection, start: str, end: str, owner_id: int | None = None,
                kinds: list[str] | None = None) -> int:
    """How many activities ``in_range`` without a limit returns."""
    cond, params, wanted = _range_where(owner_id, kinds)
    timed = conn.execute(f"SELECT count(*) FROM activities a WHERE {cond} AND a.starts_at >= ? AND a.starts_at < ?",
                         [*params, start, end]).fetchone()[0]
    tasks = conn.execute(f"SELECT count(*) FROM activities a WHERE {cond} AND a.kind = 'task' AND a.due_at >= ? "
                         "AND a.due_at < ?", [*params, start, end]).fetchone()[0] if "task" in wanted else 0
    return timed + tasks


def my_tasks(conn: sqlite3.Connection, owner_id: int, today_start: str, today_end: str, week_end: str,
             limit: int = 200) -> dict[str, list[dict]]:
    """Open tasks: overdue, due today and in the next days (UTC bounds of the person's local day)."""
    sql = ("SELECT a.id, a.version, a.subject, a.due_at, a.contact_id, a.deal_id, "
           "c.first_name || ' ' || c.last_name AS contact FROM activities a LEFT JOIN contacts c ON c.id = a.contact_id "
           "WHERE a.kind = 'task' AND a.done = 0 AND a.deleted_at IS NULL AND a.owner_id = ? ")
    return {
        "overdue": rows(conn, sql + "AND a.due_at < ? ORDER BY a.due_at LIMIT ?", (owner_id, today_start, limit)),
        "today": rows(conn, sql + "AND a.due_at >= ? AND a.due_at < ? ORDER BY a.due_at LIMIT ?",
                      (owner_id, today_start, today_end, limit)),
        "upcoming": rows(conn, sql + "AND a.due_at >= ? AND a.due_at < ? ORDER BY a.due_at LIMIT ?",
                         (owner_id, today_end, week_end, limit)),
    }


def ics(activities: list[dict], name: str) -> bytes:
    """An iCalendar file of the given activities (UTC times)."""
    from icalendar import Calendar, Event

    book = Calendar()
    book.add("prodid", "-//Team CRM//calendar//EN")
    book.add("version", "2.0")
    book.add("x-wr-calname", name)
    for a in activities:
        start = datetime.fromisoformat(a["starts_at"] or a["due_at"]).replace(tzinfo=UTC)
        event = Event()
        event.add("uid", f"activity-{a['id']}@crm")
        event.add("summary", a["subject"])
        event.add("dtstart", start)
        event.add("dtend", start + timedelta(minutes=max(a["duration_min"] or 0, 15)))
        event.add("dtstamp", datetime.now(UTC))
        event.add("categories", [a["kind"]])
        if a.get("notes"):
            event.add("description", a["notes"])
        book.add_component(event)
    return book.to_ical()


PLANNED = ("call", "meeting", "task", "email")  # the kinds a next step can be
STEP_MINUTES = 30
LINKS = ("contact_id", "company_id", "deal_id")


def local_to_utc(wall: datetime, tz: str) -> str:
    """A wall time in the person's zone (naive) -> stored UTC text. An unknown zone reads as UTC."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        zone = ZoneInfo(tz or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    return wall.replace(tzinfo=zone).astimezone(UTC).strftime(FMT)


def utc_to_local(utc_text: str, tz: str) -> datetime:
    """Stored UTC text -> naive wall time in the person's zone."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        zone = ZoneInfo(tz or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    return datetime.fromisoformat(utc_text).replace(tzinfo=UTC).astimezone(zone).replace(tzinfo=None)


def schedule_next(conn: sqlite3.Connection, *, kind: str, subject: str, wall: datetime, tz: str, owner_id: int | None,
                  actor: Actor, notes: str = "", minutes: int = STEP_MINUTES, **link) -> int:
    """Plan a follow-up on a record: ``wall`` is the local time in ``tz``; stored in UTC (a task as due_at,
    a call/meeting/email as starts_at..ends_at). ``link`` is contact_id, company_id and/or deal_id (at least
    one). Who may be assigned is the write path's rule: a rep may plan only for themselves."""
    if kind not in PLANNED:
        raise ValidationError("Choose a type.", field="kind", key="calendar.err_kind")
    linked = {k: int(v) for k, v in link.items() if k in LINKS and v}
    if not linked:
        raise ValidationError("A next step belongs to a record.", field="record", key="followup.err_link")
    for field, table in (("contact_id", "contacts"), ("company_id", "companies"), ("deal_id", "deals")):
        if field in linked:
            records.get(conn, table, linked[field])  # NotFoundError for a missing or deleted record
    start = local_to_utc(wall, tz)
    end = (datetime.fromisoformat(start) + timedelta(minutes=max(minutes, 5))).strftime(FMT)
    values = {"kind": kind, "subject": subject, "notes": notes, "starts_at": start, "ends_at": end,
              "owner_id": owner_id or actor.id, **linked}
    return create(conn, values, actor)[0]


def next_step(conn: sqlite3.Connection, *, at: str | None = None, **link) -> dict | None:
    """The record's next planned activity: the earliest open one from ``at`` (now) on; else the latest overdue
    one (``overdue`` set). ``link``: contact_id, company_id or deal_id (one)."""
    field, value = next((k, v) for k, v in link.items() if k in LINKS)
    at = at or now()
    marks = ",".join("?" * len(PLANNED))
    # A company's next step is also one planned with its people or on its deals.
    which, head = f"a.{field} = ?", [value]
    if field == "company_id":
        which = ("a.id IN (SELECT id FROM activities WHERE company_id = ? UNION SELECT a2.id FROM activities a2 JOIN "
                 "contacts c2 ON c2.id = a2.contact_id WHERE c2.company_id = ? UNION SELECT a3.id FROM activities a3 "
                 "JOIN deals d3 ON d3.id = a3.deal_id WHERE d3.company_id = ?)")
        head = [value] * 3
    person = ("NULL" if field == "contact_id" else
              "NULLIF(TRIM(COALESCE(c.first_name, '') || ' ' || COALESCE(c.last_name, '')), '')")
    sql = ("SELECT a.id, a.version, a.kind, a.subject, COALESCE(a.due_at, a.starts_at) AS at, a.owner_id, "
           f"u.name AS owner, {person} AS contact FROM activities a LEFT JOIN users u ON u.id = a.owner_id "
           f"LEFT JOIN contacts c ON c.id = a.contact_id WHERE {which} AND a.done = 0 AND a.deleted_at IS NULL AND a.kind IN ({marks}) "
           "AND COALESCE(a.due_at, a.starts_at) IS NOT NULL ")
    ahead = rows(conn, sql + "AND COALESCE(a.due_at, a.starts_at) >= ? ORDER BY at LIMIT 1",
                 [*head, *PLANNED, at])
    if ahead:
        return {**ahead[0], "overdue": False}
    late = rows(conn, sql + "AND COALESCE(a.due_at, a.starts_at) < ? ORDER BY at DESC LIMIT 1",
                [*head, *PLANNED, at])
    return {**late[0], "overdue": True} if late else None


NOTE_MINUTES = 5  # a logged note or complaint without times: now, this long


def create_record(conn: sqlite3.Connection, values: dict, actor: Actor) -> int:
    """One activity from a flat record (the API's shape): a task's ``due_at`` is its start; a note or
    complaint without times is logged now; ``done`` marks it done. The same rules as ``create``."""
    values = dict(values)
    kind, done = values.get("kind"), values.pop("done", None)
    if kind == "task" and values.get("due_at") and not values.get("starts_at"):
        values["starts_at"] = values["due_at"]
    values.pop("due_at", None)
    if kind in ("note", "complaint") and not values.get("starts_at"):
        values["starts_at"] = now()
    if values.get("starts_at") and not values.get("ends_at"):
        minutes = NOTE_MINUTES if kind in ("note", "complaint") else STEP_MINUTES
        values["ends_at"] = (_parse(values["starts_at"], "starts_at") + timedelta(minutes=minutes)).strftime(FMT)
    if not values.get("starts_at"):
        raise ValidationError("{field}: enter a date and time such as 2026-11-23 14:30.",
                              field="due_at" if kind == "task" else "starts_at", key="errors.moment")
    with write(conn):
        new_id = create(conn, values, actor)[0]
        if done:
            complete(conn, new_id, 1, actor)
    return new_id


def update(conn: sqlite3.Connection, activity_id: int, version: int, changes: dict, actor: Actor) -> dict:
    """A partial edit in one transaction, each part through its own rule: subject and notes (``edit``), times
    (``reschedule``: ``starts_at``/``ends_at``, or ``due_at`` for a task), custom fields (``cf_<id>``, checked by
    the write path) and ``done`` (``complete``). The
    version is checked once, against ``version``; returns the row as saved."""
    unknown = {k for k in changes if not k.startswith("cf_")} - {"subject", "notes", "starts_at", "ends_at",
                                                                  "due_at", "done"}
    if unknown:
        raise ValidationError("Unknown field(s): {names}", field=sorted(unknown)[0], key="errors.unknown_fields",
                              names=", ".join(sorted(unknown)))
    with write(conn):
        current = records.get(conn, "activities", activity_id)
        check_write(actor, "activities", current, "edit")
        if current["version"] != version:  # the write path's own conflict, naming who changed what
            return records.update(conn, "activities", activity_id, version, {}, actor)
        text = {k: changes[k] for k in ("subject", "notes") if k in changes}
        if text:
            edit(conn, activity_id, version, text, actor)
        if {"starts_at", "ends_at", "due_at"} & set(changes):
            row = records.get(conn, "activities", activity_id)
            start = changes.get("due_at") or changes.get("starts_at") or row["starts_at"] or row["due_at"]
            length = timedelta(minutes=max(row["duration_min"] or 0, 1))
            end = changes.get("ends_at") or (_parse(start, "starts_at") + length).strftime(FMT)
            reschedule(conn, activity_id, row["version"], start, end, actor)
        custom = {k: v for k, v in changes.items() if k.startswith("cf_")}
        if custom:
            records.update(conn, "activities", activity_id, records.get(conn, "activities", activity_id)["version"],
                           custom, actor)
        if "done" in changes and changes["done"] is not None:
            row = records.get(conn, "activities", activity_id)
            if bool(row["done"]) != bool(changes["done"]):
                complete(conn, activity_id, row["version"], actor, done=bool(changes["done"]))
        return records.get(conn, "activities", activity_id)
