"""A webhook receiver for tests: a tiny HTTP server in the test process that records every POST."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Receiver:
    """A webhook receiver: records every POST; ``answers`` is the list of statuses to give, in turn (the last
    one repeats)."""

    def __init__(self):
        self.requests: list[dict] = []
        self.answers = [200]
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with receiver.lock:
                    index = len(receiver.requests)
                    receiver.requests.append({"headers": {k.lower(): v for k, v in self.headers.items()},
                                              "body": body, "json": json.loads(body), "at": time.monotonic()})
                    status = receiver.answers[min(index, len(receiver.answers) - 1)]
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        self.http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.http.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.http.serve_forever, daemon=True)
        self.thread.start()

    def events(self, name: str | None = None) -> list[dict]:
        with self.lock:
            return [r for r in self.requests if name is None or r["json"]["event"] == name]

    def close(self):
        self.http.shutdown()
        self.http.server_close()
