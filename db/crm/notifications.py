"""Notifications: what a person should look at, read from the data on every call (nothing kept in memory).

Two sources, because they change for different reasons:

- **Reminders are computed.** A person's open tasks that are overdue or due soon (within the next hour,
  or later on their local day) follow the clock, not a write, so they are read from ``activities``
  (``ix_activities_open_tasks``). Marking one read stores a mark in ``notification_reads`` keyed by the
  task, its due time and its state: a rescheduled task, or a due task that becomes overdue, reminds again.
- **Events are stored.** "Assigned to you" and "your deal moved" are written by triggers on contacts,
  companies and deals (migration 0200: every write path sets ``owner_id``/``stage_id`` and ``updated_by``,
  so every path notifies); "mentioned you" is written with the comment (``mention``). Each is a row of
  ``notifications`` with its own ``read_at``.

The sidebar's figure (``counts``) is one statement over two partial indexes: it never reads the audit log
or scans activities.
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from db.core.connection import now as utc_now
from db.core.connection import rows, write
from db.core.errors import ValidationError
from db.core.permissions import Actor

FMT = "%Y-%m-%d %H:%M:%S"
SOON = timedelta(hours=1)
LIMIT = 100
COUNT_CAP = 100  # unread events counted at most (the sidebar shows "99+")
KEEP_READ_DAYS = 90  # read events older than this are dropped when the person marks all read
ENTITIES = ("contacts", "companies", "deals")
_KEY = re.compile(r"^(?:n:\d{1,19}|task:\d{1,19}:[0-9T :.+-]{1,40}:(?:due|overdue))$")
# The reminder key of an open task, in SQL (the one spelling, used by counts, the list and mark all read).
_TASK_KEY = ("'task:' || a.id || ':' || a.due_at || CASE WHEN a.due_at < :now THEN ':overdue' ELSE ':due' END")
_OPEN_TASKS = ("FROM activities a WHERE a.owner_id = :u AND a.kind = 'task' AND a.done = 0 "
               "AND a.due_at < :horizon AND a.deleted_at IS NULL")


@dataclass(frozen=True)
class Window:
    """The instants (UTC text) that sort a person's tasks: now, the end of their local day, and the horizon
    of "due soon" (the later of an hour from now and the end of the day)."""

    now: str
    day_end: str
    horizon: str


def window(tz: str | None, at: datetime | None = None) -> Window:
    """The reminder window of a person in time zone ``tz`` (an unknown zone counts as UTC)."""
    try:
        zone = ZoneInfo(tz or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    moment = (at or datetime.now(UTC)).astimezone(UTC)
    local_day = moment.astimezone(zone).date()
    day_end = datetime.combine(local_day + timedelta(days=1), time(), tzinfo=zone).astimezone(UTC)
    horizon = max(day_end, moment + SOON)
    return Window(moment.strftime(FMT), day_end.strftime(FMT), horizon.strftime(FMT))


def counts(conn: sqlite3.Connection, user_id: int, win: Window) -> dict[str, int]:
    """The sidebar's figures in one statement: unread notifications (events and reminders), and the
    person's open tasks that are overdue or due later today (read or not: those are facts, not news).
    Unread events are counted up to COUNT_CAP only (the badge says "99+" beyond): counting a flood of 50,000
    took 2.6 ms of every page run; the tasks are counted exactly (the caption names them)."""
    row = conn.execute(
        f"WITH open AS (SELECT a.id, a.due_at, {_TASK_KEY} AS key {_OPEN_TASKS}) "
        "SELECT (SELECT COUNT(*) FROM (SELECT 1 FROM notifications WHERE user_id = :u AND read_at IS NULL LIMIT :cap)) "
        "+ (SELECT COUNT(*) FROM open o WHERE NOT EXISTS (SELECT 1 FROM notification_reads r "
        "   WHERE r.user_id = :u AND r.key = o.key)), "
        "(SELECT COUNT(*) FROM open WHERE due_at < :now), "
        "(SELECT COUNT(*) FROM open WHERE due_at >= :now AND due_at < :day_end)",
        {"u": user_id, "now": win.now, "horizon": win.horizon, "day_end": win.day_end, "cap": COUNT_CAP}).fetchone()
    return {"unread": row[0], "overdue": row[1], "today": row[2]}


def inbox(conn: sqlite3.Connection, user_id: int, win: Window, *, unread_only: bool = False,
          limit: int = LIMIT) -> list[dict]:
    """The person's notifications, newest first (a reminder's time is its task's due time, so tasks due
    soon lead), at most ``limit``. Each: key, kind, at, read, entity, entity_id, title, actor, detail,
    to (the stage a deal moved to), gone (the record was deleted since)."""
    params = {"u": user_id, "now": win.now, "horizon": win.horizon, "lim": limit}
    unread = " AND n.read_at IS NULL" if unread_only else ""
    events = rows(
        conn,
        "SELECT 'n:' || n.id AS key, n.kind, n.at, n.read_at IS NOT NULL AS read, n.entity, n.entity_id, "
        "COALESCE(u.name, '') AS actor, "
        "CASE n.entity WHEN 'contacts' THEN (SELECT trim(first_name || ' ' || last_name) FROM contacts WHERE id = n.entity_id) "
        " WHEN 'companies' THEN (SELECT name FROM companies WHERE id = n.entity_id) "
        " WHEN 'deals' THEN (SELECT title FROM deals WHERE id = n.entity_id) END AS title, "
        "CASE n.entity WHEN 'contacts' THEN (SELECT deleted_at FROM contacts WHERE id = n.entity_id) "
        " WHEN 'companies' THEN (SELECT deleted_at FROM companies WHERE id = n.entity_id) "
        " WHEN 'deals' THEN (SELECT deleted_at FROM deals WHERE id = n.entity_id) END IS NOT NULL AS gone, "
        "CASE n.kind WHEN 'mention' THEN (SELECT body FROM comments WHERE id = n.ref_id) END AS detail, "
        "CASE n.kind WHEN 'stage' THEN (SELECT name FROM stages WHERE id = n.ref_id) END AS stage "
        f"FROM notifications n LEFT JOIN users u ON u.id = n.actor_id WHERE n.user_id = :u{unread} "
        "ORDER BY n.id DESC LIMIT :lim", params)
    reminders = rows(
        conn,
        f"SELECT {_TASK_KEY} AS key, CASE WHEN a.due_at < :now THEN 'overdue' ELSE 'due' END AS kind, "
        "a.due_at AS at, EXISTS (SELECT 1 FROM notification_reads r WHERE r.user_id = :u "
        f"AND r.key = {_TASK_KEY}) AS read, a.subject AS title, a.id AS task_id, a.contact_id, a.deal_id, "
        "a.company_id, '' AS actor, NULL AS detail, NULL AS stage, 0 AS gone "
        f"{_OPEN_TASKS} ORDER BY a.due_at DESC LIMIT :lim", params)
    for r in reminders:
        r["entity"], r["entity_id"] = _task_target(r)
    if unread_only:
        reminders = [r for r in reminders if not r["read"]]
    out = sorted(events + reminders, key=lambda r: r["at"], reverse=True)[:limit]
    for r in out:
        r["read"] = bool(r["read"])
        r["gone"] = bool(r["gone"])
    return out


def _task_target(task: dict) -> tuple[str | None, int | None]:
    """Where "open" takes a task reminder: its contact, else its deal, else its company, else My day."""
    for entity, column in (("contacts", "contact_id"), ("deals", "deal_id"), ("companies", "company_id")):
        if task.get(column):
            return entity, task[column]
    return None, None


def mark_read(conn: sqlite3.Connection, user_id: int, key: str) -> None:
    """Mark one notification of this person read (a key from ``inbox``; anything else is refused)."""
    if not isinstance(key, str) or not _KEY.match(key):
        raise ValidationError("Unknown notification.", field="key", key="notifications.err_key")
    stamp = utc_now()
    with write(conn):
        if key.startswith("n:"):
            conn.execute("UPDATE notifications SET read_at = ? WHERE id = ? AND user_id = ? AND read_at IS NULL",
                         (stamp, int(key[2:]), user_id))
        else:
            conn.execute("INSERT OR IGNORE INTO notification_reads (user_id, key, read_at) VALUES (?, ?, ?)",
                         (user_id, key, stamp))


def mark_all_read(conn: sqlite3.Connection, user_id: int, win: Window) -> None:
    """Mark every current notification of this person read. Tidies as it goes: marks of reminders that are
    no longer current (task done, moved, deleted) go, and so do read events older than KEEP_READ_DAYS."""
    params = {"u": user_id, "now": win.now, "horizon": win.horizon}
    with write(conn):
        conn.execute("UPDATE notifications SET read_at = :now WHERE user_id = :u AND read_at IS NULL", params)
        conn.execute(f"DELETE FROM notification_reads WHERE user_id = :u AND key NOT IN "
                     f"(SELECT {_TASK_KEY} {_OPEN_TASKS})", params)
        conn.execute(f"INSERT OR IGNORE INTO notification_reads (user_id, key, read_at) "
                     f"SELECT :u, {_TASK_KEY}, :now {_OPEN_TASKS}", params)
        conn.execute("DELETE FROM notifications WHERE user_id = :u AND read_at IS NOT NULL "
                     "AND at < datetime(:now, :keep)", {**params, "keep": f"-{KEEP_READ_DAYS} days"})


# --- @mentions ---------------------------------------------------------------------------------------

def _boundary(text: str, end: int) -> bool:
    """Does a mention ending at ``end`` stop there? Not if a word, a hyphenated or dotted name, or a longer
    address goes on ("@Ann Lee" is not in "@Ann Leeds", "@ann@x.com" not in "@ann@x.com.au")."""
    if end >= len(text):
        return True
    c = text[end]
    if c.isalnum() or c in "_-@":
        return False
    return not (c == "." and end + 1 < len(text) and text[end + 1].isalnum())


def mentioned(conn: sqlite3.Connection, body: str) -> list[int]:
    """Ids of the active people ``body`` mentions: ``@`` then a person's full name or email, in any case,
    not inside a word or an address (``bob@x.com`` mentions nobody). Where two names start at the same
    ``@`` ("@Ann Lee" and "@Ann Lee Jr"), only the longer one counts."""
    text = " ".join((body or "").split()).casefold()
    if "@" not in text:
        return []
    people = rows(conn, "SELECT id, name, email FROM users WHERE active = 1")
    best: dict[int, tuple[int, int]] = {}  # position of '@' -> (length, user id)
    for person in people:
        for handle in {" ".join(person["name"].split()).casefold(), person["email"].casefold()}:
            if not handle:
                continue
            needle = "@" + handle
            at = text.find(needle)
            while at >= 0:
                starts = at == 0 or not (text[at - 1].isalnum() or text[at - 1] in "_.-")
                if starts and _boundary(text, at + len(needle)) and len(needle) > best.get(at, (0, 0))[0]:
                    best[at] = (len(needle), person["id"])
                at = text.find(needle, at + 1)
    return sorted({uid for _, uid in best.values()})


def mention(conn: sqlite3.Connection, entity: str, entity_id: int, comment_id: int, body: str,
            actor: Actor) -> list[int]:
    """Notify the people a new comment mentions (not its author), in the caller's transaction; returns
    their ids. Called by the comment write (``db.crm.timeline.add``)."""
    if entity not in ENTITIES:
        raise ValueError(f"comments on {entity!r} cannot mention")
    people = [uid for uid in mentioned(conn, body) if uid != actor.id]
    if people:
        stamp = utc_now()
        with write(conn):
            conn.executemany(
                "INSERT INTO notifications (user_id, kind, entity, entity_id, actor_id, ref_id, at) "
                "VALUES (?, 'mention', ?, ?, ?, ?, ?)",
                [(uid, entity, entity_id, actor.id, comment_id, stamp) for uid in people])
    return people
