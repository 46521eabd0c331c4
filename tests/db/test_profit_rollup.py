"""The trigger-kept per-customer profit rollup always equals a rebuild from the source rows."""

import pytest

from db.analytics import profit_rollup, segments
from tests.conftest import TODAY
from tests.db.test_rollups import EDITS as COST_EDITS
from tests.db.test_rollups import check_all_edits, check_edit, rebuilt_state


def _state(conn) -> dict:
    """{(period, contact, pipeline): (dims, rounded measures)} without rows whose measures are all zero."""
    out = {}
    for r in conn.execute("SELECT * FROM customer_months"):
        measures = tuple(round(v, 6) for v in tuple(r)[7:])
        if any(measures):
            out[tuple(r)[:3]] = (tuple(r)[3:7], measures)
    return out


def _rebuilt(conn) -> dict:
    return rebuilt_state(conn, profit_rollup.rebuild, _state)


_WON_STAGE = "(SELECT s.id FROM stages s WHERE s.pipeline_id = deals.pipeline_id AND s.kind = 'won' LIMIT 1)"
EDITS = {
    **{name: sql for name, sql in COST_EDITS.items() if not name.startswith("feedback")},  # no feedback here
    "deal won": f"UPDATE deals SET stage_id = {_WON_STAGE}, closed_at = '2026-10-05 10:00:00' "
                "WHERE id % 5 = 0 AND contact_id IS NOT NULL",
    "won deal reopened": "UPDATE deals SET stage_id = (SELECT MIN(s.id) FROM stages s WHERE s.pipeline_id = "
                         "deals.pipeline_id) WHERE stage_id IN (SELECT id FROM stages WHERE kind = 'won') AND id % 2 = 0",
    "won deal repriced": "UPDATE deals SET amount = amount * 2, cost = cost + 10 "
                         "WHERE stage_id IN (SELECT id FROM stages WHERE kind = 'won')",
    "won deal moved to another month": "UPDATE deals SET closed_at = datetime(closed_at, '-45 days') "
                                       "WHERE closed_at IS NOT NULL",
    "won deal to another customer": "UPDATE deals SET contact_id = (SELECT MIN(id) FROM contacts) "
                                    "WHERE stage_id IN (SELECT id FROM stages WHERE kind = 'won') AND id % 3 = 0",
    "deal soft-deleted": "UPDATE deals SET deleted_at = datetime('now') WHERE id % 4 = 1",
    "won deal purged": "DELETE FROM deals WHERE id % 3 = 0 AND stage_id IN (SELECT id FROM stages WHERE kind = 'won')",
    "deal added won": f"INSERT INTO deals (pipeline_id, stage_id, title, contact_id, amount, cost, closed_at) "
                      f"SELECT pipeline_id, {_WON_STAGE}, 'x', contact_id, 500, 20, '2026-11-03' FROM deals "
                      "WHERE contact_id IS NOT NULL LIMIT 3",
    "won stage no longer won": "UPDATE stages SET kind = 'open' WHERE kind = 'won' AND id = (SELECT MIN(id) "
                               "FROM stages WHERE kind = 'won')",
    "lost stage made won": "UPDATE stages SET kind = 'won' WHERE id = (SELECT MIN(id) FROM stages WHERE kind = 'lost')",
    "recruiting pipeline counted as sales": "UPDATE pipelines SET kind = 'sales' WHERE kind = 'recruiting'",
    "sales pipeline no longer sales": "UPDATE pipelines SET kind = 'recruiting' WHERE id = (SELECT MIN(id) "
                                      "FROM pipelines WHERE kind = 'sales')",
    "segment letters moved": "UPDATE contacts SET profit_segment = CASE profit_segment WHEN 'A' THEN 'C' ELSE 'A' END",
    "customer added": "INSERT INTO contacts (first_name, acquired_at, channel) VALUES ('N', '2026-11-10', 'web')",
    "customer purged": "DELETE FROM contacts WHERE id IN (SELECT contact_id FROM deals WHERE stage_id IN "
                       "(SELECT id FROM stages WHERE kind = 'won') LIMIT 2)",
}


@pytest.mark.parametrize("edit", EDITS)
def test_each_edit_keeps_the_rollup_equal_to_a_rebuild(seeded_conn, edit):
    seeded_conn.execute("PRAGMA foreign_keys = OFF")  # purging rows is a test of the triggers, not of the FKs
    check_edit(seeded_conn, EDITS[edit], _state, _rebuilt)


def test_all_edits_in_a_row_and_a_segment_refresh(seeded_conn):
    seeded_conn.execute("PRAGMA foreign_keys = OFF")
    check_all_edits(seeded_conn, EDITS, _state, _rebuilt)


def test_seeded_rollup_holds_the_same_money_as_the_source_rows(seeded_conn):
    won = seeded_conn.execute(
        "SELECT SUM(d.amount), COUNT(*) FROM deals d JOIN stages s ON s.id = d.stage_id AND s.kind = 'won' "
        "JOIN contacts c ON c.id = d.contact_id AND c.deleted_at IS NULL "
        "WHERE d.deleted_at IS NULL AND d.closed_at IS NOT NULL").fetchone()
    assert won[1] > 0
    for level in ("????-[0-9][0-9]", "????-Q?", "????"):  # months, quarters and years each hold everything once
        got = seeded_conn.execute("SELECT SUM(revenue), SUM(won), SUM(cost), SUM(new) FROM customer_months "
                                  "WHERE period GLOB ? AND pipeline_id >= 0", (level,)).fetchone()
        assert got[0] == pytest.approx(won[0]) and got[1] == won[1]
        assert got[2] == pytest.approx(seeded_conn.execute("SELECT SUM(cost) FROM serve_costs").fetchone()[0])
        assert got[3] == seeded_conn.execute("SELECT COUNT(*) FROM contacts WHERE acquired_at IS NOT NULL "
                                             "AND deleted_at IS NULL").fetchone()[0]


def _filters(conn):
    from dataclasses import replace
    from datetime import date

    from db.core.filters import Filters

    owner, channel, campaign = conn.execute("SELECT owner_id, channel, campaign_id FROM contacts "
                                            "WHERE campaign_id IS NOT NULL AND acquired_at IS NOT NULL").fetchone()
    recruiting = conn.execute("SELECT id FROM pipelines WHERE kind = 'recruiting'").fetchone()[0]
    year, quarter, month = (Filters(date(2026, 1, 1), date(2027, 1, 1)), Filters(date(2026, 7, 1), date(2026, 10, 1)),
                            Filters(date(2026, 10, 1), date(2026, 11, 1)))
    two_years, two_quarters = Filters(date(2025, 1, 1), date(2027, 1, 1)), Filters(date(2026, 4, 1), date(2026, 10, 1))
    two_months = Filters(date(2026, 9, 1), date(2026, 11, 1))
    mixed = Filters(date(2025, 11, 1), date(2026, 11, 1))  # months, quarters and months again
    return [year, quarter, month, two_years, two_quarters, two_months, replace(two_months, pipeline_id=1),
            mixed, replace(mixed, channel=channel), replace(mixed, pipeline_id=1),
            replace(year, owner_id=owner), replace(quarter, channel=channel),
            replace(year, campaign_id=campaign), replace(year, segment="A"), replace(month, segment="C"),
            replace(year, pipeline_id=1), replace(quarter, pipeline_id=recruiting)]


def test_rollup_reads_give_what_the_source_rows_give(seeded_conn):
    from db.analytics import kpi_profit

    segments.refresh(seeded_conn, TODAY)
    for f in _filters(seeded_conn):
        from_rollup = sorted(kpi_profit._from_rollup(seeded_conn, f))
        from_sources = sorted(kpi_profit._from_sources(seeded_conn, f))
        assert from_rollup, f
        assert len(from_rollup) == len(from_sources), f
        for got, want in zip(from_rollup, from_sources, strict=True):
            assert got[:6] == tuple(want[:5]) + (bool(want[5]),), f
            assert got[6:] == pytest.approx(want[6:]), f


def test_period_keys_cover_a_period_with_the_fewest_keys():
    from datetime import date

    from db.analytics.profit_rollup import period_keys
    from db.core.filters import Filters

    assert period_keys(Filters(date(2025, 1, 1), date(2027, 1, 1))) == ["2025", "2026"]
    assert period_keys(Filters(date(2026, 11, 1), date(2027, 2, 1))) == ["2026-11", "2026-12", "2027-01"]
    assert period_keys(Filters(date(2026, 10, 1), date(2027, 4, 1))) == ["2026-Q4", "2027-Q1"]
    assert period_keys(Filters(date(2025, 12, 1), date(2026, 12, 1))) == [  # 12 months to a November
        "2025-12", "2026-Q1", "2026-Q2", "2026-Q3", "2026-10", "2026-11"]
    assert period_keys(Filters(date(2025, 11, 1), date(2027, 3, 1))) == [
        "2025-11", "2025-12", "2026", "2027-01", "2027-02"]


def test_summary_ranked_in_sql_equals_ranking_the_customer_rows(seeded_conn):
    from db.analytics import kpi_profit

    segments.refresh(seeded_conn, TODAY)
    for f in _filters(seeded_conn):
        got = kpi_profit.summary(seeded_conn, f, top=3)
        rows = kpi_profit.customer_profits(seeded_conn, f)
        assert got["customers"] == len(rows) > 0, f
        assert [r["key"] for r in got["top"]] == [r["key"] for r in rows[:3] if r["profit"] > 0], f
        assert [r["key"] for r in got["losses"]] == [r["key"] for r in rows[::-1][:3] if r["profit"] < 0], f
        for dimension in kpi_profit.DIMENSIONS:
            want = kpi_profit.profit_by(seeded_conn, f, dimension)
            assert [g["key"] for g in got["groups"][dimension]] == [g["key"] for g in want], (f, dimension)
            for g, w in zip(got["groups"][dimension], want, strict=True):
                assert g == {**w, **{m: pytest.approx(w[m]) for m in kpi_profit.MEASURES}}, (f, dimension)


def test_card_figures_from_the_rollup_equal_the_source_rows(seeded_conn, monkeypatch):
    from db.analytics import kpi, kpi_series

    segments.refresh(seeded_conn, TODAY)
    seeded_conn.execute("UPDATE contacts SET churned_at = '2026-09-15' WHERE acquired_at < '2026-02-01'")  # a CLV
    filters = _filters(seeded_conn)
    from_rollup = [(kpi.acquisition(seeded_conn, f), kpi.attributed_cac(seeded_conn, f),
                    kpi_series.clv_by_channel(seeded_conn, f)) for f in filters]
    for module in (kpi, kpi_series):  # the same periods, read from the source rows
        monkeypatch.setattr(module, "whole_months", lambda f: False)
    for f, (acquired, cac, clv) in zip(filters, from_rollup, strict=True):
        assert acquired == pytest.approx(kpi.acquisition(seeded_conn, f)), f
        assert cac == pytest.approx(kpi.attributed_cac(seeded_conn, f)), f
        assert clv == [{k: pytest.approx(v) if isinstance(v, float) else v for k, v in r.items()}
                       for r in kpi_series.clv_by_channel(seeded_conn, f)], f
    assert any(a["new_customers"] and a["pre_sale_cost"] for a, _, _ in from_rollup)
    assert any(r["clv"] for _, _, clv in from_rollup for r in clv)
