"""Deals: board columns (counts, sums, weighted, bounded cards), moves with history and audit, conflicts."""

import pytest

from db.core import records
from db.core.errors import ConflictError, PermissionDenied, ValidationError
from db.crm import deals


@pytest.fixture
def pipe(conn):
    x = conn.execute
    x("INSERT INTO pipelines (id, name, kind) VALUES (1, 'Sales', 'sales'), (2, 'Hiring', 'recruiting')")
    x("INSERT INTO stages (id, pipeline_id, name, position, probability, kind) VALUES "
      "(1, 1, 'Lead', 0, 0.1, 'open'), (2, 1, 'Proposal', 1, 0.5, 'open'), (3, 1, 'Won', 2, 1, 'won'), "
      "(4, 1, 'Lost', 3, 0, 'lost'), (5, 2, 'Applied', 0, 0.1, 'open')")
    return conn


def _deal(conn, actor, stage=1, amount=100, title="d"):
    return deals.create(conn, {"pipeline_id": 1, "stage_id": stage, "title": title, "amount": amount}, actor)


def test_columns_count_sum_and_weight_every_deal_but_show_a_bounded_page(pipe, admin):
    for amount in (100, 200, 300):  # Lead: 600, weighted 60
        _deal(pipe, admin, 1, amount)
    _deal(pipe, admin, 2, 1000)  # Proposal: 1000, weighted 500
    board = {c["name"]: c for c in deals.board(pipe, deals.BoardQuery(pipeline_id=1), per_column=2)}
    assert (board["Lead"]["count"], board["Lead"]["sum"], board["Lead"]["weighted"]) == (3, 600, pytest.approx(60))
    assert [c["amount"] for c in board["Lead"]["cards"]] == [300, 200]  # biggest first, two per column
    assert (board["Proposal"]["count"], board["Proposal"]["weighted"]) == (1, pytest.approx(500))
    assert board["Won"]["count"] == 0 and list(board) == ["Lead", "Proposal", "Won", "Lost"]
    more = {c["name"]: c for c in deals.board(pipe, deals.BoardQuery(pipeline_id=1), per_column=2, extra={1: 5})}
    assert len(more["Lead"]["cards"]) == 3


def test_move_writes_history_and_audit_in_one_go(pipe, admin):
    d = _deal(pipe, admin)
    deals.move(pipe, d, 2, 1, admin)
    row = records.get(pipe, "deals", d)
    assert row["stage_id"] == 2 and row["version"] == 2
    hist = pipe.execute("SELECT from_stage_id, to_stage_id FROM deal_stage_history WHERE deal_id = ? ORDER BY id",
                        (d,)).fetchall()
    assert [tuple(h) for h in hist] == [(None, 1), (1, 2)]
    assert pipe.execute("SELECT COUNT(*) FROM audit_log WHERE entity = 'deals' AND entity_id = ? AND action = 'update'",
                        (d,)).fetchone()[0] == 1


def test_won_sets_close_date_and_amount_lost_needs_a_reason(pipe, admin):
    d = _deal(pipe, admin)
    with pytest.raises(ValidationError) as err:
        deals.move(pipe, d, 4, 1, admin, lost_reason="  ")
    assert err.value.field == "lost_reason"
    assert records.get(pipe, "deals", d)["stage_id"] == 1
    deals.move(pipe, d, 3, 1, admin, amount=555, closed_at="2026-11-20 12:00:00")
    row = records.get(pipe, "deals", d)
    assert (row["closed_at"], row["amount"]) == ("2026-11-20 12:00:00", 555)
    deals.move(pipe, d, 1, 2, admin)  # reopened: no close date any more
    assert records.get(pipe, "deals", d)["closed_at"] is None
    deals.move(pipe, d, 4, 3, admin, lost_reason="Price")
    assert records.get(pipe, "deals", d)["lost_reason"] == "Price"


def test_stale_move_is_refused_and_changes_nothing(pipe, admin, manager):
    d = _deal(pipe, admin)
    deals.move(pipe, d, 2, 1, manager)
    with pytest.raises(ConflictError) as err:
        deals.move(pipe, d, 3, 1, admin)
    assert "Mia Manager" in str(err.value)
    assert records.get(pipe, "deals", d)["stage_id"] == 2
    assert pipe.execute("SELECT COUNT(*) FROM deal_stage_history WHERE deal_id = ?", (d,)).fetchone()[0] == 2


def test_move_to_another_pipelines_stage_is_refused(pipe, admin):
    d = _deal(pipe, admin)
    with pytest.raises(ValidationError):
        deals.move(pipe, d, 5, 1, admin)


def test_rep_cannot_move_someone_elses_deal(pipe, admin, rep):
    d = _deal(pipe, admin)
    with pytest.raises(PermissionDenied):
        deals.move(pipe, d, 2, 1, rep)


@pytest.mark.parametrize("values,field", [({"title": " "}, "title"), ({"amount": -1}, "amount"),
                                          ({"amount": "lots"}, "amount"), ({"expected_close": "9999-01-01"},
                                                                           "expected_close")])
def test_deal_validation(pipe, admin, values, field):
    with pytest.raises(ValidationError) as err:
        deals.create(pipe, {"pipeline_id": 1, "stage_id": 1, "title": "ok", **values}, admin)
    assert err.value.field == field


def test_filters_and_forecast(pipe, admin, rep):
    _deal(pipe, admin, 1, 100, "Alpha renewal")
    deals.create(pipe, {"pipeline_id": 1, "stage_id": 2, "title": "Beta", "amount": 1000, "owner_id": rep.id,
                        "expected_close": "2026-12-15"}, rep)
    assert sum(c["count"] for c in deals.board(pipe, deals.BoardQuery(pipeline_id=1, search="renew"))) == 1
    assert sum(c["count"] for c in deals.board(pipe, deals.BoardQuery(pipeline_id=1, owner_id=rep.id))) == 1
    assert sum(c["count"] for c in deals.board(pipe, deals.BoardQuery(pipeline_id=1, min_amount=500))) == 1
    assert sum(c["count"] for c in deals.board(pipe, deals.BoardQuery(pipeline_id=1, search="%"))) == 0
    forecast = {(f["month"], f["owner"]): f["weighted"] for f in deals.forecast(pipe, 1)}
    assert forecast[("2026-12", "Rob Rep")] == pytest.approx(500)


def _furthest(conn, deal_id):
    return conn.execute("SELECT furthest_stage_id FROM deals WHERE id = ?", (deal_id,)).fetchone()[0]


def test_furthest_stage_follows_moves_and_stage_edits(pipe, admin):
    d = _deal(pipe, admin)
    assert _furthest(pipe, d) == 1
    deals.move(pipe, d, 2, 1, admin)
    deals.move(pipe, d, 1, 2, admin)  # moved back: it still got as far as Proposal
    assert _furthest(pipe, d) == 2
    deals.move(pipe, d, 4, 3, admin, lost_reason="Price")  # losing is not getting further
    assert _furthest(pipe, d) == 2
    pipe.execute("UPDATE stages SET position = -1 WHERE id = 2")  # Proposal now comes before Lead
    assert _furthest(pipe, d) == 1
    pipe.execute("UPDATE stages SET position = 1, kind = 'lost' WHERE id = 2")
    assert _furthest(pipe, d) == 1
    other = _deal(pipe, admin, stage=3)
    pipe.execute("DELETE FROM deal_stage_history WHERE deal_id = ?", (other,))
    assert _furthest(pipe, other) is None


def _contact(conn):
    return conn.execute("SELECT acquired_at, lifecycle, version FROM contacts WHERE id = 1").fetchone()


def test_winning_makes_the_contact_a_customer_and_unwinning_takes_it_back(pipe, admin):
    pipe.execute("INSERT INTO contacts (id, first_name, last_name, lifecycle) VALUES (1, 'Ana', 'Lima', 'prospect')")
    first = deals.create(pipe, {"pipeline_id": 1, "stage_id": 1, "title": "a", "contact_id": 1}, admin)
    later = deals.create(pipe, {"pipeline_id": 1, "stage_id": 1, "title": "b", "contact_id": 1}, admin)
    deals.move(pipe, later, 3, 1, admin, closed_at="2026-11-20 10:00:00")
    assert tuple(_contact(pipe))[:2] == ("2026-11-20 10:00:00", "customer")
    deals.move(pipe, first, 3, 1, admin, closed_at="2026-10-01 09:00:00")  # an earlier win is the first win
    assert _contact(pipe)["acquired_at"] == "2026-10-01 09:00:00"
    deals.move(pipe, first, 2, 2, admin)  # reopened: the other win is the first one again
    assert _contact(pipe)["acquired_at"] == "2026-11-20 10:00:00"
    deals.move(pipe, later, 4, 2, admin, lost_reason="Budget")  # no win left
    acquired, lifecycle, version = _contact(pipe)
    assert (acquired, lifecycle) == (None, "prospect")
    audited = pipe.execute("SELECT COUNT(*) FROM audit_log WHERE entity = 'contacts' AND entity_id = 1").fetchone()[0]
    assert audited == version - 1 == 4  # every change is audited and bumps the version (no silent overwrite)


def test_a_won_hire_does_not_make_a_customer(pipe, admin):
    pipe.execute("INSERT INTO stages (id, pipeline_id, name, position, probability, kind) VALUES "
                 "(6, 2, 'Hired', 1, 1, 'won')")
    pipe.execute("INSERT INTO contacts (id, first_name, last_name, lifecycle) VALUES (1, 'Ana', 'Lima', 'lead')")
    hire = deals.create(pipe, {"pipeline_id": 2, "stage_id": 5, "title": "Ana", "contact_id": 1}, admin)
    deals.move(pipe, hire, 6, 1, admin)
    assert tuple(_contact(pipe))[:2] == (None, "lead")


def test_reverting_a_win_in_the_audit_log_takes_the_first_win_back(pipe, admin):
    from db.core import audit

    pipe.execute("INSERT INTO contacts (id, first_name, last_name, lifecycle) VALUES (1, 'Ana', 'Lima', 'prospect')")
    deal = deals.create(pipe, {"pipeline_id": 1, "stage_id": 1, "title": "a", "contact_id": 1}, admin)
    deals.move(pipe, deal, 3, 1, admin, closed_at="2026-11-20 10:00:00")
    assert tuple(_contact(pipe))[:2] == ("2026-11-20 10:00:00", "customer")
    won = pipe.execute("SELECT MAX(id) FROM audit_log WHERE entity = 'deals' AND entity_id = ?", (deal,)).fetchone()[0]
    audit.revert(pipe, won, admin)  # the move is undone from the audit log, not from the board
    assert pipe.execute("SELECT stage_id FROM deals WHERE id = ?", (deal,)).fetchone()[0] == 1
    assert tuple(_contact(pipe))[:2] == (None, "prospect")
    again = pipe.execute("SELECT MAX(id) FROM audit_log WHERE entity = 'deals' AND entity_id = ?", (deal,)).fetchone()[0]
    audit.revert(pipe, again, admin)  # and the revert itself reverted: won again
    assert tuple(_contact(pipe))[:2] == ("2026-11-20 10:00:00", "customer")


def test_undo_move_puts_everything_back_and_refuses_after_a_later_change(pipe, admin):
    d = _deal(pipe, admin, 1, 100)
    before = records.get(pipe, "deals", d)
    saved = deals.move(pipe, d, 3, 1, admin, amount=555, closed_at="2026-11-20 12:00:00")
    back = deals.undo_move(pipe, saved["audit_id"], admin)
    assert {k: back[k] for k in ("stage_id", "amount", "closed_at", "stage_entered_at")} == \
        {k: before[k] for k in ("stage_id", "amount", "closed_at", "stage_entered_at")}
    hist = pipe.execute("SELECT from_stage_id, to_stage_id FROM deal_stage_history WHERE deal_id = ? ORDER BY id",
                        (d,)).fetchall()
    assert [tuple(h) for h in hist] == [(None, 1), (1, 3), (3, 1)]
    again = deals.move(pipe, d, 2, back["version"], admin)
    deals.move(pipe, d, 1, again["version"], admin)  # moved on since: undoing the older move would hide that
    with pytest.raises(ConflictError):
        deals.undo_move(pipe, again["audit_id"], admin)
    assert records.get(pipe, "deals", d)["stage_id"] == 1
    title_change = deals.update(pipe, d, records.get(pipe, "deals", d)["version"], {"title": "x"}, admin)
    last = pipe.execute("SELECT MAX(id) FROM audit_log WHERE entity = 'deals' AND entity_id = ?", (d,)).fetchone()[0]
    with pytest.raises(ValidationError):  # only a stage move is undone here
        deals.undo_move(pipe, last, admin)
    assert records.get(pipe, "deals", d)["title"] == title_change["title"]


def test_undo_move_is_the_owners_or_a_managers(pipe, admin, rep, manager):
    d = deals.create(pipe, {"pipeline_id": 1, "stage_id": 1, "title": "m", "owner_id": manager.id}, manager)
    saved = deals.move(pipe, d, 2, 1, manager)
    with pytest.raises(PermissionDenied):
        deals.undo_move(pipe, saved["audit_id"], rep)
    assert records.get(pipe, "deals", d)["stage_id"] == 2


@pytest.mark.parametrize("title, contact, company, found", [
    ("  big   RENEWAL ", "same", None, True),  # case and spaces ignored
    ("Big renewal", None, "same", True),  # same company
    ("Big renewal", "other", None, False),  # another customer
    ("Bigger renewal", "same", None, False),
    ("Big renewal", None, None, False),  # no customer named: nothing to compare with
])
def test_lookalikes_are_open_deals_with_the_title_for_the_customer(pipe, admin, title, contact, company, found):
    x = pipe.execute
    co = x("INSERT INTO companies (name, owner_id) VALUES ('Acme', ?)", (admin.id,)).lastrowid
    c1 = x("INSERT INTO contacts (first_name, last_name, company_id, owner_id) VALUES ('A', 'B', ?, ?)",
           (co, admin.id)).lastrowid
    c2 = x("INSERT INTO contacts (first_name, last_name, owner_id) VALUES ('C', 'D', ?)", (admin.id,)).lastrowid
    pipe.commit()
    open_id = deals.create(pipe, {"pipeline_id": 1, "stage_id": 1, "title": "Big Renewal", "contact_id": c1,
                                  "company_id": co}, admin)
    won = deals.create(pipe, {"pipeline_id": 1, "stage_id": 3, "title": "Big Renewal", "contact_id": c1}, admin)
    ids = {"same": c1, "other": c2, None: None}
    got = deals.lookalikes(pipe, title, ids[contact], co if company else None)
    assert [d["id"] for d in got] == ([open_id] if found else [])
    assert won not in [d["id"] for d in got]  # a closed deal is no duplicate
