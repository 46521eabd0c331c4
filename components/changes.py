"""Audit entries as people read them: field labels, names for ids, money, dates to the minute, "—" for empty.

One helper for the record history tab and the audit log page, so ``stage_id 3 → 6`` and JSON ``null`` show
nowhere. Ids become names through ``db.core.names`` (one query per referenced table for the whole page).
"""

from __future__ import annotations

import json
import sqlite3

from components.custom_fields import display
from components.i18n import channel_label, day, moment, money, percent, translate
from db.core import names
from db.core.fields import ENTITIES, LINKS, by_column

EMPTY = "—"
MONEY = {"amount", "budget", "spend", "cost", "revenue", "margin"}
CENTS = {"hourly_cost"}
PERCENT = {"probability"}
BOOLEAN = {"done", "active", "shared", "pinned"}
DATES = {"expected_close", "starts_on", "ends_on", "until"}
CHOICES = {"lifecycle": "contacts.lifecycle_", "role": "roles."}
# a column whose generic label means something else on this table ("title" is a job title on contacts)
LABELS = {("deals", "title"): "fields.deal_title", ("pipelines", "name"): "fields.pipeline_name",
          ("stages", "name"): "fields.stage_name", ("campaigns", "name"): "fields.campaign_name",
          ("saved_views", "name"): "fields.view_name", ("companies", "name"): "fields.company_name"}
HIDDEN = {"version"}  # bookkeeping, not a change anyone made
LIMIT = 120


def label(entity: str, field: str, lang: str) -> str:
    """The field's label in ``lang`` (the column name in words when there is none)."""
    fallback = field.replace("_", " ").capitalize()
    return translate(lang, LABELS.get((entity, field), f"fields.{field}"), fallback)


def value_text(field: str, value, lang: str, tz: str, resolved: dict) -> str:
    """One stored value as text for a table cell (plain: no markdown)."""
    if value is None or value == "":
        return EMPTY
    if names.is_reference(field) and isinstance(value, int):
        return resolved.get((field, value), f"#{value}")
    if field in MONEY and isinstance(value, int | float):
        return money(value, lang, cents=True)
    if field in CENTS and isinstance(value, int | float):
        return money(value, lang, cents=True)
    if field in PERCENT and isinstance(value, int | float):
        return percent(value, lang)
    if field in BOOLEAN and value in (0, 1, True, False):
        return translate(lang, "history.yes" if value else "history.no")
    if field in CHOICES and isinstance(value, str):
        return translate(lang, CHOICES[field] + value, value)
    if field == "channel":
        return channel_label(value, lang)
    if isinstance(value, str) and (field.endswith("_at") or field in ("locked_until",)):
        try:
            return moment(value, lang, tz)
        except ValueError:
            pass
    if isinstance(value, str) and (field.endswith("_on") or field in DATES) and len(value) == 10:
        try:
            return day(value, lang)
        except ValueError:
            pass
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return text if len(text) <= LIMIT else text[:LIMIT - 1] + "…"


def change_rows(conn: sqlite3.Connection, entries: list[dict], lang: str, tz: str,
                entity: str | None = None) -> list[dict]:
    """One row per changed field of each audit entry (``before``/``after`` dicts), ready to show. ``entity``
    names the table when the entries do not (a record's history). A custom column (``cf_12``) reads as its
    label, its values as the field shows them (a linked record's name, yes/no, money)."""
    custom = _custom(conn, {e.get("entity") or entity for e in entries})
    links = {column: LINKS[f.type] for by_column in custom.values() for column, f in by_column.items()
             if f.type in LINKS}
    wanted: dict[str, set[int]] = {}
    for e in entries:
        for side in (e["before"], e["after"]):
            for field, value in side.items():
                if (names.is_reference(field) or field in links) and isinstance(value, int):
                    wanted.setdefault(field, set()).add(value)
    resolved = names.names(conn, wanted, links)
    out = []
    for e in entries:
        table = e.get("entity") or entity or ""
        own = custom.get(table, {})
        fields = [k for k in {**e["before"], **e["after"]} if k not in HIDDEN] or [None]
        for field in fields:
            cf = own.get(field)

            def text(value, cf=cf, field=field):
                if cf is not None:
                    return display(cf, value, lang, resolved, tz=tz)
                return value_text(field, value, lang, tz, resolved)
            out.append({"audit_id": e["id"], "at": e["at"], "when": moment(e["at"], lang, tz),
                        "who": who_label(e, lang),
                        "action": e["action"], "entity": table, "field": field,
                        "label": (cf.label(lang) if cf else label(table, field, lang)) if field else EMPTY,
                        "from": text(e["before"].get(field)) if field else EMPTY,
                        "to": text(e["after"].get(field)) if field else EMPTY})
    return out


def _custom(conn: sqlite3.Connection, tables: set) -> dict[str, dict]:
    """``{table: {"cf_12": Field}}`` for the tables that can carry custom fields (one small query each)."""
    return {table: by_column(conn, table) for table in tables if table in ENTITIES}


def who_label(entry: dict, lang: str | None = None) -> str:
    """Who made a change: the person's name, and the API key's name when it came through the API."""
    from components.i18n import current_language

    if not entry.get("api_key"):
        return entry["who"]
    return translate(lang or current_language(), "audit.via_key", who=entry["who"], key_name=entry["api_key"])


def action_label(action: str, lang: str | None = None) -> str:
    """create/update/delete/... in the user's language."""
    from components.i18n import current_language

    return translate(lang or current_language(), f"audit.act_{action}", action)


def entity_label(entity: str, lang: str | None = None) -> str:
    """A table name as a record type ("contacts" -> "Contact")."""
    from components.i18n import current_language

    text = translate(lang or current_language(), f"entities.{entity}", entity)
    return text[:1].upper() + text[1:]


def summary(rows: list[dict], limit: int = 6) -> str:
    """The changes of one audit entry on one line: "Stage: Lead → Won; Amount: — → €1,200.00"."""
    return "; ".join(f"{r['label']}: {r['from']} → {r['to']}" for r in rows[:limit] if r["field"])
