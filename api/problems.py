"""Errors as ``application/problem+json`` (RFC 9457) in the key owner's language.

A domain error already carries its translation key, parameters and field (db/core/errors.py); the text is
made by the pages' own translator (``components.i18n.error_text``), so an API client reads what the page
would say. ``code`` is that key, for programs; ``field`` names the field concerned.
"""

from __future__ import annotations

import json
import logging
import uuid

from starlette.responses import Response

from components.i18n import error_text, translate
from db.core.errors import (
    AuthError,
    ConflictError,
    DatabaseBusy,
    DatabaseUnavailable,
    DomainError,
    NotFoundError,
    PermissionDenied,
    ValidationError,
)

log = logging.getLogger(__name__)
MEDIA = "application/problem+json"


class Problem(Exception):
    """An HTTP-level refusal that is not a data rule (bad cursor, missing If-Match, rate limit, scope)."""

    def __init__(self, status: int, key: str, template: str, *, field: str = "", headers: dict | None = None,
                 **params):
        self.status, self.headers = status, headers or {}
        self.error = DomainError(template, key=key, **({"field": field} if field else {}), **params)
        self.error.field = field
        super().__init__(self.error.message)


def status_of(err: Exception) -> int:
    for kind, status in ((ValidationError, 422), (ConflictError, 412), (NotFoundError, 404),
                         (PermissionDenied, 403), (AuthError, 401), (DatabaseUnavailable, 503)):
        if isinstance(err, kind):
            return status
    return 400


def body(status: int, err: DomainError, lang: str, **extra) -> dict:
    out = {"type": "about:blank", "status": status,
           "title": translate(lang, f"api.title_{status}", "Error"),
           "detail": error_text(err, lang, plain=True), "code": err.key}
    if getattr(err, "field", ""):
        out["field"] = err.field
    if getattr(err, "row", None) is not None:
        out["row"] = err.row
    return {**out, **extra}


def respond(status: int, payload: dict, headers: dict | None = None) -> Response:
    return Response(json.dumps(payload, ensure_ascii=False), status_code=status, media_type=MEDIA,
                    headers={"Cache-Control": "no-store", **(headers or {})})


def from_error(err: Exception, lang: str, **extra) -> Response:
    """The answer to any exception a request raised; unexpected ones are logged with an id the client sees."""
    if isinstance(err, Problem):
        return respond(err.status, body(err.status, err.error, lang, **extra), err.headers)
    if isinstance(err, DomainError):
        status = status_of(err)
        headers = {"WWW-Authenticate": 'Bearer realm="crm"'} if status == 401 else {}
        if isinstance(err, DatabaseBusy):
            headers["Retry-After"] = "5"
        return respond(status, body(status, err, lang, **extra), headers)
    error_id = uuid.uuid4().hex[:12]
    log.error("API error %s", error_id, exc_info=err)
    unexpected = DomainError("Something went wrong (error id {error_id}). The team can find it in the server log.",
                             key="errors.unexpected", error_id=error_id)
    return respond(500, body(500, unexpected, lang))
