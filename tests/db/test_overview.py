from datetime import date

from db.analytics import overview
from db.core import records


def test_task_counts_split_overdue_and_today(conn, rep, admin):
    today = date(2026, 11, 23)
    for due, done, owner in [("2026-11-20 10:00:00", 0, rep), ("2026-11-23 09:00:00", 0, rep),
                             ("2026-11-23 18:00:00", 1, rep), ("2026-11-24 09:00:00", 0, rep),
                             ("2026-11-22 09:00:00", 0, admin)]:
        records.create(conn, "activities", {"kind": "task", "subject": "x", "due_at": due, "done": done,
                                            "owner_id": owner.id}, owner)
    assert overview.task_counts(conn, rep.id, today) == {"overdue": 1, "today": 1}
    assert [t["due_at"] for t in overview.due_today(conn, rep.id, today)] == ["2026-11-20 10:00:00",
                                                                              "2026-11-23 09:00:00"]


def test_summary_counts_open_weighted_and_won_this_month(conn, admin):
    pid = records.create(conn, "pipelines", {"name": "Sales", "kind": "sales"}, admin)
    open_stage = records.create(conn, "stages", {"pipeline_id": pid, "name": "Proposal", "probability": 0.5}, admin)
    won = records.create(conn, "stages", {"pipeline_id": pid, "name": "Won", "probability": 1, "kind": "won"}, admin)
    for amount, stage, closed in [(1000, open_stage, None), (3000, open_stage, None),
                                  (500, won, "2026-11-02 10:00:00"), (700, won, "2026-10-30 10:00:00")]:
        records.create(conn, "deals", {"pipeline_id": pid, "stage_id": stage, "title": "d", "amount": amount,
                                       "closed_at": closed}, admin)
    s = overview.summary(conn, date(2026, 11, 23))
    assert (s["open_deals"], s["open_value"], s["weighted"]) == (2, 4000, 2000)
    assert (s["won_deals"], s["won_value"]) == (1, 500)
