"""What the integrations cost: the outbox triggers on every write, the delivery worker's throughput, a
calendar feed and a web-to-lead post.

Usage: ``.venv/bin/python -m bench.integrations [--rows 20000] [--deliveries 500] [--activities 3000]``.
Works on a fresh small demo database in a temporary folder (seeded once, ~10 s). Prints figures; asserts nothing.

- trigger: ``bulk.create_many`` of ``--rows`` contacts (an import) with no outbox triggers at all (dropped in
  this copy), with an idle trigger on audit_log instead (the design dropped), with the outbox triggers and no
  active endpoint (the everyday case), and with an endpoint subscribed to contact.created (one outbox row per
  contact); microseconds per row, interleaved rounds, medians.
- worker: ``--deliveries`` queued events posted by one ``Worker`` to a local HTTP receiver; deliveries per second.
- feed: the .ics of a person with ``--activities`` activities in the window (a tenth of them in weekly series),
  built and then served from the per-person cache while nothing changed.
- form: ``webforms.submit`` of a new lead (contact, note, audit, outbox), median over 200 posts.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import threading
import time
from datetime import UTC, date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from db.core.connection import connect, write
from db.core.migrations import webhook_triggers
from db.core.permissions import Actor
from db.crm import activities, feeds, webforms, webhooks
from db.io import bulk
from db.io.seed import seed
from integrations.delivery import Worker

FMT = "%Y-%m-%d %H:%M:%S"


def _per_row(conn, admin: Actor, rows: int, attempt: int) -> float:
    """Microseconds per contact of one rolled-back bulk insert."""
    values = [{"first_name": f"Bench {attempt} {i}", "email": f"b{attempt}.{i}@bench.example"} for i in range(rows)]
    conn.execute("BEGIN IMMEDIATE")
    started = time.perf_counter()
    bulk.create_many(conn, "contacts", values, admin)
    took = (time.perf_counter() - started) / rows * 1e6
    conn.execute("ROLLBACK")
    return took


# The design first tried (and dropped): one trigger on audit_log. Idle here, like the live ones are without endpoints.
AUDIT_TRIGGER = ("CREATE TRIGGER bench_audit_webhook AFTER INSERT ON audit_log WHEN NEW.entity IN ('contacts', 'deals', "
                 "'activities', 'feedback') AND EXISTS (SELECT 1 FROM webhook_endpoints WHERE active = 1 AND "
                 "deleted_at IS NULL) BEGIN SELECT 1; END")


def _drop(conn) -> None:
    for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE '%webhook%'"):
        conn.execute(f"DROP TRIGGER {name}")


def trigger(path: Path, admin: Actor, rows: int, rounds: int = 5) -> None:
    """The cases interleaved round by round (a shared machine's load drifts), medians per case."""
    conn = connect(path)
    took: dict[str, list[float]] = {"bare": [], "audit": [], "idle": [], "busy": []}
    for attempt in range(rounds):
        _drop(conn)
        took["bare"].append(_per_row(conn, admin, rows, attempt))
        conn.execute(AUDIT_TRIGGER)
        took["audit"].append(_per_row(conn, admin, rows, attempt))
        _drop(conn)
        for sql in webhook_triggers():
            conn.execute(sql)
        took["idle"].append(_per_row(conn, admin, rows, attempt))
        endpoint, _ = webhooks.create_endpoint(conn, {"name": "bench", "url": "http://127.0.0.1:9/",
                                                      "events": ["contact.created"]}, admin)
        took["busy"].append(_per_row(conn, admin, rows, attempt))
        webhooks.delete_endpoint(conn, endpoint, admin)
    conn.close()
    bare, audit, idle, busy = (statistics.median(took[k]) for k in ("bare", "audit", "idle", "busy"))
    print(f"triggers, bulk insert of {rows} contacts (us/row, median of {rounds}): none {bare:.1f}; "
          f"an idle audit_log trigger {audit:.1f} (+{audit - bare:.1f}); the outbox triggers idle {idle:.1f} "
          f"(+{idle - bare:.1f}), with a subscribed endpoint {busy:.1f} (+{busy - bare:.1f})")


class _Ok(BaseHTTPRequestHandler):
    def do_POST(self):  # noqa: N802 - http.server's name
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


def worker(path: Path, admin: Actor, count: int) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Ok)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    conn = connect(path)
    webhooks.create_endpoint(conn, {"name": "bench", "url": f"http://127.0.0.1:{server.server_address[1]}/",
                                    "events": ["contact.created"]}, admin)
    bulk_values = [{"first_name": f"Hook {i}"} for i in range(count)]
    with write(conn):
        bulk.create_many(conn, "contacts", bulk_values, admin)
    one = Worker(path, poll=0.01, retry_base=1)
    started = time.perf_counter()
    while one.run_once(conn):
        pass
    took = time.perf_counter() - started
    done = conn.execute("SELECT COUNT(*) FROM webhook_deliveries WHERE status = 'delivered'").fetchone()[0]
    conn.close()
    server.shutdown()
    print(f"worker: {done} deliveries in {took:.2f} s = {done / took:.0f}/s (one worker, local receiver)")


def feed(path: Path, count: int) -> None:
    conn = connect(path)
    user = conn.execute("SELECT id, name FROM users WHERE role = 'rep' ORDER BY id LIMIT 1").fetchone()
    rep = Actor(user["id"], "rep", user["name"])
    base = datetime.now(UTC).replace(tzinfo=None, minute=0, second=0, microsecond=0) - timedelta(days=60)
    with write(conn):
        for i in range(count - count // 10):
            at = base + timedelta(hours=3 * i)
            activities.create(conn, {"kind": "call", "subject": f"Call {i}", "owner_id": rep.id,
                                     "starts_at": at.strftime(FMT), "ends_at": (at + timedelta(minutes=20)).strftime(FMT)},
                              rep)
        for i in range(count // 100):
            at = base + timedelta(days=i, hours=3)
            activities.create(conn, {"kind": "meeting", "subject": f"Weekly {i}", "owner_id": rep.id,
                                     "starts_at": at.strftime(FMT), "ends_at": (at + timedelta(hours=1)).strftime(FMT)},
                              rep, freq="weekly", count=10)
    token = feeds.new_url_token(conn, rep)
    took, size = [], 0
    for _ in range(5):
        feeds._CACHE.clear()
        started = time.perf_counter()
        size = len(feeds.feed(conn, token))
        took.append((time.perf_counter() - started) * 1000)
    cached = []
    for _ in range(50):
        started = time.perf_counter()
        feeds.feed(conn, token)
        cached.append((time.perf_counter() - started) * 1000)
    conn.close()
    print(f"feed: {count} activities -> {size / 1024:.0f} kB of .ics; built in {statistics.median(took):.0f} ms, "
          f"unchanged since the last fetch {statistics.median(cached):.1f} ms (medians)")


def form(path: Path, admin: Actor) -> None:
    conn = connect(path)
    owners = [r[0] for r in conn.execute("SELECT id FROM users WHERE role != 'admin' ORDER BY id LIMIT 3")]
    made = webforms.create(conn, {"name": "bench", "fields": ["first_name", "email", "message"],
                                  "owner_mode": "round_robin", "owners": owners}, admin)
    took = []
    for i in range(200):
        started = time.perf_counter()
        webforms.submit(conn, made["public_id"], {"first_name": f"Lead {i}", "email": f"lead{i}@bench.example",
                                                  "message": "Hello"}, f"10.0.{i // 250}.{i % 250}")
        took.append((time.perf_counter() - started) * 1000)
    conn.close()
    print(f"form: a new lead through webforms.submit in {statistics.median(took):.1f} ms (median of 200)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--deliveries", type=int, default=500)
    parser.add_argument("--activities", type=int, default=3000)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bench.db"
        conn = connect(path)
        seed(conn, "small", 7, date.today())
        row = conn.execute("SELECT id, name FROM users WHERE role = 'admin' ORDER BY id LIMIT 1").fetchone()
        conn.close()
        admin = Actor(row["id"], "admin", row["name"])
        trigger(path, admin, args.rows)
        worker(path, admin, args.deliveries)
        feed(path, args.activities)
        form(path, admin)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
