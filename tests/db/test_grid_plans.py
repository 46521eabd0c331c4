"""The grids' first page in their default order is an index walk, never a sort of the whole table."""

from __future__ import annotations

import pytest

from db.crm import companies, contacts
from tests.db.traced import plan, statements


def _reads(conn, call) -> dict[str, str]:
    """Each paged SELECT ``call`` ran, with its query plan."""
    paged = [sql for sql in statements(conn, call) if sql.lstrip().upper().startswith("SELECT") and "LIMIT" in sql.upper()]
    return {sql: plan(conn, sql) for sql in paged}


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

