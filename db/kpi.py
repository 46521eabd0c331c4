"""Every figure on the dashboard, computed in SQL. Formulas are in docs/kpi.md and in each chart's help.

All customer-side filters (owner, channel, campaign, segment) apply to the customer (contact) a row
belongs to. Sales KPIs look at sales pipelines unless a pipeline is chosen. "No data" is None, never 0.
"""

from __future__ import annotations

import sqlite3
from datetime import date, timedelta

from db.connection import one, rows
from db.filters import Filters, _add_months

TOP = 200  # drill-down and per-customer lists are bounded


def change_token(conn: sqlite3.Connection) -> tuple:
    """Cheap fingerprint of the data behind the dashboard: every write through db/ adds an audit row,
    and inserts grow the tables' max ids. Equal tokens mean nothing to recompute."""
    return tuple(conn.execute(
        "SELECT (SELECT MAX(id) FROM audit_log), (SELECT MAX(id) FROM feedback), (SELECT MAX(id) FROM activities), "
        "(SELECT MAX(id) FROM deals), (SELECT MAX(id) FROM contacts), (SELECT MAX(id) FROM campaigns)").fetchone())


def _join_contacts(where: str, alias: str) -> str:
    """Join the customer only when a customer filter needs it (the join is most of the cost)."""
    return f"JOIN contacts c ON c.id = {alias}.contact_id " if where else ""


def _pct(part: float | None, whole: float | None) -> float | None:
    return None if not whole else (part or 0) / whole


# --- satisfaction ---------------------------------------------------------------------------------

def satisfaction(conn: sqlite3.Connection, f: Filters) -> dict:
    """CSAT = share of CSAT answers scoring 4-5; NPS = % promoters (9-10) - % detractors (0-6), in points."""
    where, params = f.contact_clause()
    r = one(conn,
            "SELECT SUM(fb.kind = 'csat') AS csat_n, SUM(fb.kind = 'csat' AND fb.score >= 4) AS happy, "
            "SUM(fb.kind = 'nps') AS nps_n, SUM(fb.kind = 'nps' AND fb.score >= 9) AS promoters, "
            "SUM(fb.kind = 'nps' AND fb.score <= 6) AS detractors FROM feedback fb "
            + _join_contacts(where, "fb") + "WHERE fb.kind IN ('csat', 'nps') AND fb.deleted_at IS NULL "
            "AND fb.responded_at >= ? AND fb.responded_at < ?" + where, [*f.bounds, *params])
    nps = None
    if r["nps_n"]:
        nps = 100.0 * ((r["promoters"] or 0) - (r["detractors"] or 0)) / r["nps_n"]
    return {"csat": _pct(r["happy"], r["csat_n"]), "csat_n": r["csat_n"] or 0, "nps": nps, "nps_n": r["nps_n"] or 0}


def score_distribution(conn: sqlite3.Connection, f: Filters, kind: str) -> list[dict]:
    if kind not in ("csat", "nps"):
        raise ValueError(kind)
    where, params = f.contact_clause()
    return rows(conn, "SELECT fb.score, COUNT(*) AS n FROM feedback fb JOIN contacts c ON c.id = fb.contact_id "
                      "WHERE fb.kind = ? AND fb.deleted_at IS NULL AND fb.responded_at >= ? AND fb.responded_at < ?"
                + where + " GROUP BY fb.score ORDER BY fb.score", [kind, *f.bounds, *params])


# --- sales ----------------------------------------------------------------------------------------

def sales(conn: sqlite3.Connection, f: Filters) -> dict:
    """Revenue and gross margin of deals won in the period; win rate and sales cycle of deals closed in it."""
    where, params = f.contact_clause()
    pwhere, pparams = f.pipeline_clause()
    r = one(conn,
            "SELECT SUM(s.kind = 'won') AS won, SUM(s.kind = 'lost') AS lost, "
            "SUM(CASE WHEN s.kind = 'won' THEN d.amount END) AS revenue, "
            "SUM(CASE WHEN s.kind = 'won' THEN d.amount - d.cost END) AS margin, "
            "AVG(CASE WHEN s.kind = 'won' THEN julianday(d.closed_at) - julianday(d.created_at) END) AS cycle "
            "FROM deals d JOIN stages s ON s.id = d.stage_id LEFT JOIN contacts c ON c.id = d.contact_id "
            "WHERE d.deleted_at IS NULL AND s.kind IN ('won', 'lost') AND d.closed_at >= ? AND d.closed_at < ?"
            + pwhere + where, [*f.bounds, *pparams, *params])
    won, lost = r["won"] or 0, r["lost"] or 0
    return {"won": won, "lost": lost, "revenue": r["revenue"] if won else None,
            "margin": r["margin"] if won else None, "win_rate": _pct(won, won + lost), "cycle_days": r["cycle"]}


def weighted_pipeline(conn: sqlite3.Connection, f: Filters) -> dict:
    """Open deals now: count, value, and sum(amount x stage probability)."""
    where, params = f.contact_clause()
    pwhere, pparams = f.pipeline_clause()
    r = one(conn, "SELECT COUNT(*) AS n, SUM(d.amount) AS value, SUM(d.amount * s.probability) AS weighted "
                  "FROM deals d JOIN stages s ON s.id = d.stage_id LEFT JOIN contacts c ON c.id = d.contact_id "
                  "WHERE d.deleted_at IS NULL AND s.kind = 'open'" + pwhere + where, [*pparams, *params])
    return {"open": r["n"] or 0, "value": r["value"] or 0.0, "weighted": r["weighted"] or 0.0}


# --- costs ----------------------------------------------------------------------------------------

_ACT_PERIOD = ("((a.starts_at >= :s AND a.starts_at < :e) OR (a.kind = 'task' AND a.due_at >= :s AND a.due_at < :e))")


def cost_to_serve(conn: sqlite3.Connection, f: Filters) -> float:
    """Sum over done activities in the period of duration (hours) x the owner's hourly cost.

    Whole-month periods read the trigger-maintained ``cost_rollup`` (a few hundred rows instead of a
    million activities); other periods, and segment filters, sum the activities themselves.
    """
    if f.start.day == 1 and f.end.day == 1 and f.segment is None:
        where, params = ["month >= ? AND month < ?"], [f.start.strftime("%Y-%m"), f.end.strftime("%Y-%m")]
        for column, value in (("owner_id", f.owner_id), ("channel", f.channel), ("campaign_id", f.campaign_id)):
            if value is not None and value != "":
                where.append(f"{column} = ?")
                params.append(value)
        return conn.execute("SELECT SUM(cost) FROM cost_rollup WHERE " + " AND ".join(where), params
                            ).fetchone()[0] or 0.0
    where, params = f.contact_clause()
    sql = ("SELECT SUM(a.cost) FROM activities a JOIN contacts c ON c.id = a.contact_id "
           "WHERE a.done = 1 AND a.deleted_at IS NULL AND " + _ACT_PERIOD)
    sql, named = _named(sql + where, {"s": f.bounds[0], "e": f.bounds[1]}, params)
    return conn.execute(sql, named).fetchone()[0] or 0.0


def _named(sql: str, named: dict, positional: list) -> tuple[str, dict]:
    """Turn the filter's positional ``?`` into named parameters so one query can mix both."""
    for i, value in enumerate(positional):
        sql = sql.replace("?", f":p{i}", 1)
        named[f"p{i}"] = value
    return sql, named


def spend(conn: sqlite3.Connection, f: Filters) -> float:
    """Campaign spend falling in the period: each campaign's spend spread evenly over its days, counted once."""
    where, params = [], []
    if f.channel:
        where.append("channel = ?")
        params.append(f.channel)
    if f.campaign_id is not None:
        where.append("id = ?")
        params.append(f.campaign_id)
    sql = ("SELECT SUM(spend * MAX(0, julianday(MIN(COALESCE(ends_on, ?), ?)) - julianday(MAX(starts_on, ?)) + 1) "
           "/ (julianday(COALESCE(ends_on, starts_on)) - julianday(starts_on) + 1)) FROM campaigns "
           "WHERE deleted_at IS NULL AND starts_on IS NOT NULL AND starts_on < ? AND COALESCE(ends_on, starts_on) >= ?")
    last = (f.end - timedelta(days=1)).isoformat()
    args = [last, last, f.start.isoformat(), f.end.isoformat(), f.start.isoformat()]
    if where:
        sql += " AND " + " AND ".join(where)
    return conn.execute(sql, [*args, *params]).fetchone()[0] or 0.0


def acquisition(conn: sqlite3.Connection, f: Filters) -> dict:
    """New customers (first win in the period), CAC = spend / new customers, and the fully loaded CAC that
    adds the sales-activity cost spent on those customers before their first win."""
    where, params = f.contact_clause()
    new = one(conn, "SELECT COUNT(*) AS n FROM contacts c WHERE c.deleted_at IS NULL AND c.acquired_at >= ? "
                    "AND c.acquired_at < ?" + where, [*f.bounds, *params])["n"]
    pre = conn.execute(
        "SELECT SUM(a.cost) FROM contacts c JOIN activities a ON a.contact_id = c.id "
        "WHERE c.deleted_at IS NULL AND c.acquired_at >= ? AND c.acquired_at < ? "
        "AND a.deleted_at IS NULL AND a.done = 1 AND COALESCE(a.starts_at, a.due_at) <= c.acquired_at" + where,
        [*f.bounds, *params]).fetchone()[0] or 0.0
    money = spend(conn, f)
    return {"new_customers": new, "spend": money, "cac": money / new if new else None,
            "cac_full": (money + pre) / new if new else None, "pre_sale_cost": pre}


def summary(conn: sqlite3.Connection, f: Filters) -> dict:
    """Every KPI card for one period."""
    out = {**satisfaction(conn, f), **sales(conn, f), **acquisition(conn, f)}
    out["cost_to_serve"] = cost_to_serve(conn, f)
    out["weighted"] = weighted_pipeline(conn, f)["weighted"]
    if out["margin"] is None and not out["cost_to_serve"] and not out["spend"]:
        out["profit"] = None
    else:
        out["profit"] = (out["margin"] or 0) - out["cost_to_serve"] - out["spend"]
    out.update(lifetime(conn, f))
    return out


def lifetime(conn: sqlite3.Connection, f: Filters) -> dict:
    """CLV = average yearly customer profit / yearly churn rate, over the 12 months before the period end;
    LTV:CAC = CLV / CAC of the same 12 months."""
    year = Filters(start=_year_before(f).start, end=f.end, owner_id=f.owner_id, pipeline_id=f.pipeline_id, channel=f.channel, campaign_id=f.campaign_id,
                   segment=f.segment)
    where, params = year.contact_clause()
    base = one(conn, "SELECT SUM(c.acquired_at < :s AND (c.churned_at IS NULL OR c.churned_at >= :s)) AS at_start, "
                     "SUM(c.churned_at >= :s AND c.churned_at < :e AND c.acquired_at < :s) AS churned, "
                     "SUM(c.acquired_at < :e AND (c.churned_at IS NULL OR c.churned_at >= :s)) AS active "
                     "FROM contacts c WHERE c.deleted_at IS NULL AND c.acquired_at IS NOT NULL"
                     + _named(where, {}, params)[0],
                     {"s": year.bounds[0], "e": year.bounds[1], **_named(where, {}, params)[1]})
    margin = sales(conn, year)["margin"] or 0.0
    profit_per_customer = (margin - cost_to_serve(conn, year)) / base["active"] if base["active"] else None
    churn = _pct(base["churned"], base["at_start"])
    clv = profit_per_customer / churn if profit_per_customer is not None and churn else None
    cac = acquisition(conn, year)["cac"]
    return {"churn_rate": churn, "clv": clv, "ltv_cac": clv / cac if clv is not None and cac else None}


# --- per customer, per dimension ------------------------------------------------------------------

DIMENSIONS = {
    "customer": ("c.id", "COALESCE(c.first_name || ' ' || c.last_name, '')"),
    "channel": ("COALESCE(c.channel, '—')", "COALESCE(c.channel, '—')"),
    "campaign": ("COALESCE(c.campaign_id, 0)", "COALESCE(cp.name, '—')"),
    "segment": ("COALESCE(sg.abc_profit, '—')", "COALESCE(sg.abc_profit, '—')"),
    "owner": ("COALESCE(c.owner_id, 0)", "COALESCE(ow.name, '—')"),
}


def profit_by(conn: sqlite3.Connection, f: Filters, dimension: str, *, key=None, limit: int = TOP) -> list[dict]:
    """Customer profit (margin - cost to serve - CAC of the acquiring campaign, for customers acquired in
    the period) grouped by a whitelisted dimension, most profitable first. ``key`` keeps one group."""
    group, label = DIMENSIONS[dimension]
    where, params = f.contact_clause()
    pwhere, pparams = f.pipeline_clause()
    named = {"s": f.bounds[0], "e": f.bounds[1]}
    sql = (
        "WITH m AS (SELECT d.contact_id AS cid, SUM(d.amount) AS revenue, SUM(d.amount - d.cost) AS margin "
        "  FROM deals d JOIN stages s ON s.id = d.stage_id WHERE s.kind = 'won' AND d.deleted_at IS NULL "
        "  AND d.closed_at >= :s AND d.closed_at < :e" + pwhere.replace("?", ":pl") + " GROUP BY d.contact_id), "
        "t AS (SELECT a.contact_id AS cid, SUM(a.cost) AS cts FROM activities a "
        "  WHERE a.done = 1 AND a.deleted_at IS NULL AND " + _ACT_PERIOD +
        "  GROUP BY a.contact_id), "
        "k AS (SELECT campaign_id, SUM(1) AS won FROM contacts WHERE acquired_at IS NOT NULL AND campaign_id IS NOT NULL "
        "  AND deleted_at IS NULL GROUP BY campaign_id), "
        "ids AS (SELECT cid FROM m UNION SELECT cid FROM t UNION SELECT id FROM contacts "
        "  WHERE acquired_at >= :s AND acquired_at < :e) "
        f"SELECT {group} AS key, {label} AS label, COUNT(*) AS customers, SUM(COALESCE(m.revenue, 0)) AS revenue, "
        "MAX(COALESCE(c.channel, '—')) AS channel, MAX(COALESCE(c.campaign_id, 0)) AS campaign_id, "
        "MAX(COALESCE(cp.name, '—')) AS campaign, MAX(COALESCE(sg.abc_profit, '—')) AS segment, "
        "MAX(COALESCE(c.owner_id, 0)) AS owner_id, MAX(COALESCE(ow.name, '—')) AS owner, "
        "SUM(COALESCE(m.margin, 0)) AS margin, SUM(COALESCE(t.cts, 0)) AS cost_to_serve, "
        "SUM(CASE WHEN c.acquired_at >= :s AND c.acquired_at < :e AND k.won THEN cp.spend / k.won ELSE 0 END) AS cac, "
        "SUM(COALESCE(m.margin, 0) - COALESCE(t.cts, 0) - CASE WHEN c.acquired_at >= :s AND c.acquired_at < :e "
        "AND k.won THEN cp.spend / k.won ELSE 0 END) AS profit "
        "FROM ids JOIN contacts c ON c.id = ids.cid LEFT JOIN m ON m.cid = c.id LEFT JOIN t ON t.cid = c.id "
        "LEFT JOIN campaigns cp ON cp.id = c.campaign_id LEFT JOIN k ON k.campaign_id = c.campaign_id "
        "LEFT JOIN contact_segments sg ON sg.contact_id = c.id LEFT JOIN users ow ON ow.id = c.owner_id "
        "WHERE c.deleted_at IS NULL")
    if pparams:
        named["pl"] = pparams[0]
    sql, named = _named(sql + where, named, params)
    if key is not None:
        sql += f" AND {group} = :key"
        named["key"] = key
    sql += f" GROUP BY {group} ORDER BY profit DESC LIMIT :lim"
    named["lim"] = limit
    return rows(conn, sql, named)


REGROUP = {"channel": ("channel", "channel"), "campaign": ("campaign_id", "campaign"),
           "segment": ("segment", "segment"), "owner": ("owner_id", "owner")}


def regroup(customers: list[dict], dimension: str) -> list[dict]:
    """Per-customer profit rows summed by channel, campaign, segment or owner (pure): the dashboard asks the
    database once per customer instead of once per dimension."""
    key_field, label_field = REGROUP[dimension]
    groups: dict = {}
    for c in customers:
        g = groups.setdefault(c[key_field], {"key": c[key_field], "label": c[label_field], "customers": 0,
                                             "revenue": 0.0, "margin": 0.0, "cost_to_serve": 0.0, "cac": 0.0,
                                             "profit": 0.0})
        for field in ("customers", "revenue", "margin", "cost_to_serve", "cac", "profit"):
            g[field] += c[field] or 0
    return sorted(groups.values(), key=lambda g: g["profit"], reverse=True)


def customers_behind(conn: sqlite3.Connection, f: Filters, dimension: str, key) -> list[dict]:
    """The customers behind one bar of a profit chart, with their figures (bounded)."""
    if dimension == "customer":
        return profit_by(conn, f, "customer", key=key, limit=1)
    group, _ = DIMENSIONS[dimension]
    narrowed = profit_by(conn, f, "customer", limit=100_000)
    if not narrowed:
        return []
    ids = [r["key"] for r in narrowed]
    keep = {r[0] for r in conn.execute(
        f"SELECT c.id FROM contacts c LEFT JOIN contact_segments sg ON sg.contact_id = c.id "
        f"WHERE {group} = ? AND c.id IN (SELECT value FROM json_each(?))", (key, _json(ids)))}
    return [r for r in narrowed if r["key"] in keep][:TOP]


def _json(values: list) -> str:
    import json

    return json.dumps(values)


# --- over time ------------------------------------------------------------------------------------

def months_back(end: date, n: int = 12) -> list[tuple[date, date]]:
    """The n calendar months ending with the month before ``end`` (or containing end-1 day)."""
    last = (end - timedelta(days=1)).replace(day=1)
    return [(_add_months(last, -i), _add_months(last, -i + 1)) for i in range(n - 1, -1, -1)]


def monthly(conn: sqlite3.Connection, f: Filters, n: int = 12) -> list[dict]:
    """Per month of the n before the period end: CSAT %, NPS, win rate, sales cycle, new customers, CAC.
    One grouped query per measure, not one per month."""
    months = months_back(f.end, n)
    window = Filters(start=months[0][0], end=months[-1][1], owner_id=f.owner_id, pipeline_id=f.pipeline_id,
                     channel=f.channel, campaign_id=f.campaign_id, segment=f.segment)
    where, params = window.contact_clause()
    pwhere, pparams = window.pipeline_clause()
    sat = {r["m"]: r for r in rows(
        conn, "SELECT substr(fb.responded_at, 1, 7) AS m, SUM(fb.kind = 'csat') AS cn, "
              "SUM(fb.kind = 'csat' AND fb.score >= 4) AS happy, SUM(fb.kind = 'nps') AS nn, "
              "SUM(fb.kind = 'nps' AND fb.score >= 9) - SUM(fb.kind = 'nps' AND fb.score <= 6) AS net "
              "FROM feedback fb " + _join_contacts(where, "fb") + "WHERE fb.kind IN ('csat', 'nps') "
              "AND fb.deleted_at IS NULL AND fb.responded_at >= ? AND fb.responded_at < ?" + where + " GROUP BY 1",
        [*window.bounds, *params])}
    deals = {r["m"]: r for r in rows(
        conn, "SELECT substr(d.closed_at, 1, 7) AS m, SUM(s.kind = 'won') AS won, SUM(s.kind = 'lost') AS lost, "
              "AVG(CASE WHEN s.kind = 'won' THEN julianday(d.closed_at) - julianday(d.created_at) END) AS cycle "
              "FROM deals d JOIN stages s ON s.id = d.stage_id LEFT JOIN contacts c ON c.id = d.contact_id "
              "WHERE d.deleted_at IS NULL AND s.kind IN ('won', 'lost') AND d.closed_at >= ? AND d.closed_at < ?"
              + pwhere + where + " GROUP BY 1", [*window.bounds, *pparams, *params])}
    new = {r["m"]: r["n"] for r in rows(
        conn, "SELECT substr(c.acquired_at, 1, 7) AS m, COUNT(*) AS n FROM contacts c WHERE c.deleted_at IS NULL "
              "AND c.acquired_at >= ? AND c.acquired_at < ?" + where + " GROUP BY 1", [*window.bounds, *params])}
    out = []
    for start, end in months:
        key = start.strftime("%Y-%m")
        s, d = sat.get(key), deals.get(key)
        money = spend(conn, Filters(start=start, end=end, channel=f.channel, campaign_id=f.campaign_id))
        won, lost = (d["won"] or 0, d["lost"] or 0) if d else (0, 0)
        out.append({"month": key, "csat": _pct(s["happy"], s["cn"]) if s else None,
                    "nps": 100.0 * s["net"] / s["nn"] if s and s["nn"] else None,
                    "win_rate": _pct(won, won + lost), "cycle_days": d["cycle"] if d else None,
                    "new_customers": new.get(key, 0), "cac": money / new[key] if new.get(key) else None})
    return out


def cac_by_channel(conn: sqlite3.Connection, f: Filters, n: int = 12) -> list[dict]:
    """CAC per channel per month (None where a channel won no customer that month): one grouped count of
    new customers, and each month's spend per channel from the campaigns table."""
    months = months_back(f.end, n)
    channels = [r["channel"] for r in rows(conn, "SELECT DISTINCT channel FROM campaigns WHERE deleted_at IS NULL "
                                                 "ORDER BY channel")]
    won = {(r["m"], r["channel"]): r["n"] for r in rows(
        conn, "SELECT substr(acquired_at, 1, 7) AS m, channel, COUNT(*) AS n FROM contacts WHERE deleted_at IS NULL "
              "AND acquired_at >= ? AND acquired_at < ? GROUP BY 1, 2",
        (months[0][0].isoformat(), months[-1][1].isoformat()))}
    out = []
    for start, end in months:
        key = start.strftime("%Y-%m")
        for channel in channels:
            new = won.get((key, channel), 0)
            money = spend(conn, Filters(start=start, end=end, channel=channel)) if new else 0.0
            out.append({"month": key, "channel": channel, "cac": money / new if new else None, "new_customers": new})
    return out


def _year_before(f: Filters) -> Filters:
    return Filters(start=_add_months(f.end, -12) if f.end.day == 1 else f.end - timedelta(days=365), end=f.end)


def clv_by_channel(conn: sqlite3.Connection, f: Filters) -> list[dict]:
    """CLV and CAC per acquisition channel over the 12 months before the period end (same formulas as
    ``lifetime``), from a handful of grouped queries instead of a lifetime() per channel."""
    year = _year_before(f)
    s, e = year.bounds
    base = {r["channel"]: r for r in rows(
        conn, "SELECT c.channel, SUM(c.acquired_at < :s AND (c.churned_at IS NULL OR c.churned_at >= :s)) AS at_start, "
              "SUM(c.churned_at >= :s AND c.churned_at < :e AND c.acquired_at < :s) AS churned, "
              "SUM(c.acquired_at < :e AND (c.churned_at IS NULL OR c.churned_at >= :s)) AS active, "
              "SUM(c.acquired_at >= :s AND c.acquired_at < :e) AS new FROM contacts c WHERE c.deleted_at IS NULL "
              "AND c.acquired_at IS NOT NULL AND c.channel IS NOT NULL GROUP BY c.channel", {"s": s, "e": e})}
    margin = dict(conn.execute(
        "SELECT c.channel, SUM(d.amount - d.cost) FROM deals d JOIN stages st ON st.id = d.stage_id "
        "JOIN contacts c ON c.id = d.contact_id WHERE st.kind = 'won' AND d.deleted_at IS NULL AND d.closed_at >= ? "
        "AND d.closed_at < ? AND d.pipeline_id IN (SELECT id FROM pipelines WHERE kind = 'sales') GROUP BY c.channel",
        (s, e)).fetchall())
    if year.start.day == 1 and year.end.day == 1:
        cost = dict(conn.execute("SELECT channel, SUM(cost) FROM cost_rollup WHERE month >= ? AND month < ? "
                                 "GROUP BY channel", (year.start.strftime("%Y-%m"), year.end.strftime("%Y-%m"))))
    else:
        cost = dict(conn.execute("SELECT c.channel, SUM(a.cost) FROM activities a JOIN contacts c ON c.id = a.contact_id "
                                 "WHERE a.done = 1 AND a.deleted_at IS NULL AND " + _ACT_PERIOD + " GROUP BY c.channel",
                                 {"s": s, "e": e}))
    out = []
    for channel in sorted(base):
        b = base[channel]
        per_customer = ((margin.get(channel) or 0) - (cost.get(channel) or 0)) / b["active"] if b["active"] else None
        churn = _pct(b["churned"], b["at_start"])
        money = spend(conn, Filters(start=year.start, end=year.end, channel=channel))
        out.append({"channel": channel, "clv": per_customer / churn if per_customer is not None and churn else None,
                    "cac": money / b["new"] if b["new"] else None})
    return out


def funnel(conn: sqlite3.Connection, f: Filters, pipeline_id: int) -> list[dict]:
    """Of the deals that entered ``pipeline_id`` in the period, how many reached each open or won stage."""
    where, params = f.contact_clause()
    reached = rows(conn,
                   "SELECT MAX(st.position) AS top FROM deals d JOIN deal_stage_history h ON h.deal_id = d.id "
                   "JOIN stages st ON st.id = h.to_stage_id AND st.kind != 'lost' LEFT JOIN contacts c "
                   "ON c.id = d.contact_id WHERE d.pipeline_id = ? AND d.deleted_at IS NULL AND d.created_at >= ? "
                   "AND d.created_at < ?" + where + " GROUP BY d.id", [pipeline_id, *f.bounds, *params])
    total = len(reached)
    stages = rows(conn, "SELECT id, name, position FROM stages WHERE pipeline_id = ? AND kind != 'lost' "
                        "AND deleted_at IS NULL ORDER BY position", (pipeline_id,))
    return [{"stage_id": s["id"], "stage": s["name"], "deals": sum(1 for r in reached if r["top"] >= s["position"]),
             "share": _pct(sum(1 for r in reached if r["top"] >= s["position"]), total)} for s in stages]


def deals_behind(conn: sqlite3.Connection, f: Filters, pipeline_id: int, stage_id: int) -> list[dict]:
    """Deals that entered the pipeline in the period and reached ``stage_id`` (bounded)."""
    return rows(conn,
                "SELECT d.id, d.title, d.amount, d.contact_id, c.first_name || ' ' || c.last_name AS contact "
                "FROM deals d LEFT JOIN contacts c ON c.id = d.contact_id WHERE d.pipeline_id = ? "
                "AND d.deleted_at IS NULL AND d.created_at >= ? AND d.created_at < ? AND EXISTS (SELECT 1 FROM "
                "deal_stage_history h JOIN stages st ON st.id = h.to_stage_id WHERE h.deal_id = d.id AND "
                "st.kind != 'lost' AND st.position >= (SELECT position FROM stages WHERE id = ?)) "
                "ORDER BY d.amount DESC LIMIT ?", (pipeline_id, *f.bounds, stage_id, TOP))


def respondents(conn: sqlite3.Connection, f: Filters, kind: str, month: str) -> list[dict]:
    """Who answered in one month of the satisfaction chart (bounded)."""
    start = date.fromisoformat(month + "-01")
    where, params = f.contact_clause()
    return rows(conn, "SELECT c.id AS contact_id, c.first_name || ' ' || c.last_name AS customer, fb.score, "
                      "fb.comment, fb.responded_at FROM feedback fb JOIN contacts c ON c.id = fb.contact_id "
                      "WHERE fb.kind = ? AND fb.deleted_at IS NULL AND fb.responded_at >= ? AND fb.responded_at < ?"
                + where + " ORDER BY fb.score, fb.responded_at LIMIT ?",
                [kind, start.isoformat(), _add_months(start, 1).isoformat(), *params, TOP])


def cohorts(conn: sqlite3.Connection, f: Filters, n: int = 12) -> list[dict]:
    """Customers acquired per month and how many had not churned k months later."""
    where, params = f.contact_clause()
    months = months_back(f.end, n)
    out = []
    for start, end in months:
        r = rows(conn, "SELECT c.churned_at FROM contacts c WHERE c.deleted_at IS NULL AND c.acquired_at >= ? "
                       "AND c.acquired_at < ?" + where, [start.isoformat(), end.isoformat(), *params])
        size = len(r)
        for k in range(n):
            at = _add_months(start, k + 1)
            if at > _add_months(months[-1][1], 0):
                break
            stayed = sum(1 for x in r if not x["churned_at"] or x["churned_at"] >= at.isoformat())
            out.append({"cohort": start.strftime("%Y-%m"), "age": k + 1, "size": size,
                        "retention": _pct(stayed, size)})
    return out
