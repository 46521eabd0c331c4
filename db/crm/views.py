"""Saved views: named, personal or shared definitions (JSON), validated against a schema and turned into
SQL only from whitelisted pieces. No user text ever becomes SQL: values are bound parameters.

Builder definition (schema 1)::

    {"schema": 1, "record": "deals", "filters": [{"field": "owner", "op": "=", "value": "Ann"}],
     "group": "stage", "measure": {"kind": "sum", "field": "amount"}, "display": "bar", "limit": 50}

A custom field is named ``cf:<key>`` (its stable key, never its label): it can be filtered, grouped by (single
choice, checkbox, user, date and date-time by month) and summed or averaged (number, money, percent). Which
column that is comes only from ``db.core.fields``; a field that is archived, deleted or hidden from the person
running the view is left out of it with a note, never a crash and never shown.

Grid definition (schema 1): {"schema": 1, "filters": {...}, "sort": "name"} for page "contacts".
"""

from __future__ import annotations

import json
import re
import sqlite3
from dataclasses import dataclass, field
from functools import lru_cache

from jsonschema import Draft202012Validator

from db.core import fields as custom
from db.core import records
from db.core.connection import one, rows
from db.core.errors import NotFoundError, ValidationError
from db.core.permissions import Actor
from db.core.text import clean_text, like

SCHEMA = 1
DISPLAYS = ("table", "bar", "line", "pie")
OPS = {"=": "= ?", "!=": "!= ?", "<": "< ?", "<=": "<= ?", ">": "> ?", ">=": ">= ?", "contains": "LIKE ? ESCAPE '\\'",
       "is empty": "IS NULL"}
MAX_GROUPS = 500

# record -> (base table, ordered joins {alias: clause}, date expression, {field: SQL}, {number field: SQL}).
# Only the joins that the chosen fields use are added (a join's own dependencies come first in the order).
_U, _C = "LEFT JOIN users u ON u.id = {owner}", "LEFT JOIN contacts c ON c.id = r.contact_id"
_CP, _SG = "LEFT JOIN campaigns cp ON cp.id = {campaign}", "LEFT JOIN contact_segments sg ON sg.contact_id = {contact}"
RECORDS = {
    "contacts": ("contacts r", {"u": _U.format(owner="r.owner_id"), "cp": _CP.format(campaign="r.campaign_id"),
                                "sg": _SG.format(contact="r.id"),
                                "co": "LEFT JOIN companies co ON co.id = r.company_id"},
                 "r.created_at",
                 {"owner": "u.name", "lifecycle": "r.lifecycle", "channel": "r.channel", "campaign": "cp.name",
                  "segment": "sg.abc_profit", "company": "co.name", "title": "r.title"}, {}),
    "companies": ("companies r", {"u": _U.format(owner="r.owner_id")}, "r.created_at",
                  {"owner": "u.name", "lifecycle": "r.lifecycle", "industry": "r.industry", "country": "r.country",
                   "city": "r.city"}, {}),
    "deals": ("deals r JOIN stages st ON st.id = r.stage_id",
              {"pl": "JOIN pipelines pl ON pl.id = r.pipeline_id", "u": _U.format(owner="r.owner_id"), "c": _C,
               "cp": _CP.format(campaign="c.campaign_id"), "sg": _SG.format(contact="r.contact_id")},
              "COALESCE(r.closed_at, r.created_at)",
              {"owner": "u.name", "stage": "st.name", "stage kind": "st.kind", "pipeline": "pl.name",
               "channel": "c.channel", "campaign": "cp.name", "segment": "sg.abc_profit", "lost reason": "r.lost_reason"},
              {"amount": "r.amount", "cost": "r.cost", "margin": "r.amount - r.cost"}),
    "activities": ("activities r", {"u": _U.format(owner="r.owner_id"), "c": _C},
                   "COALESCE(r.starts_at, r.due_at)",
                   {"owner": "u.name", "kind": "r.kind", "done": "r.done", "channel": "c.channel"},
                   {"minutes": "r.duration_min", "cost": "r.cost"}),
    "feedback": ("feedback r", {"c": _C, "u": _U.format(owner="c.owner_id"), "cp": _CP.format(campaign="c.campaign_id"),
                                "sg": _SG.format(contact="r.contact_id")},
                 "r.responded_at",
                 {"kind": "r.kind", "owner": "u.name", "channel": "c.channel", "campaign": "cp.name",
                  "segment": "sg.abc_profit", "score": "r.score"}, {"score": "r.score"}),
}
_DEPENDS = {"cp": "c", "u": "c"}  # where these hang off the contact join


def _joins(record: str, used: str) -> str:
    base, joins = RECORDS[record][0], RECORDS[record][1]
    needed = {alias for alias in joins if re.search(rf"\b{alias}\.", used)}
    for alias in list(needed):
        parent = _DEPENDS.get(alias)
        if parent in joins and parent not in needed and f"{parent}." in joins[alias]:
            needed.add(parent)
    return " ".join([base, *[clause for alias, clause in joins.items() if alias in needed]])


KPIS = {
    "deals": {"win rate": "1.0 * SUM(st.kind = 'won') / NULLIF(SUM(st.kind IN ('won', 'lost')), 0)",
              "weighted pipeline": "SUM(CASE WHEN st.kind = 'open' THEN r.amount * st.probability ELSE 0 END)"},
    "feedback": {"CSAT %": "100.0 * SUM(r.kind = 'csat' AND r.score >= 4) / NULLIF(SUM(r.kind = 'csat'), 0)",
                 "NPS": "100.0 * (SUM(r.kind = 'nps' AND r.score >= 9) - SUM(r.kind = 'nps' AND r.score <= 6)) "
                        "/ NULLIF(SUM(r.kind = 'nps'), 0)"},
}
GROUP_TIME = {"month": "strftime('%Y-%m', {date})", "year": "strftime('%Y', {date})"}


def fields(record: str) -> list[str]:
    return [*RECORDS[record][3], "month", "year"]


MAX_FILTERS = 20
MAX_COLUMNS = 12  # a list of records (no grouping) shows at most this many columns
# What names a record in a list of records.
TITLES = {"contacts": "TRIM(COALESCE(r.first_name, '') || ' ' || COALESCE(r.last_name, ''))", "companies": "r.name",
          "deals": "r.title", "activities": "r.subject", "feedback": "r.kind || ' ' || r.score"}
_VALUE = {"type": ["string", "number", "boolean", "null"], "maxLength": 200}
_NAME = {"type": ["string", "null"], "maxLength": 43}  # a built-in name, or cf: and a custom field's key
CUSTOM = re.compile(r"^cf:[a-z][a-z0-9_]{0,39}$")
GROUPABLE = ("choice", "checkbox", "user", "date", "datetime")  # grouped by value (dates by month)
_LINKED = {"user": "{a}.name", "contact": "TRIM({a}.first_name || ' ' || {a}.last_name)", "company": "{a}.name"}
# Types, ranges and counts: the shape of a definition. Which fields, groups and measures fit which record
# is checked after it, against the whitelists above.
BUILDER_SCHEMA = {
    "type": "object",
    "required": ["schema", "record"],
    "additionalProperties": False,
    "properties": {
        "schema": {"type": "integer", "minimum": 1, "maximum": SCHEMA},
        "record": {"type": "string", "enum": list(RECORDS)},
        "filters": {"type": ["array", "null"], "maxItems": MAX_FILTERS, "items": {
            "type": "object", "required": ["field", "op"], "additionalProperties": False,
            "properties": {"field": {"type": "string", "maxLength": 43}, "op": {"type": "string", "enum": list(OPS)},
                           "value": _VALUE}}},
        "group": _NAME,
        "measure": {"type": ["object", "null"], "additionalProperties": False,
                    "properties": {"kind": {"type": "string", "enum": ["count", "sum", "avg", "kpi"]},
                                   "field": _NAME}},
        "display": {"type": "string", "enum": list(DISPLAYS)},
        "limit": {"type": ["integer", "null"], "minimum": 1, "maximum": MAX_GROUPS},
        "columns": {"type": ["array", "null"], "maxItems": MAX_COLUMNS, "items": {"type": "string", "maxLength": 43}},
    },
}


_SHAPE_FIELDS = {"schema", "record", "filters", "group", "measure", "display", "limit", "columns"}  # labels in fields.json


def _load(definition):
    """A stored or given definition as a dict (text is parsed); anything else is refused readably."""
    if isinstance(definition, str | bytes):
        try:
            definition = json.loads(definition)
        except (json.JSONDecodeError, UnicodeDecodeError, RecursionError):
            raise ValidationError("The view definition is not valid JSON.", field="definition",
                                  key="views.err_json") from None
    if not isinstance(definition, dict):
        raise ValidationError("The view definition is not valid JSON.", field="definition", key="views.err_json")
    version = definition.get("schema")
    if isinstance(version, int) and not isinstance(version, bool) and version > SCHEMA:
        raise ValidationError("This view was saved by a newer version of the app (schema {value}).",
                              field="schema", key="views.err_newer", value=str(version)[:10])
    return definition


@lru_cache(maxsize=8)
def _validator(page: str) -> Draft202012Validator:
    return Draft202012Validator(BUILDER_SCHEMA if page == "views" else _grid_schema(page))


def _check_shape(definition: dict, schema: str) -> None:
    """Validate against a JSON schema; the first problem becomes a ValidationError naming where it is."""
    error = next(_validator(schema).iter_errors(definition), None)  # the first is enough: a huge list stops at
    # its count instead of checking 10,000 items
    if error is None:
        return
    top = str(error.absolute_path[0]) if error.absolute_path else "definition"
    raise ValidationError("This view's definition is damaged or not supported ({field}). Build it again and save it.",
                          field=top if top in _SHAPE_FIELDS else "definition", key="views.err_shape")


def validate(definition) -> dict:
    """Check a builder definition against the schema; returns a normalised copy or raises ValidationError."""
    definition = _load(definition)
    _check_shape(definition, "views")
    record = definition["record"]
    allowed = fields(record)

    def known(name) -> bool:
        return name in allowed or (record in custom.ENTITIES and bool(CUSTOM.match(name or "")))

    filters = []
    for f in definition.get("filters") or []:
        if not known(f["field"]):
            raise ValidationError("Unknown field or operator in a filter: '{value}'.", field="filters",
                                  key="views.err_filter", value=str(f["field"])[:80])
        value = f.get("value")
        if f["op"] != "is empty" and (value is None or len(str(value)) > 200):
            raise ValidationError("A filter needs a value (200 characters at most).", field="filters",
                                  key="views.err_value")
        filters.append({"field": f["field"], "op": f["op"], "value": None if value is None else str(value)})
    group = definition.get("group")
    if group is not None and not known(group):
        raise ValidationError("Unknown grouping '{value}'.", field="group", key="views.err_group", value=str(group)[:40])
    measure = definition.get("measure") or {"kind": "count"}
    kind = measure.get("kind", "count")
    number = measure.get("field") in RECORDS[record][4] or (record in custom.ENTITIES and
                                                             bool(CUSTOM.match(measure.get("field") or "")))
    if (kind in ("sum", "avg") and not number) or \
            (kind == "kpi" and measure.get("field") not in KPIS.get(record, {})):
        raise ValidationError("Choose a measure that fits these records.", field="measure", key="views.err_measure")
    columns = list(dict.fromkeys(definition.get("columns") or []))
    for name in columns:
        if not known(name) or name in GROUP_TIME:
            raise ValidationError("Unknown field or operator in a filter: '{value}'.", field="columns",
                                  key="views.err_filter", value=str(name)[:80])
    return {"schema": SCHEMA, "record": record, "filters": filters, "group": group,
            "measure": {"kind": kind, "field": measure.get("field") if kind != "count" else None},
            "display": definition.get("display", "table"), "limit": definition.get("limit") or 50,
            "columns": columns}


@dataclass
class Query:
    """A view's SQL and parameters, and what was left out of it (``notes``: (reason, Field or None))."""

    sql: str
    params: list
    notes: list = field(default_factory=list)


def custom_fields(conn: sqlite3.Connection, record: str, actor: Actor | None) -> list[custom.Field]:
    """The custom fields a view of ``record`` may use for ``actor`` (active, visible), in the admin's order."""
    if record not in custom.ENTITIES:
        return []
    return custom.active(conn, record) if actor is None else custom.visible(conn, record, actor)


def _resolve(conn: sqlite3.Connection | None, d: dict, actor: Actor | None) -> tuple[dict, dict, list]:
    """The custom fields ``d`` names, as {"cf:key": Field}; parts naming a field that is gone, archived, hidden
    from ``actor`` or of a type that does not fit are dropped from ``d``, each with a note."""
    names = {f["field"] for f in d["filters"]} | {d["group"], d["measure"]["field"]} | set(d["columns"])
    names = {n for n in names if n and CUSTOM.match(n)}
    if not names:
        return d, {}, []
    existing = {f"cf:{f.key}": f for f in custom.all_fields(conn, d["record"])} if conn is not None else {}
    found, notes = {}, []
    for name in sorted(names):
        f = existing.get(name)
        if f is None:
            notes.append(("missing", None))
        elif f.archived:
            notes.append(("archived", f))
        elif actor is not None and not f.may_view(actor):
            notes.append(("hidden", None))
        else:
            found[name] = f
    d = dict(d)
    d["filters"] = [f for f in d["filters"] if not CUSTOM.match(f["field"]) or f["field"] in found]
    d["columns"] = [c for c in d["columns"] if not CUSTOM.match(c) or c in found]
    if d["group"] and CUSTOM.match(d["group"]) and (d["group"] not in found or
                                                    found[d["group"]].type not in GROUPABLE):
        if d["group"] in found:
            notes.append(("group", found[d["group"]]))
        d["group"] = None
    m = d["measure"]["field"]
    if m and CUSTOM.match(m) and (m not in found or found[m].type not in custom.NUMERIC):
        if m in found:
            notes.append(("measure", found[m]))
        d["measure"] = {"kind": "count", "field": None}
    return d, found, notes


def _custom_expr(f: custom.Field, joins: dict) -> str:
    """The SQL of a custom field's value (a linked record's name for links); its join added to ``joins``."""
    if f.type in _LINKED:
        alias = f"f{f.id}"
        joins[alias] = f"LEFT JOIN {custom.LINKS[f.type]} {alias} ON {alias}.id = r.{f.column}"
        return _LINKED[f.type].format(a=alias)
    return f"r.{f.column}"


def _custom_filter(conn, f: custom.Field, expr: str, op: str, value, params: list, lang: str) -> str:
    """One filter on a custom field: the value converted by the field's rules (a number compares as a number,
    a choice as its canonical spelling), bound."""
    if op == "is empty":
        return f"{expr} IS NULL" if f.type != "multi_choice" else f"({expr} IS NULL OR {expr} = '[]')"
    if op == "contains":
        params.append(like(value, 200))
        return f"{expr} {OPS[op]}"
    if f.type == "multi_choice" and op in ("=", "!="):
        params.append(_converted(conn, _single(f), value, lang))
        return f"{'NOT ' if op == '!=' else ''}EXISTS (SELECT 1 FROM json_each(COALESCE({expr}, '[]')) " \
               f"WHERE value = ?)"
    if f.type in custom.NUMERIC + ("date", "datetime", "checkbox", "choice"):
        params.append(_converted(conn, f, value, lang))
    else:
        params.append(value)
    if f.type == "checkbox":
        return f"COALESCE({expr}, 0) {OPS[op]}"
    return f"{expr} {OPS[op]}"


def _converted(conn, f: custom.Field, value, lang: str):
    try:
        return custom.clean_value(conn, f, value, name="filters")
    except ValidationError:
        raise ValidationError("The filter value '{value}' does not fit the field {label}.", field="filters",
                              key="views.err_custom_value", value=str(value)[:80], label=f.label(lang)) from None


def _single(f: custom.Field) -> custom.Field:
    return custom.Field(**{**f.__dict__, "type": "choice"})


def query(conn: sqlite3.Connection | None, definition: dict, actor: Actor | None = None, *,
          words: tuple[str, str] = ("yes", "no"), lang: str = "en") -> Query:
    """SQL built only from the whitelists above and the custom fields' own column names; values are
    parameters. ``actor`` is the person the view is shown to (their hidden fields are left out); ``words``
    label a checkbox group."""
    d, found, notes = _resolve(conn, validate(definition), actor)
    _, _, date_expr, dims, numbers = RECORDS[d["record"]]
    expressions = {**dims, **{k: v.format(date=date_expr) for k, v in GROUP_TIME.items()}}
    extra: dict[str, str] = {}
    for name, f in found.items():
        expressions[name] = _custom_expr(f, extra)
        if f.type in custom.NUMERIC:
            numbers = {**numbers, name: f"r.{f.column}"}
    where, params = ["r.deleted_at IS NULL"], []
    for flt in d["filters"]:
        expr = expressions[flt["field"]]
        if flt["field"] in found:
            where.append(_custom_filter(conn, found[flt["field"]], expr, flt["op"], flt["value"], params,
                                        lang))
            continue
        if flt["op"] == "contains":
            params.append(like(flt["value"], 200))
        elif flt["op"] != "is empty":
            params.append(flt["value"])
        where.append(f"{expr} {OPS[flt['op']]}")
    m = d["measure"]
    value = {"count": "COUNT(*)", "sum": f"COALESCE(SUM({numbers.get(m['field'], '0')}), 0)",
             "avg": f"AVG({numbers.get(m['field'], '0')})"}.get(m["kind"]) or KPIS[d["record"]][m["field"]]
    used = " ".join([value, *where, expressions.get(d["group"] or "", "")])
    source = " ".join([_joins(d["record"], used), *extra.values()])
    head: list = []
    if d["columns"] and not d["group"]:  # a list of records: their name and the chosen columns
        listed = [expressions[c] for c in d["columns"]]
        source = " ".join([_joins(d["record"], " ".join([*listed, *where])), *extra.values()])
        picked = ", ".join(f'{e} AS "{c}"' for c, e in zip(d["columns"], listed, strict=True))
        sql = (f"SELECT r.id AS id, {TITLES[d['record']]} AS label, {picked} FROM {source} "
               f"WHERE {' AND '.join(where)} ORDER BY r.id DESC LIMIT ?")
        return Query(sql, [*params, d["limit"]], notes)
    if d["group"]:
        key, order = expressions[d["group"]], "1" if d["group"] in GROUP_TIME else "2 DESC"
        f = found.get(d["group"])
        if f is not None and f.type in ("date", "datetime"):
            key, order = f"strftime('%Y-%m', {key})", "1"
        elif f is not None and f.type == "checkbox":
            key, head = f"CASE WHEN {key} = 1 THEN ? ELSE ? END", list(words)
        sql = (f"SELECT COALESCE(CAST({key} AS TEXT), '—') AS label, {value} AS value FROM {source} "
               f"WHERE {' AND '.join(where)} GROUP BY 1 ORDER BY {order} LIMIT ?")
    else:
        sql = f"SELECT 'all' AS label, {value} AS value FROM {source} WHERE {' AND '.join(where)} LIMIT ?"
    return Query(sql, [*head, *params, d["limit"]], notes)


def to_sql(definition: dict, conn: sqlite3.Connection | None = None, actor: Actor | None = None) -> tuple[str, list]:
    q = query(conn, definition, actor)
    return q.sql, q.params


def run(conn: sqlite3.Connection, definition: dict, actor: Actor | None = None, **kw) -> list[dict]:
    q = query(conn, definition, actor, **kw)
    return rows(conn, q.sql, q.params)


def run_noted(conn: sqlite3.Connection, definition: dict, actor: Actor | None = None, **kw) -> tuple[list, list]:
    """The view's rows and what was left out of it (see ``Query.notes``)."""
    q = query(conn, definition, actor, **kw)
    return rows(conn, q.sql, q.params), q.notes


def save(conn: sqlite3.Connection, name: str, page: str, definition: dict, actor: Actor, *, shared: bool = False,
         pinned: bool = False, view_id: int | None = None, version: int | None = None) -> int:
    name = " ".join((clean_text(name, "view_name", 100) or "").split())
    if not name:
        raise ValidationError("Give the view a name.", field="name", key="views.err_name")
    text = json.dumps(validate(definition) if page == "views" else validate_grid(page, definition),
                      ensure_ascii=False)
    values = {"name": name, "page": page, "definition": text, "shared": int(shared), "pinned": int(pinned)}
    if view_id:
        records.update(conn, "saved_views", view_id, version, values, actor)
        return view_id
    return records.create(conn, "saved_views", {**values, "owner_id": actor.id}, actor)


# The filter widgets each grid page may save and restore (session-state keys); nothing else is kept.
GRID_KEYS = {
    "contacts": ("c_search", "c_lifecycle", "c_owner", "c_channel", "c_segment", "c_campaign", "c_tag", "c_sort",
                 "c_mine"),
    "companies": ("co_search", "co_sort", "co_mine"),
    "deals": ("d_pipeline", "d_search", "d_min", "d_max", "d_mine", "d_all_closed"),
    "calendar": ("cal_person", "cal_kinds"),
}


# A grid's filter widget on a custom field is keyed "<page prefix>cf_<field key>" (c_cf_tier); saved grid views
# keep those too, at most MAX_CUSTOM_KEYS of them. The grid decides what a key means; a key naming a field that
# is gone simply matches no widget.
GRID_PREFIX = {"contacts": "c_", "companies": "co_", "deals": "d_"}
MAX_CUSTOM_KEYS = 20


def grid_custom_key(page: str) -> re.Pattern | None:
    """The pattern of ``page``'s custom-field filter widget keys (None: the page has none)."""
    prefix = GRID_PREFIX.get(page)
    return re.compile(rf"^{prefix}cf_[a-z][a-z0-9_]{{0,39}}(_[a-z]{{1,6}})?$") if prefix else None


def _grid_schema(page: str) -> dict:
    simple = {"anyOf": [{"type": ["string", "number", "boolean", "null"], "maxLength": 300},
                        {"type": "array", "maxItems": 50, "items": {"type": "string", "maxLength": 200}}]}
    custom_keys = grid_custom_key(page)
    filters = {"type": ["object", "null"], "additionalProperties": False,
               "properties": {key: simple for key in GRID_KEYS[page]},
               "maxProperties": len(GRID_KEYS[page]) + MAX_CUSTOM_KEYS}
    if custom_keys is not None:
        filters["patternProperties"] = {custom_keys.pattern: simple}
    return {"type": "object", "required": ["schema"], "additionalProperties": False,
            "properties": {"schema": {"type": "integer", "minimum": 1, "maximum": SCHEMA},
                           "filters": filters, "sort": {"type": "string", "maxLength": 40}}}


def validate_grid(page: str, definition) -> dict:
    """A grid view: {"schema": 1, "filters": {widget key: simple value}} with whitelisted keys only."""
    definition = _load(definition)
    if page not in GRID_KEYS:
        raise ValidationError("Unknown record type '{value}'.", field="record", key="views.err_record",
                              value=str(page)[:40])
    _check_shape(definition, page)
    filters = definition.get("filters") or {}
    for key, value in filters.items():
        if len(json.dumps(value)) > 300:
            raise ValidationError("Unknown field or operator in a filter: '{value}'.", field="filters",
                                  key="views.err_filter", value=str(key)[:80])
    return {"schema": SCHEMA, "filters": dict(filters)}


def visible(conn: sqlite3.Connection, user_id: int, page: str | None = None) -> list[dict]:
    """The person's own views and the team's shared ones."""
    sql = ("SELECT v.id, v.name, v.page, v.shared, v.pinned, v.owner_id, v.version, u.name AS owner FROM saved_views v "
           "LEFT JOIN users u ON u.id = v.owner_id WHERE v.deleted_at IS NULL AND (v.owner_id = ? OR v.shared = 1)")
    params: list = [user_id]
    if page:
        sql += " AND v.page = ?"
        params.append(page)
    return rows(conn, sql + " ORDER BY v.page, v.name LIMIT 200", params)


def get(conn: sqlite3.Connection, view_id: int, user_id: int) -> dict:
    view = one(conn, "SELECT * FROM saved_views WHERE id = ? AND deleted_at IS NULL AND (owner_id = ? OR shared = 1)",
               (view_id, user_id))
    if view is None:
        raise NotFoundError(entity="saved_views", id=view_id)
    try:
        view["definition"] = json.loads(view["definition"])
    except (TypeError, ValueError, RecursionError):  # written around the app: kept as text, refused by validate
        pass
    return view


def pinned(conn: sqlite3.Connection, user_id: int) -> list[dict]:
    """Pinned builder views with checked definitions; a damaged one keeps ``definition`` None (the page says so)."""
    out = []
    for v in [v for v in visible(conn, user_id, "views") if v["pinned"]][:6]:
        view = get(conn, v["id"], user_id)
        try:
            view["definition"] = validate(view["definition"])
        except ValidationError:
            view["definition"] = None
        out.append(view)
    return out
