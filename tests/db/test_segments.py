import threading
import time

import pytest

from db.analytics import segments
from db.core.connection import connect, write
from db.core.permissions import Actor
from db.crm import contacts
from tests.conftest import TODAY
from tests.db.test_rollups import _rebuilt, _state


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
    n = segments.refresh(seeded_conn).customers
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


def _segments(conn) -> list[tuple]:
    return conn.execute(f"SELECT contact_id, {', '.join(segments.COLUMNS)} FROM contact_segments "
                        "ORDER BY contact_id").fetchall()


def test_a_refresh_when_nothing_changed_writes_nothing(seeded_conn):
    segments.refresh(seeded_conn, TODAY)
    before = seeded_conn.total_changes
    done = segments.refresh(seeded_conn, TODAY)
    assert (done.written, done.removed) == (0, 0) and done.customers > 0
    assert seeded_conn.total_changes == before, "an unchanged refresh wrote rows"


def test_a_refresh_writes_only_the_rows_that_changed(seeded_conn):
    segments.refresh(seeded_conn, TODAY)
    want = _segments(seeded_conn)
    first, second = want[0][0], want[1][0]
    with write(seeded_conn):
        seeded_conn.execute("DELETE FROM contact_segments WHERE contact_id = ?", (first,))
        seeded_conn.execute("UPDATE contact_segments SET rfm = '111' WHERE contact_id = ?", (second,))
        seeded_conn.execute("INSERT INTO contact_segments (contact_id, abc_profit) SELECT MAX(id), 'A' FROM contacts "
                            "WHERE id NOT IN (SELECT contact_id FROM contact_segments)")
    done = segments.refresh(seeded_conn, TODAY)
    assert (done.written, done.removed) == (2, 1)
    assert _segments(seeded_conn) == want


def test_a_refresh_in_chunks_gives_what_one_transaction_gives(seeded, monkeypatch):
    """One row per transaction (the smallest chunk) leaves segments and every rollup as writing all rows in one
    transaction does, and as a rebuild of the rollups from the source rows says."""
    path = seeded[0]
    whole, chunked = connect(path), connect(path)
    whole.execute("BEGIN IMMEDIATE")  # the refresh joins this one transaction: nothing is chunked
    whole.execute("DELETE FROM contact_segments")
    segments.refresh(whole, TODAY)
    want = (_segments(whole), _state(whole))
    whole.execute("ROLLBACK")
    with write(chunked):
        chunked.execute("DELETE FROM contact_segments")
    monkeypatch.setattr(segments, "CHUNK_SECONDS", 0.0)
    monkeypatch.setattr(segments, "PAUSE_SECONDS", 0.0)
    commits = []
    chunked.set_trace_callback(lambda sql: commits.append(sql) if sql == "COMMIT" else None)
    done = segments.refresh(chunked, TODAY)
    chunked.set_trace_callback(None)
    assert len(commits) == done.written > 1, "one transaction per row"
    assert (_segments(chunked), _state(chunked)) == want
    assert _state(chunked) == _rebuilt(chunked)


def test_a_save_during_a_long_refresh_waits_for_one_chunk_and_succeeds(seeded, monkeypatch):
    """A real save from another connection while a refresh writes many short transactions: it gets the lock
    at the first pause, long before the refresh ends, and the refresh still writes every row."""
    path = seeded[0]
    refresher, saver = connect(path), connect(path)
    with write(refresher):
        refresher.execute("DELETE FROM contact_segments")
    customers = len(segments.compute(refresher, TODAY))
    row = saver.execute("SELECT id, version FROM contacts WHERE deleted_at IS NULL LIMIT 1").fetchone()
    admin = Actor(saver.execute("SELECT id FROM users WHERE role = 'admin'").fetchone()[0], "admin")
    monkeypatch.setattr(segments, "CHUNK_SECONDS", 0.0)  # one customer per transaction: many of them
    finished = {}

    def refresh():
        try:
            finished["result"] = segments.refresh(refresher, TODAY)
        finally:
            finished["refresh"] = time.perf_counter()

    writing = threading.Event()
    store = segments.store

    def store_signalled(*args, **kwargs):
        writing.set()
        return store(*args, **kwargs)

    # Wait until the refresh starts writing: polling for its (microsecond) transactions could miss them all.
    monkeypatch.setattr(segments, "store", store_signalled)
    worker = threading.Thread(target=refresh)
    worker.start()
    while not writing.is_set() and worker.is_alive():
        writing.wait(0.01)
    assert worker.is_alive(), "the refresh ended before the save could race it"
    contacts.update(saver, row["id"], row["version"], {"title": "Saved during the refresh"}, admin)
    saved_at = time.perf_counter()
    worker.join()
    assert saver.execute("SELECT title FROM contacts WHERE id = ?", (row["id"],)).fetchone()[0] == \
        "Saved during the refresh"
    assert saved_at < finished["refresh"], "the save waited for the whole refresh"
    assert finished["result"].written == customers == len(_segments(saver))
