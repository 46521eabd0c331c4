"""Webhooks: endpoints admins register, the outbox the audit trigger fills, and the delivery bookkeeping.

The outbox rows are written by triggers on contacts, deals, activities and feedback (migration 0230,
``webhook_triggers``) in the transaction of the change, so nothing here has to remember to queue an event. The sending itself (HTTP, signatures) lives
in integrations/delivery.py; this module only claims due rows under a lease, freezes their payload and
records each attempt's outcome.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import sqlite3
import time
from urllib.parse import urlsplit

from db.core import fields, records
from db.core.connection import now, one, rows, write
from db.core.errors import NotFoundError, ValidationError
from db.core.permissions import Actor, check_write

EVENTS = ("contact.created", "contact.updated", "contact.deleted", "deal.stage_changed", "deal.won", "deal.lost",
          "activity.created", "feedback.received")
ENTITY_NAMES = {"contacts": "contact", "deals": "deal", "activities": "activity", "feedback": "feedback"}
MAX_ATTEMPTS = 10  # then the delivery is marked failed; "send again" starts it over
MAX_DELAY = 6 * 3600.0
LEASE = 60.0  # seconds a claimed delivery is reserved for one worker (longer than any request may take)
LOG_LIMIT = 200
KEEP_DAYS = 30  # delivered rows are kept this long for the log; failed ones until someone removes the endpoint


def _epoch() -> float:
    return time.time()


def clean_endpoint(values: dict) -> dict:
    """Name, an http(s) URL and known events; raises ``ValidationError`` naming the field.

    Internal addresses are allowed on purpose (an internal tool posting to internal systems); what limits
    the harm of a hostile URL is admin-only registration, no redirects followed and a short timeout
    (docs/integrations.md, "SSRF")."""
    name = " ".join(str(values.get("name") or "").split())[:100]
    if not name:
        raise ValidationError("A name is required.", field="name", key="hooks.err_name")
    url = str(values.get("url") or "").strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or len(url) > 2000 or any(
            ch.isspace() for ch in url):
        raise ValidationError("Enter a full http:// or https:// address.", field="url", key="hooks.err_url")
    events = [e for e in EVENTS if e in set(values.get("events") or [])]
    unknown = set(values.get("events") or []) - set(EVENTS)
    if unknown or not events:
        raise ValidationError("Choose at least one event.", field="events", key="hooks.err_events")
    return {"name": name, "url": url, "events": events}


def create_endpoint(conn: sqlite3.Connection, values: dict, actor: Actor) -> tuple[int, str]:
    """Register an endpoint; returns (id, secret). The secret is shown once: the page does not show it again.

    It is stored as it is (HMAC needs the key itself, unlike a password), readable only by whoever can read
    the database file."""
    check_write(actor, "settings", None, "webhooks")
    data = clean_endpoint(values)
    secret = "whsec_" + secrets.token_urlsafe(32)
    with write(conn):
        cur = conn.execute("INSERT INTO webhook_endpoints (name, url, events, secret, created_at, created_by) "
                           "VALUES (?, ?, ?, ?, ?, ?)",
                           (data["name"], data["url"], json.dumps(data["events"]), secret, now(), actor.id))
        records.audit(conn, actor, "webhook_endpoints", cur.lastrowid, "create", None, data)
    return cur.lastrowid, secret


def update_endpoint(conn: sqlite3.Connection, endpoint_id: int, values: dict, actor: Actor) -> None:
    """Change name, URL, events or active; audited (never the secret)."""
    check_write(actor, "settings", None, "webhooks")
    before = get_endpoint(conn, endpoint_id)
    data = clean_endpoint({**before, **values})
    data["active"] = int(bool(values.get("active", before["active"])))
    old = {k: before[k] for k in data}
    diff = {k: v for k, v in data.items() if old[k] != v}
    if not diff:
        return
    with write(conn):
        conn.execute("UPDATE webhook_endpoints SET name = ?, url = ?, events = ?, active = ? WHERE id = ?",
                     (data["name"], data["url"], json.dumps(data["events"]), data["active"], endpoint_id))
        records.audit(conn, actor, "webhook_endpoints", endpoint_id, "update", {k: old[k] for k in diff}, diff)


def new_secret(conn: sqlite3.Connection, endpoint_id: int, actor: Actor) -> str:
    """Replace the signing secret (say, after it leaked); the next delivery is signed with the new one."""
    check_write(actor, "settings", None, "webhooks")
    get_endpoint(conn, endpoint_id)
    secret = "whsec_" + secrets.token_urlsafe(32)
    with write(conn):
        conn.execute("UPDATE webhook_endpoints SET secret = ? WHERE id = ?", (secret, endpoint_id))
        records.audit(conn, actor, "webhook_endpoints", endpoint_id, "update", {"secret": "[redacted]"},
                      {"secret": "[redacted]"})
    return secret


def delete_endpoint(conn: sqlite3.Connection, endpoint_id: int, actor: Actor) -> None:
    """Remove an endpoint; its pending deliveries are dropped (marked failed), the log stays."""
    check_write(actor, "settings", None, "webhooks")
    get_endpoint(conn, endpoint_id)
    stamp = now()
    with write(conn):
        conn.execute("UPDATE webhook_endpoints SET deleted_at = ?, active = 0 WHERE id = ?", (stamp, endpoint_id))
        conn.execute("UPDATE webhook_deliveries SET status = 'failed', last_error = 'endpoint removed' "
                     "WHERE endpoint_id = ? AND status = 'pending'", (endpoint_id,))
        records.audit(conn, actor, "webhook_endpoints", endpoint_id, "delete", {"deleted_at": None},
                      {"deleted_at": stamp})


def _endpoint(row: dict) -> dict:
    return {**row, "events": json.loads(row["events"] or "[]")}


def get_endpoint(conn: sqlite3.Connection, endpoint_id: int) -> dict:
    row = one(conn, "SELECT id, name, url, events, active, created_at FROM webhook_endpoints "
                    "WHERE id = ? AND deleted_at IS NULL", (endpoint_id,))
    if row is None:
        raise NotFoundError(entity="webhook_endpoints", id=endpoint_id)
    return _endpoint(row)


def endpoints(conn: sqlite3.Connection) -> list[dict]:
    """Registered endpoints with their delivery counts (no secrets)."""
    out = rows(conn, "SELECT e.id, e.name, e.url, e.events, e.active, e.created_at, "
                     "(SELECT COUNT(*) FROM webhook_deliveries d WHERE d.endpoint_id = e.id AND d.status = 'pending') "
                     "AS pending, (SELECT COUNT(*) FROM webhook_deliveries d WHERE d.endpoint_id = e.id AND "
                     "d.status = 'failed') AS failed FROM webhook_endpoints e WHERE e.deleted_at IS NULL ORDER BY e.id")
    return [_endpoint(r) for r in out]


def deliveries(conn: sqlite3.Connection, endpoint_id: int | None = None, status: str | None = None,
               limit: int = LOG_LIMIT) -> list[dict]:
    """The delivery log, newest first."""
    where, params = ["1 = 1"], []
    if endpoint_id is not None:
        where.append("d.endpoint_id = ?")
        params.append(endpoint_id)
    if status:
        where.append("d.status = ?")
        params.append(status)
    sql = ("SELECT d.id, d.endpoint_id, e.name AS endpoint, d.event, d.entity, d.entity_id, d.created_at, d.status, "
           "d.attempts, d.last_attempt_at, d.last_status, d.last_error, d.delivered_at, d.next_attempt_at FROM "
           "webhook_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id WHERE ")
    return rows(conn, sql + " AND ".join(where) + " ORDER BY d.id DESC LIMIT ?", [*params, limit])


def send_again(conn: sqlite3.Connection, delivery_id: int, actor: Actor) -> None:
    """Queue a delivery once more, now (same event id and payload, a fresh signature)."""
    check_write(actor, "settings", None, "webhooks")
    with write(conn):
        cur = conn.execute("UPDATE webhook_deliveries SET status = 'pending', attempts = 0, next_attempt_at = ?, "
                           "locked_until = NULL, locked_by = NULL WHERE id = ? AND endpoint_id IN "
                           "(SELECT id FROM webhook_endpoints WHERE deleted_at IS NULL)", (_epoch(), delivery_id))
        if cur.rowcount == 0:
            raise NotFoundError(entity="webhook_deliveries", id=delivery_id)


def prune(conn: sqlite3.Connection, days: int = KEEP_DAYS) -> int:
    """Forget deliveries that arrived more than ``days`` ago (the worker calls it now and then)."""
    with write(conn):
        return conn.execute("DELETE FROM webhook_deliveries WHERE status = 'delivered' AND delivered_at < "
                            "datetime('now', ?)", (f"-{int(days)} days",)).rowcount


# --- the worker's side -------------------------------------------------------------------------------------

def claim(conn: sqlite3.Connection, worker: str, limit: int = 10, lease: float = LEASE) -> list[dict]:
    """Reserve up to ``limit`` due deliveries for ``worker`` and return them ready to send (payload frozen,
    endpoint URL and secret). Another worker (another process) skips them until the lease runs out, so a
    worker that died mid-send is covered: its rows come due again."""
    at = _epoch()
    with write(conn):
        due = rows(conn, "SELECT d.id FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id "
                         "WHERE d.status = 'pending' AND d.next_attempt_at <= ? AND (d.locked_until IS NULL OR "
                         "d.locked_until < ?) AND e.active = 1 AND e.deleted_at IS NULL "
                         "ORDER BY d.next_attempt_at, d.id LIMIT ?", (at, at, limit))
        if not due:
            return []
        ids = [r["id"] for r in due]
        marks = ",".join("?" * len(ids))
        conn.execute(f"UPDATE webhook_deliveries SET locked_until = ?, locked_by = ? WHERE id IN ({marks})",  # noqa: S608
                     [at + lease, worker, *ids])
        out = rows(conn, "SELECT d.id, d.version, d.event, d.entity, d.entity_id, d.created_at, d.payload, "  # noqa: S608
                         "d.attempts, e.url, e.secret FROM webhook_deliveries d JOIN webhook_endpoints e ON "
                         f"e.id = d.endpoint_id WHERE d.id IN ({marks}) ORDER BY d.id", ids)
        for item in out:
            if item["payload"] is None:
                item["payload"] = payload(conn, item)
                conn.execute("UPDATE webhook_deliveries SET payload = ? WHERE id = ?", (item["payload"], item["id"]))
    return out


def payload(conn: sqlite3.Connection, item: dict) -> str:
    """The JSON body of one event: what changed (from the audit row, exactly), the record as it stands
    when first sent, with its custom field values under ``custom``."""
    audit = change(conn, item["entity"], item["entity_id"], item["version"])
    table = _table(item["entity"])  # one of four known names
    record = one(conn, f"SELECT * FROM {table} WHERE id = ?", (item["entity_id"],)) or {}  # noqa: S608
    body = {
        "id": f"evt_{ENTITY_NAMES[item['entity']]}_{item['entity_id']}_v{item['version']}_{item['event']}",
        "event": item["event"],
        "occurred_at": _iso(item["created_at"]),
        "entity": ENTITY_NAMES[item["entity"]],
        "entity_id": item["entity_id"],
        "actor": {"id": audit.get("user_id"), "name": audit.get("name") or "system"},
        "changes": {"before": _load(audit.get("before")), "after": _load(audit.get("after"))},
        "data": record_data(conn, item["entity"], record),
    }
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"), default=str)


def change(conn: sqlite3.Connection, entity: str, entity_id: int, version: int) -> dict:
    """The audit row of the change that brought the record to ``version`` (its creation for version 1), with
    the actor's name; {} if there is none (a row written outside the write path)."""
    sql = ("SELECT a.at, a.action, a.before, a.after, a.user_id, u.name FROM audit_log a LEFT JOIN users u "
           "ON u.id = a.user_id WHERE a.entity = ? AND a.entity_id = ? AND ")
    if version == 1:
        found = one(conn, sql + "a.action = 'create' ORDER BY a.id LIMIT 1", (entity, entity_id))
    else:
        found = one(conn, sql + "json_extract(a.after, '$.version') = ? ORDER BY a.id DESC LIMIT 1",
                    (entity, entity_id, version))
    return found or {}


def _table(entity: str) -> str:
    if entity not in ENTITY_NAMES:
        raise ValueError(entity)
    return entity


def _load(text: str | None) -> dict:
    return json.loads(text) if text else {}


def _iso(stamp: str | None) -> str | None:
    return stamp.replace(" ", "T") + "Z" if stamp else None


def record_data(conn: sqlite3.Connection, table: str, record: dict) -> dict:
    """A record's fields for a payload: custom field columns (``cf_<id>``) gathered under ``custom`` by key
    (archived fields' columns are left out, like everywhere else)."""
    data = {k: v for k, v in record.items() if not k.startswith("cf_")}
    data["custom"] = custom_values(conn, table, record)
    return data


def custom_values(conn: sqlite3.Connection, table: str, record: dict) -> dict:
    """``{key: value}`` of the record's custom fields in use (contacts, deals and activities have them)."""
    if table not in fields.ENTITIES:
        return {}
    return fields.custom_values(record, fields.active(conn, table))


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """``sha256=<hex>`` of HMAC-SHA256 over ``<timestamp>.<body>`` (docs/integrations.md)."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def backoff(attempts: int, base: float) -> float:
    """Seconds before the next try after ``attempts`` failures: base, 2x, 4x, ... capped at 6 hours."""
    return min(base * 2 ** max(attempts - 1, 0), MAX_DELAY)


def record_attempt(conn: sqlite3.Connection, delivery_id: int, worker: str, *, ok: bool, status: int | None,
                   error: str | None, base: float) -> None:
    """Write one attempt's outcome (only while ``worker`` still holds the lease): delivered, or due again
    after the backoff, or failed after ``MAX_ATTEMPTS``."""
    stamp = now()
    with write(conn):
        row = one(conn, "SELECT attempts FROM webhook_deliveries WHERE id = ? AND locked_by = ? AND status = 'pending'",
                  (delivery_id, worker))
        if row is None:
            return
        attempts = row["attempts"] + 1
        if ok:
            conn.execute("UPDATE webhook_deliveries SET status = 'delivered', attempts = ?, last_attempt_at = ?, "
                         "last_status = ?, last_error = NULL, delivered_at = ?, locked_until = NULL, locked_by = NULL "
                         "WHERE id = ?", (attempts, stamp, status, stamp, delivery_id))
            return
        state = "failed" if attempts >= MAX_ATTEMPTS else "pending"
        conn.execute("UPDATE webhook_deliveries SET status = ?, attempts = ?, last_attempt_at = ?, last_status = ?, "
                     "last_error = ?, next_attempt_at = ?, locked_until = NULL, locked_by = NULL WHERE id = ?",
                     (state, attempts, stamp, status, (error or "")[:500], _epoch() + backoff(attempts, base),
                      delivery_id))
