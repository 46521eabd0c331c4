"""Public web-to-lead endpoints: ``POST /forms/<public id>`` (form-encoded or JSON), a hosted copy of the form
(``GET``) and a thank-you page. The work is ``db.crm.webforms.submit``; this only reads and answers.

Answers never say whether the email was already known (that would let anyone probe who is a customer).
JSON callers (``Content-Type: application/json`` or ``Accept: application/json``) get JSON, with
``field`` naming the bad field; browsers posting a plain form get a redirect or a short HTML page.
"""

from __future__ import annotations

import html
import json
import logging
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from components.form_snippet import snippet
from components.i18n import error_text, translate
from db.core.errors import DomainError, NotFoundError, ValidationError
from db.crm import webforms
from integrations.common import address, language, page, with_db

log = logging.getLogger(__name__)
MAX_BODY = 64 * 1024
CORS = {"Access-Control-Allow-Origin": "*", "Access-Control-Allow-Methods": "POST, OPTIONS",
        "Access-Control-Allow-Headers": "Content-Type", "Access-Control-Max-Age": "86400"}


def _wants_json(request: Request) -> bool:
    kind = request.headers.get("content-type", "")
    accept = request.headers.get("accept", "")
    return "json" in kind or ("json" in accept and "text/html" not in accept)


async def _body(request: Request) -> bytes:
    """The raw body, refused past ``MAX_BODY`` without reading (or buffering) the rest."""
    too_large = ValidationError("The submission is too large.", field="form", key="forms.err_large")
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY:
        raise too_large
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY:
            raise too_large
        chunks.append(chunk)
    return b"".join(chunks)


async def _read(request: Request) -> dict:
    """The posted fields: a JSON object, or a form-encoded body (what the snippet sends)."""
    body = await _body(request)
    if "json" in request.headers.get("content-type", ""):
        try:
            data = json.loads(body or b"{}")
        except (ValueError, UnicodeDecodeError):
            data = None
        if not isinstance(data, dict):
            raise ValidationError("The submission is not a JSON object.", field="form", key="forms.err_json")
        return {k: v if isinstance(v, str | int | float) or v is None else str(v) for k, v in data.items()}
    return dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))


def _error(request: Request, err: DomainError, status: int, lang: str, headers: dict | None = None) -> Response:
    message = error_text(err, lang, plain=True)
    headers = {**CORS, "Cache-Control": "no-store", **(headers or {})}
    if _wants_json(request):
        body = {"ok": False, "error": type(err).__name__, "message": message}
        if getattr(err, "field", None):
            body["field"] = err.field
        return JSONResponse(body, status_code=status, headers=headers)
    back = translate(lang, "forms.back")
    return HTMLResponse(page(message, f"<p role=\"alert\">{html.escape(message)}</p>"
                                      f"<p><a href=\"javascript:history.back()\">{html.escape(back)}</a></p>", lang),
                        status_code=status, headers=headers)


async def submit_route(request: Request) -> Response:
    public_id = request.path_params["public_id"]
    lang = language(request)
    try:
        data = await _read(request)
        form = await with_db(webforms.submit, public_id, data, address(request))
    except webforms.RateLimited as err:
        return _error(request, err, 429, lang, {"Retry-After": str(err.retry_after)})
    except NotFoundError as err:
        return _error(request, err, 404, lang)
    except ValidationError as err:
        return _error(request, err, 422, lang)
    except DomainError as err:  # busy database and the like: a plain sentence, try again
        log.warning("web form %s: %s", public_id[:20], err)
        return _error(request, err, 503, lang)
    if _wants_json(request):
        return JSONResponse({"ok": True}, status_code=201 if form["status"] == "created" else 200,
                            headers={**CORS, "Cache-Control": "no-store"})
    target = form["redirect_url"] or f"/forms/{public_id}/thanks"
    return RedirectResponse(target, status_code=303, headers=CORS)


def preflight_route(_request: Request) -> Response:
    return Response(status_code=204, headers=CORS)


def _form_or_404(conn, public_id: str) -> tuple[dict, dict] | None:
    """The form and the custom fields it may ask, or None."""
    try:
        return webforms.by_public_id(conn, public_id), webforms.custom_fields(conn)
    except NotFoundError:
        return None


async def hosted_route(request: Request) -> Response:
    """The form on a page of its own, for a link in an email or a site without an editable page."""
    public_id = request.path_params["public_id"]
    lang = language(request)
    found = await with_db(_form_or_404, public_id)
    if found is None:
        return HTMLResponse(page("404", "<p>404</p>", lang), status_code=404)
    form, custom = found
    labels = {**{f: translate(lang, f"forms.field_{f}") for f in webforms.FIELDS},
              **{k: f.label(lang) for k, f in custom.items()}}
    body = snippet(form, f"/forms/{public_id}", labels, translate(lang, "forms.send"), custom)
    return HTMLResponse(page(form["name"], f"<h1>{html.escape(form['name'])}</h1>{body}", lang),
                        headers={"Cache-Control": "no-store"})


async def thanks_route(request: Request) -> Response:
    lang = language(request)
    text = translate(lang, "forms.thanks")
    return HTMLResponse(page(text, f"<p>{html.escape(text)}</p>", lang))


ROUTES = [
    Route("/forms/{public_id}", submit_route, methods=["POST"]),
    Route("/forms/{public_id}", preflight_route, methods=["OPTIONS"]),
    Route("/forms/{public_id}", hosted_route, methods=["GET"]),
    Route("/forms/{public_id}/thanks", thanks_route, methods=["GET"]),
]
