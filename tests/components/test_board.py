from datetime import datetime

import pytest

from components.board import board_data, days_in_stage
from db.core.errors import PermissionDenied
from db.core.permissions import Actor, check_write


def test_board_data_formats_labels_and_flags_stale_cards():
    columns = [{"id": 1, "name": "Lead", "kind": "open", "count": 3, "sum": 1500.0, "weighted": 150.0,
                "cards": [{"id": 7, "version": 2, "title": "<b>Big</b>", "who": "Acme", "amount": 1000.0,
                           "owner": "Ann", "stage_entered_at": "2026-10-01 00:00:00",
                           "next": {"kind": "call", "subject": "Ring", "at": "2026-11-25 10:00:00"}}]}]
    data = board_data(columns, "en", datetime(2026, 11, 23))
    col = data["columns"][0]
    card = col["cards"][0]
    assert card["title"] == "<b>Big</b>"  # raw text: the component sets textContent, never HTML
    assert card["amount"] == "€1,000" and card["days"] == "53 d in stage" and card["stale"] is True
    assert card["next"].startswith("Next: Call · Ring")
    assert col["sums"] == "€1,500 · weighted €150" and col["hidden"] == 2


def test_days_in_stage_never_negative():
    assert days_in_stage("2026-12-01 00:00:00", datetime(2026, 11, 23)) == 0
    assert days_in_stage(None, datetime(2026, 11, 23)) == 0


def _columns(owner_id=5, nxt=None, kind="open"):
    return [{"id": 1, "name": "Lead", "kind": kind, "count": 1, "sum": 10.0, "weighted": 1.0,
             "cards": [{"id": 7, "version": 1, "title": "T", "who": "", "amount": 10.0, "owner": "Ann",
                        "owner_id": owner_id, "stage_entered_at": "2026-11-20 00:00:00", "next": nxt}]}]


def _card(columns, actor, now=datetime(2026, 11, 23)):
    return board_data(columns, "en", now, actor=actor)["columns"][0]["cards"][0]


@pytest.mark.parametrize("actor, owner_id, can_edit", [
    (Actor(5, "rep"), 5, True),  # a rep's own deal
    (Actor(6, "rep"), 5, False),  # someone else's
    (Actor(6, "rep"), None, True),  # nobody's: the write path lets a rep take it on
    (Actor(6, "manager"), 5, True),
    (Actor(1, "admin"), 5, True),
    (None, 5, False),  # no actor: read-only board
])
def test_can_edit_follows_the_write_rule(actor, owner_id, can_edit):
    card = _card(_columns(owner_id), actor)
    assert card["can_edit"] is can_edit
    assert ("read-only" in card["label"]) is (not can_edit)
    if actor is not None:
        allowed = True
        try:
            check_write(actor, "deals", {"owner_id": owner_id}, "edit")
        except PermissionDenied:
            allowed = False
        assert allowed is can_edit


@pytest.mark.parametrize("nxt, kind, no_next, overdue", [
    (None, "open", True, False),
    ({"kind": "task", "subject": "Call back", "at": "2026-11-25 09:00:00"}, "open", False, False),
    ({"kind": "call", "subject": "Ring", "at": "2026-11-20 09:00:00"}, "open", False, True),  # planned, missed
    (None, "won", False, False),  # closed deals need no next step
    (None, "lost", False, False),
])
def test_no_next_step_is_flagged_on_open_deals_only(nxt, kind, no_next, overdue):
    card = _card(_columns(nxt=nxt, kind=kind), Actor(5, "rep"))
    assert (card["no_next"], card["overdue"]) == (no_next, overdue)


def test_board_labels_are_translated():
    data = board_data(_columns(), "en", datetime(2026, 11, 23), actor=Actor(5, "rep"))
    assert data["labels"]["move_to"] == "Move to stage" and data["labels"]["no_next"] == "No next step"
    assert data["columns"][0]["label"] == "Deals in Lead: 1"
