"""Changing the definitions: add a field (its column and index), edit its rules, archive and restore, reorder,
rename a choice, change the type. Each change that rewrites stored values does so in short transactions."""

from __future__ import annotations

import json
import re
import sqlite3
import unicodedata

from db.core.errors import ValidationError
from db.core.fields.model import (
    CHUNK,
    MAX_ACTIVE,
    MAX_COLUMNS,
    MAX_OPTIONS,
    TEXT_TYPES,
    TYPES,
    UNINDEXED,
    Field,
    _entity,
    active,
    all_fields,
    from_row,
    get,
)
from db.core.fields.values import _fold, _split, clean_value, public
from db.core.permissions import ROLES, Actor
from db.core.text import clean_text

_KEY = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
# which type changes can keep values (anything else is refused before it is tried)
_COMPATIBLE = {
    "text": {"long_text", "url", "email", "phone", "choice", "number", "money", "percent", "date"},
    "long_text": {"text"},
    "url": {"text", "long_text"}, "email": {"text", "long_text"}, "phone": {"text", "long_text"},
    "number": {"money", "percent", "text"}, "money": {"number", "percent", "text"},
    "percent": {"number", "money", "text"},
    "date": {"datetime", "text"}, "datetime": {"date", "text"},
    "choice": {"multi_choice", "text"}, "multi_choice": {"choice"},
    "checkbox": {"text"},
}



def slug(text: str) -> str:
    """A stable ASCII key from a label ("Notice period" -> ``notice_period``); Cyrillic is transliterated."""
    text = text.lower().translate(_TRANSLIT)
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    text = re.sub(r"[^a-z0-9]+", "_", text).strip("_")[:40].strip("_")
    if not text or not text[0].isalpha():
        text = ("field_" + text)[:40].strip("_")
    return text


_TRANSLIT = str.maketrans({
    "а": "a", "б": "b", "в": "v", "г": "g", "ґ": "g", "д": "d", "е": "e", "ё": "e", "є": "ie", "ж": "zh", "з": "z",
    "и": "i", "і": "i", "ї": "i", "й": "i", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o", "п": "p", "р": "r",
    "с": "s", "т": "t", "у": "u", "ф": "f", "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh", "щ": "shch", "ъ": "",
    "ы": "y", "ь": "", "э": "e", "ю": "iu", "я": "ia",
})


def _labels(value, name: str, *, required: bool) -> dict:
    """``{lang: text}`` (a plain string is the English label)."""
    if value is None or value == "":
        value = {}
    if isinstance(value, str):
        value = {"en": value}
    if not isinstance(value, dict):
        raise ValidationError("{field}: give a text per language.", field=name, key="custom.err_labels")
    out = {}
    for lang, text in value.items():
        cleaned = clean_text(text, name, 80 if name == "labels" else 300)
        if cleaned and isinstance(lang, str) and re.fullmatch(r"[a-z]{2}", lang):
            out[lang] = cleaned
    if required and not out:
        raise ValidationError("{field} is required.", field=name, key="errors.integrity_required")
    return out


def _options(value, kind: str) -> list[str]:
    if kind not in ("choice", "multi_choice"):
        return []
    items = value if isinstance(value, list | tuple) else _split(value or "")
    out: list[str] = []
    for item in items:
        text = clean_text(str(item), "options", 100)
        if text and _fold(text) not in {_fold(o) for o in out}:
            out.append(text)
    if not out:
        raise ValidationError("Give at least one choice, one per line.", field="options", key="custom.err_no_options")
    if len(out) > MAX_OPTIONS:
        raise ValidationError("{n} choices at most.", field="options", key="custom.err_many_options", n=MAX_OPTIONS)
    return out


def _roles(value, name: str) -> list[str]:
    roles = list(ROLES) if value is None else [r for r in ROLES if r in set(value)]
    if "admin" not in roles:
        roles.insert(0, "admin")
    return roles


def define(conn: sqlite3.Connection, entity: str, spec: dict, actor: Actor) -> Field:
    """Add a field (admins only): its definition row, its column and its index, in one transaction."""
    from db.core import records
    from db.core.connection import write

    _entity(entity)
    kind = spec.get("type")
    if kind not in TYPES:
        raise ValidationError("Choose a type for the field.", field="type", key="custom.err_type")
    labels = _labels(spec.get("labels", spec.get("label")), "labels", required=True)
    key = spec.get("key") or slug(labels.get("en") or next(iter(labels.values())))
    if not isinstance(key, str) or not _KEY.match(key):
        raise ValidationError("The key may hold lower-case letters, digits and _ and starts with a letter.",
                              field="key", key="custom.err_key")
    options = _options(spec.get("options"), kind)
    view_roles = _roles(spec.get("view_roles"), "view_roles")
    edit_roles = [r for r in _roles(spec.get("edit_roles"), "edit_roles") if r in view_roles]
    with write(conn):
        existing = all_fields(conn, entity)
        if sum(not f.archived for f in existing) >= MAX_ACTIVE or len(existing) >= MAX_COLUMNS:
            raise ValidationError("{n} fields at most; archive one you no longer use.", field="labels",
                                  key="custom.err_too_many", n=MAX_ACTIVE)
        taken = {f.key for f in existing}
        if key in taken:
            if spec.get("key"):
                raise ValidationError("Another field already has the key '{value}'.", field="key",
                                      key="custom.err_key_taken", value=key)
            key = next(f"{key[:36]}_{n}" for n in range(2, 1000) if f"{key[:36]}_{n}" not in taken)
        row = {
            "entity": entity, "key": key, "type": kind, "labels": json.dumps(labels, ensure_ascii=False),
            "help": json.dumps(_labels(spec.get("help"), "help", required=False), ensure_ascii=False),
            "required": int(bool(spec.get("required"))), "is_unique": int(bool(spec.get("unique"))),
            "position": max((f.position for f in existing), default=0) + 1,
            "section": clean_text(spec.get("section"), "section", 60) if spec.get("section") else None,
            "options": json.dumps(options, ensure_ascii=False), "view_roles": json.dumps(view_roles),
            "edit_roles": json.dumps(edit_roles), "default_value": None,
        }
        field_id = records.create(conn, "custom_fields", row, actor)
        field = get(conn, field_id)
        if spec.get("default") not in (None, "", []):
            default = clean_value(conn, field, spec["default"], name="default")
            conn.execute("UPDATE custom_fields SET default_value = ? WHERE id = ?",
                         (json.dumps(public(field, default), ensure_ascii=False), field_id))
        conn.execute(f"ALTER TABLE {entity} ADD COLUMN {field.column}")  # untyped: values keep their type
        _index(conn, get(conn, field_id))
        _sync_search(conn, entity)
    return get(conn, field_id)


def _index(conn: sqlite3.Connection, field: Field) -> None:
    """The field's index as its type and rules need: unique among live records, plain for what is filtered
    or sorted, none for long text and multiple choice."""
    col, table = field.column, field.entity
    conn.execute(f"DROP INDEX IF EXISTS ix_{col}")
    conn.execute(f"DROP INDEX IF EXISTS ux_{col}")
    if field.archived or field.type in UNINDEXED:
        return
    if field.unique:
        conn.execute(f"CREATE UNIQUE INDEX ux_{col} ON {table}({col}) WHERE {col} IS NOT NULL AND deleted_at IS NULL")
    conn.execute(f"CREATE INDEX ix_{col} ON {table}({col})")


def _sync_search(conn: sqlite3.Connection, entity: str) -> None:
    """Keep ``<entity>_cf_fts`` (one row per record: its custom text values) in step with the text fields in
    use: triggers rebuilt for the current set of columns, the index refilled once."""
    table = f"{entity}_cf_fts"
    for event in ("insert", "update"):
        conn.execute(f"DROP TRIGGER IF EXISTS {entity}_cf_fts_{event}")
    conn.execute(f"DELETE FROM {table}")
    columns = [f.column for f in active(conn, entity) if f.type in TEXT_TYPES + ("choice", "multi_choice")]
    if not columns:
        return
    body = " || ' ' || ".join(f"COALESCE(NEW.{c}, '')" for c in columns)
    conn.execute(f"CREATE TRIGGER {entity}_cf_fts_insert AFTER INSERT ON {entity} BEGIN "
                 f"INSERT INTO {table} (rowid, body) VALUES (NEW.id, {body}); END")
    conn.execute(f"CREATE TRIGGER {entity}_cf_fts_update AFTER UPDATE OF {', '.join(columns)} ON {entity} BEGIN "
                 f"DELETE FROM {table} WHERE rowid = OLD.id; "
                 f"INSERT INTO {table} (rowid, body) VALUES (NEW.id, {body}); END")
    where = " OR ".join(f"{c} IS NOT NULL" for c in columns)
    conn.execute(f"INSERT INTO {table} (rowid, body) SELECT id, {body.replace('NEW.', '')} FROM {entity} "
                 f"WHERE {where}")


def search_ids_sql(entity: str) -> str:
    """``id IN (...)`` subquery text matching records whose custom text holds an FTS5 query (one ``?``)."""
    _entity(entity)
    return f"SELECT rowid FROM {entity}_cf_fts WHERE {entity}_cf_fts MATCH ?"


def change(conn: sqlite3.Connection, field_id: int, version: int, changes: dict, actor: Actor) -> Field:
    """Edit a field's definition (labels, help, rules, roles, section, choices, default). A rule that the
    stored values break is refused with the reason: unique with repeated values, a choice removed while in use.
    Renaming a choice is ``rename_choice``; a type change is ``change_type``."""
    from db.core import records
    from db.core.connection import write

    with write(conn):
        field = get(conn, field_id)
        update: dict = {}
        if "labels" in changes or "label" in changes:
            update["labels"] = json.dumps(_labels(changes.get("labels", changes.get("label")), "labels",
                                                  required=True), ensure_ascii=False)
        if "help" in changes:
            update["help"] = json.dumps(_labels(changes["help"], "help", required=False), ensure_ascii=False)
        if "required" in changes:
            update["required"] = int(bool(changes["required"]))
        if "section" in changes:
            update["section"] = clean_text(changes["section"], "section", 60) if changes["section"] else None
        if "view_roles" in changes or "edit_roles" in changes:
            view = _roles(changes.get("view_roles", field.view_roles), "view_roles")
            update["view_roles"] = json.dumps(view)
            update["edit_roles"] = json.dumps([r for r in _roles(changes.get("edit_roles", field.edit_roles),
                                                                  "edit_roles") if r in view])
        if "options" in changes:
            options = _options(changes["options"], field.type)
            removed = [o for o in field.options if o not in options]
            for option in removed:
                used = _uses(conn, field, option)
                if used:
                    raise ValidationError("{n} records use '{value}': rename the choice, or change those records "
                                          "first.", field="options", key="custom.err_option_used", n=used,
                                          value=option[:80])
            update["options"] = json.dumps(options, ensure_ascii=False)
        if "unique" in changes:
            update["is_unique"] = int(bool(changes["unique"]))
            if update["is_unique"] and not field.unique:
                repeated = conn.execute(
                    f"SELECT {field.column}, COUNT(*) FROM {field.entity} WHERE {field.column} IS NOT NULL "
                    f"AND deleted_at IS NULL GROUP BY 1 HAVING COUNT(*) > 1 LIMIT 1").fetchone()
                if repeated:
                    raise ValidationError("{n} records share the value '{value}': make them differ first.",
                                          field="unique", key="custom.err_not_unique", n=repeated[1],
                                          value=str(repeated[0])[:80])
        saved = records.update(conn, "custom_fields", field_id, version, update, actor)
        field = from_row(saved)
        if "default" in changes:
            default = clean_value(conn, field, changes["default"], name="default")
            conn.execute("UPDATE custom_fields SET default_value = ? WHERE id = ?",
                         (None if default is None else json.dumps(public(field, default), ensure_ascii=False),
                          field_id))
        if "unique" in update:
            _index(conn, field)
    return get(conn, field_id)


def _uses(conn: sqlite3.Connection, field: Field, option: str) -> int:
    col = field.column
    if field.type == "multi_choice":
        return conn.execute(f"SELECT COUNT(*) FROM {field.entity} WHERE deleted_at IS NULL AND {col} IS NOT NULL "
                            f"AND EXISTS (SELECT 1 FROM json_each({col}) WHERE value = ?)", (option,)).fetchone()[0]
    return conn.execute(f"SELECT COUNT(*) FROM {field.entity} WHERE {col} = ? AND deleted_at IS NULL",
                        (option,)).fetchone()[0]


def set_archived(conn: sqlite3.Connection, field_id: int, archived: bool, actor: Actor) -> Field:
    """Archive (hidden everywhere, values kept) or restore a field; restoring needs a free slot."""
    from db.core import records
    from db.core.connection import now, write

    with write(conn):
        field = get(conn, field_id)
        if archived == field.archived:
            return field
        if not archived and len(active(conn, field.entity)) >= MAX_ACTIVE:
            raise ValidationError("{n} fields at most; archive one you no longer use.", field="labels",
                                  key="custom.err_too_many", n=MAX_ACTIVE)
        position = field.position if archived else max((f.position for f in active(conn, field.entity)),
                                                         default=0) + 1
        records.update(conn, "custom_fields", field_id, field.version,
                       {"archived_at": now() if archived else None, "position": position}, actor)
        field = get(conn, field_id)
        _index(conn, field)
        _sync_search(conn, field.entity)
    return field


def reorder(conn: sqlite3.Connection, entity: str, ids: list[int], actor: Actor) -> None:
    """Put the active fields of ``entity`` in the order of ``ids`` (ones not named keep their place after)."""
    from db.core import records
    from db.core.connection import write

    with write(conn):
        fields = active(conn, entity)
        order = [i for i in ids if i in {f.id for f in fields}] + [f.id for f in fields if f.id not in ids]
        by_id = {f.id: f for f in fields}
        for position, fid in enumerate(order, start=1):
            if by_id[fid].position != position:
                records.update(conn, "custom_fields", fid, by_id[fid].version, {"position": position}, actor)


def rename_choice(conn: sqlite3.Connection, field_id: int, old: str, new: str, actor: Actor) -> int:
    """Rename one choice and every record holding it (in short transactions of ``CHUNK`` rows, each record's
    version bumped so a form opened before cannot write the old name back). Returns the records changed."""
    from db.core import records
    from db.core.connection import write

    field = get(conn, field_id)
    if old not in field.options:
        raise ValidationError("'{value}' is not one of the choices of {field}.", field="options",
                              key="custom.err_choice", value=str(old)[:80])
    new = clean_text(new, "options", 100)
    if not new:
        raise ValidationError("{field} is required.", field="options", key="errors.integrity_required")
    if new != old and _fold(new) in {_fold(o) for o in field.options if o != old}:
        raise ValidationError("There is already a choice '{value}'.", field="options", key="custom.err_option_taken",
                              value=new[:80])
    with write(conn):
        field = get(conn, field_id)
        options = [new if o == old else o for o in field.options]
        records.update(conn, "custom_fields", field_id, field.version,
                       {"options": json.dumps(options, ensure_ascii=False)}, actor)
    if new == old:
        return 0

    def convert(value):
        if field.type == "multi_choice":
            return json.dumps([new if v == old else v for v in json.loads(value)], ensure_ascii=False)
        return new if value == old else value
    return _rewrite(conn, field, convert, actor)


def change_type(conn: sqlite3.Connection, field_id: int, new_type: str, actor: Actor,
                options: list[str] | None = None) -> Field:
    """Change a field's type when every stored value fits the new one (converted in place); otherwise refuse,
    saying how many records do not fit and showing one of their values."""
    from db.core import records
    from db.core.connection import write

    field = get(conn, field_id)
    if new_type not in TYPES:
        raise ValidationError("Choose a type for the field.", field="type", key="custom.err_type")
    if new_type == field.type:
        return field
    if new_type not in _COMPATIBLE.get(field.type, set()):
        raise ValidationError("A {type_from} field cannot become a {type_to} field; add a new field instead.",
                              field="type", key="custom.err_type_change", type_from=field.type, type_to=new_type)
    new_options = field.options
    if new_type in ("choice", "multi_choice") and field.type not in ("choice", "multi_choice"):
        new_options = tuple(_options(options or [], new_type))
    target = Field(**{**field.__dict__, "type": new_type, "options": tuple(new_options)})
    col = field.column

    def convert(value):
        if field.type == "multi_choice":  # one choice each, or refused
            items = json.loads(value)
            value = items[0] if len(items) == 1 else ";".join(items)
        elif field.type == "choice" and new_type == "multi_choice":
            value = [value]
        elif field.type == "checkbox" and new_type == "text":
            value = "yes" if value else "no"
        elif isinstance(value, float | int) and new_type == "text":
            value = f"{value:g}" if isinstance(value, float) else str(value)
        elif field.type == "datetime" and new_type == "date":
            value = str(value)[:10]
        elif field.type == "date" and new_type == "datetime":
            value = f"{value} 00:00:00"
        return clean_value(conn, target, value)

    bad, sample = 0, None
    for (value,) in conn.execute(f"SELECT {col} FROM {field.entity} WHERE {col} IS NOT NULL AND deleted_at IS NULL"):
        try:
            convert(value)
        except ValidationError:
            bad += 1
            sample = sample if sample is not None else value
    if bad:
        raise ValidationError("{n} records have values that are not a {type_to}, e.g. '{value}'; change them first.",
                              field="type", key="custom.err_type_values", n=bad, type_to=new_type,
                              value=str(sample)[:80])
    with write(conn):
        records.update(conn, "custom_fields", field_id, field.version,
                       {"type": new_type, "options": json.dumps(list(new_options), ensure_ascii=False)}, actor)
    _rewrite(conn, field, convert, actor, include_deleted=True)
    with write(conn):
        changed = get(conn, field_id)
        _index(conn, changed)
        _sync_search(conn, changed.entity)
    return changed


def _rewrite(conn: sqlite3.Connection, field: Field, convert, actor: Actor, *, include_deleted: bool = False) -> int:
    """Apply ``convert`` to every stored value of ``field``, ``CHUNK`` rows per transaction."""
    from db.core.connection import now, write

    col, table, last, changed = field.column, field.entity, 0, 0
    alive = "" if include_deleted else " AND deleted_at IS NULL"
    while True:
        with write(conn):
            batch = conn.execute(f"SELECT id, {col} FROM {table} WHERE id > ? AND {col} IS NOT NULL{alive} "
                                 f"ORDER BY id LIMIT ?", (last, CHUNK)).fetchall()
            if not batch:
                return changed
            stamp = now()
            updates = [(new, stamp, actor.id, rid) for rid, old in batch if (new := convert(old)) != old]
            conn.executemany(f"UPDATE {table} SET {col} = ?, version = version + 1, updated_at = ?, updated_by = ? "
                             "WHERE id = ?", updates)
            changed += len(updates)
            last = batch[-1][0]
