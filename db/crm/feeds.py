"""Calendar feeds: a secret, revocable .ics URL per person (and, for managers, one for the team).

The token is shown once and stored as its SHA-256 only, like a session; "new URL" revokes the old one.
Times are written in UTC (``...Z``), which Google, Outlook and Apple Calendar all place correctly in the
viewer's zone; ``X-WR-TIMEZONE`` names the person's zone for clients that want a default. A recurring
series (rows sharing ``series_id``, see db/crm/activities.py) becomes one event with an RRULE, EXDATEs
for deleted occurrences and RECURRENCE-ID overrides for occurrences edited or moved on their own.
"""

from __future__ import annotations

import calendar as cal
import hashlib
import json
import secrets
import sqlite3
import threading
from collections import Counter
from datetime import UTC, datetime, timedelta

from db.core.connection import now, one, rows, write
from db.core.errors import NotFoundError, PermissionDenied
from db.core.permissions import Actor
from db.crm.activities import FMT, expand

SCOPES = ("mine", "team")
KINDS = ("call", "meeting", "email", "task")  # what is planned; logged notes would only clutter a calendar
PAST_DAYS = 90
AHEAD_DAYS = 366
LIMIT = 5000
MIN_MINUTES = 15
TOUCH_EVERY = timedelta(hours=1)  # last-used is written at most this often (a calendar polls often)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _check_scope(actor: Actor, scope: str) -> None:
    if scope not in SCOPES:
        raise NotFoundError(entity="calendar_feeds", id=scope)
    if scope == "team" and not actor.is_manager:
        raise PermissionDenied("Only a manager or an administrator may manage {area}.", key="errors.perm_manager",
                               area="calendar_feeds", action="team feed")


def new_url_token(conn: sqlite3.Connection, actor: Actor, scope: str = "mine") -> str:
    """Revoke the person's current feed of ``scope`` and return the token of a new one (shown once)."""
    _check_scope(actor, scope)
    token = "cal_" + secrets.token_urlsafe(24)
    stamp = now()
    with write(conn):
        conn.execute("UPDATE calendar_feeds SET revoked_at = ? WHERE user_id = ? AND scope = ? AND revoked_at IS NULL",
                     (stamp, actor.id, scope))
        conn.execute("INSERT INTO calendar_feeds (user_id, scope, token_hash, created_at) VALUES (?, ?, ?, ?)",
                     (actor.id, scope, _hash(token), stamp))
    return token


def revoke(conn: sqlite3.Connection, actor: Actor, scope: str = "mine") -> None:
    with write(conn):
        conn.execute("UPDATE calendar_feeds SET revoked_at = ? WHERE user_id = ? AND scope = ? AND revoked_at IS NULL",
                     (now(), actor.id, scope))


def live_feeds(conn: sqlite3.Connection, user_id: int) -> dict[str, dict]:
    """The person's live feeds by scope: created and last fetched."""
    return {r["scope"]: r for r in rows(conn, "SELECT scope, created_at, last_used_at FROM calendar_feeds "
                                              "WHERE user_id = ? AND revoked_at IS NULL", (user_id,))}


def resolve(conn: sqlite3.Connection, token: str) -> tuple[dict, str]:
    """The person and scope behind a feed token; ``NotFoundError`` for a wrong, revoked or inactive one (a
    manager demoted to rep loses the team feed)."""
    row = one(conn, "SELECT f.id, f.scope, f.last_used_at, u.id AS user_id, u.name, u.role, u.timezone, u.language "
                    "FROM calendar_feeds f JOIN users u ON u.id = f.user_id WHERE f.token_hash = ? AND "
                    "f.revoked_at IS NULL AND u.active = 1 AND u.deleted_at IS NULL", (_hash(str(token)[:200]),))
    if row is None or (row["scope"] == "team" and row["role"] not in ("admin", "manager")):
        raise NotFoundError(entity="calendar_feeds", id="?")
    stamp = now()
    if not row["last_used_at"] or datetime.fromisoformat(row["last_used_at"]) + TOUCH_EVERY < datetime.fromisoformat(
            stamp):
        with write(conn):
            conn.execute("UPDATE calendar_feeds SET last_used_at = ? WHERE id = ?", (stamp, row["id"]))
    return row, row["scope"]


_SELECT = ("SELECT a.id, a.kind, a.subject, a.notes, a.starts_at, a.due_at, a.duration_min, a.done, a.recurrence, "
           "a.series_id, a.deleted_at, a.owner_id, u.name AS owner, "
           "NULLIF(TRIM(COALESCE(c.first_name, '') || ' ' || COALESCE(c.last_name, '')), '') AS contact "
           "FROM activities a LEFT JOIN users u ON u.id = a.owner_id LEFT JOIN contacts c ON c.id = a.contact_id ")


def activities(conn: sqlite3.Connection, user_id: int, scope: str, at: datetime | None = None) -> list[dict]:
    """The feed's activities: planned kinds from ``PAST_DAYS`` back to ``AHEAD_DAYS`` ahead, plus every row
    (deleted ones too) of each recurring series that has an occurrence in that window."""
    at = at or datetime.now(UTC).replace(tzinfo=None)
    start, end = (at - timedelta(days=PAST_DAYS)).strftime(FMT), (at + timedelta(days=AHEAD_DAYS)).strftime(FMT)
    kinds = ",".join("?" * len(KINDS))
    who, params = ("a.owner_id = ? AND ", [user_id]) if scope == "mine" else ("", [])
    found = []
    for column in ("starts_at", "due_at"):
        found += rows(conn, _SELECT + f"WHERE {who}a.kind IN ({kinds}) AND a.deleted_at IS NULL AND a.{column} >= ? "
                      f"AND a.{column} < ? ORDER BY a.{column} LIMIT ?", [*params, *KINDS, start, end, LIMIT])
    series = sorted({r["series_id"] for r in found if r["series_id"]})
    single = [r for r in found if not r["series_id"]]
    whole = []
    for chunk in range(0, len(series), 500):
        ids = series[chunk:chunk + 500]
        whole += rows(conn, _SELECT + f"WHERE a.series_id IN ({','.join('?' * len(ids))}) ORDER BY a.series_id, a.id",
                      ids)
    return single + whole


def _utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def _length(row: dict) -> timedelta:
    return timedelta(minutes=max(row["duration_min"] or 0, MIN_MINUTES))


def _summary(row: dict, team: bool) -> str:
    return f"{row['subject']} ({row['owner']})" if team and row.get("owner") else row["subject"]


def _event(row: dict, team: bool, start: datetime | None = None):
    from icalendar import Event

    start = start or _utc(row["starts_at"] or row["due_at"])
    event = Event()
    event.add("summary", _summary(row, team))
    event.add("dtstart", start)
    event.add("dtend", start + _length(row))
    event.add("dtstamp", datetime.now(UTC))
    event.add("categories", [row["kind"]])
    notes = "\n".join(x for x in (row.get("contact") and f"Contact: {row['contact']}", row.get("notes")) if x)
    if notes:
        event.add("description", notes)
    if row["kind"] == "task" and row["done"]:
        event.add("status", "CONFIRMED")
    return event


def _rrule(freq: str, start: datetime, count: int) -> dict:
    """The RRULE of ``activities.expand``: a monthly series on day 29-31 falls on the month's last day when the
    month is shorter (BYMONTHDAY 28..d with BYSETPOS=-1 picks exactly that)."""
    rule = {"freq": freq.upper(), "count": count}
    if freq == "monthly" and start.day > 28:
        rule.update(bymonthday=list(range(28, start.day + 1)), bysetpos=-1)
    return rule


def _series(series_rows: list[dict], team: bool) -> list:
    """One master event with an RRULE, plus EXDATEs and RECURRENCE-ID overrides where rows differ from it."""
    first = series_rows[0]
    freq = json.loads(first["recurrence"] or "{}").get("freq")
    expected = _expected(series_rows, freq) if freq in ("daily", "weekly", "monthly") else []
    live = [r for r in series_rows if not r["deleted_at"] and r["kind"] in KINDS]
    if not freq or len(expected) != len(series_rows) or not live:
        return [_single(r, team) for r in live]
    shape = Counter((r["subject"], r["notes"], r["duration_min"], r["owner"]) for r in live).most_common(1)[0][0]
    template = next(r for r in live if (r["subject"], r["notes"], r["duration_min"], r["owner"]) == shape)
    master = _event(template, team, expected[0])
    master.add("uid", f"series-{first['series_id']}@crm")
    master.add("rrule", _rrule(freq, expected[0], len(expected)))
    out, gone = [master], []
    for row, at in zip(series_rows, expected, strict=True):
        if row["deleted_at"] or row["kind"] not in KINDS:
            gone.append(at)
            continue
        if _utc(row["starts_at"] or row["due_at"]) != at or (
                row["subject"], row["notes"], row["duration_min"], row["owner"]) != shape:
            override = _event(row, team)
            override.add("uid", f"series-{first['series_id']}@crm")
            override.add("recurrence-id", at)
            out.append(override)
    if gone:
        master.add("exdate", gone)
    return out


def _back(at: datetime, freq: str, steps: int) -> datetime:
    """``at`` moved ``steps`` occurrences back (a candidate for the series' first start)."""
    if freq == "daily":
        return at - timedelta(days=steps)
    if freq == "weekly":
        return at - timedelta(weeks=steps)
    month = at.month - 1 - steps
    year, month = at.year + month // 12, month % 12 + 1
    return at.replace(year=year, month=month, day=min(at.day, cal.monthrange(year, month)[1]))


def _expected(series_rows: list[dict], freq: str) -> list[datetime]:
    """The occurrence times the series was created with (rows are in creation order, one per occurrence).

    The first start is not stored apart from the rows, and any row (the first too) may have been moved since,
    so each row proposes the first start it implies and the proposal that the most rows agree with wins."""
    starts = [datetime.fromisoformat(r["starts_at"] or r["due_at"]) for r in series_rows]
    best, score = [], -1
    for candidate in {_back(at, freq, i) for i, at in enumerate(starts)}:
        times = [s for s, _ in expand(candidate, candidate + timedelta(minutes=1), freq, count=len(starts))]
        agree = sum(a == b for a, b in zip(times, starts, strict=False))
        if agree > score:
            best, score = times, agree
    return [t.replace(tzinfo=UTC) for t in best]


def _single(row: dict, team: bool):
    event = _event(row, team)
    event.add("uid", f"activity-{row['id']}@crm")
    return event


def ics(found: list[dict], name: str, timezone: str, team: bool = False) -> bytes:
    """The feed as iCalendar text."""
    from icalendar import Calendar

    book = Calendar()
    book.add("prodid", "-//Team CRM//calendar feed//EN")
    book.add("version", "2.0")
    book.add("calscale", "GREGORIAN")
    book.add("method", "PUBLISH")
    book.add("x-wr-calname", name)
    book.add("x-wr-timezone", timezone or "UTC")
    book.add("refresh-interval", timedelta(hours=1), parameters={"VALUE": "DURATION"})
    book.add("x-published-ttl", "PT1H")
    by_series: dict[int, list[dict]] = {}
    for row in found:
        if row["series_id"]:
            by_series.setdefault(row["series_id"], []).append(row)
        else:
            book.add_component(_single(row, team))
    for series_rows in by_series.values():
        for event in _series(sorted(series_rows, key=lambda r: r["id"]), team):
            book.add_component(event)
    return book.to_ical()


CACHE_SIZE = 64
_CACHE: dict[tuple, tuple[tuple, bytes]] = {}  # (user, scope) -> (fingerprint, .ics); see ``feed``
_CACHE_LOCK = threading.Lock()


def fingerprint(conn: sqlite3.Connection, person: dict, scope: str) -> tuple:
    """What a feed depends on, cheaply: the day (the window moves), the person's name and zone, and the
    activities' count, last id and sum of versions (every edit bumps a version; the person's own rows through
    the owner index; for the team feed the audit log's last id, since every write audits). A renamed contact
    reaches the description with the next change or day."""
    if scope == "mine":
        data = tuple(conn.execute("SELECT COUNT(*), MAX(id), SUM(version) FROM activities WHERE owner_id = ?",
                                  (person["user_id"],)).fetchone())
    else:
        data = (conn.execute("SELECT MAX(id) FROM audit_log").fetchone()[0],)
    return (datetime.now(UTC).date(), person["name"], person["timezone"], *data)


def feed(conn: sqlite3.Connection, token: str) -> bytes:
    """The .ics body behind a token (``NotFoundError`` when it is not a live feed).

    Building a large feed costs ~1 ms per event in icalendar, and calendar apps ask again every few hours
    whether or not anything changed, so the last answer per person is kept while its fingerprint holds."""
    person, scope = resolve(conn, token)
    key, mark = (person["user_id"], scope), fingerprint(conn, person, scope)
    with _CACHE_LOCK:
        kept = _CACHE.get(key)
    if kept and kept[0] == mark:
        return kept[1]
    name = f"CRM: {person['name']}" if scope == "mine" else f"CRM: team ({person['name']})"
    body = ics(activities(conn, person["user_id"], scope), name, person["timezone"], team=scope == "team")
    with _CACHE_LOCK:
        if len(_CACHE) >= CACHE_SIZE:
            _CACHE.pop(next(iter(_CACHE)))
        _CACHE[key] = (mark, body)
    return body
