"""The grids' first page in their default order is an index walk, never a sort of the whole table."""

from __future__ import annotations

import pytest

from db.crm import companies, contacts


def _reads(conn, call) -> dict[str, str]:
    """Each paged SELECT ``call`` ran (as SQLite saw it, values bound) with its query plan."""
    seen: list[str] = []
    conn.set_trace_callback(seen.append)
    try:
        call()
    finally:
        conn.set_trace_callback(None)
    paged = [sql for sql in seen if sql.lstrip().upper().startswith("SELECT") and "LIMIT" in sql.upper()]
    return {sql: " | ".join(r[3] for r in conn.execute("EXPLAIN QUERY PLAN " + sql)) for sql in paged}


@pytest.mark.parametrize("name,call,index", [
    ("contacts", lambda c: contacts.page(c, contacts.Query(), limit=25), "ix_contacts_sort_name"),
    ("contacts, one lifecycle", lambda c: contacts.page(c, contacts.Query(lifecycle="lead"), limit=25),
     "ix_contacts_sort_name"),
    ("companies", lambda c: companies.page(c, limit=25), "ix_companies_sort_name"),
])
def test_a_grids_default_page_walks_the_name_index(seeded_conn, name, call, index):
    reads = _reads(seeded_conn, lambda: call(seeded_conn))
    first = next(plan for sql, plan in reads.items() if "ORDER BY" in sql and " WHERE " in sql)
    assert index in first, f"{name}: {first}"
    assert "TEMP B-TREE" not in first, f"{name}: the whole table is sorted for one page: {first}"

