"""Custom fields: an admin adds fields to contacts, companies, deals and activities without code.

Storage: each field is a real column ``cf_<id>`` on its entity's table (``ALTER TABLE ADD COLUMN``, a change
of the schema only: no row is rewritten), with an ordinary index when the type is one people filter or sort
by. So a filter or sort on a custom field is planned exactly like one on a built-in field, every write goes
through the same write path (optimistic locking, audit, permissions), and ``records.get`` returns the values
with the row. The definition (type, labels per language, rules, roles) is a row of ``custom_fields``;
the column name never comes from user text. Columns are untyped, so a type change converts the stored values
in place. Nothing is ever dropped: an archived field keeps its column and data and can be restored.
Why not a key-value table: filtering 100,000 contacts on one would need a join or subquery per field and
could not share the grid's query plan (docs/design.md, "Custom fields").
"""

from db.core.fields.model import (
                                  ENTITIES,
                                  LINKS,
                                  NUMERIC,
                                  TEXT_TYPES,
                                  TYPES,
                                  Field,
                                  active,
                                  all_fields,
                                  by_column,
                                  editable,
                                  get,
                                  hidden,
                                  strip,
                                  visible,
)
from db.core.fields.schema import (
                                  change,
                                  change_type,
                                  define,
                                  rename_choice,
                                  reorder,
                                  search_ids_sql,
                                  set_archived,
                                  slug,
)
from db.core.fields.values import check, clean_value, custom_values, definitions, from_keys, normalise_phone, public

__all__ = ["ENTITIES", "LINKS", "NUMERIC", "TEXT_TYPES", "TYPES", "Field", "active", "all_fields", "by_column",
           "change", "change_type", "check", "clean_value", "custom_values", "define", "definitions", "editable", "from_keys", "get", "hidden",
           "normalise_phone", "public", "rename_choice", "reorder", "search_ids_sql", "set_archived", "slug", "strip",
           "visible"]
