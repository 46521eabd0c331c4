"""The trigger-kept closed-deals rollup equals a rebuild, and the sales figures it gives equal the deals'."""

from dataclasses import replace

import pytest

from db.analytics import deal_cube, kpi, kpi_series, segments
from tests.conftest import TODAY
from tests.db.test_profit_rollup import EDITS as PROFIT_EDITS
from tests.db.test_profit_rollup import _filters
from tests.db.test_rollups import check_all_edits, check_edit, rebuilt_state


def _state(conn) -> dict:
    """{(month, pipeline, owner, channel, campaign, segment): rounded measures} without all-zero rows."""
    out = {}
    for r in conn.execute("SELECT * FROM deal_cube"):
        measures = tuple(round(v, 6) for v in tuple(r)[6:])
        if any(measures):
            out[tuple(r)[:6]] = measures
    return out


def _rebuilt(conn) -> dict:
    return rebuilt_state(conn, deal_cube.rebuild, _state)


_DEAL_EDITS = ("deal won", "won deal reopened", "won deal repriced", "won deal moved to another month",
               "won deal to another customer", "deal soft-deleted", "won deal purged", "deal added won",
               "won stage no longer won", "lost stage made won", "owner changed", "channel and campaign changed",
               "segment letters moved", "customer soft-deleted")
EDITS = {  # losing deals first: "lost stage made won" leaves a pipeline without a lost stage
    "deal lost": "UPDATE deals SET stage_id = (SELECT s.id FROM stages s WHERE s.pipeline_id = deals.pipeline_id "
                 "AND s.kind = 'lost'), closed_at = '2026-10-07 09:00:00' WHERE closed_at IS NULL AND id % 3 = 0",
    "deal lost without a customer": "INSERT INTO deals (pipeline_id, stage_id, title, amount, closed_at, created_at) "
                                    "SELECT pipeline_id, id, 'no one', 900, '2026-10-02', '2026-09-01' FROM stages "
                                    "WHERE kind = 'lost'",
    **{name: PROFIT_EDITS[name] for name in _DEAL_EDITS},
    "lost stage reopened": "UPDATE stages SET kind = 'open' WHERE kind = 'lost'",
    "deal started earlier": "UPDATE deals SET created_at = datetime(created_at, '-30 days') WHERE closed_at IS NOT NULL",
    "deal moved to another pipeline": "UPDATE deals SET pipeline_id = (SELECT MAX(id) FROM pipelines) "
                                      "WHERE closed_at IS NOT NULL AND id % 2 = 1",
    "customer restored": "UPDATE contacts SET deleted_at = NULL WHERE id IN (SELECT contact_id FROM deals "
                         "WHERE closed_at IS NOT NULL)",
}


@pytest.mark.parametrize("edit", EDITS)
def test_each_edit_keeps_the_cube_equal_to_a_rebuild(seeded_conn, edit):
    seeded_conn.execute("PRAGMA foreign_keys = OFF")  # purging rows is a test of the triggers, not of the FKs
    if edit == "customer restored":
        seeded_conn.execute("UPDATE contacts SET deleted_at = '2026-11-01' WHERE id IN (SELECT contact_id FROM deals "
                            "WHERE closed_at IS NOT NULL LIMIT 3)")
    check_edit(seeded_conn, EDITS[edit], _state, _rebuilt)


def test_all_edits_in_a_row_and_a_segment_refresh(seeded_conn):
    seeded_conn.execute("PRAGMA foreign_keys = OFF")
    check_all_edits(seeded_conn, EDITS, _state, _rebuilt)


def test_sales_from_the_cube_equal_the_deals(seeded_conn, monkeypatch):
    """Every card's sales figures, and each month of the win-rate series, as reading the deals gives them."""
    segments.refresh(seeded_conn, TODAY)
    seeded_conn.execute("UPDATE contacts SET deleted_at = '2026-11-01' WHERE id IN (SELECT contact_id FROM deals "
                        "WHERE closed_at IS NOT NULL LIMIT 2)")  # their deals count only without a customer filter
    filters = _filters(seeded_conn)
    filters += [replace(f, owner_id=None, segment="B") for f in filters[:3]]
    from_cube = [kpi.sales(seeded_conn, f) for f in filters]
    series = kpi_series.monthly(seeded_conn, filters[0])
    monkeypatch.setattr(kpi, "whole_months", lambda f: False)
    for f, got in zip(filters, from_cube, strict=True):
        want = kpi.sales(seeded_conn, f)
        assert got == {k: pytest.approx(v) if isinstance(v, float) else v for k, v in want.items()}, f
    assert any(s["won"] and s["lost"] and s["cycle_days"] for s in from_cube)
    for point in series:
        start = kpi_series.date.fromisoformat(point["month"] + "-01")
        month = replace(filters[0], start=start, end=kpi_series._add_months(start, 1))
        want = kpi.sales(seeded_conn, month)
        assert point["win_rate"] == pytest.approx(want["win_rate"]), point
        assert point["cycle_days"] == pytest.approx(want["cycle_days"]), point
    assert sum(p["win_rate"] is not None for p in series) > 3
