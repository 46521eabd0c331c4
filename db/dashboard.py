"""What the dashboard page shows, gathered in one place: its filter choices and every figure for a filter set."""

from __future__ import annotations

import sqlite3
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from db import kpi_profit
from db.connection import connect
from db.filters import Filters
from db.kpi import summary
from db.kpi_series import cac_by_campaign, cac_by_channel, clv_by_channel, cohorts, funnel, monthly, score_distribution
from db.users import people


def filter_options(conn: sqlite3.Connection) -> dict[str, list]:
    """Owners (inactive ones too: history has them), pipelines, channels and campaigns for the filter bar."""
    return {
        "owners": [{"id": i, "name": n} for i, n in people(conn, include_inactive=True).items()],
        "pipelines": [dict(r) for r in conn.execute("SELECT id, name, kind FROM pipelines WHERE deleted_at IS NULL "
                                                   "ORDER BY position, id")],
        "channels": [r[0] for r in conn.execute("SELECT DISTINCT channel FROM campaigns WHERE deleted_at IS NULL "
                                                "ORDER BY channel")],
        "campaigns": [dict(r) for r in conn.execute("SELECT id, name FROM campaigns WHERE deleted_at IS NULL "
                                                   "ORDER BY starts_on DESC")],
    }


def figures(path: str | Path, f: Filters, pipeline_id: int | None, workers: int = 2) -> dict:
    """Every figure the dashboard shows for one filter set (the page caches it per change token).

    The figures are independent reads, so they run on ``workers`` threads, each with its own connection:
    SQLite steps without holding the GIL, and WAL lets readers run side by side (two cores: the cold run
    takes ~0.6 of the time on one). Per-customer rows stay here: the page gets the best and worst
    customers and the per-dimension sums."""
    local = threading.local()
    opened: list[sqlite3.Connection] = []

    def conn() -> sqlite3.Connection:
        if not hasattr(local, "conn"):
            local.conn = connect(path, create=False)
            opened.append(local.conn)
        return local.conn

    tasks = {  # the slowest first, so the two threads end together
        "profits": lambda: kpi_profit.summary(conn(), f), "now": lambda: summary(conn(), f),
        "before": lambda: summary(conn(), f.previous()), "monthly": lambda: monthly(conn(), f),
        "clv_channel": lambda: clv_by_channel(conn(), f),
        "csat_dist": lambda: score_distribution(conn(), f, "csat"),
        "nps_dist": lambda: score_distribution(conn(), f, "nps"),
        "cac_channel": lambda: cac_by_channel(conn(), f), "cac_campaign": lambda: cac_by_campaign(conn(), f),
        "cohorts": lambda: cohorts(conn(), f),
    }
    if pipeline_id:
        tasks["funnel"] = lambda: funnel(conn(), f, pipeline_id)
    try:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            futures = {name: pool.submit(task) for name, task in tasks.items()}
            out = {name: future.result() for name, future in futures.items()}
    finally:
        for c in opened:
            c.close()
    profits = out.pop("profits")
    out.update(top_customers=profits["top"], loss_customers=profits["losses"], customers=profits["customers"])
    for dim, groups in profits["groups"].items():
        out[f"profit_{dim}"] = groups
    return out
