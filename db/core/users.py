"""Users, password hashing (argon2) and server-side sign-in sessions."""

from __future__ import annotations

import hashlib
import re
import secrets
import sqlite3
import time
from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from db.core import records
from db.core.connection import one, rows, scalar, write
from db.core.errors import AuthError, ValidationError
from db.core.permissions import ROLES, SYSTEM, Actor

# One address rule for users and contacts: a dot-atom local part (no leading, trailing or double dots) and a
# domain of labels that neither are empty (a@example..com) nor start or end with a hyphen; a TLD of 2+ characters,
# not all digits. Unicode letters are allowed (internationalised addresses).
_ATOM = r"[^@\s<>\"'.,;:()\[\]\\]+"
_LABEL = r"[^@\s<>\"'.,;:()\[\]\\_-](?:[^@\s<>\"'.,;:()\[\]\\_]{0,61}[^@\s<>\"'.,;:()\[\]\\_-])?"
EMAIL_RE = re.compile(rf"^(?=[^@]{{1,64}}@)(?=.{{1,320}}$){_ATOM}(?:\.{_ATOM})*@(?:{_LABEL}\.)+(?!\d+$)(?=[^.]{{2,}}$){_LABEL}$")
LANGUAGES = ("en", "ru", "uk", "bg")
MIN_PASSWORD = 10
MAX_FAILED = 5
FAIL_DELAY = 0.25  # seconds per recent failure: repeated guesses get slower before the lock
LOCK_MINUTES = 15
SESSION_DAYS = 14
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


def validate_password(password: str) -> str:
    if len(password or "") < MIN_PASSWORD:
        raise ValidationError("The password needs at least {n} characters.", field="password",
                              key="errors.password_short", n=MIN_PASSWORD)
    if len(password) > 1024:
        raise ValidationError("The password is too long.", field="password", key="errors.password_long")
    return password


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
        "password_hash": hash_password(validate_password(password)),
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


def authenticate(conn: sqlite3.Connection, email: str, password: str) -> dict:
    """Return the user for a right email and password; count failures and lock after several."""
    email = (email or "").strip().lower()
    if not email or not password:
        raise AuthError("Enter your email and password.", key="errors.auth_empty")
    user = one(conn, "SELECT * FROM users WHERE email = ? AND deleted_at IS NULL", (email,))
    if user is None:
        _hasher.hash("timing-equaliser")
        raise AuthError()
    stamp = _utc(datetime.now(UTC))
    if user["locked_until"] and user["locked_until"] > stamp:
        raise AuthError("Too many failed sign-ins. Try again after {until} UTC.", key="errors.auth_locked",
                        until=user["locked_until"])
    if not user["active"]:
        raise AuthError("This account is deactivated. Ask an administrator.", key="errors.auth_inactive")
    try:
        _hasher.verify(user["password_hash"], password)
    except (VerificationError, InvalidHashError):
        _record_failure(conn, user)
        time.sleep(FAIL_DELAY * min(user["failed_logins"] + 1, MAX_FAILED))
        raise AuthError() from None
    with write(conn):
        conn.execute("UPDATE users SET failed_logins = 0, locked_until = NULL WHERE id = ?", (user["id"],))
    return public(user)


def _record_failure(conn, user: dict) -> None:
    failed = user["failed_logins"] + 1
    locked = None
    if failed >= MAX_FAILED:
        locked = _utc(datetime.now(UTC) + timedelta(minutes=LOCK_MINUTES))
        failed = 0
    with write(conn):
        conn.execute("UPDATE users SET failed_logins = ?, locked_until = ? WHERE id = ?", (failed, locked, user["id"]))


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
    """Admin: give a user a new random password (shown once) and end their sessions."""
    from db.core.permissions import check_write

    check_write(actor, "users", None, "reset passwords")
    password = secrets.token_urlsafe(9)
    with write(conn):
        conn.execute("UPDATE users SET password_hash = ?, failed_logins = 0, locked_until = NULL WHERE id = ?",
                     (hash_password(password), user_id))
        conn.execute("UPDATE sessions SET revoked_at = datetime('now') WHERE user_id = ? AND revoked_at IS NULL",
                     (user_id,))
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


def revoke_all_sessions(conn: sqlite3.Connection, user_id: int) -> int:
    """Sign a person out everywhere; returns how many sessions were live."""
    with write(conn):
        return conn.execute("UPDATE sessions SET revoked_at = datetime('now') WHERE user_id = ? AND revoked_at IS NULL",
                            (user_id,)).rowcount


def change_password(conn: sqlite3.Connection, user_id: int, old: str, new: str) -> None:
    row = one(conn, "SELECT * FROM users WHERE id = ?", (user_id,))
    try:
        _hasher.verify(row["password_hash"], old or "")
    except (VerificationError, InvalidHashError):
        raise ValidationError("The current password is wrong.", field="old_password", key="errors.password_wrong") from None
    digest = hash_password(validate_password(new))
    with write(conn):
        conn.execute("UPDATE users SET password_hash = ? WHERE id = ?", (digest, user_id))
        conn.execute("UPDATE sessions SET revoked_at = datetime('now') WHERE user_id = ? AND revoked_at IS NULL",
                     (user_id,))
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
    """The user behind a live session token, or None for a forged, expired or revoked one."""
    if not isinstance(token, str) or not token or len(token) > 200:
        return None
    row = one(conn, "SELECT user_id, expires_at, revoked_at FROM sessions WHERE token_hash = ?", (_token_hash(token),))
    if not row or row["revoked_at"] or row["expires_at"] <= _utc(datetime.now(UTC)):
        return None
    return get_user(conn, row["user_id"])


def create_ticket(conn: sqlite3.Connection, user_id: int, seconds: int = 60) -> str:
    """A one-time, short-lived ticket the browser trades for a session cookie."""
    ticket = secrets.token_urlsafe(32)
    expires = _utc(datetime.now(UTC) + timedelta(seconds=seconds))
    with write(conn):
        conn.execute("INSERT INTO sign_in_tickets (token_hash, user_id, expires_at) VALUES (?, ?, ?)",
                     (_token_hash(ticket), user_id, expires))
    return ticket


def redeem_ticket(conn: sqlite3.Connection, ticket: str | None) -> str | None:
    """Trade a live, unused ticket for a new session token (None for anything else)."""
    if not ticket or len(ticket) > 200:
        return None
    with write(conn):
        row = one(conn, "SELECT user_id, expires_at, used_at FROM sign_in_tickets WHERE token_hash = ?",
                  (_token_hash(ticket),))
        if not row or row["used_at"] or row["expires_at"] <= _utc(datetime.now(UTC)):
            return None
        conn.execute("UPDATE sign_in_tickets SET used_at = datetime('now') WHERE token_hash = ?",
                     (_token_hash(ticket),))
        if get_user(conn, row["user_id"]) is None:
            return None
        return create_session(conn, row["user_id"])


def revoke_session(conn: sqlite3.Connection, token: str | None) -> None:
    if not token:
        return
    with write(conn):
        conn.execute("UPDATE sessions SET revoked_at = datetime('now') WHERE token_hash = ? AND revoked_at IS NULL",
                     (_token_hash(token),))
