"""KPIs over time and per stage: monthly series, CAC by channel and campaign, CLV, cohorts, funnel,
and the rows behind a chart point. One grouped query per measure, never one per month."""

from __future__ import annotations

import sqlite3
from datetime import date, timedelta

from db.analytics.kpi import (
    ACT_WHEN,
    SERVED,
    campaigns,
    cube_where,
    join_contacts,
    pct,
    spend_between,
    whole_months,
    year_before,
)
from db.core.connection import rows
from db.core.filters import Filters, _add_months

TOP = 200


def months_back(end: date, n: int = 12) -> list[tuple[date, date]]:
    """The n calendar months ending with the month that holds the period's last day."""
    last = (end - timedelta(days=1)).replace(day=1)
    return [(_add_months(last, -i), _add_months(last, -i + 1)) for i in range(n - 1, -1, -1)]


def _window(f: Filters, months: list[tuple[date, date]]) -> Filters:
    return Filters(start=months[0][0], end=months[-1][1], owner_id=f.owner_id, pipeline_id=f.pipeline_id,
                   channel=f.channel, campaign_id=f.campaign_id, segment=f.segment)


def _new_customers(conn, window: Filters, by: str = "") -> dict:
    """New customers per month (and per ``by`` column of contacts, when given)."""
    where, params = window.contact_clause()
    extra = f", c.{by}" if by else ""
    return {(r[0], r[1]) if by else r[0]: r[-1] for r in conn.execute(
        f"SELECT substr(c.acquired_at, 1, 7){extra}, COUNT(*) FROM contacts c WHERE c.deleted_at IS NULL "
        f"AND c.acquired_at >= ? AND c.acquired_at < ?" + where + " GROUP BY 1" + (", 2" if by else ""),
        [*window.bounds, *params])}


def monthly(conn: sqlite3.Connection, f: Filters, n: int = 12) -> list[dict]:
    """Per month of the n before the period end: CSAT %, NPS, win rate, sales cycle, new customers, CAC."""
    months = months_back(f.end, n)
    window = _window(f, months)
    where, params = cube_where(window)
    sat = {r["month"]: r for r in rows(conn, "SELECT month, SUM(csat_n) AS cn, SUM(csat_happy) AS happy, "
                                             "SUM(nps_n) AS nn, SUM(promoters) - SUM(detractors) AS net FROM kpi_cube"
                                       + where + " GROUP BY month", params)}
    pwhere, pparams = window.pipeline_clause()
    deals = {r["m"]: r for r in rows(
        conn, "SELECT month AS m, SUM(won) AS won, SUM(lost) AS lost, SUM(cycle) / SUM(cycle_n) AS cycle "
              "FROM deal_cube d" + where + pwhere + " GROUP BY month", [*params, *pparams])}
    new = _new_customers(conn, window)
    spent = campaigns(conn)
    out = []
    for start, end in months:
        key = start.strftime("%Y-%m")
        s, d = sat.get(key), deals.get(key)
        won, lost = (d["won"] or 0, d["lost"] or 0) if d else (0, 0)
        money = spend_between(spent, start, end, f.channel, f.campaign_id)
        out.append({"month": key, "csat": pct(s["happy"], s["cn"]) if s else None,
                    "nps": 100.0 * s["net"] / s["nn"] if s and s["nn"] else None,
                    "win_rate": pct(won, won + lost), "cycle_days": d["cycle"] if d else None,
                    "new_customers": new.get(key, 0), "cac": money / new[key] if new.get(key) else None})
    return out


def cac_by_channel(conn: sqlite3.Connection, f: Filters, n: int = 12) -> list[dict]:
    """CAC per channel per month (None where a channel won no customer that month)."""
    months = months_back(f.end, n)
    spent = campaigns(conn)
    channels = sorted({c[1] for c in spent})
    won = _new_customers(conn, Filters(months[0][0], months[-1][1]), by="channel")
    out = []
    for start, end in months:
        key = start.strftime("%Y-%m")
        for channel in channels:
            new = won.get((key, channel), 0)
            money = spend_between(spent, start, end, channel)
            out.append({"month": key, "channel": channel, "spend": money, "new_customers": new,
                        "cac": money / new if new else None})
    return out


def cac_by_campaign(conn: sqlite3.Connection, f: Filters, n: int = 12) -> list[dict]:
    """CAC per campaign per month over the n months before the period end: the campaign's spend falling in
    the month / customers it won in the month (None where it won none); only months the campaign ran in.
    The channel and campaign filters narrow the campaigns."""
    months = months_back(f.end, n)
    names = dict(conn.execute("SELECT id, name FROM campaigns WHERE deleted_at IS NULL").fetchall())
    spent = [c for c in campaigns(conn) if (not f.channel or c[1] == f.channel)
             and (f.campaign_id is None or c[0] == f.campaign_id)]
    won = _new_customers(conn, Filters(months[0][0], months[-1][1]), by="campaign_id")
    out = []
    for cid, channel, first, last, _ in sorted(spent, key=lambda c: (c[2], c[0])):
        for start, end in months:
            if first >= end or last < start:
                continue
            key = start.strftime("%Y-%m")
            new = won.get((key, cid), 0)
            money = spend_between(spent, start, end, campaign_id=cid)
            out.append({"month": key, "campaign_id": cid, "campaign": names.get(cid, str(cid)), "channel": channel,
                        "spend": money, "new_customers": new, "cac": money / new if new else None})
    return out


def clv_by_channel(conn: sqlite3.Connection, f: Filters) -> list[dict]:
    """CLV and CAC per acquisition channel over the 12 months before the period end (the formulas of
    ``kpi.lifetime``), from grouped queries instead of a lifetime() per channel."""
    year = year_before(Filters(f.start, f.end))
    s, e = year.bounds
    base = {r["channel"]: r for r in rows(
        conn, "SELECT c.channel, SUM(c.acquired_at < :s AND (c.churned_at IS NULL OR c.churned_at >= :s)) AS at_start, "
              "SUM(c.churned_at >= :s AND c.churned_at < :e AND c.acquired_at < :s) AS churned, "
              "SUM(c.churned_at IS NULL OR c.churned_at >= :s) AS active, SUM(c.acquired_at >= :s) AS new "
              "FROM contacts c WHERE c.deleted_at IS NULL AND c.acquired_at IS NOT NULL AND c.acquired_at < :e "
              "AND c.channel IS NOT NULL GROUP BY c.channel", {"s": s, "e": e})}
    if whole_months(year):  # won deals of sales pipelines and served cost, from the monthly rollups
        where, params = cube_where(year)
        pwhere, pparams = year.pipeline_clause()
        margin = dict(conn.execute("SELECT channel, SUM(margin) FROM deal_cube d" + where + pwhere
                                   + " GROUP BY channel", [*params, *pparams]).fetchall())
        cost = dict(conn.execute("SELECT channel, SUM(cost) FROM kpi_cube" + where + " GROUP BY channel",
                                 params).fetchall())
    else:
        margin = dict(conn.execute(
            "SELECT c.channel, SUM(d.amount - d.cost) FROM deals d JOIN stages st ON st.id = d.stage_id "
            "JOIN contacts c ON c.id = d.contact_id AND c.deleted_at IS NULL WHERE st.kind = 'won' "
            "AND d.deleted_at IS NULL AND d.closed_at >= ? AND d.closed_at < ? "
            "AND d.pipeline_id IN (SELECT id FROM pipelines WHERE kind = 'sales') GROUP BY c.channel", (s, e)).fetchall())
        cost = dict(conn.execute(f"SELECT c.channel, SUM(a.cost) FROM activities a JOIN contacts c ON c.id = a.contact_id "
                                 f"WHERE {ACT_WHEN} >= ? AND {ACT_WHEN} < ? AND {SERVED} GROUP BY c.channel", (s, e)))
    spent = campaigns(conn)
    out = []
    for channel in sorted(base):
        b = base[channel]
        per_customer = ((margin.get(channel) or 0) - (cost.get(channel) or 0)) / b["active"] if b["active"] else None
        churn = pct(b["churned"], b["at_start"])
        money = spend_between(spent, year.start, year.end, channel)
        out.append({"channel": channel, "clv": per_customer / churn if per_customer is not None and churn else None,
                    "cac": money / b["new"] if b["new"] else None})
    return out


def cohorts(conn: sqlite3.Connection, f: Filters, n: int = 12) -> list[dict]:
    """Customers won per month and the share not churned k months later (one query)."""
    months = months_back(f.end, n)
    window = _window(f, months)
    where, params = window.contact_clause()
    counts: dict[str, dict] = {start.strftime("%Y-%m"): {} for start, _ in months}
    for cohort, gone, count in conn.execute("SELECT substr(c.acquired_at, 1, 7), substr(c.churned_at, 1, 7), COUNT(*) "
                                        "FROM contacts c WHERE c.deleted_at IS NULL AND c.acquired_at >= ? "
                                        "AND c.acquired_at < ?" + where + " GROUP BY 1, 2", [*window.bounds, *params]):
        counts[cohort][gone] = count  # churn month (None: still a customer) -> customers
    out = []
    for start, _ in months:
        cohort = counts[start.strftime("%Y-%m")]
        size = sum(cohort.values())
        for k in range(n):
            at = _add_months(start, k + 1)
            if at > months[-1][1]:
                break
            stayed = sum(v for gone, v in cohort.items() if gone is None or gone >= at.strftime("%Y-%m"))
            out.append({"cohort": start.strftime("%Y-%m"), "age": k + 1, "size": size, "retention": pct(stayed, size)})
    return out


def score_distribution(conn: sqlite3.Connection, f: Filters, kind: str) -> list[dict]:
    """How many CSAT (1-5) or NPS (0-10) answers gave each score in the period."""
    if kind not in ("csat", "nps"):
        raise ValueError(kind)
    where, params = f.contact_clause()
    return rows(conn, "SELECT fb.score, COUNT(*) AS n FROM feedback fb " + join_contacts(where, "fb") +
                      "WHERE fb.kind = ? AND fb.deleted_at IS NULL AND fb.responded_at >= ? AND fb.responded_at < ?"
                + where + " GROUP BY fb.score ORDER BY fb.score", [kind, *f.bounds, *params])


def funnel(conn: sqlite3.Connection, f: Filters, pipeline_id: int) -> list[dict]:
    """Of the deals that entered ``pipeline_id`` in the period, how many reached each open or won stage
    (a deal counts at every stage up to the furthest it ever reached, kept on ``deals.furthest_stage_id``)."""
    where, params = f.contact_clause()
    reached = conn.execute(
        "SELECT st.position, COUNT(*) FROM deals d JOIN stages st ON st.id = d.furthest_stage_id "
        + join_contacts(where, "d") + "WHERE d.pipeline_id = ? AND d.deleted_at IS NULL AND d.created_at >= ? "
        "AND d.created_at < ?" + where + " GROUP BY st.position", [pipeline_id, *f.bounds, *params]).fetchall()
    entered = sum(n for _, n in reached)
    stages = rows(conn, "SELECT id, name, position FROM stages WHERE pipeline_id = ? AND kind != 'lost' "
                        "AND deleted_at IS NULL ORDER BY position", (pipeline_id,))
    out = []
    for s in stages:
        deals = sum(n for top, n in reached if top >= s["position"])
        out.append({"stage_id": s["id"], "stage": s["name"], "deals": deals, "share": pct(deals, entered)})
    return out


def deals_behind(conn: sqlite3.Connection, f: Filters, pipeline_id: int, stage_id: int) -> list[dict]:
    """Deals that entered the pipeline in the period and reached ``stage_id`` (bounded)."""
    where, params = f.contact_clause()
    return rows(conn,
                "SELECT d.id, d.title, d.amount, d.contact_id, c.first_name || ' ' || c.last_name AS contact "
                "FROM deals d JOIN stages st ON st.id = d.furthest_stage_id LEFT JOIN contacts c ON c.id = d.contact_id "
                "WHERE d.pipeline_id = ? AND d.deleted_at IS NULL AND d.created_at >= ? AND d.created_at < ? "
                "AND st.position >= (SELECT position FROM stages WHERE id = ?)" + where +
                " ORDER BY d.amount DESC LIMIT ?", (pipeline_id, *f.bounds, stage_id, *params, TOP))


def respondents(conn: sqlite3.Connection, f: Filters, kind: str, month: str) -> list[dict]:
    """Who answered in one month of the satisfaction chart (bounded)."""
    start = date.fromisoformat(month + "-01")
    where, params = f.contact_clause()
    return rows(conn, "SELECT c.id AS contact_id, c.first_name || ' ' || c.last_name AS customer, fb.score, "
                      "fb.comment, fb.responded_at FROM feedback fb JOIN contacts c ON c.id = fb.contact_id "
                      "WHERE fb.kind = ? AND fb.deleted_at IS NULL AND c.deleted_at IS NULL AND fb.responded_at >= ? "
                      "AND fb.responded_at < ?" + where + " ORDER BY fb.score, fb.responded_at LIMIT ?",
                [kind, start.isoformat(), _add_months(start, 1).isoformat(), *params, TOP])
