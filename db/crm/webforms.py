"""Web-to-lead forms: what an admin sets up, and what a public post does (a lead, or a note on a known one).

A post is validated by ``contacts.clean`` (the pages' rules), becomes a contact through ``contacts.create``
(so the audit log, search, rollups and webhooks see it like any other), counted for the form's campaign
and its channel, owned by the fixed owner or the next one in turn, with the form's tags. A known email
gets a note on the existing contact instead of a duplicate. Spam: a honeypot field that people never see
and a per-address rate limit.
"""

from __future__ import annotations

import json
import secrets
import sqlite3
import time
from urllib.parse import urlsplit

from db.core import fields, records
from db.core.connection import now, one, rows, write
from db.core.errors import DomainError, NotFoundError, ValidationError
from db.core.permissions import Actor, check_write
from db.core.text import clean_text
from db.crm import contacts

FIELDS = ("first_name", "last_name", "email", "phone", "title", "message")  # what a form may ask
REQUIRED = ("first_name",)  # contacts.clean's own rule; email is strongly suggested but not forced
HONEYPOT = "website"  # hidden from people by the snippet; a bot that fills it gets a thank-you and no lead
RATE_LIMIT = 10  # posts per address ...
RATE_WINDOW = 3600.0  # ... per hour
MESSAGE_LIMIT = 5000
FORM_ACTOR = Actor(id=None, role="admin", name="web form")
CUSTOM = "custom."  # a form's field list names a contact custom field as "custom.<key>"; its input is "<key>"
CUSTOM_TYPES = ("text", "long_text", "number", "money", "percent", "date", "checkbox", "choice", "url", "email",
                "phone")  # not links to records (internal ids) nor multiple choice
RESERVED = {*FIELDS, HONEYPOT}


class RateLimited(DomainError):
    """Too many posts from one address; ``retry_after`` seconds until the next is accepted."""

    key = "forms.err_rate"
    template = "Too many submissions from your address. Try again later."

    def __init__(self, retry_after: int):
        self.retry_after = retry_after
        super().__init__()


def custom_fields(conn: sqlite3.Connection) -> dict[str, fields.Field]:
    """The contact custom fields a public form may ask, as ``{"custom.<key>": Field}``."""
    return {CUSTOM + f.key: f for f in fields.active(conn, "contacts")
            if f.type in CUSTOM_TYPES and f.key not in RESERVED}


def clean_form(conn: sqlite3.Connection, values: dict) -> dict:
    """An admin's form settings, checked; raises ``ValidationError`` naming the field."""
    name = " ".join((clean_text(values.get("name"), "name", 100) or "").split())
    if not name:
        raise ValidationError("A name is required.", field="name", key="hooks.err_name")
    asked, custom = list(values.get("fields") or ()), custom_fields(conn)
    chosen = [f for f in FIELDS if f in asked] + [f for f in asked if f in custom]
    if "first_name" not in chosen:
        chosen.insert(0, "first_name")
    missing = [f.label() for f in fields.active(conn, "contacts") if f.required and f.default is None
               and CUSTOM + f.key not in chosen]
    if missing:
        raise ValidationError("Add the required field(s) {names}: a lead cannot be saved without them.",
                              field="fields", key="forms.err_required", names=", ".join(missing))
    campaign_id = values.get("campaign_id") or None
    if campaign_id is not None and one(conn, "SELECT 1 FROM campaigns WHERE id = ? AND deleted_at IS NULL",
                                       (campaign_id,)) is None:
        raise ValidationError("{field}: choose from the list.", field="campaign_id", key="contacts.err_choice")
    mode = values.get("owner_mode") or "fixed"
    owners = [int(u) for u in values.get("owners") or []]
    active = {r["id"] for r in rows(conn, "SELECT id FROM users WHERE active = 1 AND deleted_at IS NULL")}
    if mode not in ("fixed", "round_robin") or not owners or not set(owners) <= active or (
            mode == "fixed" and len(owners) != 1):
        raise ValidationError("Choose who gets the leads.", field="owners", key="forms.err_owners")
    tags = contacts.clean({"tags": values.get("tags") or ""})["tags"]
    redirect = (values.get("redirect_url") or "").strip() or None
    if redirect and (urlsplit(redirect).scheme not in ("http", "https") or not urlsplit(redirect).hostname):
        raise ValidationError("Enter a full http:// or https:// address.", field="redirect_url", key="hooks.err_url")
    return {"name": name, "fields": chosen, "campaign_id": campaign_id, "owner_mode": mode, "owners": owners,
            "tags": tags, "redirect_url": redirect}


def create(conn: sqlite3.Connection, values: dict, actor: Actor) -> dict:
    """A new form with an unguessable public id; audited."""
    check_write(actor, "settings", None, "web forms")
    data = clean_form(conn, values)
    public_id = secrets.token_urlsafe(12)
    with write(conn):
        cur = conn.execute(
            "INSERT INTO webforms (public_id, name, fields, campaign_id, owner_mode, owners, tags, redirect_url, "
            "created_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (public_id, data["name"], json.dumps(data["fields"]), data["campaign_id"], data["owner_mode"],
             json.dumps(data["owners"]), data["tags"], data["redirect_url"], now(), actor.id))
        records.audit(conn, actor, "webforms", cur.lastrowid, "create", None, data)
    return get(conn, cur.lastrowid)


def update(conn: sqlite3.Connection, form_id: int, values: dict, actor: Actor) -> dict:
    check_write(actor, "settings", None, "web forms")
    before = get(conn, form_id)
    data = clean_form(conn, {**before, **values})
    data["active"] = int(bool(values.get("active", before["active"])))
    diff = {k: v for k, v in data.items() if before[k] != v}
    if diff:
        with write(conn):
            conn.execute("UPDATE webforms SET name = ?, fields = ?, campaign_id = ?, owner_mode = ?, owners = ?, "
                         "tags = ?, redirect_url = ?, active = ? WHERE id = ?",
                         (data["name"], json.dumps(data["fields"]), data["campaign_id"], data["owner_mode"],
                          json.dumps(data["owners"]), data["tags"], data["redirect_url"], data["active"], form_id))
            records.audit(conn, actor, "webforms", form_id, "update", {k: before[k] for k in diff}, diff)
    return get(conn, form_id)


def delete(conn: sqlite3.Connection, form_id: int, actor: Actor) -> None:
    """The form stops answering (404); the leads it brought stay."""
    check_write(actor, "settings", None, "web forms")
    get(conn, form_id)
    stamp = now()
    with write(conn):
        conn.execute("UPDATE webforms SET deleted_at = ?, active = 0 WHERE id = ?", (stamp, form_id))
        records.audit(conn, actor, "webforms", form_id, "delete", {"deleted_at": None}, {"deleted_at": stamp})


def _form(row: dict) -> dict:
    return {**row, "fields": json.loads(row["fields"]), "owners": json.loads(row["owners"])}


_SELECT = ("SELECT f.id, f.public_id, f.name, f.fields, f.campaign_id, f.owner_mode, f.owners, f.last_owner_id, f.tags, "
            "f.redirect_url, f.active, f.created_at, cp.name AS campaign, cp.channel "
           "FROM webforms f LEFT JOIN campaigns cp ON cp.id = f.campaign_id ")


def get(conn: sqlite3.Connection, form_id: int) -> dict:
    row = one(conn, _SELECT + "WHERE f.id = ? AND f.deleted_at IS NULL", (form_id,))
    if row is None:
        raise NotFoundError(entity="webforms", id=form_id)
    return _form(row)


def by_public_id(conn: sqlite3.Connection, public_id: str) -> dict:
    """The active form behind a public link; ``NotFoundError`` for an unknown, switched-off or removed one."""
    row = one(conn, _SELECT + "WHERE f.public_id = ? AND f.active = 1 AND f.deleted_at IS NULL",
              (str(public_id)[:64],))
    if row is None:
        raise NotFoundError(entity="webforms", id=str(public_id)[:20])
    return _form(row)


def all_forms(conn: sqlite3.Connection) -> list[dict]:
    """Every form with the number of leads its campaign holds from it (contacts created by the form)."""
    out = rows(conn, _SELECT + "WHERE f.deleted_at IS NULL ORDER BY f.id")
    return [_form(r) for r in out]


def hit(conn: sqlite3.Connection, address: str, *, limit: int = RATE_LIMIT, window: float = RATE_WINDOW) -> None:
    """Count one post from ``address``; raise ``RateLimited`` past ``limit`` posts in ``window`` seconds.
    Its own small transaction, so refused and invalid posts count too."""
    at = time.time()
    with write(conn):
        conn.execute("DELETE FROM webform_hits WHERE at < ?", (at - window,))  # nothing older is ever needed
        recent = rows(conn, "SELECT at FROM webform_hits WHERE address = ? ORDER BY at", (address,))
        if len(recent) >= limit:
            raise RateLimited(retry_after=max(int(recent[0]["at"] + window - at) + 1, 1))
        conn.execute("INSERT INTO webform_hits (address, at) VALUES (?, ?)", (address, at))


def _next_owner(conn: sqlite3.Connection, form: dict) -> int:
    """The fixed owner, or the one after the last lead's owner among the form's (still active) people."""
    active = {r["id"] for r in rows(conn, "SELECT id FROM users WHERE active = 1 AND deleted_at IS NULL")}
    owners = [u for u in form["owners"] if u in active] or form["owners"]
    if form["owner_mode"] == "fixed" or len(owners) == 1:
        return owners[0]
    last = one(conn, "SELECT last_owner_id FROM webforms WHERE id = ?", (form["id"],))["last_owner_id"]
    pick = owners[(owners.index(last) + 1) % len(owners)] if last in owners else owners[0]
    conn.execute("UPDATE webforms SET last_owner_id = ? WHERE id = ?", (pick, form["id"]))
    return pick


def submit(conn: sqlite3.Connection, public_id: str, data: dict, address: str) -> dict:
    """Handle one public post: ``{"status": "created"|"known"|"ignored", "contact_id", "redirect_url"}``.

    Raises ``NotFoundError`` (no such form), ``RateLimited`` or ``ValidationError`` (the field is named)."""
    form = by_public_id(conn, public_id)
    hit(conn, address)
    if str(data.get(HONEYPOT) or "").strip():
        return {"status": "ignored", "contact_id": None, "redirect_url": form["redirect_url"]}
    values = contacts.clean({k: data.get(k) for k in form["fields"] if k in contacts.EDITABLE})
    custom = [(f, data.get(f.key)) for k, f in custom_fields(conn).items() if k in form["fields"]]
    for field in REQUIRED:
        if not values.get(field):
            raise ValidationError("First name is required.", field=field, key="contacts.err_first_name")
    message = clean_text(data.get("message"), "message", MESSAGE_LIMIT, multiline=True) if (
        "message" in form["fields"]) else None
    with write(conn):
        known = one(conn, "SELECT id, owner_id FROM contacts WHERE email = ? COLLATE NOCASE AND deleted_at IS NULL "
                          "ORDER BY id LIMIT 1", (values["email"],)) if values.get("email") else None
        typed = {**values, **{f.label(): v for f, v in custom if v not in (None, "")}}
        if known:
            _note(conn, form, known["id"], known["owner_id"], typed, message)
            return {"status": "known", "contact_id": known["id"], "redirect_url": form["redirect_url"]}
        owner = _next_owner(conn, form)
        lead = contacts.clean({"owner_id": owner, "lifecycle": "lead", "campaign_id": form["campaign_id"],
                               "channel": form["channel"], "tags": form["tags"]})
        try:  # the custom values are checked by the write path (db/core/fields), like every other write
            contact_id = records.create(conn, "contacts", {**values, **lead, **{f.column: v for f, v in custom}},
                                        FORM_ACTOR)
        except ValidationError as err:
            raise _by_key(err, fields.by_column(conn, "contacts")) from err
        _note(conn, form, contact_id, owner, typed, message)
    return {"status": "created", "contact_id": contact_id, "redirect_url": form["redirect_url"]}


def _by_key(err: ValidationError, by_column: dict) -> ValidationError:
    """A custom field's error named by the field's key (what the form posts), not its column."""
    field = by_column.get(err.field)
    if field is not None:
        err.field = field.key
        err.params["field"] = field.label()
    return err


def _note(conn, form: dict, contact_id: int, owner_id: int | None, values: dict, message: str | None) -> None:
    """The post on the contact's timeline: which form, what was typed."""
    lines = [f"{k}: {v}" for k, v in values.items() if v]
    if message:
        lines += ["", message]
    stamp = now()
    records.create(conn, "activities", {
        "kind": "note", "subject": f"Web form: {form['name']}"[:120], "notes": "\n".join(lines)[:MESSAGE_LIMIT],
        "contact_id": contact_id, "owner_id": owner_id, "starts_at": stamp, "done": 1, "done_at": stamp,
        "duration_min": 0}, FORM_ACTOR)
