from datetime import datetime

from components.board import board_data, days_in_stage


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
