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


def is_reference(column: str) -> bool:
    return column in REFERENCES


def names(conn: sqlite3.Connection, wanted: dict[str, set[int]]) -> dict[tuple[str, int], str]:
    """``{column: {ids}}`` -> ``{(column, id): name}``, one query per referenced table; unknown ids are left out
    (the caller shows ``#id``)."""
    by_table: dict[tuple[str, str], set[int]] = {}
    for column, ids in wanted.items():
        if column in REFERENCES:
            by_table.setdefault(REFERENCES[column], set()).update(i for i in ids if isinstance(i, int))
    found: dict[tuple[str, str], dict[int, str]] = {}
    for (table, expr), ids in by_table.items():
        if not ids:
            continue
        marks = ",".join("?" * len(ids))
        found[(table, expr)] = {row[0]: row[1] for row in conn.execute(
            f"SELECT id, {expr} FROM {table} WHERE id IN ({marks})", sorted(ids))}  # noqa: S608 - names from REFERENCES
    out = {}
    for column, ids in wanted.items():
        table = found.get(REFERENCES.get(column, ("", "")), {})
        out.update({(column, i): table[i] for i in ids if i in table and table[i]})
    return out
