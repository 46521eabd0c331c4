"""Next steps and the company record's data: time zones, who may be assigned, the company timeline, figures."""

from datetime import datetime

import pytest

from db.analytics import customer_kpi
from db.core import records
from db.core.errors import NotFoundError, PermissionDenied, ValidationError
from db.crm import activities, timeline


@pytest.fixture
def world(conn, admin, rep, manager):
    """A company with two contacts (one owned by the rep), a deal on the company, and a contact elsewhere."""
    co = records.create(conn, "companies", {"name": "Acme", "owner_id": rep.id}, admin)
    other_co = records.create(conn, "companies", {"name": "Other"}, admin)
    ana = records.create(conn, "contacts", {"first_name": "Ana", "company_id": co, "owner_id": rep.id}, admin)
    bo = records.create(conn, "contacts", {"first_name": "Bo", "company_id": co}, admin)
    eve = records.create(conn, "contacts", {"first_name": "Eve", "company_id": other_co}, admin)
    pipe = records.create(conn, "pipelines", {"name": "Sales", "kind": "sales"}, admin)
    stage = records.create(conn, "stages", {"pipeline_id": pipe, "name": "New", "kind": "open"}, admin)
    return {"co": co, "other": other_co, "ana": ana, "bo": bo, "eve": eve, "pipeline": pipe, "stage": stage}


@pytest.mark.parametrize("kind, tz, wall, stored", [
    ("task", "Europe/Berlin", datetime(2030, 1, 15, 10, 0), ("due_at", "2030-01-15 09:00:00")),      # CET, UTC+1
    ("call", "Europe/Berlin", datetime(2030, 7, 15, 10, 0), ("starts_at", "2030-07-15 08:00:00")),  # CEST, UTC+2
    ("meeting", "America/New_York", datetime(2030, 3, 10, 23, 30), ("starts_at", "2030-03-11 03:30:00")),  # EDT
    ("email", "Asia/Kolkata", datetime(2030, 5, 1, 9, 15), ("starts_at", "2030-05-01 03:45:00")),
    ("task", "Not/AZone", datetime(2030, 5, 1, 9, 15), ("due_at", "2030-05-01 09:15:00")),  # unknown zone: UTC
])
def test_next_step_is_stored_in_utc(conn, admin, world, kind, tz, wall, stored):
    aid = activities.schedule_next(conn, kind=kind, subject="Follow up: pricing", wall=wall, tz=tz, owner_id=admin.id,
                                   actor=admin, contact_id=world["ana"])
    row = records.get(conn, "activities", aid)
    column, value = stored
    assert row[column] == value and row["kind"] == kind and row["done"] == 0 and row["contact_id"] == world["ana"]
    if kind != "task":
        assert row["ends_at"] > row["starts_at"] and row["due_at"] is None
    step = activities.next_step(conn, contact_id=world["ana"], at="2029-01-01 00:00:00")
    assert step["id"] == aid and step["overdue"] is False
    assert activities.utc_to_local(step["at"], tz) == wall or tz == "Not/AZone"


def test_a_rep_plans_only_for_themselves_a_manager_for_anyone(conn, rep, manager, world):
    when = datetime(2030, 1, 2, 10, 0)
    with pytest.raises(PermissionDenied):
        activities.schedule_next(conn, kind="task", subject="x", wall=when, tz="UTC", owner_id=manager.id, actor=rep,
                                 contact_id=world["ana"])
    assert conn.execute("SELECT COUNT(*) FROM activities").fetchone()[0] == 0
    mine = activities.schedule_next(conn, kind="task", subject="x", wall=when, tz="UTC", owner_id=rep.id, actor=rep,
                                    contact_id=world["bo"])  # a rep may plan on a record someone else owns
    theirs = activities.schedule_next(conn, kind="call", subject="y", wall=when, tz="UTC", owner_id=rep.id,
                                      actor=manager, company_id=world["co"])
    assert {records.get(conn, "activities", i)["owner_id"] for i in (mine, theirs)} == {rep.id}


@pytest.mark.parametrize("change, error", [
    ({"kind": "note"}, ValidationError), ({"subject": "  "}, ValidationError), ({"contact_id": None}, ValidationError),
    ({"contact_id": 999999}, NotFoundError), ({"wall": datetime(1999, 1, 1)}, ValidationError),
])
def test_bad_next_steps_are_refused(conn, admin, world, change, error):
    args = {"kind": "task", "subject": "ok", "wall": datetime(2030, 1, 1, 10), "tz": "UTC", "owner_id": admin.id,
            "actor": admin, "contact_id": world["ana"], **change}
    with pytest.raises(error):
        activities.schedule_next(conn, **args)
    assert conn.execute("SELECT COUNT(*) FROM activities").fetchone()[0] == 0


def test_next_step_prefers_the_earliest_ahead_else_the_latest_overdue(conn, admin, world):
    def plan(day, done=False):
        aid = activities.schedule_next(conn, kind="task", subject=day, wall=datetime.fromisoformat(day), tz="UTC",
                                       owner_id=admin.id, actor=admin, contact_id=world["ana"])
        if done:
            activities.complete(conn, aid, records.get(conn, "activities", aid)["version"], admin)
        return aid

    assert activities.next_step(conn, contact_id=world["ana"]) is None
    old, older = plan("2030-01-01 10:00"), plan("2029-12-01 10:00")
    plan("2030-06-01 10:00", done=True)
    step = activities.next_step(conn, contact_id=world["ana"], at="2030-03-01 00:00:00")
    assert step["id"] == old and step["overdue"] is True
    later, sooner = plan("2030-09-01 10:00"), plan("2030-04-01 10:00")
    step = activities.next_step(conn, contact_id=world["ana"], at="2030-03-01 00:00:00")
    assert step["id"] == sooner and not step["overdue"] and {older, later}


def test_company_timeline_has_its_contacts_and_deals_activities_newest_first_and_paged(conn, admin, world):
    deal = records.create(conn, "deals", {"title": "Big one", "company_id": world["co"], "pipeline_id": world["pipeline"],
                                          "stage_id": world["stage"], "amount": 1000}, admin)
    timeline.add(conn, None, "note", "On the company", admin, company_id=world["co"])
    timeline.add(conn, world["ana"], "call", "With Ana", admin)
    timeline.add(conn, world["bo"], "meeting", "With Bo", admin)
    timeline.add(conn, world["eve"], "call", "With Eve elsewhere", admin)
    activities.schedule_next(conn, kind="call", subject="On the deal", wall=datetime(2030, 1, 1, 9), tz="UTC",
                             owner_id=admin.id, actor=admin, deal_id=deal)
    entries, more = timeline.company_timeline(conn, world["co"], ["call", "meeting", "note", "deal"])
    titles = [e["title"] for e in entries]
    assert set(titles) == {"On the company", "With Ana", "With Bo", "On the deal", "Big one"} and not more
    assert titles[0] == "On the deal"  # 2030: newest first
    assert [e["at"] for e in entries] == sorted((e["at"] for e in entries), reverse=True)
    assert {e["contact"] for e in entries if e["title"] == "With Ana"} == {"Ana "}
    first, more = timeline.company_timeline(conn, world["co"], ["call", "meeting", "note", "deal"], limit=2)
    second, more2 = timeline.company_timeline(conn, world["co"], ["call", "meeting", "note", "deal"], limit=2,
                                              offset=2)
    third, more3 = timeline.company_timeline(conn, world["co"], ["call", "meeting", "note", "deal"], limit=2,
                                             offset=4)
    assert more and more2 and not more3 and [e["title"] for e in first + second + third] == titles
    assert len(timeline.company_timeline(conn, world["co"], limit=10**9)[0]) <= 500  # bounded whatever is asked


def test_company_timeline_is_bounded_on_a_busy_company(conn, admin, world):
    from db.io.bulk import create_many

    create_many(conn, "activities", [{"kind": "note", "subject": f"n{i}", "contact_id": world["ana"],
                                      "starts_at": f"2030-01-01 00:{i % 60:02d}:00", "done": 1}
                                     for i in range(300)], admin)
    entries, more = timeline.company_timeline(conn, world["co"])
    assert len(entries) == timeline.PAGE and more


def test_company_figures(conn, admin, world):
    f = customer_kpi.company_figures(conn, world["co"])
    assert f == {"revenue": None, "open_deals": 0, "pipeline": 0.0, "contacts": 2, "last_activity": None,
                 "csat": None, "nps": None}
    timeline.add(conn, world["bo"], "call", "Talked", admin)
    records.create(conn, "deals", {"title": "Via Ana", "contact_id": world["ana"], "pipeline_id": world["pipeline"],
                                   "stage_id": world["stage"], "amount": 1000}, admin)
    records.create(conn, "feedback", {"contact_id": world["ana"], "kind": "csat", "score": 5,
                                      "responded_at": "2030-01-01 00:00:00"}, admin)
    records.create(conn, "feedback", {"contact_id": world["eve"], "kind": "csat", "score": 1,
                                      "responded_at": "2030-01-01 00:00:00"}, admin)
    f = customer_kpi.company_figures(conn, world["co"])
    assert f["last_activity"] is not None and f["csat"] == 1.0  # Eve's answer belongs to another company
    assert (f["open_deals"], f["pipeline"]) == (1, 1000)  # a contact's deal counts for the company


def test_logging_on_a_company_needs_the_company(conn, admin, world):
    with pytest.raises(NotFoundError):
        timeline.add(conn, None, "note", "x", admin, company_id=999999)
    cid = timeline.add(conn, None, "comment", "A comment on the company", admin, company_id=world["co"])
    assert records.get(conn, "comments", cid)["entity"] == "companies"


def test_a_company_next_step_includes_its_people_and_deals(conn, admin, world):
    deal = records.create(conn, "deals", {"title": "D", "company_id": world["co"], "pipeline_id": world["pipeline"],
                                          "stage_id": world["stage"], "amount": 1}, admin)

    def plan(day, **link):
        return activities.schedule_next(conn, kind="call", subject=day, wall=datetime.fromisoformat(day), tz="UTC",
                                        owner_id=admin.id, actor=admin, **link)

    plan("2030-01-05 10:00", contact_id=world["eve"])  # another company's person
    assert activities.next_step(conn, company_id=world["co"], at="2030-01-01 00:00:00") is None
    on_deal = plan("2030-01-04 10:00", deal_id=deal)
    assert activities.next_step(conn, company_id=world["co"], at="2030-01-01 00:00:00")["id"] == on_deal
    with_bo = plan("2030-01-03 10:00", contact_id=world["bo"])
    step = activities.next_step(conn, company_id=world["co"], at="2030-01-01 00:00:00")
    assert step["id"] == with_bo and step["contact"] == "Bo"  # the company record says with whom
    own = plan("2030-01-02 10:00", company_id=world["co"])
    assert activities.next_step(conn, company_id=world["co"], at="2030-01-01 00:00:00")["id"] == own
