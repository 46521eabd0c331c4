"""Every KPI against a small fixture whose expected values are worked out by hand below.

Period under test: October 2026, [2026-10-01, 2026-11-01).
"""

from datetime import date

import pytest

from db.analytics import kpi, kpi_profit, kpi_series
from db.core.filters import Filters, period

OCT = Filters(date(2026, 10, 1), date(2026, 11, 1))
EMPTY = Filters(date(2026, 1, 1), date(2026, 2, 1))


@pytest.fixture
def world(conn):
    x = conn.execute
    x("INSERT INTO users (id, email, name, role, password_hash, hourly_cost) VALUES "
      "(1, 'a@x.io', 'Ann', 'rep', 'h', 60), (2, 'b@x.io', 'Bob', 'rep', 'h', 30)")
    # X: 31 days, 3100 -> 100/day, all in October. Y: 30 days, 3000 -> 100/day, 15 of them in October.
    x("INSERT INTO campaigns (id, name, channel, starts_on, ends_on, spend) VALUES "
      "(1, 'X', 'email', '2026-10-01', '2026-10-31', 3100), (2, 'Y', 'events', '2026-09-16', '2026-10-15', 3000)")
    x("INSERT INTO contacts (id, first_name, owner_id, channel, campaign_id, lifecycle, acquired_at, churned_at) VALUES "
      "(1, 'c1', 1, 'email', 1, 'customer', '2026-10-10 12:00:00', NULL), "
      "(2, 'c2', 2, 'events', 2, 'customer', '2026-10-20 12:00:00', NULL), "
      "(3, 'c3', 1, 'email', 1, 'customer', '2026-08-05 12:00:00', NULL), "
      "(4, 'c4', 2, 'email', NULL, 'churned', '2025-06-01 12:00:00', '2026-03-01 12:00:00'), "
      "(5, 'c5', 2, 'email', NULL, 'customer', '2025-05-01 12:00:00', NULL)")
    x("INSERT INTO pipelines (id, name, kind) VALUES (1, 'Sales', 'sales'), (2, 'Hiring', 'recruiting')")
    x("INSERT INTO stages (id, pipeline_id, name, position, probability, kind) VALUES "
      "(1, 1, 'Lead', 0, 0.1, 'open'), (2, 1, 'Proposal', 1, 0.5, 'open'), (3, 1, 'Won', 2, 1, 'won'), "
      "(4, 1, 'Lost', 3, 0, 'lost'), (5, 2, 'Hired', 0, 1, 'won')")
    x("INSERT INTO deals (id, pipeline_id, stage_id, title, contact_id, amount, cost, created_at, closed_at) VALUES "
      "(1, 1, 3, 'd1', 1, 1000, 400, '2026-09-30 12:00:00', '2026-10-10 12:00:00'), "
      "(2, 1, 3, 'd2', 2, 500, 300, '2026-10-10 12:00:00', '2026-10-20 12:00:00'), "
      "(3, 1, 4, 'd3', 3, 700, 0, '2026-10-01 12:00:00', '2026-10-25 12:00:00'), "
      "(4, 1, 2, 'd4', 3, 2000, 0, '2026-10-02 12:00:00', NULL), "
      "(5, 1, 1, 'd5', 1, 1000, 0, '2026-10-03 12:00:00', NULL), "
      "(6, 2, 5, 'hire', 5, 9999, 0, '2026-10-03 12:00:00', '2026-10-05 12:00:00')")
    x("INSERT INTO deal_stage_history (deal_id, from_stage_id, to_stage_id, moved_at) VALUES "
      "(2, NULL, 1, '2026-10-10'), (2, 1, 2, '2026-10-12'), (2, 2, 3, '2026-10-20'), "
      "(3, NULL, 1, '2026-10-01'), (3, 1, 4, '2026-10-25'), (4, NULL, 1, '2026-10-02'), (4, 1, 2, '2026-10-05'), "
      "(5, NULL, 1, '2026-10-03'), (1, NULL, 1, '2026-09-30'), (1, 1, 3, '2026-10-10')")
    x("INSERT INTO activities (kind, subject, contact_id, owner_id, starts_at, due_at, duration_min, done) VALUES "
      "('call', 'a1', 1, 1, '2026-10-05 10:00:00', NULL, 60, 1), "   # 1 h x 60 = 60 (before c1's win)
      "('call', 'a2', 1, 1, '2026-10-15 10:00:00', NULL, 30, 1), "   # 0.5 h x 60 = 30
      "('meeting', 'a3', 2, 2, '2026-10-12 10:00:00', NULL, 120, 1), "  # 2 h x 30 = 60 (before c2's win)
      "('call', 'a4', 3, 2, '2026-09-20 10:00:00', NULL, 60, 1), "   # September: outside the period
      "('task', 'a5', 3, 1, NULL, '2026-10-28 09:00:00', 30, 1), "   # 0.5 h x 60 = 30
      "('call', 'a6', 1, 1, '2026-10-29 10:00:00', NULL, 60, 0)")    # not done: no cost yet
    x("INSERT INTO feedback (contact_id, kind, score, responded_at) VALUES "
      "(1, 'csat', 5, '2026-10-11'), (2, 'csat', 3, '2026-10-21'), (3, 'csat', 4, '2026-10-02'), "
      "(1, 'nps', 10, '2026-10-11'), (2, 'nps', 6, '2026-10-21'), (3, 'nps', 9, '2026-10-02'), "
      "(3, 'nps', 8, '2026-10-03'), (3, 'csat', 1, '2026-09-30')")
    return conn


def test_satisfaction(world):
    # CSAT: 5, 3, 4 in October -> 2 of 3 score 4-5. NPS: 10, 6, 9, 8 -> (2 promoters - 1 detractor) / 4 = 25.
    s = kpi.satisfaction(world, OCT)
    assert s["csat"] == pytest.approx(2 / 3) and s["csat_n"] == 3
    assert s["nps"] == pytest.approx(25.0) and s["nps_n"] == 4


def test_sales(world):
    # Won in October: d1 1000 (cost 400), d2 500 (cost 300); lost: d3. The recruiting hire is ignored.
    s = kpi.sales(world, OCT)
    assert s["revenue"] == 1500 and s["margin"] == 600 + 200
    assert s["win_rate"] == pytest.approx(2 / 3)
    assert s["cycle_days"] == pytest.approx(10.0)  # both won deals took 10 days


def test_weighted_pipeline(world):
    # Open now: d4 2000 x 0.5 + d5 1000 x 0.1 = 1100.
    assert kpi.weighted_pipeline(world, OCT) == {"open": 2, "value": 3000, "weighted": pytest.approx(1100)}


def test_cost_to_serve_raw_and_rollup_agree(world):
    # Served in October (done, on a customer, at or after its first win): a2 30 (c1 won 10-10) + a5 30 (c3 won
    # in August). a1 and a3 came before their customers' wins: pre-sale cost, not cost to serve.
    assert kpi.cost_to_serve(world, OCT) == pytest.approx(60)  # whole month: from kpi_cube
    custom = Filters(date(2026, 10, 1), date(2026, 10, 31))  # not month-aligned: the activities themselves
    assert kpi.cost_to_serve(world, custom) == pytest.approx(60)
    assert kpi.cost_to_serve(world, Filters(OCT.start, OCT.end, owner_id=1)) == pytest.approx(60)  # c1, c3
    assert kpi.cost_to_serve(world, Filters(OCT.start, OCT.end, owner_id=2)) == 0


def test_rollup_follows_edits_and_deletes(world):
    world.execute("UPDATE activities SET duration_min = 120 WHERE subject = 'a2'")  # 2 h x 60 = 120 (was 30)
    assert kpi.cost_to_serve(world, OCT) == pytest.approx(150)
    world.execute("UPDATE activities SET done = 1 WHERE subject = 'a6'")  # c1 after its win: + 60
    assert kpi.cost_to_serve(world, OCT) == pytest.approx(210)
    world.execute("UPDATE activities SET deleted_at = '2026-11-01' WHERE subject = 'a2'")  # - 120
    world.execute("DELETE FROM activities WHERE subject = 'a5'")  # - 30
    assert kpi.cost_to_serve(world, OCT) == pytest.approx(60)
    world.execute("UPDATE contacts SET acquired_at = '2026-10-01 00:00:00' WHERE id = 2")  # a3 now after c2's win
    assert kpi.cost_to_serve(world, OCT) == pytest.approx(120)


def test_acquisition(world):
    # Spend in October: X 31 days x 100 = 3100, Y 15 days x 100 = 1500 -> 4600. New customers: c1, c2.
    a = kpi.acquisition(world, OCT)
    assert a["spend"] == pytest.approx(4600) and a["new_customers"] == 2
    assert a["cac"] == pytest.approx(2300)
    # Before their first win: a1 (60) for c1, a3 (60) for c2 -> (4600 + 120) / 2.
    assert a["cac_full"] == pytest.approx(2360)
    assert kpi.acquisition(world, Filters(OCT.start, OCT.end, channel="events"))["cac"] == pytest.approx(1500)


def test_summary_profit_and_lifetime(world):
    s = kpi.summary(world, OCT)
    # Margin 800 - cost to serve 60 - CAC of the customers won in October: c1 via X (3100 / 2 customers X won:
    # c1, c3) + c2 via Y (3000 / 1) = 4550.
    assert s["attributed_cac"] == pytest.approx(4550)
    assert s["profit"] == pytest.approx(800 - 60 - 4550)
    # 12 months [2025-11-01, 2026-11-01): customers at the start c4, c5; c4 churned -> churn 1/2.
    # Active in the window: c1..c5 = 5. Margin 800, cost to serve a2 30 + a4 (1 h x Bob's 30) 30 + a5 30 = 90
    # -> 142 per customer. CLV = 142 / 0.5 = 284. CAC: spend 3100 + 3000 = 6100 over c1, c2, c3 -> 2033.33.
    assert s["churn_rate"] == pytest.approx(0.5)
    assert s["clv"] == pytest.approx(284)
    assert s["ltv_cac"] == pytest.approx(284 / (6100 / 3))


def test_profit_by_customer_and_channel(world):
    # c1: margin 600 - cost 30 - CAC of X (3100 / 2 customers ever: c1, c3) = -980
    # c2: margin 200 - cost 0 (a3 was before its win) - CAC of Y (3000 / 1) = -2800
    # c3: margin 0 - cost 30 (won earlier: no CAC this period) = -30
    by_customer = kpi_profit.profit_by(world, OCT, "customer")
    assert [(r["key"], round(r["profit"], 2)) for r in by_customer] == [(3, -30), (1, -980), (2, -2800)]
    by_channel = {r["label"]: round(r["profit"], 2) for r in kpi_profit.profit_by(world, OCT, "channel")}
    assert by_channel == {"email": -1010, "events": -2800}
    behind = kpi_profit.customers_behind(world, OCT, "channel", "email")
    assert sorted(r["key"] for r in behind) == [1, 3]


def test_per_customer_profit_adds_up_to_the_card(world):
    for f in (OCT, Filters(date(2026, 10, 1), date(2026, 10, 31)), Filters(OCT.start, OCT.end, owner_id=1)):
        customers = kpi_profit.customer_profits(world, f)
        assert sum(c["profit"] for c in customers) == pytest.approx(kpi.summary(world, f)["profit"])


def test_profit_summary_is_the_per_customer_list_cut_down(world):
    world.execute("INSERT INTO contact_segments (contact_id, abc_profit) VALUES (1, 'A')")
    customers = kpi_profit.profit_by(world, OCT, "customer")
    short = kpi_profit.summary(world, OCT, top=2)
    assert short["customers"] == len(customers) == 3
    assert short["top"] == []  # every customer lost money in October: none is "most profitable"
    assert [c["key"] for c in short["losses"]] == [2, 1]  # the worst loss first
    assert all(c["label"] for c in short["losses"])
    for dimension in kpi_profit.DIMENSIONS:
        assert short["groups"][dimension] == kpi_profit.profit_by(world, OCT, dimension)


def test_cac_by_campaign(world):
    points = {(p["month"], p["campaign"]): p for p in kpi_series.cac_by_campaign(world, OCT)}
    # X ran in October only: 3100 spent, c1 won -> 3100. Y: October 1-15 = 1500 spent, c2 won -> 1500;
    # September 16-30 = 1500 spent, nobody won -> no value.
    assert points[("2026-10", "X")]["cac"] == pytest.approx(3100)
    assert points[("2026-10", "Y")]["cac"] == pytest.approx(1500)
    assert points[("2026-09", "Y")]["spend"] == pytest.approx(1500) and points[("2026-09", "Y")]["cac"] is None
    assert ("2026-09", "X") not in points
    assert {p["campaign"] for p in kpi_series.cac_by_campaign(world, Filters(OCT.start, OCT.end, channel="events"))} \
        == {"Y"}


def test_funnel(world):
    # Created in October in Sales: d2 (reached Won), d3 (Lead, then Lost), d4 (Proposal), d5 (Lead).
    f = {r["stage"]: (r["deals"], r["share"]) for r in kpi_series.funnel(world, OCT, 1)}
    assert f == {"Lead": (4, 1.0), "Proposal": (2, 0.5), "Won": (1, 0.25)}
    assert {d["id"] for d in kpi_series.deals_behind(world, OCT, 1, 2)} == {2, 4}


def test_empty_period_gives_no_value_not_zero(world):
    s = kpi.summary(world, EMPTY)
    for key in ("csat", "nps", "revenue", "margin", "win_rate", "cycle_days", "cac", "cac_full"):
        assert s[key] is None, key
    assert kpi_series.funnel(world, EMPTY, 1)[0]["share"] is None


def test_monthly_series_matches_single_period(world):
    series = {m["month"]: m for m in kpi_series.monthly(world, OCT)}
    assert series["2026-10"]["csat"] == pytest.approx(2 / 3)
    assert series["2026-10"]["nps"] == pytest.approx(25)
    assert series["2026-10"]["win_rate"] == pytest.approx(2 / 3)
    assert series["2026-09"]["csat"] == 0.0  # one CSAT answer (1) in September
    assert series["2026-08"]["new_customers"] == 1 and series["2026-08"]["cac"] == 0  # won with no spend
    assert series["2026-07"]["cac"] is None  # no customer won: no value


def test_filters_narrow_by_owner_and_segment(world):
    world.execute("INSERT INTO contact_segments (contact_id, abc_profit) VALUES (1, 'A'), (2, 'C')")
    assert kpi.sales(world, Filters(OCT.start, OCT.end, owner_id=2))["revenue"] == 500
    assert kpi.sales(world, Filters(OCT.start, OCT.end, segment="A"))["revenue"] == 1000
    assert kpi.satisfaction(world, Filters(OCT.start, OCT.end, segment="C"))["csat"] == 0.0


def test_change_token_moves_on_any_write(world):
    before = kpi.change_token(world)
    world.execute("INSERT INTO feedback (contact_id, kind, score, responded_at) VALUES (1, 'csat', 5, '2026-10-30')")
    assert kpi.change_token(world) != before


@pytest.mark.parametrize("kind,start,end", [
    ("month", date(2026, 11, 1), date(2026, 12, 1)), ("quarter", date(2026, 10, 1), date(2027, 1, 1)),
    ("year", date(2026, 1, 1), date(2027, 1, 1))])
def test_periods(kind, start, end):
    assert period(kind, date(2026, 11, 23)) == (start, end)
    f = Filters(start, end).previous()
    assert f.end == start and (f.end - f.start).days in (30, 31, 92, 365)


@pytest.mark.parametrize("dimension", ["channel", "campaign", "segment", "owner"])
def test_each_bar_is_the_sum_of_the_customers_behind_it(world, dimension):
    world.execute("INSERT INTO contact_segments (contact_id, abc_profit) VALUES (1, 'A'), (3, 'B')")
    for bar in kpi_profit.profit_by(world, OCT, dimension):
        behind = kpi_profit.customers_behind(world, OCT, dimension, bar["key"])
        assert len(behind) == bar["customers"]
        assert sum(c["profit"] for c in behind) == pytest.approx(bar["profit"])


def test_cac_by_channel_matches_single_month_acquisition(world):
    points = {(p["month"], p["channel"]): p for p in kpi_series.cac_by_channel(world, OCT)}
    # October: email won c1 (X spends 3100 in October) -> 3100; events won c2 (Y spends 1500) -> 1500.
    assert points[("2026-10", "email")]["cac"] == pytest.approx(3100)
    assert points[("2026-10", "events")]["cac"] == pytest.approx(1500)
    assert points[("2026-09", "events")]["cac"] is None


def test_clv_by_channel_matches_lifetime_per_channel(world):
    world.execute("UPDATE contacts SET channel = 'events' WHERE id = 4")  # give events a churned customer too
    grouped = {r["channel"]: r for r in kpi_series.clv_by_channel(world, OCT)}
    year = Filters(date(2025, 11, 1), date(2026, 11, 1))
    for channel, row in grouped.items():
        single = kpi.lifetime(world, Filters(OCT.start, OCT.end, channel=channel))
        assert row["clv"] == (pytest.approx(single["clv"]) if single["clv"] is not None else None), channel
        cac = kpi.acquisition(world, Filters(year.start, year.end, channel=channel))["cac"]
        assert row["cac"] == (pytest.approx(cac) if cac is not None else None), channel


def test_clv_by_channel_for_a_custom_period_matches_lifetime(world):
    custom = Filters(date(2026, 10, 1), date(2026, 10, 31))  # not month-aligned: the activities themselves
    grouped = {r["channel"]: r for r in kpi_series.clv_by_channel(world, custom)}
    assert grouped
    for channel, row in grouped.items():
        single = kpi.lifetime(world, Filters(custom.start, custom.end, channel=channel))
        assert row["clv"] == (pytest.approx(single["clv"]) if single["clv"] is not None else None), channel
