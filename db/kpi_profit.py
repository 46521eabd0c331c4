"""Customer profit per customer and per channel, campaign, segment or owner, for one period.

Customer profit = gross margin of its won deals - cost to serve - its CAC (the acquiring campaign's spend /
the customers that campaign won), the CAC only in the period the customer was won. A customer is a contact
with a first win (``acquired_at``) before the period end; per-customer costs come from ``serve_costs``.
"""

from __future__ import annotations

import sqlite3
from dataclasses import replace

from db.filters import Filters
from db.kpi import ACT_WHEN, SERVED, whole_months

TOP = 200  # drill-down lists are bounded
FIELDS = ("key", "label", "owner_id", "owner", "channel", "campaign_id", "campaign", "segment", "acquired_at",
          "revenue", "margin", "cost_to_serve", "cac")
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
    """Every customer with revenue, cost or a first win in the period, most profitable first."""
    where, params = f.contact_clause()
    pwhere, pparams = f.pipeline_clause()
    costs, cparams = _costs(f)
    sql = (
        "WITH m AS (SELECT d.contact_id AS cid, SUM(d.amount) AS revenue, SUM(d.amount - d.cost) AS margin "
        "  FROM deals d JOIN stages s ON s.id = d.stage_id WHERE s.kind = 'won' AND d.deleted_at IS NULL "
        "  AND d.contact_id IS NOT NULL AND d.closed_at >= ? AND d.closed_at < ?" + pwhere + " GROUP BY d.contact_id), "
        "t AS (" + costs + "), "
        "n AS (SELECT id AS cid, campaign_id FROM contacts WHERE deleted_at IS NULL AND acquired_at >= ? "
        "  AND acquired_at < ?), "
        "k AS (SELECT campaign_id, COUNT(*) AS won FROM contacts WHERE deleted_at IS NULL AND acquired_at IS NOT NULL "
        "  AND campaign_id IN (SELECT campaign_id FROM n) GROUP BY campaign_id), "
        "ids AS (SELECT cid FROM m UNION SELECT cid FROM t UNION SELECT cid FROM n) "
        "SELECT c.id, TRIM(c.first_name || ' ' || c.last_name), COALESCE(c.owner_id, 0), COALESCE(ow.name, ?), "
        "COALESCE(c.channel, ?), COALESCE(c.campaign_id, 0), COALESCE(cp.name, ?), COALESCE(sg.abc_profit, ?), "
        "c.acquired_at, COALESCE(m.revenue, 0), COALESCE(m.margin, 0), COALESCE(t.cts, 0), "
        "CASE WHEN n.cid IS NOT NULL AND k.won THEN cp.spend * 1.0 / k.won ELSE 0 END "
        "FROM ids JOIN contacts c ON c.id = ids.cid LEFT JOIN m ON m.cid = c.id LEFT JOIN t ON t.cid = c.id "
        "LEFT JOIN n ON n.cid = c.id LEFT JOIN campaigns cp ON cp.id = c.campaign_id "
        "LEFT JOIN k ON k.campaign_id = c.campaign_id LEFT JOIN contact_segments sg ON sg.contact_id = c.id "
        "LEFT JOIN users ow ON ow.id = c.owner_id WHERE c.deleted_at IS NULL" + where)
    args = [*f.bounds, *pparams, *cparams, *f.bounds, NONE, NONE, NONE, NONE, *params]
    out = []
    for r in conn.execute(sql, args):
        row = dict(zip(FIELDS, r, strict=True))
        row["customers"] = 1
        row["profit"] = row["margin"] - row["cost_to_serve"] - row["cac"]
        out.append(row)
    out.sort(key=lambda r: r["profit"], reverse=True)
    return out


def regroup(customers: list[dict], dimension: str) -> list[dict]:
    """Per-customer profit rows summed by channel, campaign, segment or owner, most profitable first (pure)."""
    key_field, label_field, _ = DIMENSIONS[dimension]
    groups: dict = {}
    for c in customers:
        g = groups.get(c[key_field])
        if g is None:
            g = groups[c[key_field]] = {"key": c[key_field], "label": c[label_field], **dict.fromkeys(MEASURES, 0.0)}
        for field in MEASURES:
            g[field] += c[field]
    return sorted(groups.values(), key=lambda g: g["profit"], reverse=True)


def profit_by(conn: sqlite3.Connection, f: Filters, dimension: str) -> list[dict]:
    """Customer profit per customer (``"customer"``) or per dimension, most profitable first."""
    customers = customer_profits(conn, f)
    return customers if dimension == "customer" else regroup(customers, dimension)


def customers_behind(conn: sqlite3.Connection, f: Filters, dimension: str, key) -> list[dict]:
    """The customers behind one bar of a profit chart (bounded), found by narrowing the filters to the bar."""
    if dimension == "customer":
        return [r for r in customer_profits(conn, f) if r["key"] == key]
    key_field, _, narrow = DIMENSIONS[dimension]
    if key not in (NONE, 0) and getattr(f, narrow) is None:
        f = replace(f, **{narrow: key})
    return [r for r in customer_profits(conn, f) if r[key_field] == key][:TOP]
