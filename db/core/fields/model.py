"""What a custom field is, and reading the definitions (every part of the app asks here which fields exist)."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass

from db.core.errors import NotFoundError, ValidationError
from db.core.permissions import Actor

ENTITIES = ("contacts", "companies", "deals", "activities")
TYPES = ("text", "long_text", "number", "money", "percent", "date", "datetime", "checkbox", "choice",
         "multi_choice", "url", "email", "phone", "user", "contact", "company")
TEXT_TYPES = ("text", "long_text", "url", "email", "phone")  # searched through the full-text index
NUMERIC = ("number", "money", "percent")
LINKS = {"user": "users", "contact": "contacts", "company": "companies"}
UNINDEXED = ("long_text", "multi_choice")  # not filtered by value or sorted: an index would only cost writes
MAX_ACTIVE = 100  # per entity; archived fields keep their column (SQLite allows 2000 per table)
MAX_COLUMNS = 400
MAX_OPTIONS = 200
CHUNK = 2000  # rows per write transaction when a change rewrites stored values (keeps each lock short)
LIMITS = {"text": 500, "long_text": 10_000, "url": 2000, "email": 320, "phone": 40}
@dataclass(frozen=True)
class Field:
    """One custom field's definition; ``column`` is where the values live on the entity's table."""

    id: int
    entity: str
    key: str
    type: str
    labels: dict
    help: dict
    required: bool
    default: object
    unique: bool
    position: int
    section: str
    options: tuple[str, ...]
    view_roles: tuple[str, ...]
    edit_roles: tuple[str, ...]
    archived: bool
    version: int

    @property
    def column(self) -> str:
        return f"cf_{self.id}"

    def label(self, lang: str = "en") -> str:
        return self.labels.get(lang) or self.labels.get("en") or next(iter(self.labels.values()), self.key)

    def help_text(self, lang: str = "en") -> str:
        return self.help.get(lang) or self.help.get("en") or ""

    def may_view(self, actor: Actor) -> bool:
        return actor.role == "admin" or actor.role in self.view_roles

    def may_edit(self, actor: Actor) -> bool:
        return actor.role == "admin" or (actor.role in self.edit_roles and self.may_view(actor))


def from_row(row) -> Field:
    return Field(
        id=row["id"], entity=row["entity"], key=row["key"], type=row["type"], labels=json.loads(row["labels"]),
        help=json.loads(row["help"] or "{}"), required=bool(row["required"]),
        default=json.loads(row["default_value"]) if row["default_value"] is not None else None,
        unique=bool(row["is_unique"]), position=row["position"], section=row["section"] or "",
        options=tuple(json.loads(row["options"] or "[]")), view_roles=tuple(json.loads(row["view_roles"])),
        edit_roles=tuple(json.loads(row["edit_roles"])), archived=row["archived_at"] is not None,
        version=row["version"])


def all_fields(conn: sqlite3.Connection, entity: str, *, archived: bool = True) -> list[Field]:
    """Every field of ``entity`` in their order (archived ones last when included)."""
    _entity(entity)
    sql = "SELECT * FROM custom_fields WHERE entity = ? AND deleted_at IS NULL"
    if not archived:
        sql += " AND archived_at IS NULL"
    return [from_row(r) for r in conn.execute(sql + " ORDER BY archived_at IS NOT NULL, position, id", (entity,))]


def active(conn: sqlite3.Connection, entity: str) -> list[Field]:
    """The fields in use on ``entity``, in the admin's order (a small indexed read, microseconds)."""
    return all_fields(conn, entity, archived=False)


def visible(conn: sqlite3.Connection, entity: str, actor: Actor) -> list[Field]:
    return [f for f in active(conn, entity) if f.may_view(actor)]


def editable(conn: sqlite3.Connection, entity: str, actor: Actor) -> list[Field]:
    return [f for f in active(conn, entity) if f.may_edit(actor)]


def hidden(conn: sqlite3.Connection, entity: str, actor: Actor) -> set[str]:
    """The columns of ``entity``'s fields (archived ones too: history names them) that ``actor`` may not see."""
    return {f.column for f in all_fields(conn, entity) if not f.may_view(actor)}


def get(conn: sqlite3.Connection, field_id: int) -> Field:
    row = conn.execute("SELECT * FROM custom_fields WHERE id = ? AND deleted_at IS NULL", (field_id,)).fetchone()
    if row is None:
        raise NotFoundError(entity="custom_fields", id=field_id)
    return from_row(row)


def by_column(conn: sqlite3.Connection, entity: str) -> dict[str, Field]:
    """``{"cf_3": Field}`` for every field of ``entity``, archived included (history names them too)."""
    return {f.column: f for f in all_fields(conn, entity)}


def strip(conn: sqlite3.Connection, entity: str, row: dict, actor: Actor) -> dict:
    """``row`` without the custom columns ``actor`` may not see, nor archived ones (a read never shows a
    hidden field)."""
    shown = {f.column for f in visible(conn, entity, actor)}
    return {k: v for k, v in row.items() if not k.startswith("cf_") or k in shown}


def _entity(entity: str) -> str:
    if entity not in ENTITIES:
        raise ValidationError("Custom fields can be added to contacts, companies, deals and activities.",
                              field="entity", key="custom.err_entity")
    return entity
