from datetime import date

from components.calendar import events, from_component, more_day, more_events, scroll_time, shift, to_local, visible


def test_component_shift_round_trip_in_sofia():
    # 10:00 on the wall in Sofia (UTC+2 in November) arrives from the component as 10:00Z.
    assert from_component("2026-11-23T10:00:00.000Z", "Europe/Sofia") == "2026-11-23 08:00:00"
    assert to_local("2026-11-23 08:00:00", "Europe/Sofia") == "2026-11-23T10:00:00"


def test_summer_time_and_utc():
    assert from_component("2026-07-01T10:00:00Z", "Europe/Sofia") == "2026-07-01 07:00:00"
    assert from_component("2026-07-01T10:00:00Z", "UTC") == "2026-07-01 10:00:00"
    assert to_local("2026-03-29 00:30:00", "Europe/Kyiv") == "2026-03-29T02:30:00"


def test_events_colour_by_kind_and_place_tasks_at_due_time():
    rows = [{"id": 1, "version": 3, "kind": "meeting", "subject": "Demo <b>", "starts_at": "2026-11-23 08:00:00",
             "ends_at": "2026-11-23 09:00:00", "due_at": None, "duration_min": 60, "done": 0},
            {"id": 2, "version": 1, "kind": "task", "subject": "Send quote", "starts_at": None, "ends_at": None,
             "due_at": "2026-11-23 12:00:00", "duration_min": 0, "done": 1}]
    meeting, task = events(rows, "Europe/Sofia")
    assert (meeting["start"], meeting["end"], meeting["title"]) == ("2026-11-23T10:00:00", "2026-11-23T11:00:00",
                                                                     "Demo <b>")
    assert meeting["extendedProps"] == {"version": 3, "kind": "meeting"}
    assert task["start"] == "2026-11-23T14:00:00" and task["end"] == "2026-11-23T14:30:00"
    assert task["title"].startswith("✓") and task["classNames"] == ["done"]
    assert meeting["backgroundColor"] != task["backgroundColor"]


def test_visible_range_matches_fullcalendars_views():
    wed = date(2026, 12, 2)
    assert visible("timeGridWeek", wed, 1) == (date(2026, 11, 30), 7)  # a Monday-first week
    assert visible("listWeek", wed, 0) == (date(2026, 11, 29), 7)  # a Sunday-first week
    assert visible("timeGridDay", wed, 1) == (wed, 1)
    assert visible("dayGridMonth", wed, 1) == (date(2026, 11, 30), 42)  # six weeks from the week of the 1st
    assert visible("dayGridMonth", date(2026, 2, 14), 1) == (date(2026, 1, 26), 42)


def test_shift_moves_by_the_views_unit():
    assert shift("dayGridMonth", date(2026, 12, 31), 1) == date(2027, 1, 1)
    assert shift("dayGridMonth", date(2026, 1, 31), -1) == date(2025, 12, 1)
    assert shift("timeGridWeek", date(2026, 12, 2), -1) == date(2026, 11, 25)
    assert shift("timeGridDay", date(2026, 12, 2), 1) == date(2026, 12, 3)


def test_more_events_only_for_days_with_hidden_activities():
    days = [{"day": "2026-12-01", "total": 40, "shown": 12}, {"day": "2026-12-02", "total": 5, "shown": 5}]
    (more,) = more_events(days, lambda n: f"+{n} more")
    assert more["title"] == "+28 more" and more["start"] == "2026-12-01" and more["allDay"]
    assert not more["editable"] and more["extendedProps"]["order"] == 1
    assert more_day({"callback": "eventClick", "eventClick": {"event": {"id": more["id"]}}}) == "2026-12-01"
    assert more_day({"callback": "eventClick", "eventClick": {"event": {"id": "42"}}}) is None


def test_week_opens_at_the_earliest_drawn_activity():
    rows = [{"starts_at": "2026-11-23 13:30:00", "due_at": None}, {"starts_at": None, "due_at": "2026-11-24 15:00:00"}]
    assert scroll_time(rows, "Europe/Sofia") == "15:00:00"  # 13:30 UTC is 15:30 in Sofia
    assert scroll_time([], "UTC") == "07:00:00"
