"""The webhook delivery worker: one background thread per process, posting due outbox rows.

State lives in the database (db/crm/webhooks.py): a claimed row carries a lease, so two processes can run
workers side by side, and a restart resumes whatever was pending. Each POST is signed (HMAC-SHA256 over
``<timestamp>.<body>``), never follows a redirect and gives up after ``TIMEOUT`` seconds.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import urllib.error
import urllib.request
import uuid

from db.core.connection import connect
from db.crm import webhooks

log = logging.getLogger(__name__)
TIMEOUT = 5.0  # seconds per request: a slow receiver must not hold the queue
USER_AGENT = "TeamCRM-Webhooks/1"
PRUNE_EVERY = 3600.0  # seconds between clean-ups of old delivered rows


def _setting(name: str, default: float) -> float:
    try:
        return float(os.environ.get(name) or default)
    except ValueError:
        return default


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A 3xx is an answer, not an instruction: following it could lead the POST anywhere."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


_OPENER = urllib.request.build_opener(_NoRedirect)


def post(url: str, secret: str, delivery_id: int, event: str, body: bytes) -> tuple[bool, int | None, str | None]:
    """One signed POST; (delivered, HTTP status, error text). 2xx is delivered, anything else is retried."""
    stamp = str(int(time.time()))
    request = urllib.request.Request(url, data=body, method="POST", headers={
        "Content-Type": "application/json", "User-Agent": USER_AGENT, "X-CRM-Event": event,
        "X-CRM-Delivery": str(delivery_id), "X-CRM-Timestamp": stamp,
        "X-CRM-Signature": webhooks.signature(secret, stamp, body)})
    try:
        with _OPENER.open(request, timeout=TIMEOUT) as answer:
            answer.read(1024)
            return 200 <= answer.status < 300, answer.status, None
    except urllib.error.HTTPError as exc:
        detail = exc.read(300).decode("utf-8", "replace") if exc.fp else ""
        return False, exc.code, f"HTTP {exc.code} {exc.reason}: {detail}".strip(": ")
    except (TimeoutError, urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        return False, None, f"{type(exc).__name__}: {reason}"


class Worker:
    """Polls the outbox every ``poll`` seconds (at once again while there is more to send)."""

    def __init__(self, path=None, *, poll: float | None = None, retry_base: float | None = None):
        self.path = path
        self.poll = poll if poll is not None else _setting("CRM_WEBHOOK_POLL", 2.0)
        self.retry_base = retry_base if retry_base is not None else _setting("CRM_WEBHOOK_RETRY_BASE", 30.0)
        self.name = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> Worker:
        self._thread = threading.Thread(target=self._run, name="webhook-worker", daemon=True)
        self._thread.start()
        return self

    def stop(self, wait: float = 10.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(wait)

    def _run(self) -> None:
        conn, pruned = None, 0.0
        while not self._stop.is_set():
            try:
                conn = conn or connect(self.path)
                if time.monotonic() - pruned > PRUNE_EVERY or not pruned:
                    webhooks.prune(conn)
                    pruned = time.monotonic()
                sent = self.run_once(conn)
            except Exception:  # noqa: BLE001 - the worker outlives a bad moment (locked, missing table)
                log.exception("webhook worker: a round failed; trying again shortly")
                if conn is not None:
                    conn.close()
                conn, sent = None, 0
            if not sent:
                self._stop.wait(self.poll)
        if conn is not None:
            conn.close()

    def run_once(self, conn) -> int:
        """Claim and send one batch; returns how many were attempted."""
        batch = webhooks.claim(conn, self.name)
        for item in batch:
            if self._stop.is_set():
                break  # the lease runs out and another round (or process) sends it
            ok, status, error = post(item["url"], item["secret"], item["id"], item["event"],
                                     item["payload"].encode())
            webhooks.record_attempt(conn, item["id"], self.name, ok=ok, status=status, error=error,
                                    base=self.retry_base)
            if not ok:
                log.info("webhook %s to %s failed (%s)", item["id"], item["url"], error)
        return len(batch)


_WORKER: Worker | None = None
_LOCK = threading.Lock()


def start() -> Worker | None:
    """Start this process's worker once (server.py's lifespan); ``CRM_WEBHOOKS=off`` leaves it out."""
    global _WORKER
    if os.environ.get("CRM_WEBHOOKS", "on").lower() == "off":
        return None
    with _LOCK:
        if _WORKER is None:
            _WORKER = Worker().start()
        return _WORKER


def stop() -> None:
    global _WORKER
    with _LOCK:
        if _WORKER is not None:
            _WORKER.stop()
            _WORKER = None
