"""Customer profit per customer and per channel, campaign, segment or owner, for one period.

Customer profit = gross margin of its won deals - cost to serve - its CAC (the acquiring campaign's spend /
the customers that campaign won), the CAC only in the period the customer was won. A customer is a contact
with a first win (``acquired_at``) before the period end; per-customer costs come from ``serve_costs``.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import replace

from db.filters import Filters
from db.kpi import ACT_WHEN, SERVED, whole_months

TOP = 200  # drill-down lists are bounded
MEASURES = ("customers", "revenue", "margin", "cost_to_serve", "cac", "profit")
# dimension -> (field holding the group key, field holding its label, the filter that narrows to one key)
DIMENSIONS = {"channel": ("channel", "channel", "channel"), "campaign": ("campaign_id", "campaign", "campaign_id"),
              "segment": ("segment", "segment", "segment"), "owner": ("owner_id", "owner", "owner_id")}
NONE = "—"


def _costs(f: Filters) -> tuple[str, list]:
    """Per-customer cost to serve in the period: the monthly rollup, or the rows for a custom period."""
    if whole_months(f):
        return ("SELECT contact_id AS cid, SUM(cost) AS cts FROM serve_costs WHERE month >= ? AND month < ? "
                "GROUP BY contact_id", [f.start.strftime("%Y-%m"), f.end.strftime("%Y-%m")])
    return (f"SELECT a.contact_id AS cid, SUM(a.cost) AS cts FROM activities a JOIN contacts c ON c.id = a.contact_id "
            f"WHERE {ACT_WHEN} >= ? AND {ACT_WHEN} < ? AND {SERVED} GROUP BY a.contact_id", f.bounds)


def customer_profits(conn: sqlite3.Connection, f: Filters) -> list[dict]:
    """Every customer with revenue, cost or a first win in the period, most profitable first.

    Three small grouped reads (won deals, served cost, new customers) merged here, then one read of the
    customers they name; the customer filters apply to that last read."""
    pwhere, pparams = f.pipeline_clause()
    margin = {r[0]: (r[1], r[2]) for r in conn.execute(
        "SELECT d.contact_id, SUM(d.amount), SUM(d.amount - d.cost) FROM deals d JOIN stages s ON s.id = d.stage_id "
        "WHERE s.kind = 'won' AND d.deleted_at IS NULL AND d.contact_id IS NOT NULL AND d.closed_at >= ? "
        "AND d.closed_at < ?" + pwhere + " GROUP BY d.contact_id", [*f.bounds, *pparams])}
    costs, cparams = _costs(f)
    served = dict(conn.execute(costs, cparams).fetchall())
    cac = dict(conn.execute(
        "WITH n AS (SELECT id, campaign_id FROM contacts WHERE deleted_at IS NULL AND acquired_at >= ? "
        "AND acquired_at < ?), k AS (SELECT campaign_id, COUNT(*) AS won FROM contacts WHERE deleted_at IS NULL "
        "AND acquired_at IS NOT NULL AND campaign_id IN (SELECT campaign_id FROM n) GROUP BY campaign_id) "
        "SELECT n.id, COALESCE(cp.spend * 1.0 / k.won, 0) FROM n LEFT JOIN k ON k.campaign_id = n.campaign_id "
        "LEFT JOIN campaigns cp ON cp.id = n.campaign_id", f.bounds).fetchall())
    ids = set(margin) | set(served) | set(cac)
    if not ids:
        return []
    owners = dict(conn.execute("SELECT id, name FROM users").fetchall())
    names = dict(conn.execute("SELECT id, name FROM campaigns").fetchall())
    where, params = f.contact_clause()
    out = []
    for cid, owner, channel, campaign, acquired, segment in conn.execute(
            "SELECT c.id, COALESCE(c.owner_id, 0), c.channel, COALESCE(c.campaign_id, 0), c.acquired_at, sg.abc_profit "
            "FROM json_each(?) j CROSS JOIN contacts c INDEXED BY ix_contacts_kpi_dims ON c.id = j.value "
            "LEFT JOIN contact_segments sg ON sg.contact_id = c.id WHERE c.deleted_at IS NULL" + where,
            [json.dumps(sorted(ids)), *params]):
        label = None
        revenue, gross = margin.get(cid, (0.0, 0.0))
        cts, acquisition = served.get(cid) or 0.0, cac.get(cid, 0.0)
        out.append({"key": cid, "label": label, "owner_id": owner, "owner": owners.get(owner, NONE),
                    "channel": channel or NONE, "campaign_id": campaign, "campaign": names.get(campaign, NONE),
                    "segment": segment or NONE, "acquired_at": acquired, "customers": 1, "revenue": revenue,
                    "margin": gross, "cost_to_serve": cts, "cac": acquisition, "profit": gross - cts - acquisition})
    out.sort(key=lambda r: r["profit"], reverse=True)
    return out


def with_names(conn: sqlite3.Connection, customers: list[dict]) -> list[dict]:
    """Fill in the customers' names, for the few rows a page shows (the figures are computed without them)."""
    names = dict(conn.execute("SELECT c.id, TRIM(c.first_name || ' ' || c.last_name) FROM json_each(?) j "
                              "JOIN contacts c ON c.id = j.value", (json.dumps([r["key"] for r in customers]),)))
    return [{**r, "label": names.get(r["key"], NONE)} for r in customers]


def regroup_all(customers: list[dict]) -> dict[str, list[dict]]:
    """Per-customer rows summed by every dimension at once: one pass over the customers (pure)."""
    combos: dict[tuple, list] = {}
    for c in customers:
        key = (c["channel"], c["campaign_id"], c["segment"], c["owner_id"])
        acc = combos.get(key)
        if acc is None:
            acc = combos[key] = [c, 0, 0.0, 0.0, 0.0, 0.0, 0.0]
        acc[1] += 1
        acc[2] += c["revenue"]
        acc[3] += c["margin"]
        acc[4] += c["cost_to_serve"]
        acc[5] += c["cac"]
        acc[6] += c["profit"]
    out = {}
    for dimension, (key_field, label_field, _) in DIMENSIONS.items():
        groups: dict = {}
        for first, *sums in combos.values():
            g = groups.get(first[key_field])
            if g is None:
                g = groups[first[key_field]] = {"key": first[key_field], "label": first[label_field],
                                                **dict.fromkeys(MEASURES, 0.0)}
            for field, value in zip(MEASURES, sums, strict=True):
                g[field] += value
        out[dimension] = sorted(groups.values(), key=lambda g: g["profit"], reverse=True)
    return out


def regroup(customers: list[dict], dimension: str) -> list[dict]:
    """Per-customer profit rows summed by channel, campaign, segment or owner, most profitable first (pure)."""
    return regroup_all(customers)[dimension]


def profit_by(conn: sqlite3.Connection, f: Filters, dimension: str) -> list[dict]:
    """Customer profit per customer (``"customer"``) or per dimension, most profitable first."""
    customers = customer_profits(conn, f)
    return with_names(conn, customers) if dimension == "customer" else regroup(customers, dimension)


def customers_behind(conn: sqlite3.Connection, f: Filters, dimension: str, key) -> list[dict]:
    """The customers behind one bar of a profit chart (bounded), found by narrowing the filters to the bar."""
    if dimension == "customer":
        return with_names(conn, [r for r in customer_profits(conn, f) if r["key"] == key])
    key_field, _, narrow = DIMENSIONS[dimension]
    if key not in (NONE, 0) and getattr(f, narrow) is None:
        f = replace(f, **{narrow: key})
    return with_names(conn, [r for r in customer_profits(conn, f) if r[key_field] == key][:TOP])
