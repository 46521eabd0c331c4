from components.history import history_rows


def test_one_row_per_changed_field_without_the_version():
    entries = [{"id": 9, "at": "2026-11-23 10:00:00", "who": "Ada", "action": "update",
                "before": {"title": "CTO", "email": None}, "after": {"title": "CEO", "email": "a@b.co", "version": 3}},
               {"id": 8, "at": "2026-11-22 10:00:00", "who": "Bob", "action": "create", "before": {},
                "after": {"first_name": "Ana"}},
               {"id": 7, "at": "2026-11-21 10:00:00", "who": "Bob", "action": "password", "before": {}, "after": {}}]
    rows = history_rows(entries)
    assert [(r["field"], r["from"], r["to"]) for r in rows] == [
        ("title", "CTO", "CEO"), ("email", "", "a@b.co"), ("first_name", "", "Ana"), ("—", "", "")]
    assert rows[0]["audit_id"] == 9


def test_long_values_are_cut():
    rows = history_rows([{"id": 1, "at": "x", "who": "y", "action": "update", "before": {"notes": "a" * 500},
                          "after": {"notes": "b"}}])
    assert len(rows[0]["from"]) == 120
