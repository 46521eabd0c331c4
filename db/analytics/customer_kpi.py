"""One customer's own figures, by the KPI definitions in docs/kpi.md (lifetime, not a period)."""

from __future__ import annotations

import sqlite3

from db.analytics.kpi import SERVED
from db.core.connection import one


def figures(conn: sqlite3.Connection, contact_id: int) -> dict:
    """Revenue, gross margin, cost to serve (done activities since the first win), acquisition cost, profit,
    CSAT, NPS; None where there is no data."""
    money = one(conn, "SELECT COUNT(*) AS won, SUM(d.amount) AS revenue, SUM(d.amount - d.cost) AS margin FROM deals d "
                      "JOIN stages s ON s.id = d.stage_id JOIN pipelines p ON p.id = d.pipeline_id "
                      "WHERE d.contact_id = ? AND s.kind = 'won' AND p.kind = 'sales' AND d.deleted_at IS NULL",
                (contact_id,))
    cost = one(conn, f"SELECT SUM(a.cost) AS cts FROM activities a JOIN contacts c ON c.id = a.contact_id "
                     f"WHERE a.contact_id = ? AND {SERVED}", (contact_id,))["cts"] or 0.0
    cac = one(conn, "SELECT cp.spend * 1.0 / (SELECT COUNT(*) FROM contacts x WHERE x.campaign_id = cp.id "
                    "AND x.acquired_at IS NOT NULL AND x.deleted_at IS NULL) AS cac FROM contacts c "
                    "JOIN campaigns cp ON cp.id = c.campaign_id WHERE c.id = ? AND c.acquired_at IS NOT NULL",
              (contact_id,))
    sat = one(conn, "SELECT SUM(kind = 'csat') AS cn, SUM(kind = 'csat' AND score >= 4) AS happy, SUM(kind = 'nps') "
                    "AS nn, SUM(kind = 'nps' AND score >= 9) - SUM(kind = 'nps' AND score <= 6) AS net FROM feedback "
                    "WHERE contact_id = ? AND deleted_at IS NULL", (contact_id,))
    acquisition = cac["cac"] if cac else None
    margin = money["margin"] if money["won"] else None
    return {
        "revenue": money["revenue"] if money["won"] else None, "margin": margin, "cost_to_serve": cost,
        "cac": acquisition, "profit": (margin or 0) - cost - (acquisition or 0),
        "csat": (sat["happy"] or 0) / sat["cn"] if sat["cn"] else None,
        "nps": 100.0 * sat["net"] / sat["nn"] if sat["nn"] else None,
    }


def company_figures(conn: sqlite3.Connection, company_id: int) -> dict:
    """A company's figures: won revenue (sales deals of the company or its contacts), open deals (count and
    value), contacts, last done activity (the company's, its contacts' or its deals'), CSAT/NPS of its contacts."""
    deals = one(conn, "SELECT SUM(s.kind = 'won' AND p.kind = 'sales') AS won, "
                      "SUM(CASE WHEN s.kind = 'won' AND p.kind = 'sales' THEN d.amount END) AS revenue, "
                      "SUM(s.kind = 'open') AS open_deals, SUM(CASE WHEN s.kind = 'open' THEN d.amount END) AS pipeline "
                      "FROM deals d JOIN stages s ON s.id = d.stage_id JOIN pipelines p ON p.id = d.pipeline_id "
                      "WHERE d.deleted_at IS NULL AND (d.company_id = ? OR d.contact_id IN "
                      "(SELECT id FROM contacts WHERE company_id = ? AND deleted_at IS NULL))", (company_id, company_id))
    people = one(conn, "SELECT COUNT(*) AS n FROM contacts WHERE company_id = ? AND deleted_at IS NULL",
                 (company_id,))["n"]
    last = one(conn, "SELECT MAX(COALESCE(a.starts_at, a.due_at)) AS at FROM activities a WHERE a.deleted_at IS NULL "
                     "AND a.done = 1 AND a.id IN (SELECT id FROM activities WHERE company_id = ? UNION "
                     "SELECT a2.id FROM activities a2 JOIN contacts c ON c.id = a2.contact_id WHERE c.company_id = ? "
                     "UNION SELECT a3.id FROM activities a3 JOIN deals d ON d.id = a3.deal_id WHERE d.company_id = ?)",
               (company_id, company_id, company_id))["at"]
    sat = one(conn, "SELECT SUM(kind = 'csat') AS cn, SUM(kind = 'csat' AND score >= 4) AS happy, SUM(kind = 'nps') "
                    "AS nn, SUM(kind = 'nps' AND score >= 9) - SUM(kind = 'nps' AND score <= 6) AS net FROM feedback "
                    "WHERE deleted_at IS NULL AND contact_id IN (SELECT id FROM contacts WHERE company_id = ? "
                    "AND deleted_at IS NULL)", (company_id,))
    return {
        "revenue": deals["revenue"] if deals["won"] else None, "open_deals": deals["open_deals"] or 0,
        "pipeline": deals["pipeline"] or 0.0, "contacts": people, "last_activity": last,
        "csat": (sat["happy"] or 0) / sat["cn"] if sat["cn"] else None,
        "nps": 100.0 * sat["net"] / sat["nn"] if sat["nn"] else None,
    }
