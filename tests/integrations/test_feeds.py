"""Calendar feeds over real HTTP: fetched from a running server and parsed back with icalendar."""

from __future__ import annotations

import shutil
import urllib.error
import urllib.request
from datetime import UTC, datetime, timedelta

import pytest
from dateutil.rrule import rrulestr
from icalendar import Calendar

from db.core import records
from db.core.errors import PermissionDenied
from db.core.permissions import Actor
from db.core.users import set_timezone
from db.crm import activities, feeds
from tests.e2e.harness import Server
from tests.integrations.conftest import FAST

FMT = "%Y-%m-%d %H:%M:%S"


@pytest.fixture(scope="module")
def db_path(tmp_path_factory, _template):
    path = tmp_path_factory.mktemp("feeds") / "crm.db"
    shutil.copy(_template, path)
    return path


@pytest.fixture(scope="module")
def server(db_path, tmp_path_factory):
    srv = Server(db_path, tmp_path_factory.mktemp("feeds_logs") / "server.log", env=FAST)
    yield srv
    srv.stop()


def person(conn, role: str) -> Actor:
    row = conn.execute("SELECT id, name FROM users WHERE role = ? AND active = 1 ORDER BY id LIMIT 1", (role,)).fetchone()
    return Actor(row["id"], role, row["name"])


def fetch(url: str) -> tuple[int, bytes, dict]:
    try:
        with urllib.request.urlopen(url, timeout=15) as answer:
            return answer.status, answer.read(), answer.headers
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read(), exc.headers


def occurrences(book: Calendar, uid: str) -> set[datetime]:
    """Every start of the event ``uid``: its RRULE expanded minus EXDATEs, overrides moved to their new times."""
    events = [e for e in book.walk("VEVENT") if str(e["uid"]) == uid]
    master = next(e for e in events if "recurrence-id" not in e)
    start = master.decoded("dtstart")
    rule = rrulestr(master["rrule"].to_ical().decode(), dtstart=start)
    gone = {d.dt for ex in ([master["exdate"]] if not isinstance(master.get("exdate"), list) else master["exdate"])
            if ex for d in ex.dts} if "exdate" in master else set()
    moved = {e.decoded("recurrence-id"): e.decoded("dtstart") for e in events if "recurrence-id" in e}
    return {moved.get(at, at) for at in rule if at not in gone}


def test_my_feed_has_my_activities_in_utc_with_series_as_rrule(conn, server):
    rep = person(conn, "rep")
    set_timezone(conn, rep.id, "Europe/Sofia")
    base = (datetime.now(UTC) + timedelta(days=3)).replace(hour=7, minute=30, second=0, microsecond=0, tzinfo=None)
    one_off = activities.create(conn, {"kind": "meeting", "subject": "Demo at ACME", "owner_id": rep.id,
                                       "starts_at": base.strftime(FMT),
                                       "ends_at": (base + timedelta(minutes=45)).strftime(FMT)}, rep)[0]
    weekly = activities.create(conn, {"kind": "call", "subject": "Weekly check-in", "owner_id": rep.id,
                                      "starts_at": (base + timedelta(hours=2)).strftime(FMT),
                                      "ends_at": (base + timedelta(hours=2, minutes=30)).strftime(FMT)}, rep,
                               freq="weekly", count=6)
    # one occurrence deleted, one moved by an hour, one renamed: EXDATE, and two RECURRENCE-ID overrides
    records.soft_delete(conn, "activities", weekly[2], rep)
    moved = records.get(conn, "activities", weekly[3])
    new_start = datetime.fromisoformat(moved["starts_at"]) + timedelta(hours=1)
    activities.reschedule(conn, weekly[3], moved["version"], new_start.strftime(FMT),
                          (new_start + timedelta(minutes=30)).strftime(FMT), rep)
    activities.edit(conn, weekly[4], 1, {"subject": "Weekly check-in (with boss)"}, rep)
    monthly = activities.create(conn, {"kind": "task", "subject": "Month-end report", "owner_id": rep.id,
                                       "starts_at": "2027-01-31 15:00:00", "ends_at": "2027-01-31 15:30:00"}, rep,
                                freq="monthly", count=4)
    other = person(conn, "manager")
    not_mine = activities.create(conn, {"kind": "meeting", "subject": "Manager only", "owner_id": other.id,
                                        "starts_at": base.strftime(FMT),
                                        "ends_at": (base + timedelta(hours=1)).strftime(FMT)}, other)[0]

    token = feeds.new_url_token(conn, rep)
    status, body, headers = fetch(f"{server.url}/feeds/{token}.ics")
    assert status == 200 and headers["Content-Type"].startswith("text/calendar")
    book = Calendar.from_ical(body)
    assert str(book["x-wr-timezone"]) == "Europe/Sofia"
    by_uid = {str(e["uid"]): e for e in book.walk("VEVENT") if "recurrence-id" not in e}
    assert f"activity-{not_mine}@crm" not in by_uid
    demo = by_uid[f"activity-{one_off}@crm"]
    assert demo.decoded("dtstart") == base.replace(tzinfo=UTC)  # stored UTC, written as UTC: right in any zone
    assert demo.decoded("dtend") - demo.decoded("dtstart") == timedelta(minutes=45)
    assert str(demo["summary"]) == "Demo at ACME"

    series_rows = [records.get(conn, "activities", i, include_deleted=True) for i in weekly]
    live = {datetime.fromisoformat(r["starts_at"]).replace(tzinfo=UTC) for r in series_rows if not r["deleted_at"]}
    assert occurrences(book, f"series-{weekly[0]}@crm") == live
    renamed = [e for e in book.walk("VEVENT") if "recurrence-id" in e and "boss" in str(e["summary"])]
    assert len(renamed) == 1
    assert not any(f"activity-{i}@crm" in by_uid for i in weekly)  # no duplicate one-off copies of the series

    month_end = occurrences(book, f"series-{monthly[0]}@crm")  # 31 Jan, 28 Feb, 31 Mar, 30 Apr: the app's rule
    assert sorted(d.date().isoformat() for d in month_end) == ["2027-01-31", "2027-02-28", "2027-03-31",
                                                               "2027-04-30"]
    assert feeds.live_feeds(conn, rep.id)["mine"]["last_used_at"] is not None


def test_a_new_url_revokes_the_old_one(conn, server):
    rep = person(conn, "rep")
    old = feeds.new_url_token(conn, rep)
    assert fetch(f"{server.url}/feeds/{old}.ics")[0] == 200
    new = feeds.new_url_token(conn, rep)
    assert fetch(f"{server.url}/feeds/{old}.ics")[0] == 404
    assert fetch(f"{server.url}/feeds/{new}.ics")[0] == 200
    feeds.revoke(conn, rep)
    assert fetch(f"{server.url}/feeds/{new}.ics")[0] == 404
    assert fetch(f"{server.url}/feeds/cal_guessed.ics")[0] == 404


def test_team_feed_for_managers_only(conn, server):
    manager, rep = person(conn, "manager"), person(conn, "rep")
    with pytest.raises(PermissionDenied):
        feeds.new_url_token(conn, rep, "team")
    start = (datetime.now(UTC) + timedelta(days=1)).replace(microsecond=0, tzinfo=None)
    theirs = activities.create(conn, {"kind": "call", "subject": "Rep's call", "owner_id": rep.id,
                                      "starts_at": start.strftime(FMT),
                                      "ends_at": (start + timedelta(minutes=20)).strftime(FMT)}, rep)[0]
    token = feeds.new_url_token(conn, manager, "team")
    status, body, _ = fetch(f"{server.url}/feeds/{token}.ics")
    event = next(e for e in Calendar.from_ical(body).walk("VEVENT") if str(e["uid"]) == f"activity-{theirs}@crm")
    assert str(event["summary"]) == f"Rep's call ({rep.name})"
    conn.execute("UPDATE users SET role = 'rep' WHERE id = ?", (manager.id,))  # demoted: the team feed stops
    try:
        assert fetch(f"{server.url}/feeds/{token}.ics")[0] == 404
    finally:
        conn.execute("UPDATE users SET role = 'manager' WHERE id = ?", (manager.id,))


def test_a_change_shows_in_the_next_fetch(conn, server):
    """The per-person cache answers only while nothing the feed shows has changed."""
    rep = person(conn, "rep")
    token = feeds.new_url_token(conn, rep)
    url = f"{server.url}/feeds/{token}.ics"
    first = fetch(url)[1]
    assert fetch(url)[1] == first
    start = (datetime.now(UTC) + timedelta(days=2)).replace(microsecond=0, second=0, tzinfo=None)
    new = activities.create(conn, {"kind": "call", "subject": "Fresh call", "owner_id": rep.id,
                                   "starts_at": start.strftime(FMT),
                                   "ends_at": (start + timedelta(minutes=15)).strftime(FMT)}, rep)[0]
    events = {str(e["uid"]): e for e in Calendar.from_ical(fetch(url)[1]).walk("VEVENT")}
    assert f"activity-{new}@crm" in events
    later = start + timedelta(hours=3)
    activities.reschedule(conn, new, 1, later.strftime(FMT), (later + timedelta(minutes=15)).strftime(FMT), rep)
    events = {str(e["uid"]): e for e in Calendar.from_ical(fetch(url)[1]).walk("VEVENT")}
    assert events[f"activity-{new}@crm"].decoded("dtstart") == later.replace(tzinfo=UTC)
