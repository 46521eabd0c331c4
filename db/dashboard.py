"""What the dashboard page shows, gathered in one place: its filter choices and every figure for a filter set."""

from __future__ import annotations

import sqlite3

from db import kpi_profit
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


def figures(conn: sqlite3.Connection, f: Filters, pipeline_id: int | None) -> dict:
    """Every figure the dashboard shows for one filter set (the page caches it per change token).
    Per-customer rows stay here: the page gets the ten best and worst and the per-dimension sums."""
    profits = kpi_profit.summary(conn, f)
    out = {"now": summary(conn, f), "before": summary(conn, f.previous()), "monthly": monthly(conn, f),
           "csat_dist": score_distribution(conn, f, "csat"), "nps_dist": score_distribution(conn, f, "nps"),
           "cac_channel": cac_by_channel(conn, f), "cac_campaign": cac_by_campaign(conn, f),
           "clv_channel": clv_by_channel(conn, f), "cohorts": cohorts(conn, f),
           "top_customers": profits["top"], "loss_customers": profits["losses"], "customers": profits["customers"]}
    for dim, groups in profits["groups"].items():
        out[f"profit_{dim}"] = groups
    if pipeline_id:
        out["funnel"] = funnel(conn, f, pipeline_id)
    return out
