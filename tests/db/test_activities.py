"""Activities: validation, recurrence expansion, reschedule with conflicts, range reads, tasks, .ics."""

from datetime import datetime

import pytest
from icalendar import Calendar

from db.core import records
from db.core.errors import ConflictError, ValidationError
from db.crm import activities

D = datetime


@pytest.mark.parametrize("freq,until,count,expected", [
    ("daily", None, 3, ["2026-01-30", "2026-01-31", "2026-02-01"]),
    ("weekly", D(2026, 2, 14), None, ["2026-01-30", "2026-02-06", "2026-02-13"]),
    ("monthly", None, 4, ["2026-01-30", "2026-02-28", "2026-03-30", "2026-04-30"]),
    (None, None, None, ["2026-01-30"]),
])
def test_expand(freq, until, count, expected):
    got = activities.expand(D(2026, 1, 30, 9), D(2026, 1, 30, 10), freq, until, count)
    assert [s.date().isoformat() for s, _ in got] == expected
    assert all(e - s == D(2026, 1, 1, 10) - D(2026, 1, 1, 9) for s, e in got)


def test_monthly_on_the_31st_lands_on_month_ends():
    got = activities.expand(D(2026, 1, 31, 9), D(2026, 1, 31, 10), "monthly", None, 3)
    assert [s.day for s, _ in got] == [31, 28, 31]


def test_series_are_capped():
    assert len(activities.expand(D(2026, 1, 1), D(2026, 1, 1, 1), "daily", D(2030, 1, 1), None)) == 366


@pytest.mark.parametrize("values,field", [
    ({"starts_at": "2026-11-23 10:00:00", "ends_at": "2026-11-23 09:00:00"}, "ends_at"),
    ({"starts_at": "2026-11-23 10:00:00", "ends_at": "2026-11-23 10:00:00"}, "ends_at"),
    ({"starts_at": "9999-01-01 10:00:00", "ends_at": "9999-01-01 11:00:00"}, "starts_at"),
    ({"starts_at": "not a date", "ends_at": "2026-11-23 11:00:00"}, "starts_at"),
    ({"subject": "   "}, "subject"),
    ({"subject": "x" * 5000}, "subject"),
    ({"kind": "party"}, "kind"),
])
def test_bad_input_is_refused_and_nothing_saved(conn, admin, values, field):
    base = {"kind": "meeting", "subject": "Demo", "starts_at": "2026-11-23 10:00:00", "ends_at": "2026-11-23 11:00:00"}
    with pytest.raises(ValidationError) as err:
        activities.create(conn, {**base, **values}, admin)
    assert err.value.field == field
    assert conn.execute("SELECT COUNT(*) FROM activities").fetchone()[0] == 0


def test_series_share_an_id_and_edit_this_and_later(conn, admin):
    ids = activities.create(conn, {"kind": "meeting", "subject": "Standup", "starts_at": "2026-11-23 08:00:00",
                                   "ends_at": "2026-11-23 08:15:00"}, admin, freq="daily", count=5)
    series = {r[0] for r in conn.execute("SELECT series_id FROM activities")}
    assert len(ids) == 5 and series == {ids[0]}
    third = records.get(conn, "activities", ids[2])
    assert activities.edit(conn, ids[2], third["version"], {"subject": "Sync"}, admin, whole_series=True) == 3
    subjects = [r[0] for r in conn.execute("SELECT subject FROM activities ORDER BY starts_at")]
    assert subjects == ["Standup", "Standup", "Sync", "Sync", "Sync"]


def test_reschedule_and_conflict(conn, admin, manager):
    (aid,) = activities.create(conn, {"kind": "call", "subject": "Ring", "starts_at": "2026-11-23 08:00:00",
                                      "ends_at": "2026-11-23 08:30:00"}, admin)
    moved = activities.reschedule(conn, aid, 1, "2026-11-24 09:00:00", "2026-11-24 10:00:00", admin)
    assert (moved["starts_at"], moved["duration_min"]) == ("2026-11-24 09:00:00", 60)
    activities.complete(conn, aid, 2, manager)
    with pytest.raises(ConflictError):
        activities.reschedule(conn, aid, 2, "2026-11-25 09:00:00", "2026-11-25 10:00:00", admin)
    assert records.get(conn, "activities", aid)["starts_at"] == "2026-11-24 09:00:00"


def test_range_reads_only_the_visible_window_and_tasks_by_due(conn, admin):
    activities.create(conn, {"kind": "meeting", "subject": "In", "starts_at": "2026-11-24 08:00:00",
                             "ends_at": "2026-11-24 09:00:00"}, admin)
    activities.create(conn, {"kind": "meeting", "subject": "Out", "starts_at": "2026-12-24 08:00:00",
                             "ends_at": "2026-12-24 09:00:00"}, admin)
    activities.create(conn, {"kind": "task", "subject": "Due", "starts_at": "2026-11-25 12:00:00",
                             "ends_at": "2026-11-25 12:30:00"}, admin)
    got = activities.in_range(conn, "2026-11-23 00:00:00", "2026-11-30 00:00:00")
    assert sorted(a["subject"] for a in got) == ["Due", "In"]
    assert [a["subject"] for a in activities.in_range(conn, "2026-11-23", "2026-11-30", kinds=["task"])] == ["Due"]
    tasks = activities.my_tasks(conn, admin.id, "2026-11-25 00:00:00", "2026-11-26 00:00:00", "2026-12-03 00:00:00")
    assert [t["subject"] for t in tasks["today"]] == ["Due"] and not tasks["overdue"]


def test_ics_round_trip_keeps_times_and_hostile_text(conn, admin):
    activities.create(conn, {"kind": "meeting", "subject": "Demo; <script>x</script>, \\ ok",
                             "notes": "line1\nline2", "starts_at": "2026-11-23 08:00:00",
                             "ends_at": "2026-11-23 09:30:00"}, admin)
    data = activities.ics(activities.in_range(conn, "2026-11-01", "2026-12-01"), "Ada")
    events = [c for c in Calendar.from_ical(data).walk("VEVENT")]
    assert len(events) == 1
    e = events[0]
    assert str(e["summary"]) == "Demo; <script>x</script>, \\ ok" and str(e["description"]) == "line1\nline2"
    assert e.decoded("dtstart").isoformat() == "2026-11-23T08:00:00+00:00"
    assert e.decoded("dtend").isoformat() == "2026-11-23T09:30:00+00:00"
