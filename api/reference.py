"""The API's own description: an index, the OpenAPI document and a readable reference page built from it
(one self-contained HTML page: no script, no font or stylesheet from elsewhere, so it works offline)."""

from __future__ import annotations

import json
from html import escape

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response

from api import PREFIX, auth, custom, openapi
from db.core.connection import db_path, pooled
from db.core.errors import DomainError


def _document(authorization: str | None) -> dict:
    """The document for the calling key's person (their custom fields), or the open one without a key."""
    if not auth.bearer(authorization):
        return openapi.document()
    with pooled(db_path()) as conn:
        try:
            caller = auth.identify(conn, authorization, "GET")
        except DomainError:
            return openapi.document()
        return openapi.document(lambda entity: (custom.visible(conn, entity, caller.actor),) * 2)


async def openapi_json(request: Request) -> Response:
    doc = await run_in_threadpool(_document, request.headers.get("authorization"))
    return JSONResponse(doc, headers={"Cache-Control": "no-store"})


async def index(_request: Request) -> Response:
    return JSONResponse({"openapi": f"{PREFIX}/openapi.json", "docs": f"{PREFIX}/docs",
                         "resources": {name: f"{PREFIX}/{name}" for name in openapi.RESOURCES}})


_CSS = """body{font:15px/1.5 system-ui,sans-serif;margin:0;color:#1f2937;background:#f8fafc}
main{max-width:980px;margin:0 auto;padding:24px}h1{margin:.2em 0}h2{margin-top:2em;border-bottom:2px solid #e5e7eb}
section.op{background:#fff;border:1px solid #e5e7eb;border-radius:8px;padding:12px 16px;margin:12px 0}
code,pre{font:13px ui-monospace,monospace;background:#f1f5f9;border-radius:4px;padding:1px 4px}
pre{padding:10px;overflow:auto}.m{display:inline-block;min-width:64px;font-weight:700;color:#fff;border-radius:4px;
text-align:center;margin-right:8px}.get{background:#2563eb}.post{background:#059669}.patch{background:#d97706}
.delete{background:#dc2626}table{border-collapse:collapse;width:100%;margin:6px 0}td,th{border-bottom:1px solid
#e5e7eb;padding:4px 6px;text-align:left;vertical-align:top}th{font-weight:600;color:#475569}nav a{margin-right:12px}"""


def _type(schema: dict) -> str:
    if "$ref" in schema:
        return schema["$ref"].rsplit("/", 1)[-1]
    kind = schema.get("type", "any")
    text = " | ".join(kind) if isinstance(kind, list) else str(kind)
    if schema.get("enum"):
        text += ": " + ", ".join(str(v) for v in schema["enum"] if v is not None)
    if schema.get("format"):
        text += f" ({schema['format']})"
    if schema.get("maxLength"):
        text += f", ≤ {schema['maxLength']} chars"
    return text


def _fields(schema: dict) -> str:
    required = set(schema.get("required", []))
    rows = "".join(f"<tr><td><code>{escape(name)}</code>{' *' if name in required else ''}</td>"
                   f"<td>{escape(_type(prop))}</td><td>{escape(prop.get('description', ''))}</td></tr>"
                   for name, prop in schema.get("properties", {}).items())
    return f"<table><tr><th>field</th><th>type</th><th></th></tr>{rows}</table>" if rows else ""


def page(doc: dict) -> str:
    """The reference as HTML: every operation with its parameters, body fields and answers."""
    schemas = doc["components"]["schemas"]
    by_tag: dict[str, list] = {}
    for path, methods in doc["paths"].items():
        for method, op in methods.items():
            by_tag.setdefault(op["tags"][0], []).append((path, method, op))
    parts = [f"<h1>{escape(doc['info']['title'])}</h1><p>{escape(doc['info']['description'])}</p>",
             "<p>Every request sends <code>Authorization: Bearer crm_…</code>. Errors are "
             "<code>application/problem+json</code>. Machine-readable: "
             f"<a href='{PREFIX}/openapi.json'>openapi.json</a>.</p>",
             "<nav>" + "".join(f"<a href='#{escape(tag)}'>{escape(tag)}</a>" for tag in by_tag) + "</nav>"]
    for tag, ops in by_tag.items():
        parts.append(f"<h2 id='{escape(tag)}'>{escape(tag)}</h2>")
        for path, method, op in ops:
            params = "".join(f"<tr><td><code>{escape(p['name'])}</code>{' *' if p.get('required') else ''}</td>"
                             f"<td>{escape(p['in'])}</td><td>{escape(_type(p['schema']))}</td>"
                             f"<td>{escape(p.get('description', ''))}</td></tr>" for p in op.get("parameters", []))
            body = op.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
            answers = ", ".join(f"{escape(code)} {escape(r['description'])}" for code, r in op["responses"].items()
                                if code != "default")
            parts.append(
                f"<section class='op'><div><span class='m {method}'>{method.upper()}</span><code>{escape(path)}</code>"
                f" — {escape(op['summary'])}</div>"
                + (f"<table><tr><th>parameter</th><th>in</th><th>type</th><th></th></tr>{params}</table>" if params
                   else "")
                + (f"<p>Body:</p>{_fields(schemas[_type(body)])}" if body else "")
                + f"<p>Answers: {answers}; otherwise a problem.</p></section>")
    parts.append("<h2 id='schemas'>Records</h2>")
    for name, schema in schemas.items():
        if not name.endswith(("Create", "Patch", "Body")):
            parts.append(f"<h3>{escape(name)}</h3>{_fields(schema)}")
    return (f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{escape(doc['info']['title'])}"
            f"</title><meta name='viewport' content='width=device-width'><style>{_CSS}</style></head>"
            f"<body><main>{''.join(parts)}</main></body></html>")


async def docs(_request: Request) -> Response:
    html = page(json.loads(json.dumps(openapi.document())))
    return HTMLResponse(html, headers={"Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'"})
