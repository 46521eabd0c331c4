"""Notifications through the real data layer: each kind, read state, a fresh process, and the sidebar's cost."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime

import pytest

from db.core import audit, records
from db.core.errors import ValidationError
from db.crm import deals, notifications, timeline
from db.crm.notifications import counts, inbox, mark_all_read, mark_read, window
from db.io.bulk import create_many
from tests.conftest import ROOT
from tests.db.traced import plan as query_plan
from tests.db.traced import statements

NOON = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
WIN = window("UTC", NOON)


def _task(conn, owner, due, subject="Call back", **extra) -> int:
    return records.create(conn, "activities", {"kind": "task", "subject": subject, "due_at": due,
                                               "owner_id": owner.id, **extra}, owner)


def _contact(conn, actor, owner=None, name="Bob") -> int:
    return records.create(conn, "contacts", {"first_name": name, "last_name": "Stone",
                                             "owner_id": (owner or actor).id}, actor)


def _pipeline(conn, admin) -> tuple[int, int, int]:
    pid = records.create(conn, "pipelines", {"name": "Sales", "kind": "sales"}, admin)
    first = records.create(conn, "stages", {"pipeline_id": pid, "name": "Lead", "position": 0}, admin)
    second = records.create(conn, "stages", {"pipeline_id": pid, "name": "Proposal", "position": 1}, admin)
    return pid, first, second


def _kinds(conn, user, win=WIN, **kw) -> list[tuple[str, str | None]]:
    return [(n["kind"], n["title"]) for n in inbox(conn, user.id, win, **kw)]


# --- reminders (computed) ------------------------------------------------------------------------------

def test_window_is_the_persons_day_and_at_least_an_hour():
    assert window("UTC", NOON) == notifications.Window("2026-11-23 12:00:00", "2026-11-24 00:00:00",
                                                       "2026-11-24 00:00:00")
    # Kyiv is UTC+2 in November: its day ends at 22:00 UTC
    assert window("Europe/Kyiv", NOON).day_end == "2026-11-23 22:00:00"
    late = datetime(2026, 11, 23, 23, 30, tzinfo=UTC)  # half an hour before midnight: the next hour still counts
    assert window("UTC", late).horizon == "2026-11-24 00:30:00"
    assert window("No/Such_Zone", NOON) == WIN


def test_tasks_due_soon_and_overdue_remind_their_owner_only(conn, rep, manager):
    _task(conn, rep, "2026-11-20 09:00:00", "Overdue call")
    _task(conn, rep, "2026-11-23 12:30:00", "Due in half an hour")
    _task(conn, rep, "2026-11-23 20:00:00", "Due tonight")
    _task(conn, rep, "2026-11-24 09:00:00", "Tomorrow")  # not yet
    _task(conn, rep, "2026-11-19 09:00:00", "Done already", done=1)
    gone = _task(conn, rep, "2026-11-19 10:00:00", "Deleted")
    records.soft_delete(conn, "activities", gone, rep)
    _task(conn, manager, "2026-11-20 09:00:00", "Someone else's")
    assert _kinds(conn, rep) == [("due", "Due tonight"), ("due", "Due in half an hour"), ("overdue", "Overdue call")]
    assert counts(conn, rep.id, WIN) == {"unread": 3, "overdue": 1, "today": 2}
    # the same tasks seen from Kyiv at the same instant: its day has ended at 22:00 UTC, tonight's 20:00 UTC is in
    kyiv = window("Europe/Kyiv", NOON)
    assert counts(conn, rep.id, kyiv) == {"unread": 3, "overdue": 1, "today": 2}


def test_a_reminder_read_while_due_reminds_again_when_overdue_or_moved(conn, rep):
    task = _task(conn, rep, "2026-11-23 12:30:00")
    (reminder,) = inbox(conn, rep.id, WIN)
    mark_read(conn, rep.id, reminder["key"])
    assert counts(conn, rep.id, WIN)["unread"] == 0
    assert inbox(conn, rep.id, WIN)[0]["read"] is True
    later = window("UTC", datetime(2026, 11, 23, 13, 0, tzinfo=UTC))
    assert [(n["kind"], n["read"]) for n in inbox(conn, rep.id, later)] == [("overdue", False)]
    mark_read(conn, rep.id, inbox(conn, rep.id, later)[0]["key"])
    records.update(conn, "activities", task, 1, {"due_at": "2026-11-23 18:00:00"}, rep)
    assert [(n["kind"], n["read"]) for n in inbox(conn, rep.id, later)] == [("due", False)]


# --- events (stored) -----------------------------------------------------------------------------------

def test_assigned_by_someone_else_not_by_myself(conn, rep, manager):
    _contact(conn, rep, name="Mine")  # my own new contact: not news
    given = _contact(conn, manager, owner=rep, name="Given")  # made for me by the manager
    handed = _contact(conn, manager, name="Handed")
    records.update(conn, "contacts", handed, 1, {"owner_id": rep.id}, manager)  # handed over later
    records.update(conn, "contacts", given, 1, {"title": "CEO"}, manager)  # an edit that keeps the owner: nothing
    assert _kinds(conn, rep) == [("assigned", "Handed Stone"), ("assigned", "Given Stone")]
    first = inbox(conn, rep.id, WIN)[0]
    assert (first["entity"], first["entity_id"], first["actor"]) == ("contacts", handed, "Mia Manager")
    assert _kinds(conn, manager) == []


def test_every_write_path_notifies_deals_companies_bulk_and_revert(conn, admin, rep, manager):
    pid, lead, _ = _pipeline(conn, admin)
    deals.create(conn, {"pipeline_id": pid, "stage_id": lead, "title": "Big one", "owner_id": rep.id}, manager)
    records.create(conn, "companies", {"name": "Acme", "owner_id": rep.id}, manager)
    create_many(conn, "contacts", [{"first_name": f"Imported {i}", "owner_id": rep.id} for i in range(3)], manager)
    mine = _contact(conn, manager, name="Back")
    records.update(conn, "contacts", mine, 1, {"owner_id": rep.id}, manager)
    records.update(conn, "contacts", mine, 2, {"owner_id": manager.id}, manager)
    change = audit.search(conn, entity="contacts", entity_id=mine, action="update")[0]  # rep -> manager
    audit.revert(conn, change["id"], admin)  # gives it back to the rep: assigned again, by the admin
    got = [(n["entity"], n["title"], n["actor"]) for n in inbox(conn, rep.id, WIN)]
    assert got[0] == ("contacts", "Back Stone", "Ada Admin")
    assert ("deals", "Big one", "Mia Manager") in got and ("companies", "Acme", "Mia Manager") in got
    assert sum(1 for e, t, _ in got if t and t.startswith("Imported")) == 3
    assert len(got) == 7  # deal, company, three imported, handed over, given back


def test_stage_change_on_my_deal_by_someone_else(conn, admin, rep, manager):
    pid, lead, proposal = _pipeline(conn, admin)
    mine = deals.create(conn, {"pipeline_id": pid, "stage_id": lead, "title": "Mine"}, rep)
    theirs = deals.create(conn, {"pipeline_id": pid, "stage_id": lead, "title": "Theirs"}, manager)
    deals.move(conn, mine, proposal, 1, manager)  # the manager moves my deal
    deals.move(conn, theirs, proposal, 1, manager)  # their own deal: nobody hears
    assert _kinds(conn, rep) == [("stage", "Mine")]
    note = inbox(conn, rep.id, WIN)[0]
    assert (note["stage"], note["actor"], note["entity_id"]) == ("Proposal", "Mia Manager", mine)
    deals.move(conn, mine, lead, 2, rep)  # I move it back myself: no news
    assert len(inbox(conn, rep.id, WIN)) == 1
    assert _kinds(conn, manager) == []


def test_a_comment_mentioning_me_by_name_or_email(conn, rep, manager, admin):
    who = _contact(conn, manager, name="Carla")
    timeline.add(conn, who, "comment", "@rob REP please call her", manager)  # any case
    timeline.add(conn, who, "comment", "cc @rep@test.example.", manager)  # email, sentence full stop after it
    timeline.add(conn, who, "comment", "ask @Rob Rep about it, @Mia Manager", rep)  # the author is not notified
    timeline.add(conn, who, "note", "@Rob Rep a note is not a comment", manager)
    assert [n["detail"] for n in inbox(conn, rep.id, WIN)] == ["cc @rep@test.example.", "@rob REP please call her"]
    assert [(n["kind"], n["entity"], n["entity_id"], n["actor"]) for n in inbox(conn, manager.id, WIN)] == [
        ("mention", "contacts", who, "Rob Rep")]


@pytest.mark.parametrize("body,expected", [
    ("@Rob Rep", ["rob"]),
    ("@Rob  Rep\n(twice spaced)", ["rob"]),
    ("hi @Rob Repton", []),                 # a longer word is someone else
    ("@Rob Rep-Smith", []),
    ("mail bob@Rob Rep", []),               # inside an address
    ("@rep@test.example.org", []),          # a longer address
    ("@Rob Rep Jr, over to you", ["junior"]),  # the longer of two names at the same @
    ("@Rob Rep and @Rob Rep Jr", ["junior", "rob"]),
    ("@Олена Петренко, будь ласка", ["olena"]),  # casefold beyond ASCII
    ("@ОЛЕНА ПЕТРЕНКО", ["olena"]),
    ("@Ina Inactive", []),                  # deactivated people are not mentioned
    ("no mention here", []),
])
def test_mention_syntax(conn, admin, _password_hash, body, expected):
    made = {}
    for key, email, name, active in (("rob", "rep@test.example", "Rob Rep", 1),
                                     ("junior", "jr@test.example", "Rob Rep Jr", 1),
                                     ("olena", "olena@test.example", "Олена Петренко", 1),
                                     ("ina", "ina@test.example", "Ina Inactive", 0)):
        made[key] = records.create(conn, "users", {"email": email, "name": name, "role": "rep", "active": active,
                                                   "password_hash": _password_hash}, admin)
    names = {v: k for k, v in made.items()}
    assert sorted(names[uid] for uid in notifications.mentioned(conn, body)) == expected


def test_a_failed_mention_write_leaves_no_comment(conn, rep, manager, monkeypatch):
    who = _contact(conn, manager)

    def broken(*_args, **_kw):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(notifications, "mention", broken)
    with pytest.raises(RuntimeError):
        timeline.add(conn, who, "comment", "@Rob Rep hello", manager)
    assert conn.execute("SELECT COUNT(*) FROM comments").fetchone()[0] == 0


# --- read state ----------------------------------------------------------------------------------------

def test_mark_one_then_all_read(conn, rep, manager):
    _contact(conn, manager, owner=rep, name="One")
    _contact(conn, manager, owner=rep, name="Two")
    _task(conn, rep, "2026-11-20 09:00:00")
    assert counts(conn, rep.id, WIN)["unread"] == 3
    first = inbox(conn, rep.id, WIN)[0]
    mark_read(conn, rep.id, first["key"])
    assert counts(conn, rep.id, WIN)["unread"] == 2
    assert [n["title"] for n in inbox(conn, rep.id, WIN, unread_only=True)] == ["One Stone", "Call back"]
    mark_all_read(conn, rep.id, WIN)
    assert counts(conn, rep.id, WIN) == {"unread": 0, "overdue": 1, "today": 0}  # still overdue, no longer news
    assert inbox(conn, rep.id, WIN, unread_only=True) == []
    assert len(inbox(conn, rep.id, WIN)) == 3
    _contact(conn, manager, owner=rep, name="Three")
    assert counts(conn, rep.id, WIN)["unread"] == 1


def test_marks_are_per_person_and_keys_are_checked(conn, rep, manager):
    _contact(conn, manager, owner=rep)
    key = inbox(conn, rep.id, WIN)[0]["key"]
    mark_read(conn, manager.id, key)  # someone else's notification: nothing happens
    assert counts(conn, rep.id, WIN)["unread"] == 1
    for bad in ("n:1; DROP TABLE users", "x:1", "", "task:1:<b>:due", None, 5):
        with pytest.raises(ValidationError):
            mark_read(conn, rep.id, bad)


def test_mark_all_read_tidies_old_marks_and_old_read_events(conn, rep, manager):
    task = _task(conn, rep, "2026-11-20 09:00:00")
    mark_all_read(conn, rep.id, WIN)
    activity = records.get(conn, "activities", task)
    records.update(conn, "activities", task, activity["version"], {"done": 1}, rep)
    _contact(conn, manager, owner=rep)
    conn.execute("UPDATE notifications SET read_at = '2026-01-01 00:00:00', at = '2026-01-01 00:00:00'")
    mark_all_read(conn, rep.id, WIN)
    assert conn.execute("SELECT COUNT(*) FROM notification_reads").fetchone()[0] == 0
    assert conn.execute("SELECT COUNT(*) FROM notifications").fetchone()[0] == 0


# --- survives a restart --------------------------------------------------------------------------------

def test_a_fresh_process_computes_the_same_list(conn, db_file, rep, manager):
    _contact(conn, manager, owner=rep)
    _task(conn, rep, "2026-11-20 09:00:00")
    _task(conn, rep, "2026-11-23 12:30:00")
    mark_read(conn, rep.id, inbox(conn, rep.id, WIN)[0]["key"])
    here = [(n["key"], n["read"]) for n in inbox(conn, rep.id, WIN)]
    conn.close()
    script = ("import sys; from datetime import datetime, UTC; from db.core.connection import connect; "
              "from db.crm.notifications import inbox, window, counts; c = connect(sys.argv[1]); "
              "w = window('UTC', datetime(2026, 11, 23, 12, 0, tzinfo=UTC)); "
              "print([(n['key'], n['read']) for n in inbox(c, int(sys.argv[2]), w)]); print(counts(c, int(sys.argv[2]), w))")
    out = subprocess.run([sys.executable, "-c", script, str(db_file), str(rep.id)], cwd=ROOT, capture_output=True,
                         text=True, check=True).stdout.splitlines()
    assert out[0] == repr(here)
    assert out[1] == repr({"unread": 2, "overdue": 1, "today": 1})
    assert len(here) == 3


# --- the sidebar's cost --------------------------------------------------------------------------------

def test_the_sidebar_count_is_one_statement_on_indexes_only(conn, rep, manager):
    _contact(conn, manager, owner=rep)
    _task(conn, rep, "2026-11-20 09:00:00")
    seen = statements(conn, lambda: counts(conn, rep.id, WIN))
    assert len(seen) == 1
    sql = seen[0]
    plan = query_plan(conn, sql)
    assert "ix_notifications_unread" in plan
    assert "ix_activities_open_tasks" in plan
    assert "PRIMARY KEY" in plan  # the read marks: one key lookup per open task
    assert "audit_log" not in plan
    for table in ("notifications", "activities", "notification_reads"):
        assert f"SCAN {table}" not in plan and "SCAN a " not in plan, plan


def test_a_flood_of_unread_events_is_counted_up_to_the_cap(conn, rep, manager):
    _task(conn, rep, "2026-11-20 09:00:00")
    conn.executemany("INSERT INTO notifications (user_id, kind, entity, entity_id, actor_id, at) "
                     "VALUES (?, 'assigned', 'contacts', ?, ?, '2026-11-23 10:00:00')",
                     [(rep.id, i, manager.id) for i in range(1, notifications.COUNT_CAP + 50)])
    assert counts(conn, rep.id, WIN) == {"unread": notifications.COUNT_CAP + 1, "overdue": 1, "today": 0}


def test_the_list_reads_a_bounded_page_by_index(conn, rep, manager):
    for i in range(5):
        _contact(conn, manager, owner=rep, name=f"P{i}")
    assert len(inbox(conn, rep.id, WIN, limit=3)) == 3
    for sql in statements(conn, lambda: inbox(conn, rep.id, WIN, limit=3)):
        plan = query_plan(conn, sql)
        assert "SCAN n" not in plan and "SCAN a" not in plan and "SCAN audit_log" not in plan, plan
