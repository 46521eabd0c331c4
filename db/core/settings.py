"""Company settings and admin-managed lists (channels, lost reasons, tags), kept in ``settings``.

Lists are JSON arrays of short strings. Only admins change them; every change is audited.
"""

from __future__ import annotations

import json
import sqlite3

from db.core import records
from db.core.connection import one, write
from db.core.errors import ValidationError
from db.core.permissions import Actor, check_write
from db.core.text import clean_text

CURRENCIES = ("EUR", "USD", "GBP", "BGN", "UAH", "PLN", "CHF")
DEFAULTS: dict[str, object] = {
    "currency": "EUR",
    "company_name": "",
    "channels": ["organic search", "paid search", "social", "email", "events", "referral", "partners"],
    "lost_reasons": ["Price", "Chose a competitor", "No budget", "No decision", "Timing"],
    "tags": ["vip", "newsletter", "webinar", "trial", "partner"],
}
LISTS = ("channels", "lost_reasons", "tags")
MAX_ITEM = 60
MAX_ITEMS = 200


def get(conn: sqlite3.Connection, key: str):
    if key not in DEFAULTS:
        raise KeyError(key)
    row = one(conn, "SELECT value FROM settings WHERE key = ?", (key,))
    if row is None:
        return DEFAULTS[key]
    return json.loads(row["value"]) if key in LISTS else row["value"]


def set_value(conn: sqlite3.Connection, key: str, value, actor: Actor) -> None:
    """Validate and store one setting, audited."""
    check_write(actor, "settings", None, "change settings")
    value = _clean(key, value)
    stored = json.dumps(value, ensure_ascii=False) if key in LISTS else value
    with write(conn):
        before = get(conn, key)
        conn.execute("INSERT INTO settings (key, value) VALUES (?, ?) "
                     "ON CONFLICT(key) DO UPDATE SET value = excluded.value", (key, stored))
        records.audit(conn, actor, "settings", 0, "update", {key: before}, {key: value})


def _clean(key: str, value):
    if key not in DEFAULTS:
        raise ValidationError("Unknown setting.", field=key, key="admin.err_setting")
    if key == "currency":
        if value not in CURRENCIES:
            raise ValidationError("Choose one of {choices}.", field=key, key="admin.err_currency",
                                  choices=", ".join(CURRENCIES))
        return value
    if key == "company_name":
        return clean_text(value, key, 200) or ""
    items, seen = [], set()
    for raw in value or []:
        item = " ".join((clean_text(str(raw), key, 10**6) or "").split())
        if not item or item.casefold() in seen:
            continue
        if len(item) > MAX_ITEM:
            raise ValidationError("'{value}' is longer than {n} characters.", field=key, key="admin.err_item_long",
                                  value=item[:40], n=MAX_ITEM)
        seen.add(item.casefold())
        items.append(item)
    if len(items) > MAX_ITEMS:
        raise ValidationError("At most {n} entries.", field=key, key="admin.err_too_many", n=MAX_ITEMS)
    return items
