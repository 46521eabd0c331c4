"""Campaigns with their results: leads, customers, revenue, margin, ROI and CAC (each spend counted once)."""

from __future__ import annotations

import sqlite3

from db.core import records
from db.core.connection import rows, write
from db.core.errors import ValidationError
from db.core.permissions import Actor
from db.core.text import clean_day, clean_number, clean_text

EDITABLE = ("name", "channel", "starts_on", "ends_on", "budget", "spend")


def results(conn: sqlite3.Connection) -> list[dict]:
    """Every campaign with leads (contacts it brought), customers (of those, won), revenue and margin of
    their won sales deals (by close date, as every win has one), ROI = (margin - spend) / spend and
    CAC = spend / customers."""
    out = rows(conn,  # won deals from the monthly rollup (db/analytics/deal_cube.py): ~10 ms instead of every deal
               "WITH won AS (SELECT campaign_id, SUM(revenue) AS revenue, SUM(margin) AS margin FROM deal_cube "
               "WHERE campaign_id > 0 AND pipeline_id IN (SELECT id FROM pipelines WHERE kind = 'sales') "
               "GROUP BY campaign_id), "
               "people AS (SELECT campaign_id, COUNT(*) AS leads, COUNT(acquired_at) AS customers FROM contacts "
               "INDEXED BY ix_contacts_campaign_won WHERE deleted_at IS NULL AND campaign_id IS NOT NULL "
               "GROUP BY campaign_id) "  # the partial covering index: ~15 ms; the planner's pick reads rows (~200)
               "SELECT cp.id, cp.version, cp.name, cp.channel, cp.starts_on, cp.ends_on, cp.budget, cp.spend, "
               "COALESCE(p.leads, 0) AS leads, COALESCE(p.customers, 0) AS customers, "
               "COALESCE(w.revenue, 0) AS revenue, COALESCE(w.margin, 0) AS margin FROM campaigns cp "
               "LEFT JOIN people p ON p.campaign_id = cp.id LEFT JOIN won w ON w.campaign_id = cp.id "
               "WHERE cp.deleted_at IS NULL ORDER BY cp.starts_on DESC, cp.id DESC")
    for r in out:
        r["roi"] = (r["margin"] - r["spend"]) / r["spend"] if r["spend"] else None
        r["cac"] = r["spend"] / r["customers"] if r["customers"] else None
    return out


def clean(values: dict, channels: list[str], row: int | None = None) -> dict:
    out = {k: v for k, v in values.items() if k in EDITABLE}
    if "name" in out:
        out["name"] = " ".join((clean_text(out["name"], "campaign_name", 200, row=row) or "").split())
        if not out["name"]:
            raise ValidationError("A campaign name is required.", field="name", row=row, key="campaigns.err_name")
    if "channel" in out and out["channel"] not in channels:
        raise ValidationError("Choose a channel from the list.", field="channel", row=row, key="campaigns.err_channel")
    for key in ("budget", "spend"):
        if key in out:
            out[key] = clean_number(out[key] or 0, key, low=0, high=1e12, row=row)
    for key in ("starts_on", "ends_on"):
        if out.get(key) is not None:
            out[key] = clean_day(out[key], key, row=row).isoformat()
    return out


def save_grid(conn: sqlite3.Connection, edits: list[tuple[dict, dict]], added: list[dict], channels: list[str],
              actor: Actor) -> None:
    with write(conn):
        for i, (original, diff) in enumerate(edits):
            merged = {**{k: original.get(k) for k in EDITABLE}, **diff}
            _check_dates(merged, i + 1)
            records.update(conn, "campaigns", original["id"], original["version"], clean(diff, channels, i + 1), actor)
        for i, values in enumerate(added):
            data = clean({"channel": channels[0] if channels else "", **values}, channels, len(edits) + i + 1)
            _check_dates(data, len(edits) + i + 1)
            records.create(conn, "campaigns", data, actor)


def _check_dates(values: dict, row: int) -> None:
    if values.get("starts_on") and values.get("ends_on") and str(values["ends_on"]) < str(values["starts_on"]):
        raise ValidationError("The end date is before the start date.", field="ends_on", row=row,
                              key="campaigns.err_dates")
