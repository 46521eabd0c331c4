"""The calendar's reads: per-day counts in the person's zone, a capped draw that counts the rest, paged day lists."""

from datetime import date

import pytest

from db.core import records
from db.crm import activities, calendar

DAY = date(2026, 11, 24)


def _meeting(conn, actor, start: str, subject: str, owner: int | None = None) -> int:
    end = start[:11] + f"{int(start[11:13]) + 1:02d}" + start[13:]
    return activities.create(conn, {"kind": "meeting", "subject": subject, "starts_at": start, "ends_at": end,
                                    "owner_id": owner or actor.id}, actor)[0]


def _task(conn, actor, due: str, subject: str) -> int:
    return activities.create(conn, {"kind": "task", "subject": subject, "starts_at": due,
                                    "ends_at": due[:14] + "30:00", "owner_id": actor.id}, actor)[0]


@pytest.fixture
def crowded(conn, admin):
    """30 meetings and 5 tasks on 24 Nov (UTC), 2 meetings on the 25th, one deleted, one on the 23rd late."""
    for i in range(30):
        _meeting(conn, admin, f"2026-11-24 {8 + i // 4:02d}:{i % 4 * 15:02d}:00", f"M{i:02d}")
    for i in range(5):
        _task(conn, admin, f"2026-11-24 {9 + i:02d}:10:00", f"T{i}")
    _meeting(conn, admin, "2026-11-25 09:00:00", "Next day 1")
    _meeting(conn, admin, "2026-11-25 10:00:00", "Next day 2")
    gone = _meeting(conn, admin, "2026-11-24 07:00:00", "Deleted")
    records.soft_delete(conn, "activities", gone, admin, version=1)
    _meeting(conn, admin, "2026-11-23 22:30:00", "Late on the 23rd")
    return conn


def test_per_day_counts_cover_every_activity_and_skip_deleted_ones(crowded):
    bounds = calendar.day_bounds(date(2026, 11, 23), 3, "UTC")
    assert calendar.day_counts(crowded, bounds) == {"2026-11-23": 1, "2026-11-24": 35, "2026-11-25": 2}
    assert calendar.day_counts(crowded, bounds, kinds=["task"])["2026-11-24"] == 5
    assert calendar.day_counts(crowded, bounds, kinds=["meeting"])["2026-11-24"] == 30


def test_days_are_the_persons_local_days(crowded):
    """22:30 UTC on the 23rd is 00:30 on the 24th in Sofia (UTC+2 in November)."""
    bounds = calendar.day_bounds(date(2026, 11, 23), 2, "Europe/Sofia")
    assert bounds[0] == ("2026-11-23", "2026-11-22 22:00:00", "2026-11-23 22:00:00")
    counts = calendar.day_counts(crowded, bounds)
    assert counts == {"2026-11-23": 0, "2026-11-24": 36}


def test_window_draws_a_few_per_day_and_counts_the_rest(crowded):
    found = calendar.window(crowded, date(2026, 11, 23), 7, "UTC", per_day=12)
    days = {d["day"]: d for d in found["days"]}
    assert days["2026-11-24"] == {"day": "2026-11-24", "total": 35, "shown": 12}
    assert days["2026-11-25"] == {"day": "2026-11-25", "total": 2, "shown": 2}
    assert found["total"] == 38 and found["shown"] == 15
    drawn = [r["subject"] for r in found["rows"] if (r["starts_at"] or r["due_at"]).startswith("2026-11-24")]
    assert drawn == ["M00", "M01", "M02", "M03", "M04", "T0", "M05", "M06", "M07", "M08", "T1", "M09"]  # earliest


def test_day_list_pages_reach_every_activity_of_the_day_once(crowded):
    seen, pages = [], 0
    while True:
        rows, total = calendar.day_list(crowded, DAY, "UTC", page=pages, size=10)
        seen += [r["subject"] for r in rows]
        pages += 1
        if pages * 10 >= total:
            break
    assert total == 35 and len(seen) == 35 and len(set(seen)) == 35
    assert seen[-1] == "M29" and "Deleted" not in seen
    times = [r["starts_at"] or r["due_at"] for r in calendar.day_list(crowded, DAY, "UTC", size=50)[0]]
    assert times == sorted(times)
    last, _ = calendar.day_list(crowded, DAY, "UTC", page=99, size=10)  # past the end: the last page
    assert [r["subject"] for r in last] == seen[30:]


def test_owner_filter_counts_only_that_persons_activities(crowded, admin, manager):
    _meeting(crowded, manager, "2026-11-24 12:00:00", "Manager's", owner=manager.id)
    bounds = calendar.day_bounds(DAY, 1, "UTC")
    assert calendar.day_counts(crowded, bounds)["2026-11-24"] == 36
    assert calendar.day_counts(crowded, bounds, owner_id=manager.id)["2026-11-24"] == 1
    rows, total = calendar.day_list(crowded, DAY, "UTC", owner_id=manager.id)
    assert total == 1 and [r["subject"] for r in rows] == ["Manager's"]


def test_counts_and_pages_read_indexes(crowded):
    """The team's counts walk the calendar index with its kind (no table read per activity); a person's reads
    walk their own index range."""
    timed, task, owner = calendar._filters(None, ["call", "meeting", "task"])
    plan = " | ".join(r[3] for r in crowded.execute(
        "EXPLAIN QUERY PLAN SELECT count(*) FROM activities a WHERE " + calendar._timed_where(timed, owner),
        [*timed, "2026-11-24", "2026-11-25"]))
    assert "COVERING INDEX ix_activities_cal_start" in plan
    timed, task, owner = calendar._filters(7, ["call", "meeting", "task"])
    plan = " | ".join(r[3] for r in crowded.execute(
        "EXPLAIN QUERY PLAN SELECT a.id FROM activities a WHERE " + calendar._task_where(owner),
        [*owner, "2026-11-24", "2026-11-25"]))
    assert "ix_activities_cal_owner_due" in plan


def test_pages_neither_repeat_nor_skip_activities_at_the_same_time(conn, admin):
    for i in range(9):
        _meeting(conn, admin, "2026-11-24 10:00:00", f"Same {i}")
        activities.create(conn, {"kind": "call", "subject": f"Call {i}", "starts_at": "2026-11-24 10:00:00",
                                 "ends_at": "2026-11-24 10:15:00", "owner_id": admin.id}, admin)
        _task(conn, admin, "2026-11-24 10:00:00", f"Task {i}")
    seen = [r["id"] for page in range(6) for r in calendar.day_list(conn, DAY, "UTC", page=page, size=5)[0]]
    assert len(seen) == len(set(seen)) == 27
