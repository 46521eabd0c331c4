"""The trigger-kept KPI rollups always equal a rebuild from the source rows, whatever was edited."""

import pytest

from db.analytics import rollups, segments
from db.core.connection import write
from tests.conftest import TODAY


def _state(conn) -> dict:
    """Both rollups as {table: {key: rounded non-zero measures}} (zero rows left by take-backs are no data)."""
    out = {}
    for table, key in (("kpi_cube", 5), ("serve_costs", 2)):
        got = {}
        for r in conn.execute(f"SELECT * FROM {table}"):
            measures = tuple(round(v, 6) for v in tuple(r)[key:])
            if any(measures):
                got[tuple(r)[:key]] = measures
        out[table] = got
    return out


def rebuilt_state(conn, rebuild, state) -> dict:
    """``state`` after ``rebuild``, with the database left as it was."""
    conn.execute("SAVEPOINT check_rebuild")
    rebuild(conn)
    out = state(conn)
    conn.execute("ROLLBACK TO check_rebuild")
    conn.execute("RELEASE check_rebuild")
    return out


def _rebuilt(conn) -> dict:
    return rebuilt_state(conn, rollups.rebuild, _state)


def _ids(conn, sql):
    return [r[0] for r in conn.execute(sql)]


EDITS = {
    "activity logged": "INSERT INTO activities (kind, subject, contact_id, owner_id, starts_at, duration_min, done) "
                       "SELECT 'call', 'x', id, owner_id, datetime(acquired_at, '+1 day'), 45, 1 FROM contacts "
                       "WHERE acquired_at IS NOT NULL LIMIT 3",
    "activity done and undone": "UPDATE activities SET done = 1 - done WHERE id % 7 = 0",
    "activity longer": "UPDATE activities SET duration_min = duration_min + 30 WHERE id % 5 = 0",
    "activity moved in time": "UPDATE activities SET starts_at = datetime(starts_at, '-40 days') WHERE id % 6 = 0",
    "activity to another contact": "UPDATE activities SET contact_id = (SELECT MAX(id) FROM contacts "
                                   "WHERE acquired_at IS NOT NULL) WHERE id % 9 = 0",
    "activity soft-deleted": "UPDATE activities SET deleted_at = datetime('now') WHERE id % 4 = 0",
    "activity purged": "DELETE FROM activities WHERE id % 11 = 0",
    "feedback answered": "INSERT INTO feedback (contact_id, kind, score, responded_at) SELECT id, 'nps', 10, "
                         "'2026-11-02' FROM contacts LIMIT 4",
    "feedback rescored": "UPDATE feedback SET score = CASE kind WHEN 'csat' THEN 1 ELSE 0 END WHERE id % 3 = 0",
    "feedback deleted": "DELETE FROM feedback WHERE id % 5 = 0",
    "owner changed": "UPDATE contacts SET owner_id = (SELECT MIN(id) FROM users) WHERE id % 3 = 0",
    "channel and campaign changed": "UPDATE contacts SET channel = 'events', campaign_id = NULL WHERE id % 4 = 1",
    "first win moved": "UPDATE contacts SET acquired_at = datetime(acquired_at, '-100 days') WHERE id % 2 = 0",
    "lead became customer": "UPDATE contacts SET acquired_at = '2026-01-01 00:00:00' WHERE acquired_at IS NULL",
    "customer soft-deleted": "UPDATE contacts SET deleted_at = datetime('now') WHERE id % 5 = 2",
}


def check_edit(conn, sql: str, state, rebuilt) -> None:
    """One edit changes the rollup state, and the trigger-kept state equals a rebuild."""
    before = state(conn)
    with write(conn):
        changed = conn.execute(sql).rowcount
    assert changed > 0, "the edit must touch rows of the tiny seed"
    after = state(conn)
    assert after == rebuilt(conn)
    assert after != before


def check_all_edits(conn, edits: dict, state, rebuilt) -> None:
    """Every edit in one transaction, then a segment refresh: still equal to a rebuild."""
    with write(conn):
        for sql in edits.values():
            conn.execute(sql)
    assert state(conn) == rebuilt(conn)
    segments.refresh(conn, TODAY)
    assert state(conn) == rebuilt(conn)


@pytest.mark.parametrize("edit", EDITS)
def test_each_edit_keeps_the_rollups_equal_to_a_rebuild(seeded_conn, edit):
    check_edit(seeded_conn, EDITS[edit], _state, _rebuilt)


def test_all_edits_in_a_row_and_a_segment_refresh(seeded_conn):
    check_all_edits(seeded_conn, EDITS, _state, _rebuilt)
    assert seeded_conn.execute("SELECT COUNT(*) FROM kpi_cube WHERE segment IN ('A', 'B', 'C')").fetchone()[0] > 0


def test_rollups_are_not_empty_after_seeding(seeded_conn):
    cost = seeded_conn.execute("SELECT SUM(cost) FROM serve_costs").fetchone()[0]
    assert cost and cost == pytest.approx(seeded_conn.execute("SELECT SUM(cost) FROM kpi_cube").fetchone()[0])
    assert seeded_conn.execute("SELECT SUM(csat_n) + SUM(nps_n) FROM kpi_cube").fetchone()[0] == \
        seeded_conn.execute("SELECT COUNT(*) FROM feedback WHERE deleted_at IS NULL").fetchone()[0]


def test_segment_rows_written_directly_move_the_cube(seeded_conn):
    with write(seeded_conn):
        seeded_conn.execute("DELETE FROM contact_segments WHERE contact_id % 2 = 0")
        seeded_conn.execute("UPDATE contact_segments SET abc_profit = 'A' WHERE abc_profit != 'A'")
        seeded_conn.execute("INSERT INTO contact_segments (contact_id, abc_profit) SELECT id, 'B' FROM contacts "
                            "WHERE id % 2 = 0 AND acquired_at IS NOT NULL")
    assert _state(seeded_conn) == _rebuilt(seeded_conn)
