"""What the dashboard page shows, gathered in one place: its filter choices and every figure for a filter set."""

from __future__ import annotations

import sqlite3
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from db.analytics import kpi_profit
from db.analytics.kpi import summary
from db.analytics.kpi_series import (
    cac_by_campaign,
    cac_by_channel,
    clv_by_channel,
    cohorts,
    funnel,
    monthly,
    score_distribution,
)
from db.core.connection import pooled
from db.core.filters import Filters
from db.core.users import people


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


# the figures each part of the page shows: the cards always, a chart tab's only while it is open
PARTS = {
    "cards": ("now", "before"),
    "satisfaction": ("monthly", "csat_dist", "nps_dist"),
    "profit": ("profits",),
    "acquisition": ("cac_channel", "cac_campaign", "clv_channel"),
    "funnel": ("funnel", "monthly"),
    "cohorts": ("cohorts",),
}


def figures(path: str | Path, f: Filters, pipeline_id: int | None, parts: tuple[str, ...] = tuple(PARTS),
            workers: int = 2) -> dict:
    """The figures of the dashboard's ``parts`` (see ``PARTS``) for one filter set (the page caches them per
    change token); the funnel only for a ``pipeline_id``.

    The figures are independent reads, so they run on ``workers`` threads, each task on a pooled
    connection (db.core.connection.pooled: a new one costs ~10 ms of schema parsing): SQLite steps without
    holding the GIL, and WAL lets readers run side by side. A single read runs on the caller's thread
    (starting a thread can wait on a busy server's GIL). Per-customer rows stay here: the page gets the
    best and worst customers and the per-dimension sums."""
    def on_pooled(read, *args):
        with pooled(path) as conn:
            return read(conn, *args)

    reads = {  # the slowest first, so the two threads end together
        "profits": (kpi_profit.summary, f), "now": (summary, f), "before": (summary, f.previous()),
        "monthly": (monthly, f), "clv_channel": (clv_by_channel, f), "csat_dist": (score_distribution, f, "csat"),
        "nps_dist": (score_distribution, f, "nps"), "cac_channel": (cac_by_channel, f),
        "cac_campaign": (cac_by_campaign, f), "cohorts": (cohorts, f), "funnel": (funnel, f, pipeline_id),
    }
    wanted = {name for part in parts for name in PARTS[part]} - (set() if pipeline_id else {"funnel"})
    tasks = {name: read for name, read in reads.items() if name in wanted}
    if workers < 2 or len(tasks) < 2:
        out = {name: on_pooled(*task) for name, task in tasks.items()}
    else:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            futures = {name: pool.submit(on_pooled, *task) for name, task in tasks.items()}
            out = {name: future.result() for name, future in futures.items()}
    profits = out.pop("profits", None)
    if profits is not None:
        out.update(top_customers=profits["top"], loss_customers=profits["losses"], customers=profits["customers"])
        for dim, groups in profits["groups"].items():
            out[f"profit_{dim}"] = groups
    return out
