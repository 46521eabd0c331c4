"""Names for the ids stored in records and in the audit log: ``stage_id 3`` reads "Negotiation".

One resolver for every place that shows a stored value (record history, audit log): ``names(conn, wanted)``
looks up all ids of one kind in one query, deleted records included (history outlives them).
"""

from __future__ import annotations

import sqlite3

# column -> (table, SQL expression giving its name). Every *_id column of an audited table is here or in
# NOT_REFERENCES (a test walks the schema).
REFERENCES: dict[str, tuple[str, str]] = {
    "stage_id": ("stages", "name"),
    "furthest_stage_id": ("stages", "name"),
    "pipeline_id": ("pipelines", "name"),
    "owner_id": ("users", "name"),
    "author_id": ("users", "name"),
    "updated_by": ("users", "name"),
    "user_id": ("users", "name"),
    "company_id": ("companies", "name"),
    "contact_id": ("contacts", "TRIM(COALESCE(first_name, '') || ' ' || COALESCE(last_name, ''))"),
    "merged_from": ("contacts", "TRIM(COALESCE(first_name, '') || ' ' || COALESCE(last_name, ''))"),
    "campaign_id": ("campaigns", "name"),
    "deal_id": ("deals", "title"),
}

# *_id columns that are not a reference to one record of a fixed table, and why.
NOT_REFERENCES = {
    "series_id": "a number shared by the repeats of one recurring activity, not a record",
    "entity_id": "a comment's record: its table is in the 'entity' column next to it",
}


# the record a custom link field (``db.core.fields.LINKS``) points to, named like the built-in references
LINK_TABLES = {"users": REFERENCES["owner_id"], "contacts": REFERENCES["contact_id"],
               "companies": REFERENCES["company_id"]}


def is_reference(column: str) -> bool:
    return column in REFERENCES


def names(conn: sqlite3.Connection, wanted: dict[str, set[int]],
          links: dict[str, str] | None = None) -> dict[tuple[str, int], str]:
    """``{column: {ids}}`` -> ``{(column, id): name}``, one query per referenced table; unknown ids are left out
    (the caller shows ``#id``). ``links`` adds custom link columns: ``{"cf_4": "contacts"}``."""
    refs = {**REFERENCES, **{column: LINK_TABLES[table] for column, table in (links or {}).items()}}
    by_table: dict[tuple[str, str], set[int]] = {}
    for column, ids in wanted.items():
        if column in refs:
            by_table.setdefault(refs[column], set()).update(i for i in ids if isinstance(i, int))
    found: dict[tuple[str, str], dict[int, str]] = {}
    for (table, expr), ids in by_table.items():
        if not ids:
            continue
        marks = ",".join("?" * len(ids))
        found[(table, expr)] = {row[0]: row[1] for row in conn.execute(
            f"SELECT id, {expr} FROM {table} WHERE id IN ({marks})", sorted(ids))}  # noqa: S608 - names from REFERENCES
    out = {}
    for column, ids in wanted.items():
        table = found.get(refs.get(column, ("", "")), {})
        out.update({(column, i): table[i] for i in ids if i in table and table[i]})
    return out


def custom_links(conn: sqlite3.Connection, entity: str) -> dict[str, str]:
    """``{"cf_4": "contacts"}``: the custom link columns of ``entity`` (archived ones too: history names them)."""
    from db.core import fields

    if entity not in fields.ENTITIES:
        return {}
    return {f.column: fields.LINKS[f.type] for f in fields.all_fields(conn, entity) if f.type in fields.LINKS}


def custom_labels(conn: sqlite3.Connection) -> dict[str, dict[str, str]]:
    """``{"cf_4": {"en": "Seats", "ru": "Места"}}`` for every custom field of every entity, in one small query
    (a page keeps it for the run, so an error or a history row names a custom column by its label)."""
    import json

    return {f"cf_{r[0]}": json.loads(r[1]) for r in conn.execute(
        "SELECT id, labels FROM custom_fields WHERE deleted_at IS NULL")}
