import pytest

from db.analytics import segments


def test_abc_cuts_at_80_and_95_percent():
    # Total 100: a=70 starts at 0 % (A), b=15 starts at 70 % (A), c=10 starts at 85 % (B),
    # d=4 starts at 95 % (C), e=1 (C), f=-5 and g=0 are never A or B.
    values = {"a": 70, "b": 15, "c": 10, "d": 4, "e": 1, "f": -5, "g": 0}
    assert segments.abc(values) == {"a": "A", "b": "A", "c": "B", "d": "C", "e": "C", "f": "C", "g": "C"}


def test_quintiles():
    scores = segments.quintile_scores({i: i for i in range(10)})
    assert [scores[i] for i in range(10)] == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
    assert segments.quintile_scores({1: 5, 2: 100}, higher_is_better=False) == {1: 3, 2: 1}


def test_refresh_stores_segments_for_every_customer(seeded_conn):
    n = segments.refresh(seeded_conn)
    stored = seeded_conn.execute("SELECT COUNT(*), COUNT(rfm) FROM contact_segments").fetchone()
    customers = seeded_conn.execute("SELECT COUNT(DISTINCT d.contact_id) FROM deals d JOIN stages s "
                                    "ON s.id = d.stage_id WHERE s.kind = 'won'").fetchone()[0]
    assert stored[0] == n and stored[1] == customers
    assert {r[0] for r in seeded_conn.execute("SELECT DISTINCT abc_profit FROM contact_segments")} <= {"A", "B", "C"}


@pytest.mark.parametrize("by", ["nonsense; DROP TABLE x"])
def test_compare_refuses_unknown_dimensions(seeded_conn, by):
    from datetime import date

    from db.core.filters import Filters

    with pytest.raises(ValueError):
        segments.compare(seeded_conn, Filters(date(2026, 1, 1), date(2026, 2, 1)), by)


def test_contacts_carry_their_profit_segment(seeded_conn):
    segments.refresh(seeded_conn)
    mismatched = seeded_conn.execute(
        "SELECT COUNT(*) FROM contacts c LEFT JOIN contact_segments s ON s.contact_id = c.id "
        "WHERE c.profit_segment IS NOT s.abc_profit").fetchone()[0]
    assert mismatched == 0
    cid = seeded_conn.execute("SELECT contact_id FROM contact_segments LIMIT 1").fetchone()[0]
    seeded_conn.execute("UPDATE contact_segments SET abc_profit = 'A' WHERE contact_id = ?", (cid,))
    assert seeded_conn.execute("SELECT profit_segment FROM contacts WHERE id = ?", (cid,)).fetchone()[0] == "A"
    seeded_conn.execute("DELETE FROM contact_segments WHERE contact_id = ?", (cid,))
    assert seeded_conn.execute("SELECT profit_segment FROM contacts WHERE id = ?", (cid,)).fetchone()[0] is None


def test_a_won_deal_without_a_close_date_gets_no_rfm_and_no_crash(seeded_conn):
    cid = seeded_conn.execute("SELECT d.contact_id FROM deals d JOIN stages s ON s.id = d.stage_id "
                              "WHERE s.kind = 'won' AND d.contact_id IS NOT NULL GROUP BY d.contact_id "
                              "HAVING COUNT(*) = 1 LIMIT 1").fetchone()[0]
    seeded_conn.execute("UPDATE deals SET closed_at = NULL WHERE contact_id = ?", (cid,))
    segments.refresh(seeded_conn)
    row = seeded_conn.execute("SELECT recency, frequency, rfm FROM contact_segments WHERE contact_id = ?",
                              (cid,)).fetchone()
    assert row[0] is None and row[1] is not None and row[2] is None
