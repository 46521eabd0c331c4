"""A grid page counts its matching rows once: the pager asks for the total first, the page passes it back."""

from __future__ import annotations

from db.crm import companies, contacts, deals
from tests.db.traced import statements


def _counts(conn, call) -> int:
    return sum(sql.lstrip().startswith("SELECT COUNT(*)") for sql in statements(conn, call))  # not per-row figures


def test_each_grid_page_counts_once(seeded_conn):
    c = seeded_conn
    pipeline = deals.pipelines(c)[0]["id"]
    for page in (lambda **kw: contacts.page(c, contacts.Query(), **kw),
                 lambda **kw: companies.page(c, **kw),
                 lambda **kw: deals.list_page(c, deals.BoardQuery(pipeline_id=pipeline), **kw)):
        total = page(limit=0)[1]
        assert total > 0
        assert _counts(c, lambda page=page, total=total: page(limit=10, total=total)) == 0
        rows, again = page(limit=10, total=total)
        assert again == total and len(rows) == min(10, total)
        assert _counts(c, lambda page=page: page(limit=10)) == 1  # without it, the page counts for itself
