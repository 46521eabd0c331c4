"""The reader pool: connections are reused, never handed out twice at once, and never carry a snapshot."""

from __future__ import annotations

import threading

import pytest

from db.core.connection import POOL_SIZE, pooled
from db.core.errors import DatabaseUnavailable


def test_a_returned_connection_is_reused(conn, db_file):
    with pooled(db_file) as first:
        first_id = id(first)
    with pooled(db_file) as second:
        assert id(second) == first_id
        assert second.execute("SELECT COUNT(*) FROM contacts").fetchone()[0] == 0


def test_connections_in_use_are_never_shared(conn, db_file):
    with pooled(db_file) as a, pooled(db_file) as b:
        assert a is not b


def test_threads_each_get_their_own(conn, db_file):
    seen, ready = [], threading.Barrier(3)

    def worker():
        with pooled(db_file) as c:
            seen.append(c)
            ready.wait(timeout=5)  # all three hold one at the same time

    threads = [threading.Thread(target=worker) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len({id(c) for c in seen}) == 3


def test_a_reused_connection_sees_later_writes(conn, db_file):
    with pooled(db_file) as reader:
        assert reader.execute("SELECT COUNT(*) FROM contacts").fetchone()[0] == 0
    conn.execute("INSERT INTO contacts (first_name, last_name) VALUES ('Ada', 'Lovelace')")
    with pooled(db_file) as reader:
        assert reader.execute("SELECT COUNT(*) FROM contacts").fetchone()[0] == 1


def test_a_connection_left_in_a_transaction_is_closed_not_pooled(conn, db_file):
    with pooled(db_file) as leaky:
        leaky.execute("BEGIN")
        leaky.execute("SELECT COUNT(*) FROM contacts").fetchone()
    with pooled(db_file) as fresh:
        assert fresh is not leaky
        assert not fresh.in_transaction


def test_the_idle_pool_is_bounded(conn, db_file):
    held = [pooled(db_file) for _ in range(POOL_SIZE + 2)]
    conns = [h.__enter__() for h in held]
    for h in held:
        h.__exit__(None, None, None)
    again = [pooled(db_file) for _ in range(POOL_SIZE + 1)]
    reused = {id(h.__enter__()) for h in again}
    for h in again:
        h.__exit__(None, None, None)
    assert len(reused & {id(c) for c in conns}) == POOL_SIZE


def test_a_missing_file_is_not_created(tmp_path):
    with pytest.raises(DatabaseUnavailable), pooled(tmp_path / "missing.db"):
        pass
    assert not (tmp_path / "missing.db").exists()
