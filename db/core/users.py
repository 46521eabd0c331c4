"""Users, the password policy, sign-in throttling and server-side sign-in sessions (docs/security.md)."""

from __future__ import annotations

import hashlib
import math
import os
import re
import secrets
import sqlite3
import threading
import time
from datetime import UTC, datetime, timedelta
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from db.core import records
from db.core.connection import one, rows, scalar, write
from db.core.errors import AuthError, DatabaseUnavailable, ValidationError
from db.core.permissions import ROLES, SYSTEM, Actor

# One address rule for users and contacts: a dot-atom local part (no leading, trailing or double dots) and a
# domain of labels that neither are empty (a@example..com) nor start or end with a hyphen; a TLD of 2+ characters,
# not all digits. Unicode letters are allowed (internationalised addresses).
_ATOM = r"[^@\s<>\"'.,;:()\[\]\\]+"
_LABEL = r"[^@\s<>\"'.,;:()\[\]\\_-](?:[^@\s<>\"'.,;:()\[\]\\_]{0,61}[^@\s<>\"'.,;:()\[\]\\_-])?"
EMAIL_RE = re.compile(rf"^(?=[^@]{{1,64}}@)(?=.{{1,320}}$){_ATOM}(?:\.{_ATOM})*@(?:{_LABEL}\.)+(?!\d+$)(?=[^.]{{2,}}$){_LABEL}$")
LANGUAGES = ("en", "ru", "uk", "bg")
MIN_PASSWORD = 10
MAX_PASSWORD = 1024
MIN_SCORE = 3  # zxcvbn: 3 = "safely unguessable", about 10^8 guesses and more
SESSION_DAYS = 14
# Sign-in throttling: (free attempts, longest delay in seconds) per key. Attempt n past the free ones
# waits 2^(n - free) seconds, up to the cap. No hard lock: a stranger's guesses cannot lock anyone out
# (the account-only key has a short cap), and the delays apply alike to emails that exist and that don't.
THROTTLE = {
    "pair": (3, 900),       # one account from one client address: the ordinary guesser
    "address": (20, 900),   # one address trying many accounts (password spraying)
    "account": (10, 60),    # one account from many addresses; short cap so it cannot lock the owner out
}
FORGET_AFTER = 3600  # seconds without an attempt after which a key starts again from zero
_hasher = PasswordHasher()


def _utc(dt: datetime) -> str:
    return dt.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")


def validate_email(email: str, field: str = "email") -> str:
    email = (email or "").strip()
    if not email:
        raise ValidationError("Email is required.", field=field, key="errors.email_required")
    if len(email) > 320 or not EMAIL_RE.match(email):
        raise ValidationError("'{value}' is not a valid email address.", field=field, key="errors.email_invalid",
                              value=email[:80])
    return email.lower()


def validate_password(password: str, *, email: str = "", name: str = "", current: str | None = None) -> str:
    """The password policy, applied wherever a password is set; the error says why, in the user's language.

    Length first, then the person's own data and the current password, then the common-password list
    and zxcvbn's strength estimate (repeats, sequences, keyboard walks, dates, dictionary words)."""
    if not isinstance(password, str) or len(password) < MIN_PASSWORD:
        raise ValidationError("The password needs at least {n} characters.", field="password",
                              key="errors.password_short", n=MIN_PASSWORD)
    if len(password) > MAX_PASSWORD:
        raise ValidationError("The password is too long.", field="password", key="errors.password_long")
    reason = password_weakness(password, email=email, name=name, current=current)
    if reason:
        raise ValidationError(_WEAKNESS[reason], field="password", key="errors.password_" + reason)
    return password


_WEAKNESS = {
    "blank": "The password cannot be only spaces.",
    "same": "The new password must differ from the current one.",
    "personal": "The password must not contain your email address or name.",
    "common": "This password is on the list of commonly used passwords.",
    "repeat": "The password repeats a character or a short pattern (like aaaa or abcabc).",
    "sequence": "The password is a simple sequence (like 12345 or abcde).",
    "keyboard": "The password follows a keyboard pattern (like qwerty).",
    "date": "The password is mostly a date or a year.",
    "weak": "The password is too easy to guess. Three or four unrelated words, or a longer mix, work well.",
}


def password_weakness(password: str, *, email: str = "", name: str = "", current: str | None = None) -> str | None:
    """Why a password of acceptable length is refused (a key of ``_WEAKNESS``), or None when it is fine."""
    from zxcvbn import zxcvbn
    from zxcvbn.matching import RANKED_DICTIONARIES

    if not password.strip():
        return "blank"
    if current is not None and password == current:
        return "same"
    lowered = password.lower()
    email = (email or "").strip().lower()
    local = email.split("@")[0]
    # the email and the whole name always refuse; single name parts only through zxcvbn (so "Maria" may
    # still be a word in a long passphrase, but not most of a short password)
    whole_name = re.sub(r"[\s.\-_]+", "", (name or "").lower())
    parts = [p for p in re.split(r"[\s.\-_]+", (name or "").lower()) if len(p) >= 2]
    if any(len(w) >= 4 and w in re.sub(r"[\s.\-_]+", "", lowered) for w in (email, local, whole_name)) or (
            len(parts) >= 2 and all(p in lowered for p in parts)):
        return "personal"
    if lowered in RANKED_DICTIONARIES["passwords"] or lowered.strip() in RANKED_DICTIONARIES["passwords"]:
        return "common"
    # zxcvbn refuses more than 72 characters; a strong start is strong enough, the rest only adds.
    result = zxcvbn(password[:72], user_inputs=[w for w in (email, local, *(name or "").split()) if w])
    if result["score"] >= MIN_SCORE:
        return None
    patterns = {m.get("dictionary_name") or m["pattern"] for m in result["sequence"]}
    for found, reason in (("user_inputs", "personal"), ("passwords", "common"), ("repeat", "repeat"),
                          ("sequence", "sequence"), ("spatial", "keyboard"), ("date", "date")):
        if found in patterns:
            return reason
    return "weak"


def generate_password() -> str:
    """A random password for an admin to hand over once (16 characters, ~96 bits)."""
    return secrets.token_urlsafe(12)


def _clean_name(name: str) -> str:
    from db.core.text import clean_text

    name = " ".join((clean_text(name, "name", 200) or "").split())
    if not name:
        raise ValidationError("Name is required.", field="name", key="errors.name_required")
    return name


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def create_user(conn: sqlite3.Connection, *, email: str, name: str, role: str, password: str,
                hourly_cost: float = 0.0, language: str = "en", actor: Actor = SYSTEM) -> int:
    email = validate_email(email)
    if role not in ROLES:
        raise ValidationError("Unknown role '{value}'.", field="role", key="errors.role", value=role)
    if language not in LANGUAGES:
        language = "en"
    if scalar(conn, "SELECT 1 FROM users WHERE email = ?", (email,)):
        raise ValidationError("A user with email {value} already exists.", field="email",
                              key="errors.email_taken", value=email)
    return records.create(conn, "users", {
        "email": email, "name": _clean_name(name), "role": role,
        "password_hash": hash_password(validate_password(password, email=email, name=name)),
        "hourly_cost": _cost(hourly_cost or 0), "language": language,
    }, actor)


def user_count(conn: sqlite3.Connection) -> int:
    return scalar(conn, "SELECT COUNT(*) FROM users WHERE deleted_at IS NULL") or 0


def has_demo_users(conn: sqlite3.Connection) -> bool:
    """True for a database built by db.io.seed (its users sign in at demo.example)."""
    return bool(scalar(conn, "SELECT 1 FROM users WHERE email LIKE '%@demo.example' LIMIT 1"))


def create_first_admin(conn: sqlite3.Connection, *, email: str, name: str, password: str) -> int:
    """Only allowed while there is no user at all (the empty-database set-up form)."""
    with write(conn):
        if user_count(conn):
            raise ValidationError("An administrator already exists; sign in instead.", field="email",
                                  key="errors.admin_exists")
        return create_user(conn, email=email, name=name, role="admin", password=password)


def authenticate(conn: sqlite3.Connection, email: str, password: str, address: str = "local") -> dict:
    """Return the user for a right email and password.

    Every failure looks the same: one message, one argon2 verification (a dummy hash for unknown emails),
    the same throttle (its keys are the typed email and the client ``address``, whether or not the account
    exists). Only a right password learns that the account is deactivated."""
    email = (email or "").strip().lower()
    if not email or not password:
        raise AuthError("Enter your email and password.", key="errors.auth_empty")
    keys = _throttle_keys(email, address)
    _claim_attempt(conn, keys)
    _dummy_hash()  # made on the first attempt of the process, whichever email it names
    user = one(conn, "SELECT * FROM users WHERE email = ? AND deleted_at IS NULL", (email,))
    if not _verify(user["password_hash"] if user else None, password):
        raise AuthError()
    _attempt_succeeded(conn, keys)
    if not user["active"]:
        raise AuthError("This account is deactivated. Ask an administrator.", key="errors.auth_inactive")
    if _hasher.check_needs_rehash(user["password_hash"]):
        with write(conn):
            conn.execute("UPDATE users SET password_hash = ? WHERE id = ?", (hash_password(password), user["id"]))
    return public(user)


@cache
def _dummy_hash() -> str:
    return _hasher.hash(secrets.token_urlsafe(16))


# At most this many argon2 checks at once (each ~0.2 s of one core): a burst of sign-ins queues here in
# turn instead of sharing the cores with each other and with every open page, so the first finish early and
# one core stays free for the people already working. The hash itself is not weakened.
VERIFY_SLOTS = max(1, (os.cpu_count() or 2) - 1)
_verify_slots = threading.BoundedSemaphore(VERIFY_SLOTS)


def _verify(digest: str | None, password: str) -> bool:
    """argon2 verification; an unknown account verifies against a dummy hash so it takes as long."""
    with _verify_slots:
        try:
            return _hasher.verify(digest or _dummy_hash(), password) and digest is not None
        except (VerificationError, InvalidHashError):
            return False


# --- throttling: growing delays per key, counted atomically before the slow hash --------------------

def _clock() -> float:
    """Wall-clock seconds for the throttle (one place, so tests can move time instead of sleeping)."""
    return time.time()


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _throttle_keys(email: str, address: str) -> list[tuple[str, str, str]]:
    """(scope, key hash, account hash) for this attempt; keys are hashed, the table holds no email."""
    account = _digest("account:" + email)
    address = (address or "local")[:100]
    return [("pair", _digest(f"pair:{email}\n{address}"), account), ("address", _digest("address:" + address), ""),
            ("account", account, account)]


def throttle_delay(scope: str, attempts: int) -> float:
    """Seconds the next attempt must wait after ``attempts`` attempts on a key of ``scope``."""
    free, cap = THROTTLE[scope]
    return 0.0 if attempts <= free else float(min(2 ** min(attempts - free, 20), cap))


def _claim_attempt(conn: sqlite3.Connection, keys) -> None:
    """Count this attempt on every key before the password is checked, or refuse it while a key waits.

    One ``BEGIN IMMEDIATE`` holds the check and the counting together (``failures = failures + 1
    RETURNING``), so parallel guesses are counted one by one and cannot all slip through before the
    first failure is written; the slow hash runs after, outside the lock."""
    with write(conn):
        now = _clock()  # read under the lock: an earlier reading could predate another attempt's write
        wait = 0.0
        for _, key, _ in keys:
            row = conn.execute("SELECT next_at FROM sign_in_failures WHERE key_hash = ? AND last_at >= ?",
                               (key, now - FORGET_AFTER)).fetchone()
            if row and row[0] > now:
                wait = max(wait, row[0] - now)
        if wait:
            raise AuthError("Too many sign-in attempts. Try again in {n} seconds.", key="errors.auth_wait",
                            n=math.ceil(wait))
        conn.execute("DELETE FROM sign_in_failures WHERE last_at < ?", (now - FORGET_AFTER,))
        for scope, key, account in keys:
            count = conn.execute(
                "INSERT INTO sign_in_failures (key_hash, account_hash, failures, last_at, next_at) "
                "VALUES (?, ?, 1, ?, ?) ON CONFLICT (key_hash) DO UPDATE SET failures = failures + 1, "
                "last_at = excluded.last_at RETURNING failures", (key, account or None, now, now)).fetchone()[0]
            conn.execute("UPDATE sign_in_failures SET next_at = ? WHERE key_hash = ?",
                         (now + throttle_delay(scope, count), key))


def _attempt_succeeded(conn: sqlite3.Connection, keys) -> None:
    """A right password clears its account's keys; the address only gets this attempt back."""
    with write(conn):
        now = _clock()
        for scope, key, _ in keys:
            if scope != "address":
                conn.execute("DELETE FROM sign_in_failures WHERE key_hash = ?", (key,))
                continue
            row = conn.execute("UPDATE sign_in_failures SET failures = MAX(failures - 1, 0) WHERE key_hash = ? "
                               "RETURNING failures, next_at", (key,)).fetchone()
            if row:
                conn.execute("UPDATE sign_in_failures SET next_at = ? WHERE key_hash = ?",
                             (min(row[1], now + throttle_delay(scope, row[0])), key))


def attempts(conn: sqlite3.Connection, email: str, address: str | None = None) -> int:
    """Attempts counted on an account (or on the account from ``address``) within the forget window."""
    keys = dict((scope, key) for scope, key, _ in _throttle_keys((email or "").strip().lower(), address or ""))
    key = keys["pair"] if address is not None else keys["account"]
    return scalar(conn, "SELECT failures FROM sign_in_failures WHERE key_hash = ? AND last_at >= ?",
                  (key, _clock() - FORGET_AFTER)) or 0


def clear_throttle(conn: sqlite3.Connection, email: str) -> None:
    """Forget an account's failed attempts (an admin reset its password)."""
    with write(conn):
        conn.execute("DELETE FROM sign_in_failures WHERE account_hash = ?", (_digest("account:" + email.lower()),))


def public(user: dict) -> dict:
    """The user without secrets, as pages keep it."""
    return {k: user[k] for k in ("id", "email", "name", "role", "language", "timezone", "hourly_cost", "active")}


def get_user(conn: sqlite3.Connection, user_id: int) -> dict | None:
    row = one(conn, "SELECT * FROM users WHERE id = ? AND deleted_at IS NULL AND active = 1", (user_id,))
    return public(row) if row else None


def list_users(conn: sqlite3.Connection, *, include_inactive: bool = False) -> list[dict]:
    sql = ("SELECT id, email, name, role, language, hourly_cost, active, version, locked_until FROM users "
           "WHERE deleted_at IS NULL")
    if not include_inactive:
        sql += " AND active = 1"
    return rows(conn, sql + " ORDER BY name")


def people(conn: sqlite3.Connection, *, include_inactive: bool = False) -> dict[int, str]:
    """{id: name} of the team, for owner and person pickers (inactive people too for filters on history)."""
    found = conn.execute("SELECT id, name, active FROM users WHERE deleted_at IS NULL ORDER BY name")
    return {r[0]: r[1] for r in found if include_inactive or r[2]}


USER_FIELDS = ("name", "email", "role", "hourly_cost", "language", "active")


def update_user(conn: sqlite3.Connection, user_id: int, version: int, changes: dict, actor: Actor) -> dict:
    """Admin edit of a user (validated; version-checked). Deactivating also ends their sessions."""
    clean: dict = {}
    for key, value in changes.items():
        if key not in USER_FIELDS:
            raise ValidationError("Unknown field(s): {names}", field=key, key="errors.unknown_fields", names=key)
        if key == "name":
            value = _clean_name(value)
        elif key == "email":
            value = validate_email(value)
            if scalar(conn, "SELECT 1 FROM users WHERE email = ? AND id != ?", (value, user_id)):
                raise ValidationError("A user with email {value} already exists.", field="email",
                                      key="errors.email_taken", value=value)
        elif key == "role" and value not in ROLES:
            raise ValidationError("Unknown role '{value}'.", field="role", key="errors.role", value=str(value)[:20])
        elif key == "language" and value not in LANGUAGES:
            raise ValidationError("Unknown language '{value}'.", field="language", key="errors.language",
                                  value=str(value)[:20])
        elif key == "hourly_cost":
            value = _cost(value)
        elif key == "active":
            value = 1 if value else 0
        clean[key] = value
    if user_id == actor.id and (clean.get("active") == 0 or clean.get("role", "admin") != "admin"):
        raise ValidationError("You cannot demote or deactivate yourself.", field="role", key="admin.err_self")
    with write(conn):
        row = records.update(conn, "users", user_id, version, clean, actor)
        if clean.get("active") == 0:
            conn.execute("UPDATE sessions SET revoked_at = datetime('now') WHERE user_id = ? AND revoked_at IS NULL",
                         (user_id,))
    return public(row)


def _cost(value) -> float:
    try:
        cost = float(value)
    except (TypeError, ValueError):
        raise ValidationError("Hourly cost must be a number.", field="hourly_cost", key="admin.err_cost") from None
    if not 0 <= cost <= 10_000:
        raise ValidationError("Hourly cost must be between 0 and 10,000.", field="hourly_cost", key="admin.err_cost")
    return cost


def reset_password(conn: sqlite3.Connection, user_id: int, actor: Actor) -> str:
    """Admin: give a user a new random password (shown once), end their sessions, forget their failed tries."""
    from db.core.permissions import check_write

    check_write(actor, "users", None, "reset passwords")
    password = generate_password()
    email = scalar(conn, "SELECT email FROM users WHERE id = ?", (user_id,)) or ""
    with write(conn):
        conn.execute("UPDATE users SET password_hash = ?, failed_logins = 0, locked_until = NULL WHERE id = ?",
                     (hash_password(password), user_id))
        conn.execute("UPDATE sessions SET revoked_at = datetime('now') WHERE user_id = ? AND revoked_at IS NULL",
                     (user_id,))
        clear_throttle(conn, email)
        records.audit(conn, actor, "users", user_id, "password", None, None)
    return password


def set_language(conn: sqlite3.Connection, user_id: int, language: str) -> None:
    if language not in LANGUAGES:
        raise ValidationError("Unknown language '{value}'.", field="language", key="errors.language", value=language)
    with write(conn):
        conn.execute("UPDATE users SET language = ? WHERE id = ?", (language, user_id))


def set_timezone(conn: sqlite3.Connection, user_id: int, tz: str) -> None:
    from zoneinfo import available_timezones

    if tz not in available_timezones():
        raise ValidationError("Unknown time zone '{value}'.", field="timezone", key="account.err_timezone", value=tz[:60])
    with write(conn):
        conn.execute("UPDATE users SET timezone = ? WHERE id = ?", (tz, user_id))


def revoke_all_sessions(conn: sqlite3.Connection, user_id: int, *, keep: str | None = None) -> int:
    """Sign a person out everywhere (but the session of token ``keep``); returns how many sessions ended."""
    with write(conn):
        return conn.execute("UPDATE sessions SET revoked_at = datetime('now') WHERE user_id = ? AND revoked_at IS NULL "
                            "AND token_hash != ?", (user_id, _token_hash(keep) if keep else "")).rowcount


def change_password(conn: sqlite3.Connection, user_id: int, old: str, new: str, *, keep: str | None = None,
                    address: str = "local") -> None:
    """Check the current password (throttled like a sign-in), apply the policy, end the other sessions.

    ``keep`` is the token of the session making the change: it stays signed in."""
    row = one(conn, "SELECT * FROM users WHERE id = ?", (user_id,))
    if row is None:
        raise AuthError()
    keys = _throttle_keys(row["email"], address)
    _claim_attempt(conn, keys)
    if not _verify(row["password_hash"], old or ""):
        raise ValidationError("The current password is wrong.", field="old_password", key="errors.password_wrong")
    _attempt_succeeded(conn, keys)
    digest = hash_password(validate_password(new, email=row["email"], name=row["name"], current=old))
    with write(conn):
        conn.execute("UPDATE users SET password_hash = ? WHERE id = ?", (digest, user_id))
        revoke_all_sessions(conn, user_id, keep=keep)
        records.audit(conn, Actor(user_id, row["role"]), "users", user_id, "password", None, None)


# --- sessions: the cookie holds a random token; only its hash is stored ---------------------------

def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_session(conn: sqlite3.Connection, user_id: int, days: int = SESSION_DAYS) -> str:
    token = secrets.token_urlsafe(32)
    expires = _utc(datetime.now(UTC) + timedelta(days=days))
    with write(conn):
        conn.execute("INSERT INTO sessions (token_hash, user_id, expires_at) VALUES (?, ?, ?)",
                     (_token_hash(token), user_id, expires))
    return token


def session_user(conn: sqlite3.Connection, token: str | None) -> dict | None:
    """The user behind a live session token, or None for a forged, expired or revoked one, or a user who
    was deactivated or deleted. One lookup by primary key joined to the user: cheap enough for every
    script run, which is how a revocation reaches tabs that are already open."""
    if not isinstance(token, str) or not token or len(token) > 200:
        return None
    row = one(conn, "SELECT u.* FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = ? "
              "AND s.revoked_at IS NULL AND s.expires_at > ? AND u.active = 1 AND u.deleted_at IS NULL",
              (_token_hash(token), _utc(datetime.now(UTC))))
    return public(row) if row else None


def _seal(ticket: str, token: str) -> str:
    """The session token XOR a keystream drawn from the one-time ticket: the row alone reveals nothing."""
    data = token.encode()
    stream = hashlib.shake_256(b"crm-ticket-seal:" + ticket.encode()).digest(len(data))
    return bytes(a ^ b for a, b in zip(data, stream, strict=True)).hex()


def _unseal(ticket: str, sealed: str) -> str | None:
    try:
        data = bytes.fromhex(sealed)
        stream = hashlib.shake_256(b"crm-ticket-seal:" + ticket.encode()).digest(len(data))
        return bytes(a ^ b for a, b in zip(data, stream, strict=True)).decode()
    except (ValueError, UnicodeDecodeError):
        return None


def create_ticket(conn: sqlite3.Connection, token: str, seconds: int = 60) -> str | None:
    """A one-time, short-lived ticket the browser trades for a cookie holding the session ``token``.

    The cookie then carries the same session as the tab that signed in, so signing out anywhere in that
    browser ends both. None when the session is not live."""
    user_id = scalar(conn, "SELECT user_id FROM sessions WHERE token_hash = ? AND revoked_at IS NULL",
                     (_token_hash(token),))
    if user_id is None:
        return None
    ticket = secrets.token_urlsafe(32)
    now = datetime.now(UTC)
    with write(conn):
        conn.execute("DELETE FROM sign_in_tickets WHERE expires_at < ?", (_utc(now - timedelta(minutes=5)),))
        conn.execute("INSERT INTO sign_in_tickets (token_hash, user_id, expires_at, sealed) VALUES (?, ?, ?, ?)",
                     (_token_hash(ticket), user_id, _utc(now + timedelta(seconds=seconds)), _seal(ticket, token)))
    return ticket


def redeem_ticket(conn: sqlite3.Connection, ticket: str | None) -> str | None:
    """Trade a live, unused ticket for its session token (None for anything else); the seal is erased."""
    if not isinstance(ticket, str) or not ticket or len(ticket) > 200:
        return None
    with write(conn):
        row = one(conn, "SELECT expires_at, used_at, sealed FROM sign_in_tickets WHERE token_hash = ?",
                  (_token_hash(ticket),))
        if not row or row["used_at"] or not row["sealed"] or row["expires_at"] <= _utc(datetime.now(UTC)):
            return None
        conn.execute("UPDATE sign_in_tickets SET used_at = datetime('now'), sealed = NULL WHERE token_hash = ?",
                     (_token_hash(ticket),))
    token = _unseal(ticket, row["sealed"])
    return token if session_user(conn, token) else None


def revoke_session(conn: sqlite3.Connection, token: str | None, *, wait: float = 0.0) -> None:
    """End one session. While another writer holds the database, retry for up to ``wait`` seconds (each
    try also waits the connection's busy timeout); then ``DatabaseUnavailable`` propagates."""
    if not token:
        return
    deadline = time.monotonic() + wait
    while True:
        try:
            with write(conn):
                conn.execute("UPDATE sessions SET revoked_at = datetime('now') WHERE token_hash = ? "
                             "AND revoked_at IS NULL", (_token_hash(token),))
            return
        except DatabaseUnavailable:
            if time.monotonic() >= deadline:
                raise
            time.sleep(0.2)
