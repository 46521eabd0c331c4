"""The dashboard's figure set: the same numbers whether computed on one thread or two."""

from datetime import date

from db.analytics import dashboard, kpi, kpi_profit
from db.core.connection import connect
from db.core.filters import Filters, period


def test_parallel_figures_equal_the_sequential_ones(seeded):
    f = Filters(*period("quarter", date.today()))
    conn = connect(seeded[0])
    try:
        pipeline = conn.execute("SELECT id FROM pipelines WHERE kind = 'sales' ORDER BY id").fetchone()[0]
        alone = dashboard.figures(seeded[0], f, pipeline, workers=1)
        together = dashboard.figures(seeded[0], f, pipeline, workers=2)
        assert together == alone
        assert together["now"] == kpi.summary(conn, f)
        assert together["profit_channel"] == kpi_profit.profit_by(conn, f, "channel")
        assert together["customers"] > 0 and together["funnel"]
        best, worst = [c["profit"] for c in together["top_customers"]], [c["profit"] for c in together["loss_customers"]]
        assert best and all(p > 0 for p in best) and best == sorted(best, reverse=True)
        assert worst and all(p < 0 for p in worst) and worst == sorted(worst)
        assert "funnel" not in dashboard.figures(seeded[0], f, None)
    finally:
        conn.close()


def test_each_part_reads_only_its_own_figures(seeded):
    f = Filters(*period("year", date.today()))
    conn = connect(seeded[0])
    try:
        pipeline = conn.execute("SELECT id FROM pipelines WHERE kind = 'sales' ORDER BY id").fetchone()[0]
    finally:
        conn.close()
    whole = dashboard.figures(seeded[0], f, pipeline)
    seen = set()
    for part in dashboard.PARTS:
        mine = dashboard.figures(seeded[0], f, pipeline, (part,))
        assert mine == {name: whole[name] for name in mine}, part
        seen |= set(mine)
    assert set(dashboard.figures(seeded[0], f, pipeline, ("cards",))) == {"now", "before"}
    assert set(dashboard.figures(seeded[0], f, pipeline, ("funnel",))) == {"funnel", "monthly"}
    assert "customers" in dashboard.figures(seeded[0], f, pipeline, ("profit",))
    assert seen == set(whole)  # every figure belongs to some part
