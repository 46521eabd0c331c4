"""Every dashboard query at the large scale: median milliseconds per KPI for a month, a quarter and a year.

Usage: ``.venv/bin/python -m bench.kpi [--runs 5] [--scale large] [--periods month,quarter,year]``.
Also prints the whole cold dashboard computation (every figure for one filter set, no cache) and
the cost of a timer refresh when nothing changed (the change-token query). Prints; asserts nothing.
"""

from __future__ import annotations

import argparse
import statistics
import time
from dataclasses import replace
from datetime import date

from bench.pages import database
from db.analytics import dashboard, kpi, kpi_profit, kpi_series
from db.core.connection import connect
from db.core.filters import Filters, period
from db.crm import campaigns


def median_ms(fn, runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def queries(path, conn, f: Filters) -> dict:
    """Name -> zero-argument call, one per query the dashboard runs for ``f``."""
    owner = conn.execute("SELECT owner_id FROM contacts WHERE owner_id IS NOT NULL LIMIT 1").fetchone()[0]
    sales_pipeline = conn.execute("SELECT id FROM pipelines WHERE kind = 'sales' ORDER BY id").fetchone()[0]
    return {
        "satisfaction": lambda: kpi.satisfaction(conn, f),
        "sales": lambda: kpi.sales(conn, f),
        "weighted pipeline": lambda: kpi.weighted_pipeline(conn, f),
        "cost to serve": lambda: kpi.cost_to_serve(conn, f),
        "acquisition": lambda: kpi.acquisition(conn, f),
        "lifetime (12 months)": lambda: kpi.lifetime(conn, f),
        "summary (all cards)": lambda: kpi.summary(conn, f),
        "score distribution": lambda: kpi_series.score_distribution(conn, f, "nps"),
        "monthly series (12)": lambda: kpi_series.monthly(conn, f),
        "CAC by channel (12 months)": lambda: kpi_series.cac_by_channel(conn, f),
        "CAC by campaign (12 months)": lambda: kpi_series.cac_by_campaign(conn, f),
        "CLV by channel": lambda: kpi_series.clv_by_channel(conn, f),
        "cohorts (12)": lambda: kpi_series.cohorts(conn, f),
        "profit per customer": lambda: kpi_profit.customer_profits(conn, f),
        "profit summary (top, losses, 4 dimensions)": lambda: kpi_profit.summary(conn, f),
        "funnel": lambda: kpi_series.funnel(conn, f, sales_pipeline),
        "campaign results (leads, ROI, CAC; any period)": lambda: campaigns.results(conn),
        "customers behind a channel": lambda: kpi_profit.customers_behind(conn, f, "channel", "email"),
        "summary, owner filter": lambda: kpi.summary(conn, replace(f, owner_id=owner)),
        "summary, segment filter": lambda: kpi.summary(conn, replace(f, segment="A")),
        "monthly, channel filter": lambda: kpi_series.monthly(conn, replace(f, channel="email")),
        "whole dashboard, cold (one thread)": lambda: dashboard.figures(path, f, sales_pipeline, workers=1),
        "whole dashboard, cold": lambda: dashboard.figures(path, f, sales_pipeline),
        "refresh, nothing changed": lambda: kpi.change_token(conn),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--scale", default="large")
    parser.add_argument("--periods", default="month,quarter,year")
    parser.add_argument("--only", default="", help="comma-separated substrings of query names")
    args = parser.parse_args(argv)
    path = database(args.scale)
    conn = connect(path)
    kinds = [k for k in args.periods.split(",") if k]
    filters = {k: Filters(*period(k, date.today())) for k in kinds}
    table = {k: queries(path, conn, f) for k, f in filters.items()}
    names = list(next(iter(table.values())))
    if args.only:
        names = [n for n in names if any(s in n for s in args.only.split(","))]
    print(f"\n{args.scale} scale, median of {args.runs} runs, milliseconds\n")
    print(f"{'query':<44}" + "".join(f"{k:>10}" for k in kinds))
    print("-" * (44 + 10 * len(kinds)))
    for name in names:
        print(f"{name:<44}" + "".join(f"{median_ms(table[k][name], args.runs):>10.1f}" for k in kinds), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
