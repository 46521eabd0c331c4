"""AppTest of the calendar (injected component callbacks) and the My day page."""

from datetime import date, timedelta

from db.core import records
from db.core.connection import connect
from db.core.permissions import Actor
from db.crm import activities
from tests.apptest import page, texts, user_id


def _meeting(path, role="rep"):
    uid = user_id(path, role)
    day = date.today() + timedelta(days=1)
    (aid,) = activities.create(connect(path), {"kind": "meeting", "subject": "Plan", "owner_id": uid,
                                               "starts_at": f"{day} 08:00:00", "ends_at": f"{day} 09:00:00"},
                               Actor(uid, role))
    return aid, day


def _change(aid, version, start, end):
    return {"callback": "eventChange", "eventChange": {"event": {"id": str(aid), "start": start, "end": end,
                                                                 "extendedProps": {"version": version}}}}


def test_calendar_page_opens(seeded):
    at = page("pages/calendar.py", seeded[0], "rep")
    at.run()
    assert not at.exception and "Select a time range" in texts(at)


def test_drag_reschedules_in_the_users_time_zone(seeded):
    path = seeded[0]
    aid, day = _meeting(path)
    c = connect(path)
    c.execute("UPDATE users SET timezone = 'Europe/Sofia' WHERE id = ?", (user_id(path, "rep"),))
    at = page("pages/calendar.py", path, "rep",
              state={"calendar_0": _change(aid, 1, f"{day}T14:00:00.000Z", f"{day}T15:30:00.000Z")})
    at.run()
    assert not at.exception
    row = records.get(c, "activities", aid)
    assert (row["starts_at"], row["ends_at"]) == (f"{day} 12:00:00", f"{day} 13:30:00")  # 14:00 Sofia = 12:00 UTC


def test_stale_drag_says_so_and_changes_nothing(seeded):
    path = seeded[0]
    aid, day = _meeting(path)
    at = page("pages/calendar.py", path, "rep",
              state={"calendar_0": _change(aid, 7, f"{day}T14:00:00Z", f"{day}T15:00:00Z")})
    at.run()
    assert "Not moved" in texts(at)
    assert records.get(connect(path), "activities", aid)["starts_at"] == f"{day} 08:00:00"


def test_my_day_completes_a_task_in_one_click(seeded):
    path = seeded[0]
    uid = user_id(path, "rep")
    (tid,) = activities.create(connect(path), {"kind": "task", "subject": "Send quote", "owner_id": uid,
                                               "starts_at": f"{date.today()} 23:00:00",
                                               "ends_at": f"{date.today()} 23:30:00"}, Actor(uid, "rep"))
    at = page("pages/tasks.py", path, "rep")
    at.run()
    assert "Send quote" in texts(at)
    at.button(key=f"done_{tid}").click().run()
    assert not at.exception
    assert records.get(connect(path), "activities", tid)["done"] == 1


def test_select_opens_the_new_activity_dialog_and_saves(seeded):
    path = seeded[0]
    day = date.today() + timedelta(days=2)
    state = {"callback": "select", "select": {"start": f"{day}T10:00:00.000Z", "end": f"{day}T11:00:00.000Z",
                                              "allDay": False}}
    at = page("pages/calendar.py", path, "rep", state={"calendar_0": state})
    at.run()
    assert not at.exception
    subject = next(w for w in at.text_input if w.label == "Subject")
    subject.input("Injected select")
    next(b for b in at.button if b.label == "Save").click().run()
    assert not at.exception
    row = connect(path).execute("SELECT starts_at, ends_at FROM activities WHERE subject = 'Injected select'"
                                ).fetchone()
    assert tuple(row) == (f"{day} 10:00:00", f"{day} 11:00:00")


def test_event_click_opens_the_activity_and_completes_it(seeded):
    path = seeded[0]
    aid, _ = _meeting(path)
    state = {"callback": "eventClick", "eventClick": {"event": {"id": str(aid)}}}
    at = page("pages/calendar.py", path, "rep", state={"calendar_0": state})
    at.run()
    assert not at.exception
    next(b for b in at.button if b.label == "Mark done").click().run()
    assert records.get(connect(path), "activities", aid)["done"] == 1


def test_new_activity_can_be_linked_to_a_deal(seeded):
    path = seeded[0]
    c = connect(path)
    deal = c.execute("SELECT id, title FROM deals ORDER BY id LIMIT 1").fetchone()
    day = date.today() + timedelta(days=3)
    state = {"callback": "select", "select": {"start": f"{day}T09:00:00Z", "end": f"{day}T09:30:00Z"}}
    at = page("pages/calendar.py", path, "admin", state={"calendar_0": state})
    at.run()
    next(w for w in at.text_input if w.label == "Subject").input("Deal review")
    next(w for w in at.text_input if w.label == "Deal (search)").input(deal["title"])
    next(b for b in at.button if b.label == "Save").click().run()
    assert not at.exception
    assert c.execute("SELECT deal_id FROM activities WHERE subject = 'Deal review'").fetchone()[0] == deal["id"]


def test_own_calendar_by_default_and_the_team_only_for_managers(seeded):
    path = seeded[0]
    at = page("pages/calendar.py", path, "rep")
    at.run()
    person = next(w for w in at.selectbox if w.label == "Whose calendar")
    assert person.value == "me" and "team" not in person.options
    at = page("pages/calendar.py", path, "manager")
    at.run()
    person = next(w for w in at.selectbox if w.label == "Whose calendar")
    assert person.value == "me" and "The team" in person.options


def test_more_opens_the_days_full_list(seeded):
    path = seeded[0]
    uid = user_id(path, "rep")
    day = date.today() + timedelta(days=1)
    c = connect(path)
    for i in range(15):
        activities.create(c, {"kind": "call", "subject": f"Busy {i:02d}", "owner_id": uid,
                              "starts_at": f"{day} 07:{i:02d}:00", "ends_at": f"{day} 07:{i + 1:02d}:00"},
                          Actor(uid, "rep"))
    state = {"callback": "eventClick", "eventClick": {"event": {"id": f"more:{day}"}}}
    at = page("pages/calendar.py", path, "rep", state={"calendar_0": state})
    at.run()
    assert not at.exception
    assert "activities on this day. Choose one to open it." in texts(at)
    busy = [b.label for b in at.button if b.label.startswith("Busy")]
    assert busy[:2] == ["Busy 00", "Busy 01"] and busy == sorted(busy)  # the day's list, in time order
