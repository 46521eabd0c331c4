"""Customer profit per customer and per channel, campaign, segment or owner, for one period.

Customer profit = gross margin of its won deals - cost to serve - its CAC (the acquiring campaign's spend /
the customers that campaign won), the CAC only in the period the customer was won. A customer is a contact
with a first win (``acquired_at``) before the period end. Whole-month periods read the trigger-kept
``customer_months`` (db/analytics/profit_rollup.py); other periods read the source rows.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import replace

from db.analytics.kpi import ACT_WHEN, PER_WIN, SERVED, dims_where, whole_months
from db.analytics.profit_rollup import DEFAULT, period_clause, period_keys
from db.core.connection import tuples
from db.core.filters import Filters

TOP = 200  # drill-down lists are bounded
MEASURES = ("customers", "revenue", "margin", "cost_to_serve", "cac", "profit")
# dimension -> (field holding the group key, the filter that narrows to one key)
DIMENSIONS = {"channel": ("channel", "channel"), "campaign": ("campaign_id", "campaign_id"),
              "segment": ("segment", "segment"), "owner": ("owner_id", "owner_id")}
NONE = "—"


# one customer's figures, kept as a tuple while thousands are merged and summed (dicts only for shown rows)
FIELDS = ("profit", "key", "owner_id", "channel", "campaign_id", "segment", "revenue", "margin", "cost_to_serve",
          "cac")
_KEY = {"owner_id": 2, "channel": 3, "campaign_id": 4, "segment": 5}


def _rows(conn: sqlite3.Connection, f: Filters, sources: bool = False) -> list[tuple]:
    """Every customer with revenue, cost or a first win in the period, most profitable first (see ``FIELDS``).

    Whole months read ``customer_months`` (one row per customer and year, quarter or month, filter columns
    on the row); other periods (or ``sources``: the seed, before the rollup is built) merge grouped reads of
    the source rows."""
    found = _from_rollup(conn, f) if whole_months(f) and not sources else _from_sources(conn, f)
    per_win = dict(conn.execute(PER_WIN).fetchall()) if any(r[5] for r in found) else {}
    out = []
    for cid, owner, channel, campaign, segment, new, revenue, gross, cts in found:
        cac = (per_win.get(campaign) or 0.0) if new else 0.0
        out.append((gross - cts - cac, cid, owner, channel or NONE, campaign, segment or NONE, revenue, gross, cts,
                    cac))
    out.sort(reverse=True)
    return out


def _per_customer(f: Filters) -> tuple[str, list, bool]:
    """SELECT of (id, owner_id, channel, campaign_id, segment, new, revenue, margin, cts), one row per
    customer with anything in a whole-month period (channel and segment '' when none), and whether rows had
    to be summed. Without a pipeline filter one period key is one row per customer already (the ``DEFAULT``
    rows); otherwise rows are summed per customer ("+" keeps the planner on the period's key ranges
    instead of reading every period through the contact index)."""
    period, params = period_clause(f)
    where, dims = dims_where(f, "m.")
    head = "SELECT m.contact_id AS id, m.owner_id AS owner_id, m.channel AS channel, m.campaign_id AS campaign_id, "
    if f.pipeline_id is None and len(period_keys(f)) == 1:
        return (head + "m.segment AS segment, m.new > 0 AS new, m.revenue AS revenue, m.margin AS margin, "
                f"m.cost AS cts FROM customer_months m WHERE {period} AND m.pipeline_id = {DEFAULT}{where} "
                "AND m.won + m.served + m.new > 0", [*params, *dims], False)
    if f.pipeline_id is None:
        pipelines = f"m.pipeline_id = {DEFAULT}"
    else:
        pipelines, params = "m.pipeline_id IN (0, ?)", [*params, f.pipeline_id]
    return (head + "m.segment AS segment, SUM(m.new) > 0 AS new, SUM(m.revenue) AS revenue, SUM(m.margin) AS margin, "
            f"SUM(m.cost) AS cts FROM customer_months m WHERE {period} AND {pipelines}{where} "
            "GROUP BY +m.contact_id HAVING SUM(m.won + m.served + m.new) > 0", [*params, *dims], True)


def _named_dims(row: tuple) -> tuple:
    """A row with ``NONE`` for a missing channel (index 3) and segment (index 5), in ``FIELDS`` order."""
    return (*row[:3], row[3] or NONE, row[4], row[5] or NONE, *row[6:])


def _from_rollup(conn: sqlite3.Connection, f: Filters) -> list[tuple]:
    """(id, owner, channel, campaign, segment, new?, revenue, margin, cost to serve) per customer; channel
    and segment '' when none."""
    return tuples(conn, *_per_customer(f)[:2])


# the summary of a whole-month period in one statement: the best and worst customers, and sums per
# combination of owner, channel, campaign and segment (a few thousand rows instead of every customer);
# a customer's CAC is its campaign's spend per customer won, if it was won in the period
_PROFIT = ("{o}.margin - {o}.cts - {o}.new * COALESCE(w.per, 0) AS profit, {fields}, {o}.revenue, {o}.margin, {o}.cts, "
           "{o}.new * COALESCE(w.per, 0)")
_SUMMARY = (
    f"WITH win AS ({PER_WIN}), "
    "one AS {materialized} ({one}), "
    "per AS (SELECT " + _PROFIT.format(o="o", fields="o.id, o.owner_id, o.channel, o.campaign_id, o.segment")
    + " FROM one o LEFT JOIN win w ON w.id = o.campaign_id) "
    "SELECT * FROM (SELECT 'top', * FROM per WHERE profit > 0 ORDER BY 2 DESC, 3 DESC LIMIT ?) "
    "UNION ALL SELECT * FROM (SELECT 'loss', * FROM per WHERE profit < 0 ORDER BY 2, 3 LIMIT ?) "
    "UNION ALL SELECT 'combo', " + _PROFIT.format(o="g", fields="g.n, g.owner_id, g.channel, g.campaign_id, g.segment")
    + " FROM (SELECT owner_id, channel, campaign_id, segment, COUNT(*) AS n, SUM(revenue) AS revenue, "
    "SUM(margin) AS margin, SUM(cts) AS cts, SUM(new) AS new FROM one GROUP BY owner_id, channel, campaign_id, "
    "segment) g LEFT JOIN win w ON w.id = g.campaign_id")


def _summary_from_rollup(conn: sqlite3.Connection, f: Filters, top: int) -> tuple[list, list, dict, int]:
    """(best rows, worst rows, {combination: [customers, revenue, margin, cost, cac, profit]}, customers)."""
    one, params, grouped = _per_customer(f)
    sql = _SUMMARY.format(one=one, materialized="MATERIALIZED" if grouped else "NOT MATERIALIZED")
    best, losses, combos = [], [], {}
    for part, *row in tuples(conn, sql, [*params, top, top]):
        row = _named_dims(row)
        if part == "top":
            best.append(row)
        elif part == "loss":
            losses.append(row)
        else:
            combos[row[2:6]] = [row[1], *row[6:], row[0]]
    return best, losses, combos, sum(c[0] for c in combos.values())


def _from_sources(conn: sqlite3.Connection, f: Filters) -> list[tuple]:
    """The same as ``_from_rollup`` for any period: three grouped reads (won deals, served cost, new
    customers) merged here, then the customers they name read from a narrow index with the filters."""
    pwhere, pparams = f.pipeline_clause()
    margin = {r[0]: (r[1], r[2]) for r in conn.execute(
        "SELECT d.contact_id, SUM(d.amount), SUM(d.amount - d.cost) FROM deals d JOIN stages s ON s.id = d.stage_id "
        "WHERE s.kind = 'won' AND d.deleted_at IS NULL AND d.contact_id IS NOT NULL AND d.closed_at >= ? "
        "AND d.closed_at < ?" + pwhere + " GROUP BY d.contact_id", [*f.bounds, *pparams])}
    served = dict(conn.execute(
        f"SELECT a.contact_id, SUM(a.cost) FROM activities a JOIN contacts c ON c.id = a.contact_id "
        f"WHERE {ACT_WHEN} >= ? AND {ACT_WHEN} < ? AND {SERVED} GROUP BY a.contact_id", f.bounds).fetchall())
    new = {r[0] for r in conn.execute("SELECT id FROM contacts WHERE deleted_at IS NULL AND acquired_at >= ? "
                                      "AND acquired_at < ?", f.bounds)}
    ids = set(margin) | set(served) | new
    if not ids:
        return []
    where, params = f.contact_clause()
    none = (0.0, 0.0)
    return [(cid, owner, channel, campaign, segment, cid in new, *margin.get(cid, none), served.get(cid) or 0.0)
            for cid, owner, channel, campaign, segment in conn.execute(
                "SELECT c.id, COALESCE(c.owner_id, 0), COALESCE(c.channel, ''), COALESCE(c.campaign_id, 0), "
                "COALESCE(c.profit_segment, '') FROM json_each(?) j CROSS JOIN contacts c "
                "INDEXED BY ix_contacts_kpi_dims ON c.id = j.value WHERE c.deleted_at IS NULL" + where,
                [json.dumps(sorted(ids)), *params])]


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


def customer_profits(conn: sqlite3.Connection, f: Filters, *, sources: bool = False) -> list[dict]:
    """Every customer with revenue, cost or a first win in the period, most profitable first (``sources``:
    from the source rows, never the rollup)."""
    return _labelled(_rows(conn, f, sources), *_names(conn))


def summary(conn: sqlite3.Connection, f: Filters, top: int = 10) -> dict:
    """What the dashboard shows of the per-customer profits: how many customers, the ``top`` most
    profitable (profit above zero) and the ``top`` worst loss-making ones (named), and the sums per dimension.
    Whole months are ranked and summed in SQL over the rollup; other periods from the merged rows."""
    names = _names(conn)
    if whole_months(f):
        best, losses, combos, customers = _summary_from_rollup(conn, f, top)
    else:
        rows = _rows(conn, f)
        best, losses, combos, customers = ([r for r in rows[:top] if r[0] > 0],
                                           [r for r in rows[::-1][:top] if r[0] < 0], _combos(rows), len(rows))
    return {"customers": customers, "top": with_names(conn, _labelled(best, *names)),
            "losses": with_names(conn, _labelled(losses, *names)), "groups": _grouped(_sums(combos), *names)}


def _combos(rows: list[tuple]) -> dict[tuple, list]:
    """{(owner, channel, campaign, segment): [customers, revenue, margin, cost, cac, profit]} in one pass."""
    combos: dict[tuple, list] = {}
    for r in rows:
        key = (r[2], r[3], r[4], r[5])
        acc = combos.get(key)
        if acc is None:
            combos[key] = [1, r[6], r[7], r[8], r[9], r[0]]
        else:
            acc[0] += 1
            acc[1] += r[6]
            acc[2] += r[7]
            acc[3] += r[8]
            acc[4] += r[9]
            acc[5] += r[0]
    return combos


def _sums(combos: dict[tuple, list]) -> dict[str, list[tuple]]:
    """Per dimension: (key, customers, revenue, margin, cost, cac, profit), from the combinations' sums."""
    out = {}
    for dimension, (key_field, _) in DIMENSIONS.items():
        at = _KEY[key_field] - 2  # the combination key starts at the owner's field
        groups: dict = {}
        for key, sums in combos.items():
            g = groups.get(key[at])
            if g is None:
                groups[key[at]] = list(sums)
            else:
                for i, value in enumerate(sums):
                    g[i] += value
        out[dimension] = [(key, *sums) for key, sums in groups.items()]
    return out


def _grouped(sums: dict[str, list[tuple]], owners: dict, names: dict) -> dict[str, list[dict]]:
    """Per-dimension sums as labelled dicts, most profitable first."""
    labels = {"owner": lambda k: owners.get(k, NONE), "campaign": lambda k: names.get(k, NONE)}
    return {dimension: sorted(({"key": g[0], "label": labels.get(dimension, lambda k: k)(g[0]),
                                **dict(zip(MEASURES, g[1:], strict=True))} for g in groups),
                              key=lambda g: g["profit"], reverse=True)
            for dimension, groups in sums.items()}


def with_names(conn: sqlite3.Connection, customers: list[dict]) -> list[dict]:
    """Fill in the customers' names, for the few rows a page shows (the figures are computed without them)."""
    names = dict(conn.execute("SELECT c.id, TRIM(c.first_name || ' ' || c.last_name) FROM json_each(?) j "
                              "JOIN contacts c ON c.id = j.value", (json.dumps([r["key"] for r in customers]),)))
    return [{**r, "label": names.get(r["key"], NONE)} for r in customers]


def profit_by(conn: sqlite3.Connection, f: Filters, dimension: str) -> list[dict]:
    """Customer profit per customer (``"customer"``) or per dimension, most profitable first."""
    if dimension == "customer":
        return with_names(conn, customer_profits(conn, f))
    return _grouped(_sums(_combos(_rows(conn, f))), *_names(conn))[dimension]


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
