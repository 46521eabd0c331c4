"""``GET /feeds/<token>.ics``: a person's calendar feed (db.crm.feeds), for calendar apps to subscribe to.

The token in the path is the only credential (calendar apps cannot sign in), so it is long, stored hashed,
revocable, and a wrong or revoked one gets the same plain 404.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from db.core.errors import NotFoundError
from db.crm import feeds
from integrations.common import with_db


async def feed_route(request: Request) -> Response:
    try:
        body = await with_db(feeds.feed, request.path_params["token"])
    except NotFoundError:
        return PlainTextResponse("Not found", status_code=404, headers={"Cache-Control": "no-store"})
    return Response(body, media_type="text/calendar; charset=utf-8",
                    headers={"Cache-Control": "private, max-age=300", "Referrer-Policy": "no-referrer",
                             "Content-Disposition": 'inline; filename="crm.ics"'})


ROUTES = [Route("/feeds/{token}.ics", feed_route, methods=["GET"])]
