"""The list endpoints' query parameters (one table of them drives both parsing and the OpenAPI document)
and the opaque cursor of keyset pagination."""

from __future__ import annotations

import base64
import json

from api.problems import Problem
from api.schema import Resource
from db.core.text import clean_moment
from db.crm import listing

DEFAULT_LIMIT = 50


def params(res: Resource) -> list[dict]:
    """OpenAPI parameter objects of ``GET /{res}`` (only lists that page by keyset take more than none)."""
    if res.name not in listing.SOURCES:
        return []
    src = listing.SOURCES[res.name]
    sorts = [*src.sorts, *("-" + s for s in src.sorts)]
    out = [
        {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": listing.MAX_LIMIT,
                                                    "default": DEFAULT_LIMIT}},
        {"name": "cursor", "in": "query", "schema": {"type": "string", "maxLength": 500},
         "description": "next_cursor of the previous page; send the same sort and filters."},
        {"name": "sort", "in": "query", "schema": {"type": "string", "enum": sorts, "default": "id"},
         "description": "A field; a leading '-' sorts descending."},
    ]
    if res.search:
        out.append({"name": "q", "in": "query", "schema": {"type": "string", "maxLength": 200},
                    "description": "Full-text search: every word, as a prefix."})
    for name in src.since:
        out.append({"name": f"{name.removesuffix('_at')}_since", "in": "query",
                    "schema": {"type": "string", "format": "date-time"}, "description": f"{name} at or after."})
    for p in res.all_props:
        if p.filter:
            schema = {k: v for k, v in p.schema().items() if k not in ("description",)}
            schema["type"] = p.type
            if "enum" in schema:
                schema["enum"] = [v for v in schema["enum"] if v is not None]
            out.append({"name": p.name, "in": "query", "schema": schema, "description": f"Only {p.name} equal to this."})
    return out


def _typed(spec: dict, raw: str):
    schema, name = spec["schema"], spec["name"]
    kind = schema.get("type")
    try:
        if kind == "integer":
            value = int(raw)
            if not schema.get("minimum", -2**63) <= value <= schema.get("maximum", 2**63 - 1):
                raise ValueError
            return value
        if kind == "boolean":
            if raw.lower() not in ("true", "false", "1", "0"):
                raise ValueError
            return int(raw.lower() in ("true", "1"))
    except ValueError:
        raise Problem(400, "api.err_param", "The parameter {field} has a value that is not allowed.",
                      field=name) from None
    if "enum" in schema and raw not in schema["enum"]:
        raise Problem(400, "api.err_param", "The parameter {field} has a value that is not allowed.", field=name)
    if len(raw) > schema.get("maxLength", 500):
        raise Problem(400, "api.err_param", "The parameter {field} has a value that is not allowed.", field=name)
    return raw


def parse(res: Resource, query: dict[str, str]) -> listing.Page:
    """A ``listing.Page`` from the query string; an unknown or malformed parameter is a 400 naming it."""
    specs = {p["name"]: p for p in params(res)}
    for name in query:
        if name not in specs:
            raise Problem(400, "api.err_param_unknown", "Unknown parameter {field}.", field=name)
    values = {name: _typed(specs[name], raw) for name, raw in query.items()}
    sort = values.pop("sort", "id")
    descending, sort = sort.startswith("-"), sort.lstrip("-")
    after = None
    if "cursor" in values:
        after = decode(values.pop("cursor"), sort, descending)
    since = {}
    for name in [n for n in values if n.endswith("_since")]:
        try:
            moment = clean_moment(values.pop(name), name)
        except Exception:  # noqa: BLE001 - any unreadable time is the client's parameter
            raise Problem(400, "api.err_param", "The parameter {field} has a value that is not allowed.",
                          field=name) from None
        since[name.removesuffix("_since") + "_at"] = moment.isoformat(sep=" ", timespec="seconds")  # zero-padded
    limit = values.pop("limit", DEFAULT_LIMIT)
    search = values.pop("q", "")
    return listing.Page(sort=sort, descending=descending, filters=values, since=since, search=search,
                        after=after, limit=limit)


def encode(sort: str, descending: bool, after: tuple) -> str:
    raw = json.dumps([sort, descending, *after], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode(cursor: str, sort: str, descending: bool) -> tuple:
    """The ``after`` of a cursor made for this same sort; anything else is a 400."""
    try:
        got = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        ok = (isinstance(got, list) and len(got) == 4 and got[0] == sort and got[1] is descending
              and isinstance(got[3], int) and isinstance(got[2], str | int | float) and not isinstance(got[2], bool))
    except (ValueError, TypeError):
        ok = False
    if not ok:
        raise Problem(400, "api.err_cursor", "This cursor does not fit this list; start again without it, or send "
                      "the sort it was made with.", field="cursor")
    return got[2], got[3]
