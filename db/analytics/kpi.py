"""The KPI cards, computed in SQL. Formulas are in docs/kpi.md and in each card's help.

Customer-side filters (owner, channel, campaign, segment) apply to the customer (contact) a row belongs
to. Sales KPIs look at sales pipelines unless a pipeline is chosen. "No data" is None, never 0.
Whole-month periods read the trigger-kept rollups (db/analytics/rollups.py, db/analytics/deal_cube.py, db/analytics/profit_rollup.py);
other periods read the rows.
"""

from __future__ import annotations

import sqlite3
from datetime import date, timedelta

from db.analytics.profit_rollup import period_clause
from db.analytics.rollups import WHEN
from db.core.connection import one
from db.core.filters import Filters, _add_months

ACT_WHEN = WHEN.format(a="a")


def change_token(conn: sqlite3.Connection) -> tuple:
    """Cheap fingerprint of the data behind the dashboard: every write through db/ adds an audit row,
    and inserts grow the tables' max ids. Equal tokens mean nothing to recompute."""
    return tuple(conn.execute(
        "SELECT (SELECT MAX(id) FROM audit_log), (SELECT MAX(id) FROM feedback), (SELECT MAX(id) FROM activities), "
        "(SELECT MAX(id) FROM deals), (SELECT MAX(id) FROM contacts), (SELECT MAX(id) FROM campaigns)").fetchone())


def pct(part: float | None, whole: float | None) -> float | None:
    return None if not whole else (part or 0) / whole


def whole_months(f: Filters) -> bool:
    return f.start.day == 1 and f.end.day == 1


def dims_where(f: Filters, alias: str = "") -> tuple[str, list]:
    """`` AND ...`` for the customer filters on a rollup's copied owner_id, channel, campaign_id, segment."""
    where, params = "", []
    for column, value in (("owner_id", f.owner_id), ("channel", f.channel or None), ("campaign_id", f.campaign_id),
                          ("segment", f.segment)):
        if value is not None:
            where += f" AND {alias}{column} = ?"
            params.append(value)
    return where, params


def cube_where(f: Filters) -> tuple[str, list]:
    """WHERE for ``kpi_cube`` or ``deal_cube`` rows of the period's months and the customer filters."""
    where, params = dims_where(f)
    return " WHERE month >= ? AND month < ?" + where, [f.start.strftime("%Y-%m"), f.end.strftime("%Y-%m"), *params]


def join_contacts(where: str, alias: str) -> str:
    """Join the customer only when a customer filter needs it (the join is most of the cost)."""
    return f"JOIN contacts c ON c.id = {alias}.contact_id AND c.deleted_at IS NULL " if where else ""


# --- satisfaction ---------------------------------------------------------------------------------

def satisfaction(conn: sqlite3.Connection, f: Filters) -> dict:
    """CSAT = share of CSAT answers scoring 4-5; NPS = % promoters (9-10) - % detractors (0-6), in points."""
    if whole_months(f):
        where, params = cube_where(f)
        r = one(conn, "SELECT SUM(csat_n) AS csat_n, SUM(csat_happy) AS happy, SUM(nps_n) AS nps_n, "
                      "SUM(promoters) AS promoters, SUM(detractors) AS detractors FROM kpi_cube" + where, params)
    else:
        where, params = f.contact_clause()
        r = one(conn,
                "SELECT SUM(fb.kind = 'csat') AS csat_n, SUM(fb.kind = 'csat' AND fb.score >= 4) AS happy, "
                "SUM(fb.kind = 'nps') AS nps_n, SUM(fb.kind = 'nps' AND fb.score >= 9) AS promoters, "
                "SUM(fb.kind = 'nps' AND fb.score <= 6) AS detractors FROM feedback fb "
                "JOIN contacts c ON c.id = fb.contact_id AND c.deleted_at IS NULL WHERE fb.kind IN ('csat', 'nps') "
                "AND fb.deleted_at IS NULL AND fb.responded_at >= ? AND fb.responded_at < ?" + where,
                [*f.bounds, *params])
    nps = None
    if r["nps_n"]:
        nps = 100.0 * ((r["promoters"] or 0) - (r["detractors"] or 0)) / r["nps_n"]
    return {"csat": pct(r["happy"], r["csat_n"]), "csat_n": r["csat_n"] or 0, "nps": nps, "nps_n": r["nps_n"] or 0}


# --- sales ----------------------------------------------------------------------------------------

def sales(conn: sqlite3.Connection, f: Filters) -> dict:
    """Revenue and gross margin of deals won in the period; win rate and sales cycle of deals closed in it."""
    pwhere, pparams = f.pipeline_clause()
    if whole_months(f):
        where, params = cube_where(f)
        r = one(conn, "SELECT SUM(won) AS won, SUM(lost) AS lost, SUM(revenue) AS revenue, SUM(margin) AS margin, "
                      "SUM(cycle) / SUM(cycle_n) AS cycle FROM deal_cube d" + where + pwhere, [*params, *pparams])
    else:
        where, params = f.contact_clause()
        r = one(conn,
                "SELECT SUM(s.kind = 'won') AS won, SUM(s.kind = 'lost') AS lost, "
                "SUM(CASE WHEN s.kind = 'won' THEN d.amount END) AS revenue, "
                "SUM(CASE WHEN s.kind = 'won' THEN d.amount - d.cost END) AS margin, "
                "AVG(CASE WHEN s.kind = 'won' THEN julianday(d.closed_at) - julianday(d.created_at) END) AS cycle "
                "FROM deals d JOIN stages s ON s.id = d.stage_id " + join_contacts(where, "d") +
                "WHERE d.deleted_at IS NULL AND s.kind IN ('won', 'lost') AND d.closed_at >= ? AND d.closed_at < ?"
                + pwhere + where, [*f.bounds, *pparams, *params])
    won, lost = r["won"] or 0, r["lost"] or 0
    return {"won": won, "lost": lost, "revenue": r["revenue"] if won else None,
            "margin": r["margin"] if won else None, "win_rate": pct(won, won + lost), "cycle_days": r["cycle"]}


def weighted_pipeline(conn: sqlite3.Connection, f: Filters) -> dict:
    """Open deals now: count, value, and sum(amount x stage probability)."""
    where, params = f.contact_clause()
    pwhere, pparams = f.pipeline_clause()
    r = one(conn, "SELECT COUNT(*) AS n, SUM(d.amount) AS value, SUM(d.amount * s.probability) AS weighted "
                  "FROM stages s JOIN deals d ON d.stage_id = s.id " + join_contacts(where, "d") +
                  "WHERE d.deleted_at IS NULL AND s.kind = 'open'" + pwhere + where, [*pparams, *params])
    return {"open": r["n"] or 0, "value": r["value"] or 0.0, "weighted": r["weighted"] or 0.0}


# --- costs ----------------------------------------------------------------------------------------

SERVED = (f"a.done = 1 AND a.deleted_at IS NULL AND c.deleted_at IS NULL AND c.acquired_at IS NOT NULL "
          f"AND {ACT_WHEN} >= c.acquired_at")


def cost_to_serve(conn: sqlite3.Connection, f: Filters) -> float:
    """Done activities in the period on customers, at or after their first win: duration x hourly cost."""
    if whole_months(f):
        where, params = cube_where(f)
        return conn.execute("SELECT SUM(cost) FROM kpi_cube" + where, params).fetchone()[0] or 0.0
    where, params = f.contact_clause()
    return conn.execute(f"SELECT SUM(a.cost) FROM activities a JOIN contacts c ON c.id = a.contact_id "
                        f"WHERE {ACT_WHEN} >= ? AND {ACT_WHEN} < ? AND {SERVED}" + where,
                        [*f.bounds, *params]).fetchone()[0] or 0.0


def campaigns(conn: sqlite3.Connection) -> list[tuple]:
    """(id, channel, first day, last day, spend) of every live campaign with a start date (a small table)."""
    return [(r[0], r[1], date.fromisoformat(r[2][:10]), date.fromisoformat((r[3] or r[2])[:10]), r[4] or 0.0)
            for r in conn.execute("SELECT id, channel, starts_on, ends_on, spend FROM campaigns "
                                  "WHERE deleted_at IS NULL AND starts_on IS NOT NULL")]


def spend_between(rows: list[tuple], start: date, end: date, channel: str | None = None,
                  campaign_id: int | None = None) -> float:
    """Spend falling in [start, end): each campaign's spend spread evenly over its days (pure)."""
    total = 0.0
    for cid, ch, first, last, money in rows:
        if (channel and ch != channel) or (campaign_id is not None and cid != campaign_id) or last < first:
            continue
        days = (min(last, end - timedelta(days=1)) - max(first, start)).days + 1
        if days > 0:
            total += money * days / ((last - first).days + 1)
    return total


def spend(conn: sqlite3.Connection, f: Filters) -> float:
    """Campaign spend falling in the period, counted once per campaign."""
    return spend_between(campaigns(conn), f.start, f.end, f.channel, f.campaign_id)


def acquisition(conn: sqlite3.Connection, f: Filters, *, full: bool = True) -> dict:
    """New customers (first win in the period), CAC = spend / new customers, and the fully loaded CAC that
    adds the done activities on those customers before their first win (their pre-sale cost)."""
    where, params = f.contact_clause()
    new = one(conn, "SELECT COUNT(*) AS n FROM contacts c WHERE c.deleted_at IS NULL AND c.acquired_at >= ? "
                    "AND c.acquired_at < ?" + where, [*f.bounds, *params])["n"]  # a covering index range
    pre = 0.0
    if full and new and whole_months(f):
        rollup_where, rollup_params = _new_where(f)
        pre = conn.execute("SELECT SUM(presale) FROM customer_months m" + rollup_where,
                           rollup_params).fetchone()[0] or 0.0
    elif full and new:
        pre = conn.execute(
            f"SELECT SUM(a.cost) FROM contacts c JOIN activities a ON a.contact_id = c.id WHERE c.deleted_at "
            f"IS NULL AND c.acquired_at >= ? AND c.acquired_at < ? AND a.done = 1 AND a.deleted_at IS NULL "
            f"AND {ACT_WHEN} < c.acquired_at" + where, [*f.bounds, *params]).fetchone()[0] or 0.0
    money = spend(conn, f)
    return {"new_customers": new, "spend": money, "cac": money / new if new else None,
            "cac_full": (money + pre) / new if new and full else None, "pre_sale_cost": pre}


def _new_where(f: Filters) -> tuple[str, list]:
    """WHERE for the ``customer_months`` rows (pipeline 0) that hold a whole-month period's first wins and
    pre-sale cost, with the customer filters."""
    period, params = period_clause(f)
    where, dims = dims_where(f, "m.")
    return f" WHERE {period} AND m.pipeline_id = 0" + where, [*params, *dims]


# each campaign's spend per customer it ever won: the CAC a customer it won carries (a small table)
PER_WIN = ("SELECT cp.id, cp.spend * 1.0 / COUNT(*) AS per FROM campaigns cp JOIN contacts k "
            "ON k.campaign_id = cp.id AND k.deleted_at IS NULL AND k.acquired_at IS NOT NULL GROUP BY cp.id")


def attributed_cac(conn: sqlite3.Connection, f: Filters) -> float:
    """Sum over customers won in the period of their campaign's spend / all customers that campaign won:
    the acquisition cost that customer profit subtracts."""
    if whole_months(f):
        where, params = _new_where(f)
        return conn.execute(f"WITH win AS ({PER_WIN}) SELECT SUM(m.new * w.per) FROM customer_months m "
                            "JOIN win w ON w.id = m.campaign_id" + where + " AND m.new > 0", params).fetchone()[0] or 0.0
    where, params = f.contact_clause()
    return conn.execute(
        "WITH n AS (SELECT c.campaign_id, COUNT(*) AS new FROM contacts c WHERE c.deleted_at IS NULL "
        "AND c.acquired_at >= ? AND c.acquired_at < ? AND c.campaign_id IS NOT NULL" + where + " GROUP BY 1) "
        "SELECT SUM(cp.spend * n.new / (SELECT COUNT(*) FROM contacts k WHERE k.campaign_id = n.campaign_id "
        "AND k.deleted_at IS NULL AND k.acquired_at IS NOT NULL)) FROM n JOIN campaigns cp ON cp.id = n.campaign_id",
        [*f.bounds, *params]).fetchone()[0] or 0.0


def summary(conn: sqlite3.Connection, f: Filters) -> dict:
    """Every KPI card for one period. Customer profit = margin - cost to serve - attributed CAC, the sum of
    the per-customer profits (db/analytics/kpi_profit.py)."""
    out = {**satisfaction(conn, f), **sales(conn, f), **acquisition(conn, f)}
    out["cost_to_serve"] = cost_to_serve(conn, f)
    out["attributed_cac"] = attributed_cac(conn, f)
    out["weighted"] = weighted_pipeline(conn, f)["weighted"]
    if out["margin"] is None and not out["cost_to_serve"] and not out["attributed_cac"]:
        out["profit"] = None
    else:
        out["profit"] = (out["margin"] or 0) - out["cost_to_serve"] - out["attributed_cac"]
    out.update(lifetime(conn, f, sales_now=out))
    return out


def year_before(f: Filters) -> Filters:
    """The 12 months before the period end, with the same customer filters."""
    start = _add_months(f.end, -12) if f.end.day == 1 else f.end - timedelta(days=365)
    return Filters(start=start, end=f.end, owner_id=f.owner_id, pipeline_id=f.pipeline_id, channel=f.channel,
                   campaign_id=f.campaign_id, segment=f.segment)


def lifetime(conn: sqlite3.Connection, f: Filters, sales_now: dict | None = None) -> dict:
    """CLV = average yearly customer profit / yearly churn rate, over the 12 months before the period end;
    LTV:CAC = CLV / CAC of the same 12 months. ``sales_now``: the period's sales figures, reused when the
    period is those 12 months (a calendar year)."""
    year = year_before(f)
    where, params = year.contact_clause()
    base = one(conn, "SELECT SUM(c.acquired_at < ? AND (c.churned_at IS NULL OR c.churned_at >= ?)) AS at_start, "
                     "SUM(c.churned_at >= ? AND c.churned_at < ? AND c.acquired_at < ?) AS churned, "
                     "SUM(c.churned_at IS NULL OR c.churned_at >= ?) AS active FROM contacts c "
                     "WHERE c.deleted_at IS NULL AND c.acquired_at IS NOT NULL AND c.acquired_at < ?" + where,
               [year.bounds[0]] * 2 + [*year.bounds, year.bounds[0], year.bounds[0], year.bounds[1], *params])
    same = sales_now is not None and (year.start, year.end) == (f.start, f.end)
    margin = (sales_now if same else sales(conn, year))["margin"] or 0.0
    per_customer = (margin - cost_to_serve(conn, year)) / base["active"] if base["active"] else None
    churn = pct(base["churned"], base["at_start"])
    clv = per_customer / churn if per_customer is not None and churn else None
    cac = acquisition(conn, year, full=False)["cac"]
    return {"churn_rate": churn, "clv": clv, "ltv_cac": clv / cac if clv is not None and cac else None}
