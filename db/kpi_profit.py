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
# dimension -> (field holding the group key, the filter that narrows to one key)
DIMENSIONS = {"channel": ("channel", "channel"), "campaign": ("campaign_id", "campaign_id"),
              "segment": ("segment", "segment"), "owner": ("owner_id", "owner_id")}
NONE = "—"


def _costs(f: Filters) -> tuple[str, list]:
    """Per-customer cost to serve in the period: the monthly rollup, or the rows for a custom period."""
    if whole_months(f):
        return ("SELECT contact_id AS cid, SUM(cost) AS cts FROM serve_costs WHERE month >= ? AND month < ? "
                "GROUP BY contact_id", [f.start.strftime("%Y-%m"), f.end.strftime("%Y-%m")])
    return (f"SELECT a.contact_id AS cid, SUM(a.cost) AS cts FROM activities a JOIN contacts c ON c.id = a.contact_id "
            f"WHERE {ACT_WHEN} >= ? AND {ACT_WHEN} < ? AND {SERVED} GROUP BY a.contact_id", f.bounds)


# one customer's figures, kept as a tuple while thousands are merged and summed (dicts only for shown rows)
FIELDS = ("profit", "key", "owner_id", "channel", "campaign_id", "segment", "acquired_at", "revenue", "margin",
          "cost_to_serve", "cac")
_KEY = {"owner_id": 2, "channel": 3, "campaign_id": 4, "segment": 5}


def _rows(conn: sqlite3.Connection, f: Filters) -> list[tuple]:
    """Every customer with revenue, cost or a first win in the period, most profitable first (see ``FIELDS``).

    Three small grouped reads (won deals, served cost, new customers) merged here, then one read of the
    customers they name from a narrow index; the customer filters apply to that last read."""
    pwhere, pparams = f.pipeline_clause()
    margin = {r[0]: (r[1], r[2]) for r in conn.execute(
        "SELECT d.contact_id, SUM(d.amount), SUM(d.amount - d.cost) FROM deals d JOIN stages s ON s.id = d.stage_id "
        "WHERE s.kind = 'won' AND d.deleted_at IS NULL AND d.contact_id IS NOT NULL AND d.closed_at >= ? "
        "AND d.closed_at < ?" + pwhere + " GROUP BY d.contact_id", [*f.bounds, *pparams])}
    costs, cparams = _costs(f)
    served = dict(conn.execute(costs, cparams).fetchall())
    new = dict(conn.execute("SELECT id, campaign_id FROM contacts WHERE deleted_at IS NULL AND acquired_at >= ? "
                            "AND acquired_at < ?", f.bounds).fetchall())
    per_win = dict(conn.execute(  # a campaign's spend over every customer it ever won
        "SELECT cp.id, cp.spend * 1.0 / COUNT(*) FROM json_each(?) j JOIN campaigns cp ON cp.id = j.value "
        "JOIN contacts k ON k.campaign_id = cp.id AND k.deleted_at IS NULL AND k.acquired_at IS NOT NULL "
        "GROUP BY cp.id", (json.dumps(sorted({c for c in new.values() if c is not None})),)).fetchall())
    ids = set(margin) | set(served) | set(new)
    if not ids:
        return []
    where, params = f.contact_clause()
    out = []
    none = (0.0, 0.0)
    for cid, owner, channel, campaign, segment, acquired in conn.execute(
            "SELECT c.id, COALESCE(c.owner_id, 0), COALESCE(NULLIF(c.channel, ''), ?), COALESCE(c.campaign_id, 0), "
            "COALESCE(NULLIF(c.profit_segment, ''), ?), c.acquired_at FROM json_each(?) j CROSS JOIN contacts c "
            "INDEXED BY ix_contacts_kpi_dims ON c.id = j.value WHERE c.deleted_at IS NULL" + where,
            [NONE, NONE, json.dumps(sorted(ids)), *params]):
        revenue, gross = margin.get(cid, none)
        cts = served.get(cid) or 0.0
        cac = (per_win.get(campaign) or 0.0) if cid in new else 0.0
        out.append((gross - cts - cac, cid, owner, channel, campaign, segment, acquired, revenue, gross, cts, cac))
    out.sort(reverse=True)
    return out


def _names(conn: sqlite3.Connection) -> tuple[dict, dict]:
    """Owner and campaign names by id (small tables; soft-deleted ones too, history has them)."""
    return (dict(conn.execute("SELECT id, name FROM users").fetchall()),
            dict(conn.execute("SELECT id, name FROM campaigns").fetchall()))


def _labelled(rows: list[tuple], owners: dict, names: dict) -> list[dict]:
    """Rows as dicts with owner and campaign names (``label``, the customer's name, is filled by with_names)."""
    out = []
    for row in rows:
        r = dict(zip(FIELDS, row, strict=True))
        r.update(label=None, customers=1, owner=owners.get(r["owner_id"], NONE),
                 campaign=names.get(r["campaign_id"], NONE))
        out.append(r)
    return out


def customer_profits(conn: sqlite3.Connection, f: Filters) -> list[dict]:
    """Every customer with revenue, cost or a first win in the period, most profitable first."""
    return _labelled(_rows(conn, f), *_names(conn))


def summary(conn: sqlite3.Connection, f: Filters, top: int = 10) -> dict:
    """What the dashboard shows of the per-customer profits: how many customers, the ``top`` most
    profitable (profit above zero) and the ``top`` worst loss-making ones (named), and the sums per dimension."""
    rows, names = _rows(conn, f), _names(conn)
    losses = [r for r in rows[::-1][:top] if r[0] < 0]
    best = [r for r in rows[:top] if r[0] > 0]
    return {"customers": len(rows), "top": with_names(conn, _labelled(best, *names)),
            "losses": with_names(conn, _labelled(losses, *names)), "groups": _regroup(rows, *names)}


def _regroup(rows: list[tuple], owners: dict, names: dict) -> dict[str, list[dict]]:
    """Rows summed per combination of the four dimensions in one pass, then per dimension."""
    combos: dict[tuple, list] = {}
    for r in rows:
        key = (r[2], r[3], r[4], r[5])
        acc = combos.get(key)
        if acc is None:
            combos[key] = [1, r[7], r[8], r[9], r[10], r[0]]
        else:
            acc[0] += 1
            acc[1] += r[7]
            acc[2] += r[8]
            acc[3] += r[9]
            acc[4] += r[10]
            acc[5] += r[0]
    labels = {"owner_id": lambda k: owners.get(k, NONE), "campaign_id": lambda k: names.get(k, NONE)}
    out = {}
    for dimension, (key_field, _) in DIMENSIONS.items():
        at = _KEY[key_field] - 2  # the combination key starts at the owner's field
        label = labels.get(key_field, lambda k: k)
        groups: dict = {}
        for key, sums in combos.items():
            g = groups.get(key[at])
            if g is None:
                g = groups[key[at]] = {"key": key[at], "label": label(key[at]), **dict.fromkeys(MEASURES, 0.0)}
            for field, value in zip(MEASURES, sums, strict=True):
                g[field] += value
        out[dimension] = sorted(groups.values(), key=lambda g: g["profit"], reverse=True)
    return out


def with_names(conn: sqlite3.Connection, customers: list[dict]) -> list[dict]:
    """Fill in the customers' names, for the few rows a page shows (the figures are computed without them)."""
    names = dict(conn.execute("SELECT c.id, TRIM(c.first_name || ' ' || c.last_name) FROM json_each(?) j "
                              "JOIN contacts c ON c.id = j.value", (json.dumps([r["key"] for r in customers]),)))
    return [{**r, "label": names.get(r["key"], NONE)} for r in customers]


def profit_by(conn: sqlite3.Connection, f: Filters, dimension: str) -> list[dict]:
    """Customer profit per customer (``"customer"``) or per dimension, most profitable first."""
    if dimension == "customer":
        return with_names(conn, customer_profits(conn, f))
    return _regroup(_rows(conn, f), *_names(conn))[dimension]


def customers_behind(conn: sqlite3.Connection, f: Filters, dimension: str, key) -> list[dict]:
    """The customers behind one bar of a profit chart (bounded), found by narrowing the filters to the bar."""
    if dimension == "customer":
        return with_names(conn, [r for r in customer_profits(conn, f) if r["key"] == key])
    key_field, narrow = DIMENSIONS[dimension]
    if key not in (NONE, 0) and getattr(f, narrow) is None:
        f = replace(f, **{narrow: key})
    at = _KEY[key_field]
    mine = [r for r in _rows(conn, f) if r[at] == key][:TOP]
    return with_names(conn, _labelled(mine, *_names(conn)))
