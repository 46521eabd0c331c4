"""The REST API at ``/api/v1`` (docs/api.md), mounted into the app's server by server.py.

Modules: ``resources``/``schema`` (one definition per resource: validation and the OpenAPI document),
``routes`` (HTTP), ``store`` (calls into db/), ``query`` (list parameters, cursors), ``auth`` (keys, scope,
rate limit), ``problems`` (errors), ``custom`` (custom fields), ``openapi`` and ``docs`` (the reference).
"""

from __future__ import annotations

import re

from starlette.routing import Mount

PREFIX = "/api/v1"


def mount() -> Mount:
    """The API as one Starlette mount; nothing is read or opened until a request comes."""
    from starlette.applications import Starlette
    from starlette.exceptions import HTTPException
    from starlette.routing import Route

    from api import problems, reference, routes

    def http_error(_request, exc: HTTPException):
        key = {404: "api.err_no_route", 405: "api.err_method"}.get(exc.status_code, "api.err_http")
        err = problems.Problem(exc.status_code, key, "There is no such address in this API.")
        return problems.from_error(err, "en")

    sub = Starlette(routes=[
        Route("/", reference.index, methods=["GET"]),
        Route("/openapi.json", reference.openapi_json, methods=["GET"]),
        Route("/docs", reference.docs, methods=["GET"]),
        Route("/me", routes.me, methods=["GET"]),
        Route("/{resource}", routes.endpoint, methods=["GET", "POST"]),
        Route("/{resource}/{id}", routes.endpoint, methods=["GET", "PATCH", "DELETE"]),
        Route("/{resource}/{id}/{action}", routes.endpoint, methods=["GET", "POST"]),
    ], exception_handlers={HTTPException: http_error})
    mount = Mount(PREFIX, app=sub)
    # Starlette's mount pattern ends in ``(?P<path>.*)``, whose dot stops at a line break: an id with an encoded
    # newline would fall through to the page server's plain-text 404. Every /api/v1 address answers as the API.
    mount.path_regex = re.compile(mount.path_regex.pattern, re.DOTALL)
    return mount
