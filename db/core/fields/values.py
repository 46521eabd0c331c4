"""Custom field values: converted and checked by type, and given out in the shape the API and exports use.

``check`` is called by the one write path (``records``, ``bulk``) for every create and update, so no page,
import or API call gets around a field's rules."""

from __future__ import annotations

import json
import re
import sqlite3
import unicodedata

from db.core.errors import PermissionDenied, ValidationError
from db.core.fields.model import ENTITIES, LIMITS, LINKS, NUMERIC, Field, all_fields
from db.core.permissions import ROLES, Actor
from db.core.text import UTC_FMT, clean_day, clean_moment, clean_number, clean_text

_URL = re.compile(r"^https?://[^\s/$.?#][^\s]*$", re.IGNORECASE)
_TRUE = {"1", "true", "yes", "y", "on", "x", "да", "так", "✓"}
_FALSE = {"0", "false", "no", "n", "off", "нет", "ні", "не", ""}


def clean_value(conn: sqlite3.Connection, field: Field, value, *, row: int | None = None, name: str | None = None):
    """``value`` as stored for ``field`` (None for empty); a ``ValidationError`` at the field otherwise."""
    name = name or field.column
    if value is None or (isinstance(value, str) and not value.strip()) or value == []:
        return 0 if field.type == "checkbox" and value is not None else None
    kind = field.type
    if kind in LIMITS:
        text = clean_text(value, name, LIMITS[kind], row=row, multiline=kind == "long_text")
        if text is None:
            return None
        if kind == "url" and not _URL.match(text):
            raise ValidationError("'{value}' is not a web address; start it with https://.", field=name, row=row,
                                  key="custom.err_url", value=text[:80])
        if kind == "email":
            from db.core.users import EMAIL_RE
            if not EMAIL_RE.match(text):
                raise ValidationError("'{value}' is not a valid email address.", field=name, row=row,
                                      key="errors.email_invalid", value=text[:80])
            return text.lower()
        if kind == "phone":
            return normalise_phone(text, None, row, name)
        return text
    if kind in NUMERIC:
        if isinstance(value, bool):
            raise ValidationError("{field} must be a number.", field=name, row=row, key="errors.number")
        if isinstance(value, str):
            value = value.strip().rstrip("%").strip()
        number = clean_number(value, name, low=-1e15, high=1e15, row=row)
        return int(number) if number.is_integer() and abs(number) < 2**53 else number
    if kind == "date":
        return clean_day(value, name, row=row).isoformat()
    if kind == "datetime":
        return clean_moment(value, name, row=row).strftime(UTC_FMT)
    if kind == "checkbox":
        if isinstance(value, bool | int) and value in (0, 1):
            return int(value)
        text = str(value).strip().lower()
        if text in _TRUE or text in _FALSE:
            return int(text in _TRUE)
        raise ValidationError("{field}: answer yes or no.", field=name, row=row, key="custom.err_checkbox")
    if kind == "choice":
        return _choice(field, value, name, row)
    if kind == "multi_choice":
        items = value if isinstance(value, list | tuple | set) else _split(value)
        picked = list(dict.fromkeys(_choice(field, v, name, row) for v in items if str(v).strip()))
        return json.dumps(picked, ensure_ascii=False) if picked else None
    if kind in LINKS:
        return _link(conn, field, value, name, row)
    raise ValueError(f"unknown field type {kind!r}")


def _split(value) -> list[str]:
    if isinstance(value, str) and value.strip().startswith("["):
        try:
            parsed = json.loads(value)
            if isinstance(parsed, list):
                return [str(v) for v in parsed]
        except ValueError:
            pass
    return [p for p in re.split(r"[;,\n|]", str(value))]


def _choice(field: Field, value, name: str, row: int | None) -> str:
    text = str(value).strip()
    for option in field.options:  # exact first, then ignoring case and spaces (imports, the API)
        if option == text:
            return option
    folded = _fold(text)
    for option in field.options:
        if _fold(option) == folded:
            return option
    raise ValidationError("'{value}' is not one of the choices of {field}.", field=name, row=row,
                          key="custom.err_choice", value=text[:80])


def _fold(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def _link(conn, field: Field, value, name: str, row: int | None) -> int:
    try:
        ref = int(value)
    except (TypeError, ValueError):
        raise ValidationError("{field}: choose from the list.", field=name, row=row, key="contacts.err_choice") from None
    table = LINKS[field.type]
    alive = "active = 1" if table == "users" else "deleted_at IS NULL"
    if not 0 < ref < 2**63 or conn.execute(f"SELECT 1 FROM {table} WHERE id = ? AND {alive}", (ref,)).fetchone() \
            is None:
        raise ValidationError("{field}: choose from the list.", field=name, row=row, key="contacts.err_choice")
    return ref


def normalise_phone(raw: str, region: str | None = None, row: int | None = None, field: str = "phone") -> str:
    """E.164 (+4930123456), with its extension kept; a number without a country code needs ``region``."""
    import phonenumbers

    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_possible_number(number):
        raise ValidationError("'{value}' is not a phone number; include the country code, e.g. +49 30 1234567.",
                              field=field, row=row, key="contacts.err_phone", value=raw[:40])
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return f"{e164} ext. {number.extension}" if number.extension else e164


def public(field: Field, value):
    """A stored value as the API, webhooks and exports give it (a list for multiple choice, a bool for a
    checkbox)."""
    if value is None:
        return [] if field.type == "multi_choice" else None
    if field.type == "multi_choice":
        try:
            return list(json.loads(value))
        except (TypeError, ValueError):
            return [str(value)]
    if field.type == "checkbox":
        return bool(value)
    return value


def custom_values(row: dict, fields: list[Field]) -> dict:
    """``{key: public value}`` of ``row`` for ``fields`` (the shape the API and webhooks carry)."""
    return {f.key: public(f, row.get(f.column)) for f in fields}


def from_keys(fields: list[Field], given: dict) -> dict:
    """``{key: value}`` (the API's shape) as ``{column: value}``; an unknown key is refused at that key."""
    by_key = {f.key: f for f in fields}
    out = {}
    for key, value in given.items():
        if key not in by_key:
            raise ValidationError("Unknown field(s): {names}", field=str(key)[:40], key="errors.unknown_fields",
                                  names=str(key)[:40])
        out[by_key[key].column] = value
    return out


def definitions(conn: sqlite3.Connection, table: str) -> dict[str, Field]:
    """``{column: Field}`` for ``check``; a batch reads it once and passes it to every row."""
    return {f.column: f for f in all_fields(conn, table)} if table in ENTITIES else {}


def check(conn: sqlite3.Connection, table: str, values: dict, actor: Actor | None, *, creating: bool,
          row: int | None = None, defs: dict[str, Field] | None = None) -> dict:
    """The custom-field rules of one write: values converted and validated, role to edit enforced (``actor``
    None: a change the data layer derives itself), required filled or refused, defaults on create (unique
    values are the unique index's job). Called by the write path (``records``, ``bulk``) for every create
    and update."""
    if table not in ENTITIES or (not creating and not any(k.startswith("cf_") for k in values)):
        return values
    fields = definitions(conn, table) if defs is None else defs
    if not fields:
        return values
    out = dict(values)
    for column, value in values.items():
        if not column.startswith("cf_"):
            continue
        field = fields.get(column)
        if field is None:
            raise ValidationError("Unknown field(s): {names}", field=column, row=row, key="errors.unknown_fields",
                                  names=column)
        if field.archived:
            if value is None:
                continue
            raise ValidationError("{field} is archived; restore it to change its values.", field=column, row=row,
                                  key="custom.err_archived")
        if actor is not None and not field.may_edit(actor):
            raise PermissionDenied("{field} may be changed only by {roles}.", key="custom.err_role", field=column,
                                   roles=", ".join(r for r in ROLES if r in field.edit_roles or r == "admin"))
        out[column] = clean_value(conn, field, value, row=row)
    if creating:
        for field in fields.values():
            if field.archived or out.get(field.column) not in (None, "", "[]"):
                continue
            if field.default is not None:
                out[field.column] = clean_value(conn, field, field.default, row=row)
            elif field.required:
                raise ValidationError("{field} is required.", field=field.column, row=row,
                                      key="errors.integrity_required")
    else:
        for column in values:
            field = fields.get(column)
            if field and field.required and not field.archived and out[column] in (None, "[]"):
                raise ValidationError("{field} is required.", field=column, row=row,
                                      key="errors.integrity_required")
    return out


