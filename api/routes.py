"""The HTTP side of ``/api/v1``: thin endpoints that read the request, call api/store.py on a worker thread
with a pooled connection, and answer JSON (records with an ``ETag``) or problem+json."""

from __future__ import annotations

import json
import re

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from api import auth, custom, problems, query, store
from api.problems import Problem
from api.resources import ACTIONS, RESOURCES
from api.schema import MAX_ID, Resource, check, create_schema, patch_schema
from db.core import apikeys
from db.core.connection import db_path, pooled, write
from db.core.errors import ConflictError, NotFoundError

MAX_BODY = 1_000_000
POOL = 24  # idle connections kept: opening one parses the whole schema (~10 ms), so each request reuses one


def _json(payload, status: int = 200, headers: dict | None = None) -> Response:
    return Response(json.dumps(payload, ensure_ascii=False), status_code=status, media_type="application/json",
                    headers={"Cache-Control": "no-store", **(headers or {})})


def etag(record: dict) -> dict:
    return {"ETag": f'"{record["version"]}"'} if "version" in record else {}


def _id(raw: str, res: Resource) -> int:
    if not re.fullmatch(r"[0-9]{1,19}", raw or "") or not 0 < int(raw) <= MAX_ID:
        raise NotFoundError(entity=res.name, id=str(raw)[:20])
    return int(raw)


def if_match(header: str | None, required: bool) -> int | None:
    """The version named by ``If-Match`` (an ETag); 428 when a change needs one and it is missing."""
    if header is None:
        if required:
            raise Problem(428, "api.err_if_match", "Send If-Match with the record's ETag (its version) to change it.",
                          field="If-Match")
        return None
    value = header.strip().removeprefix("W/").strip('"')
    if not value.isascii() or not value.isdigit() or len(value) > 18:
        raise Problem(412, "api.err_if_match_bad", "If-Match must be the record's ETag, such as \"3\".",
                      field="If-Match")
    return int(value)


def _body(raw: bytes) -> dict:
    if len(raw) > MAX_BODY:
        raise Problem(413, "api.err_body_size", "The request body is too large.")
    try:
        value = json.loads(raw or b"null")
    except (ValueError, RecursionError):
        value = None
    if not isinstance(value, dict):
        raise Problem(400, "api.err_body", "The request body must be a JSON object.", field="body")
    return value


def _serve(request: Request, body: bytes, work) -> Response:
    """Identify the caller, run ``work(conn, caller)`` and turn any error into problem+json (on a thread)."""
    lang, caller = "en", None
    with pooled(db_path(), keep=POOL) as conn:
        try:
            caller = auth.identify(conn, request.headers.get("authorization"), request.method)
            lang = caller.lang
            return work(conn, caller)
        except ConflictError as err:  # 412 with the record as it is now, so the client can merge and retry
            res = RESOURCES.get(request.path_params.get("resource", ""))
            current = None
            if res and err.current and caller:
                fields = custom.visible(conn, res.name, caller.actor) if res.custom else []
                current = store.render(conn, res, err.current, fields)
            return problems.from_error(err, lang, current=current, changed=err.changed)
        except Exception as err:  # noqa: BLE001 - every failure answers as problem+json
            if request.path_params.get("resource") in RESOURCES:
                custom.relabel(conn, request.path_params["resource"], err, lang)
            return problems.from_error(err, lang)


async def endpoint(request: Request) -> Response:
    body = await request.body() if request.method in ("POST", "PATCH") else b""
    return await run_in_threadpool(_serve, request, body, lambda conn, caller: _dispatch(request, body, conn, caller))


def _resource(request: Request, op: str) -> Resource:
    res = RESOURCES.get(request.path_params.get("resource", ""))
    if res is None:
        raise Problem(404, "api.err_no_route", "There is no such address in this API.")
    if op not in res.ops:
        raise Problem(405, "api.err_method", "This method is not allowed here.")
    return res


def _dispatch(request: Request, raw: bytes, conn, caller) -> Response:
    method, params = request.method, request.path_params
    if "action" in params:
        return _action(request, raw, conn, caller)
    if "id" not in params:
        if method == "GET":
            return _list(request, conn, caller)
        return _create(request, raw, conn, caller)
    res = _resource(request, {"GET": "get", "PATCH": "update", "DELETE": "delete"}.get(method, "?"))
    record_id = _id(params["id"], res)
    if method == "GET":
        record = store.get(conn, res, record_id, caller.actor)
        return _json(record, headers=etag(record))
    if method == "DELETE":
        store.delete(conn, res, record_id, if_match(request.headers.get("if-match"), False), caller.actor)
        return Response(status_code=204, headers={"Cache-Control": "no-store"})
    version = if_match(request.headers.get("if-match"), True)
    fields = custom.visible(conn, res.name, caller.actor) if res.custom else []  # the write path checks who edits
    body = check(patch_schema(res, fields), _body(raw))
    store.update(conn, res, record_id, version, body, caller.actor)
    record = store.get(conn, res, record_id, caller.actor)
    return _json(record, headers=etag(record))


def _list(request: Request, conn, caller) -> Response:
    res = _resource(request, "list")
    page = query.parse(res, dict(request.query_params)) if res.name in query.listing.SOURCES else None
    if page is None and request.query_params:
        raise Problem(400, "api.err_param_unknown", "Unknown parameter {field}.", field=next(iter(request.query_params)))
    items, after = store.list_page(conn, res, page, caller.actor)
    cursor = query.encode(page.sort, page.descending, after) if after else None
    return _json({"data": items, "next_cursor": cursor})


def _create(request: Request, raw: bytes, conn, caller) -> Response:
    res = _resource(request, "create")
    fields = custom.visible(conn, res.name, caller.actor) if res.custom else []
    body = check(create_schema(res, fields), _body(raw))
    idem = request.headers.get("idempotency-key")
    if idem is None:
        record = store.get(conn, res, store.create(conn, res, body, caller.actor), caller.actor)
        return _json(record, 201, {**etag(record), "Location": f"/api/v1/{res.name}/{record['id']}"})
    digest = apikeys.request_hash("POST", request.url.path, raw)
    with write(conn):  # the create and its stored answer: both or neither, so a retry finds one or the other
        stored = apikeys.replay(conn, caller.key["id"], idem, digest)
        if stored:
            record = json.loads(stored[1])
            return _json(record, stored[0], {**etag(record), "Idempotent-Replayed": "true",
                                             "Location": f"/api/v1/{res.name}/{record['id']}"})
        record = store.get(conn, res, store.create(conn, res, body, caller.actor), caller.actor)
        apikeys.remember(conn, caller.key["id"], idem, digest, 201, json.dumps(record, ensure_ascii=False))
    return _json(record, 201, {**etag(record), "Location": f"/api/v1/{res.name}/{record['id']}"})


def _action(request: Request, raw: bytes, conn, caller) -> Response:
    res = RESOURCES.get(request.path_params["resource"])
    name = request.path_params["action"]
    if res is None or name not in res.actions:
        raise Problem(404, "api.err_no_route", "There is no such address in this API.")
    record_id = _id(request.path_params["id"], res)
    if res.name == "views":
        if request.method != "GET":
            raise Problem(405, "api.err_method", "This method is not allowed here.")
        return _json({"data": store.run_view(conn, record_id, caller.actor)})
    if request.method != "POST":
        raise Problem(405, "api.err_method", "This method is not allowed here.")
    version = if_match(request.headers.get("if-match"), True)
    body = check(create_schema(ACTIONS[name]), _body(raw))
    store.act(conn, name, record_id, version, body, caller.actor)
    record = store.get(conn, res, record_id, caller.actor)
    return _json(record, headers=etag(record))


async def me(request: Request) -> Response:
    """Who the key acts as: the person, their role and language, and the key's name and scope."""
    def work(_conn, caller):
        return _json({"user": caller.user, "key": caller.key})
    return await run_in_threadpool(_serve, request, b"", work)
