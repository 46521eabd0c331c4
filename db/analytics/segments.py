"""Customer segments, stored in ``contact_segments`` so grids and dashboards can filter on them.

ABC: customers sorted by profit (or revenue) over the last 12 months, descending; A while the
cumulative share is up to 80 %, B up to 95 %, C the rest (customers with nothing positive are C).
RFM: recency (days since the last won deal), frequency (won deals) and monetary (revenue), each
scored 1-5 by quintile, 5 best; ``rfm`` is the three digits, e.g. "545".
"""

from __future__ import annotations

import json
import sqlite3
from datetime import date

from db.analytics import kpi, kpi_profit
from db.core.connection import rows, write
from db.core.filters import Filters, _add_months


def abc(values: dict[int, float]) -> dict[int, str]:
    """ABC classes by descending value (pure, unit-tested)."""
    positive = sorted(((v, k) for k, v in values.items() if v and v > 0), reverse=True)
    total = sum(v for v, _ in positive)
    out = {k: "C" for k in values}
    running = 0.0
    for v, k in positive:
        share_before = running / total
        running += v
        out[k] = "A" if share_before < 0.80 else "B" if share_before < 0.95 else "C"
    return out


def quintile_scores(values: dict[int, float], higher_is_better: bool = True) -> dict[int, int]:
    """Scores 1-5 by rank quintile (pure)."""
    ordered = sorted(values, key=lambda k: values[k], reverse=not higher_is_better)
    n = len(ordered)
    return {k: 1 + (i * 5) // n for i, k in enumerate(ordered)} if n else {}


def refresh(conn: sqlite3.Connection, today: date | None = None) -> int:
    """Recompute every customer's segments in one transaction; returns how many customers."""
    today = today or date.today()
    end = _add_months(today.replace(day=1), 1)
    year = Filters(start=_add_months(end, -12), end=end)
    figures = kpi_profit.customer_profits(conn, year)
    profit = {r["key"]: r["profit"] for r in figures}
    revenue = {r["key"]: r["revenue"] for r in figures}
    deals = rows(conn, "SELECT d.contact_id AS cid, COUNT(*) AS n, SUM(d.amount) AS money, "
                       "julianday(?) - julianday(MAX(d.closed_at)) AS days FROM deals d JOIN stages s ON s.id = d.stage_id "
                       "WHERE s.kind = 'won' AND d.deleted_at IS NULL AND d.contact_id IS NOT NULL "
                       "GROUP BY d.contact_id", (today.isoformat(),))
    customers = {r["cid"] for r in deals}
    for cid in customers:
        profit.setdefault(cid, 0.0)
        revenue.setdefault(cid, 0.0)
    by_profit, by_revenue = abc(profit), abc(revenue)
    # a won deal without a close date has no recency (the customer gets no RFM code), it does not crash
    r_score = quintile_scores({r["cid"]: r["days"] for r in deals if r["days"] is not None}, higher_is_better=False)
    f_score = quintile_scores({r["cid"]: r["n"] for r in deals})
    m_score = quintile_scores({r["cid"]: r["money"] for r in deals})
    batch = [(cid, by_profit.get(cid, "C"), by_revenue.get(cid, "C"), r_score.get(cid), f_score.get(cid),
              m_score.get(cid), f"{r_score[cid]}{f_score[cid]}{m_score[cid]}" if cid in r_score else None)
             for cid in set(profit) | customers]
    with write(conn):  # upsert and prune, so the cube's triggers only move customers whose letter changed
        conn.executemany("INSERT INTO contact_segments (contact_id, abc_profit, abc_revenue, recency, frequency, "
                         "monetary, rfm) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (contact_id) DO UPDATE SET "
                         "abc_profit = excluded.abc_profit, abc_revenue = excluded.abc_revenue, recency = excluded.recency, "
                         "frequency = excluded.frequency, monetary = excluded.monetary, rfm = excluded.rfm, "
                         "computed_at = datetime('now')", batch)
        conn.execute("DELETE FROM contact_segments WHERE contact_id NOT IN (SELECT value FROM json_each(?))",
                     (json.dumps([b[0] for b in batch]),))
    return len(batch)


def recency_counts(conn: sqlite3.Connection) -> dict[int, int]:
    """How many customers have each RFM recency score (1-5)."""
    return dict(conn.execute("SELECT recency, COUNT(*) FROM contact_segments WHERE recency IS NOT NULL "
                             "GROUP BY recency ORDER BY recency").fetchall())


def compare(conn: sqlite3.Connection, f: Filters, by: str = "abc_profit") -> list[dict]:
    """Per ABC segment: customers, and revenue, profit, CSAT and NPS in the period (one profit query)."""
    if by not in ("abc_profit", "abc_revenue"):
        raise ValueError(by)
    sizes = dict(conn.execute(f"SELECT {by}, COUNT(*) FROM contact_segments GROUP BY {by}").fetchall())
    profit = {r["key"]: r["profit"] for r in kpi_profit.profit_by(conn, f, "segment")} if by == "abc_profit" else {}
    out = []
    for letter in ("A", "B", "C"):
        seg = Filters(start=f.start, end=f.end, owner_id=f.owner_id, channel=f.channel, campaign_id=f.campaign_id,
                      segment=letter)
        sat = kpi.satisfaction(conn, seg)
        out.append({"segment": letter, "customers": sizes.get(letter, 0), "revenue": kpi.sales(conn, seg)["revenue"],
                    "profit": profit.get(letter), "csat": sat["csat"], "nps": sat["nps"]})
    return out
