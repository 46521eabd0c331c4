"""The OpenAPI 3.1 document, built from the resource definitions that also validate requests
(api/resources.py, api/schema.py, api/query.py): what it promises is what the server checks.

Custom fields are per person (who may see and edit which): with a key, the document carries that person's
fields exactly; without one, ``custom`` is an open object.
"""

from __future__ import annotations

from api import PREFIX
from api.query import params
from api.resources import ACTIONS, RESOURCES
from api.schema import Resource, create_schema, patch_schema, record_schema

PROBLEM = {"type": "object", "required": ["type", "status", "title", "detail", "code"], "properties": {
    "type": {"type": "string"}, "status": {"type": "integer"}, "title": {"type": "string"},
    "detail": {"type": "string"}, "code": {"type": "string", "description": "The message's key, for programs."},
    "field": {"type": "string", "description": "The field or parameter concerned."},
    "current": {"description": "412 only: the record as it is now."},
    "changed": {"type": "array", "items": {"type": "string"}, "description": "412 only: fields changed since."}}}

_ERR = {"description": "A problem (RFC 9457) in the key owner's language",
        "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}}
_ETAG = {"ETag": {"description": "The record's version; send it as If-Match to change the record.",
                  "schema": {"type": "string"}}}
_ID = {"name": "id", "in": "path", "required": True, "schema": {"type": "integer", "minimum": 1,
                                                               "maximum": 2**63 - 1}}
_IF_MATCH = {"name": "If-Match", "in": "header", "schema": {"type": "string", "maxLength": 40},
             "description": "The record's ETag: a stale one gets 412 with the current record."}
_IDEM = {"name": "Idempotency-Key", "in": "header", "required": False, "schema": {"type": "string", "minLength": 1,
                                                                                 "maxLength": 200},
         "description": "A retried POST with the same key returns the first answer instead of a duplicate (24 h)."}


def _name(res: Resource) -> str:
    return res.name.title().replace("_", "")


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _ok(status: str, schema: dict | None, description: str, headers: dict | None = None) -> dict:
    out: dict = {status: {"description": description}}
    if schema is not None:
        out[status]["content"] = {"application/json": {"schema": schema}}
    if headers:
        out[status]["headers"] = headers
    out["default"] = _ERR
    return out


def _body(name: str) -> dict:
    return {"required": True, "content": {"application/json": {"schema": _ref(name)}}}


def _paths(res: Resource) -> dict:
    name, tag = _name(res), res.title
    base, item = f"/{res.name}", f"/{res.name}/{{id}}"
    out: dict = {base: {}, item: {}}
    if "list" in res.ops:
        page = {"type": "object", "required": ["data", "next_cursor"], "properties": {
            "data": {"type": "array", "items": _ref(name)},
            "next_cursor": {"type": ["string", "null"], "description": "Pass as ?cursor= for the next page."}}}
        out[base]["get"] = {"tags": [tag], "summary": f"List {res.name}", "operationId": f"list_{res.name}",
                            "parameters": params(res), "responses": _ok("200", page, "One page")}
    if "create" in res.ops:
        out[base]["post"] = {"tags": [tag], "summary": f"Create a record of {res.name}",
                             "operationId": f"create_{res.name}", "parameters": [_IDEM],
                             "requestBody": _body(name + "Create"),
                             "responses": _ok("201", _ref(name), "Created", _ETAG)}
    if "get" in res.ops:
        out[item]["get"] = {"tags": [tag], "summary": "Get one", "operationId": f"get_{res.name}",
                            "parameters": [_ID], "responses": _ok("200", _ref(name), "The record", _ETAG)}
    if "update" in res.ops:
        out[item]["patch"] = {"tags": [tag], "summary": "Change some fields", "operationId": f"update_{res.name}",
                              "parameters": [_ID, {**_IF_MATCH, "required": True}],
                              "requestBody": _body(name + "Patch"),
                              "responses": _ok("200", _ref(name), "The record as saved", _ETAG)}
    if "delete" in res.ops:
        out[item]["delete"] = {"tags": [tag], "summary": "Delete (restorable from the audit log)",
                               "operationId": f"delete_{res.name}", "parameters": [_ID, _IF_MATCH],
                               "responses": _ok("204", None, "Deleted")}
    for action, summary in res.actions.items():
        path = f"{item}/{action}"
        if res.name == "views":
            rows = {"type": "object", "required": ["data"], "properties": {"data": {"type": "array", "items": {
                "type": "object", "properties": {"label": {"type": ["string", "null"]},
                                                 "value": {"type": ["number", "null"]}}}}}}
            out[path] = {"get": {"tags": [tag], "summary": summary, "operationId": f"{action}_{res.name}",
                                 "parameters": [_ID], "responses": _ok("200", rows, "The figures")}}
        else:
            out[path] = {"post": {"tags": [tag], "summary": summary, "operationId": f"{action}_{res.name}",
                                  "parameters": [_ID, {**_IF_MATCH, "required": True}],
                                  "requestBody": _body(_name(ACTIONS[action]) + "Body"),
                                  "responses": _ok("200", _ref(name), "The record as saved", _ETAG)}}
    return {k: v for k, v in out.items() if v}


def document(fields_of=None) -> dict:
    """The whole document. ``fields_of(resource name) -> (shown, accepted)`` gives the caller's custom
    fields; None leaves ``custom`` open."""
    schemas: dict = {"Problem": PROBLEM}
    paths: dict = {}
    for res in RESOURCES.values():
        visible, editable = fields_of(res.name) if (fields_of and res.custom) else ([], [])
        name = _name(res)
        schemas[name] = record_schema(res, visible)
        if res.custom and not fields_of:
            schemas[name]["properties"]["custom"] = {"type": "object"}
        if "create" in res.ops:
            schemas[name + "Create"] = create_schema(res, editable)
            if res.custom and not fields_of:
                schemas[name + "Create"]["properties"]["custom"] = {"type": "object"}
        if "update" in res.ops:
            schemas[name + "Patch"] = patch_schema(res, editable)
            if res.custom and not fields_of:
                schemas[name + "Patch"]["properties"]["custom"] = {"type": "object"}
        paths.update({PREFIX + k: v for k, v in _paths(res).items()})
    for action in ACTIONS.values():
        schemas[_name(action) + "Body"] = create_schema(action)
    paths[PREFIX + "/me"] = {"get": {"tags": ["Keys"], "summary": "Who this key acts as", "operationId": "me",
                                     "responses": _ok("200", {"type": "object", "required": ["user", "key"]},
                                                      "The person and the key")}}
    return {
        "openapi": "3.1.0",
        "info": {"title": "Team CRM API", "version": "1",
                 "description": "Records of the CRM over HTTP, with the app's own rules, roles and audit. "
                                "Keys are made on the Account page; see docs/api.md."},
        "servers": [{"url": "/"}],
        "security": [{"key": []}],
        "paths": paths,
        "components": {"schemas": schemas,
                       "securitySchemes": {"key": {"type": "http", "scheme": "bearer",
                                                   "description": "An API key from the Account page."}}},
    }
