from components.calendar import events, from_component, to_local, view_range


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


def test_view_range_from_events_set():
    state = {"callback": "eventsSet", "eventsSet": {"view": {"activeStart": "2026-11-23T00:00:00.000Z",
                                                             "activeEnd": "2026-11-30T00:00:00.000Z"}}}
    assert view_range(state, ("a", "b")) == ("2026-11-23T00:00:00.000Z", "2026-11-30T00:00:00.000Z")
    assert view_range({}, ("a", "b")) == ("a", "b")
