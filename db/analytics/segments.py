"""Customer segments, stored in ``contact_segments`` so grids and dashboards can filter on them.

ABC: customers sorted by profit (or revenue) over the last 12 months, descending; A while the
cumulative share is up to 80 %, B up to 95 %, C the rest (customers with nothing positive are C).
RFM: recency (days since the last won deal), frequency (won deals) and monetary (revenue), each
scored 1-5 by quintile, 5 best; ``rfm`` is the three digits, e.g. "545".

A refresh computes with reads only, then writes only the rows that changed, in short transactions
(``store``): the whole refresh in one transaction held the write lock for 11-300 s at the large scale and
other people's saves failed behind it (issue 21).
"""

from __future__ import annotations

import sqlite3
import time
from dataclasses import dataclass
from datetime import date

from db.analytics import kpi, kpi_profit
from db.core.connection import rows, tuples, write
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


COLUMNS = ("abc_profit", "abc_revenue", "recency", "frequency", "monetary", "rfm")
_UPSERT = ("INSERT INTO contact_segments (contact_id, abc_profit, abc_revenue, recency, frequency, monetary, rfm) "
           "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (contact_id) DO UPDATE SET abc_profit = excluded.abc_profit, "
           "abc_revenue = excluded.abc_revenue, recency = excluded.recency, frequency = excluded.frequency, "
           "monetary = excluded.monetary, rfm = excluded.rfm, computed_at = datetime('now')")
# One write transaction holds the lock about this long, then lets waiting saves in (see ``store``).
CHUNK_SECONDS = 0.25
# The pause between two transactions: twice the 100 ms a waiting writer sleeps between tries (SQLite's
# busy handler), so a save that waits for the refresh takes the lock at the first pause.
PAUSE_SECONDS = 0.2


@dataclass(frozen=True)
class Refreshed:
    """What a refresh did: how many customers have segments, and how many rows it wrote or removed."""
    customers: int
    written: int
    removed: int


def compute(conn: sqlite3.Connection, today: date | None = None, *, sources: bool = False) -> dict[int, tuple]:
    """Every customer's segments, {contact_id: (abc_profit, abc_revenue, recency, frequency, monetary, rfm)}:
    reads only, so it holds no lock. ``sources``: profits from the source rows (the seed, before the
    rollups are built)."""
    today = today or date.today()
    end = _add_months(today.replace(day=1), 1)
    year = Filters(start=_add_months(end, -12), end=end)
    figures = kpi_profit.customer_profits(conn, year, sources=sources)
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
    return {cid: (by_profit.get(cid, "C"), by_revenue.get(cid, "C"), r_score.get(cid), f_score.get(cid),
                  m_score.get(cid), f"{r_score[cid]}{f_score[cid]}{m_score[cid]}" if cid in r_score else None)
            for cid in set(profit) | customers}


def changes(conn: sqlite3.Connection, computed: dict[int, tuple]) -> tuple[list[tuple], list[int]]:
    """The rows of ``computed`` that differ from the stored ones (to upsert) and the stored customers it no
    longer holds (to remove), in contact order."""
    stored = {r[0]: tuple(r[1:]) for r in tuples(conn, f"SELECT contact_id, {', '.join(COLUMNS)} FROM contact_segments")}
    upserts = [(cid, *computed[cid]) for cid in sorted(computed) if stored.get(cid) != computed[cid]]
    return upserts, sorted(set(stored) - set(computed))


def store(conn: sqlite3.Connection, upserts: list[tuple], removed: list[int]) -> None:
    """Write ``upserts`` and delete ``removed`` in short transactions of about ``CHUNK_SECONDS`` each, pausing
    ``PAUSE_SECONDS`` between them so other people's saves get the lock: a changed letter moves the customer's
    rows in every rollup (tens of rows), so thousands of changes in one transaction held the lock for
    seconds. Readers may see some customers with new segments and some with old ones until the last chunk
    commits; each customer's rows are always whole. Inside a caller's transaction (the seed) everything
    joins it, without pauses."""
    work = [(_UPSERT, row) for row in upserts] + [("DELETE FROM contact_segments WHERE contact_id = ?", (cid,))
                                                  for cid in removed]
    done, joined = 0, conn.in_transaction
    while done < len(work):
        if done and not joined:
            time.sleep(PAUSE_SECONDS)
        with write(conn):
            started = time.perf_counter()
            while True:  # at least one row per transaction
                conn.execute(*work[done])
                done += 1
                if done == len(work) or (not joined and time.perf_counter() - started >= CHUNK_SECONDS):
                    break


def refresh(conn: sqlite3.Connection, today: date | None = None, *, sources: bool = False) -> Refreshed:
    """Recompute every customer's segments outside any lock, then write only the rows that changed."""
    computed = compute(conn, today, sources=sources)
    upserts, removed = changes(conn, computed)
    store(conn, upserts, removed)
    return Refreshed(len(computed), len(upserts), len(removed))


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
