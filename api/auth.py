"""Who is calling: the API key in ``Authorization: Bearer ...``, its scope, and its rate limit.

The limit is a token bucket per key in this process's memory (the app is one process): ``CRM_API_RATE``
requests per minute (default 600), bursts up to a tenth of that. Over it: 429 with ``Retry-After``.
"""

from __future__ import annotations

import math
import os
import threading
import time
from dataclasses import dataclass

from api.problems import Problem
from db.core import apikeys
from db.core.permissions import Actor

DEFAULT_RATE = 600


@dataclass(frozen=True)
class Caller:
    actor: Actor
    key: dict
    user: dict

    @property
    def lang(self) -> str:
        return self.user.get("language") or "en"


def rate() -> float:
    try:
        return max(1.0, float(os.environ.get("CRM_API_RATE", DEFAULT_RATE)))
    except ValueError:
        return float(DEFAULT_RATE)


class Buckets:
    """Token buckets by key id: ``per_minute`` refill, ``burst`` capacity."""

    def __init__(self):
        self._lock = threading.Lock()
        self._state: dict[int, tuple[float, float]] = {}

    def take(self, key_id: int, per_minute: float) -> float:
        """0 when the request may go ahead, else the seconds until it may."""
        burst = max(1.0, per_minute / 10)
        refill = per_minute / 60
        now = time.monotonic()
        with self._lock:
            tokens, last = self._state.get(key_id, (burst, now))
            tokens = min(burst, tokens + (now - last) * refill)
            if tokens >= 1:
                self._state[key_id] = (tokens - 1, now)
                return 0.0
            self._state[key_id] = (tokens, now)
            return (1 - tokens) / refill


BUCKETS = Buckets()


def bearer(header: str | None) -> str | None:
    if not header:
        return None
    kind, _, token = header.partition(" ")
    return token.strip() if kind.lower() == "bearer" else None


def identify(conn, authorization: str | None, method: str) -> Caller:
    """The caller of a request, or a ``Problem``/``AuthError`` the route answers with."""
    actor, key, user = apikeys.authenticate(conn, bearer(authorization))
    wait = BUCKETS.take(key["id"], rate())
    if wait:
        raise Problem(429, "api.err_rate", "Too many requests for this API key; try again in {n} seconds.",
                      headers={"Retry-After": str(math.ceil(wait))}, n=math.ceil(wait))
    if method not in ("GET", "HEAD") and key["scope"] != "write":
        raise Problem(403, "api.err_scope_read", "This API key may only read; make a read and write key to change "
                      "records.")
    return Caller(actor, key, user)
