"""Per-user API keys and the idempotency keys of API creates (docs/api.md).

A key is ``crm_`` + 43 random URL-safe characters, shown once; only its SHA-256 is stored (a random 256-bit
secret needs no slow hash, as with session tokens). A request acts as the key's owner with the owner's role;
a read key may only read. Revoked, expired, or belonging to a deactivated person: refused, with one
message for all (no hint which).
"""

from __future__ import annotations

import hashlib
import secrets
import sqlite3
from datetime import UTC, datetime, timedelta

from db.core.connection import now, one, rows, scalar, write
from db.core.errors import AuthError, NotFoundError, PermissionDenied, ValidationError
from db.core.permissions import Actor
from db.core.text import clean_text

SCOPES = ("read", "write")
PREFIX = "crm_"
MAX_KEYS = 20  # live keys per person
MAX_DAYS = 3650
TOUCH_EVERY = 60  # seconds: last_used_at is written at most this often per key (a write per read would queue reads)
IDEMPOTENCY_HOURS = 24


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")


def create(conn: sqlite3.Connection, user_id: int, name: str, scope: str, days: int | None, actor: Actor) -> str:
    """A new key for ``user_id`` (only its owner makes keys); returns the key itself, the one time it exists."""
    if actor.id != user_id:
        raise PermissionDenied("You may manage only your own API keys.", key="api.err_own_keys", action="api keys")
    name = " ".join((clean_text(name, "key_name", 60) or "").split())
    if not name:
        raise ValidationError("Give the key a name, such as the tool that will use it.", field="key_name",
                              key="api.err_key_name")
    if scope not in SCOPES:
        raise ValidationError("Choose read or read and write.", field="scope", key="api.err_scope")
    if days is not None and (isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= MAX_DAYS):
        raise ValidationError("{field} must be between {low} and {high}.", field="expires", key="errors.range",
                              low="1", high=str(MAX_DAYS))
    token = PREFIX + secrets.token_urlsafe(32)
    expires = _utc(datetime.now(UTC) + timedelta(days=days)) if days else None
    with write(conn):
        live = scalar(conn, "SELECT COUNT(*) FROM api_keys WHERE user_id = ? AND revoked_at IS NULL", (user_id,))
        if live >= MAX_KEYS:
            raise ValidationError("You have {n} keys; revoke one you no longer use first.", field="key_name",
                                  key="api.err_too_many", n=MAX_KEYS)
        conn.execute("INSERT INTO api_keys (user_id, name, prefix, key_hash, scope, created_at, expires_at) "
                     "VALUES (?, ?, ?, ?, ?, ?, ?)", (user_id, name, token[:12], _hash(token), scope, now(), expires))
    return token


def mine(conn: sqlite3.Connection, user_id: int) -> list[dict]:
    """The person's keys, newest first (never the key: only its first characters)."""
    return rows(conn, "SELECT id, name, prefix, scope, created_at, expires_at, last_used_at, revoked_at FROM api_keys "
                      "WHERE user_id = ? ORDER BY revoked_at IS NOT NULL, id DESC LIMIT 200", (user_id,))


def revoke(conn: sqlite3.Connection, key_id: int, actor: Actor) -> None:
    """End a key at once (its owner, or an administrator)."""
    with write(conn):
        owner = scalar(conn, "SELECT user_id FROM api_keys WHERE id = ?", (key_id,))
        if owner is None:
            raise NotFoundError(entity="api_keys", id=key_id)
        if owner != actor.id and actor.role != "admin":
            raise PermissionDenied("You may manage only your own API keys.", key="api.err_own_keys",
                                   action="api keys")
        conn.execute("UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL", (now(), key_id))


def authenticate(conn: sqlite3.Connection, token: str | None) -> tuple[Actor, dict, dict]:
    """(actor, key row, user row) for a live key of an active person; ``AuthError`` for anything else.

    Marks the key used at most every ``TOUCH_EVERY`` seconds."""
    if not isinstance(token, str) or not token.startswith(PREFIX) or len(token) > 200:
        raise AuthError("The API key is missing, wrong, expired or revoked.", key="api.err_key")
    stamp = now()
    row = one(conn, "SELECT k.id AS key_id, k.name AS key_name, k.scope, k.last_used_at, u.id, u.name, u.role, "
                    "u.language, u.timezone FROM api_keys k JOIN users u ON u.id = k.user_id WHERE k.key_hash = ? "
                    "AND k.revoked_at IS NULL AND (k.expires_at IS NULL OR k.expires_at > ?) AND u.active = 1 "
                    "AND u.deleted_at IS NULL", (_hash(token), stamp))
    if row is None:
        raise AuthError("The API key is missing, wrong, expired or revoked.", key="api.err_key")
    last = row["last_used_at"]
    if last is None or last < _utc(datetime.now(UTC) - timedelta(seconds=TOUCH_EVERY)):
        with write(conn):
            conn.execute("UPDATE api_keys SET last_used_at = ? WHERE id = ?", (stamp, row["key_id"]))
    actor = Actor(row["id"], row["role"], row["name"], api_key_id=row["key_id"])
    key = {"id": row["key_id"], "name": row["key_name"], "scope": row["scope"]}
    user = {"id": row["id"], "name": row["name"], "role": row["role"], "language": row["language"],
            "timezone": row["timezone"]}
    return actor, key, user


def request_hash(method: str, path: str, body: bytes) -> str:
    """What a retry must repeat for its stored answer to be given back."""
    return hashlib.sha256(method.encode() + b" " + path.encode() + b"\n" + body).hexdigest()


def replay(conn: sqlite3.Connection, key_id: int, idem_key: str, req_hash: str) -> tuple[int, str] | None:
    """The stored (status, body) of an earlier request with this Idempotency-Key, or None.

    The same key with a different request is refused: it is a client bug that a replay would hide."""
    if not idem_key or len(idem_key) > 200:
        raise ValidationError("The Idempotency-Key header must be 1 to 200 characters.", field="Idempotency-Key",
                              key="api.err_idem_key")
    found = one(conn, "SELECT request_hash, status, body FROM api_idempotency WHERE key_id = ? AND idem_key = ? "
                      "AND created_at > ?", (key_id, idem_key, _utc(datetime.now(UTC) -
                                                                    timedelta(hours=IDEMPOTENCY_HOURS))))
    if found is None:
        return None
    if found["request_hash"] != req_hash:
        raise ValidationError("This Idempotency-Key was already used for a different request.",
                              field="Idempotency-Key", key="api.err_idem_reused")
    return found["status"], found["body"]


def remember(conn: sqlite3.Connection, key_id: int, idem_key: str, req_hash: str, status: int, body: str) -> None:
    """Store the answer (call inside the create's transaction, so both are saved or neither); old ones go."""
    stamp = now()
    with write(conn):
        conn.execute("DELETE FROM api_idempotency WHERE created_at < ?",
                     (_utc(datetime.now(UTC) - timedelta(hours=IDEMPOTENCY_HOURS)),))
        conn.execute("INSERT OR REPLACE INTO api_idempotency (key_id, idem_key, request_hash, status, body, "
                     "created_at) VALUES (?, ?, ?, ?, ?, ?)", (key_id, idem_key, req_hash, status, body, stamp))
