"""The REST API at the large scale, over real HTTP against a real server (``streamlit run server.py``).

Usage: ``.venv/bin/python -m bench.api [--runs 200] [--clients 20] [--seconds 20] [--server streamlit|uvicorn]``.
Copies the large benchmark database (``bench/.cache/large.db`` or ``BENCH_LARGE=/path.db``, built on first use by
``bench.pages.database``) to a temporary file, makes API keys, starts a server on it and prints:

- latency (p50/p95 in ms, ``--runs`` sequential requests each) of lists (first page, deep keyset page, sorted,
  filtered, searched) and gets of random records;
- throughput: ``--clients`` threads, each with its own key and connection, for ``--seconds``: 80% reads (lists and
  gets), 20% writes (a create, then a version-checked update of it); requests per second and errors;
- ``--browser``: a signed-in chromium session (at the lowest CPU priority, as on the visitor's own machine) opening
  contacts, searching, opening the deals board and the dashboard, first on the idle server and then all the time
  the clients run: is the app still responsive while other systems use the API?

``--server uvicorn`` serves ``server:app`` with plain ``uvicorn`` instead of ``streamlit run server.py`` (bin/start):
Streamlit's own server holds every answer on a reused (keep-alive) connection for ~40 ms, its health check
included, which uvicorn does not (docs/bench.md). Asserts nothing; the client threads share the machine with the
server.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests

from bench.pages import database
from bench.server import USER, bench_user, chromium, desktop_page, niced_chromium
from db.core import apikeys
from db.core.connection import connect
from db.core.permissions import Actor
from tests.e2e.harness import ROOT, Server, free_port


class Uvicorn(Server):
    """``uvicorn server:app`` as a child process (the same app, without Streamlit's own HTTP server)."""

    def __init__(self, db_path: Path, log_path: Path, env: dict | None = None):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "CRM_DB": str(db_path), "FORWARDED_ALLOW_IPS": "127.0.0.1", **(env or {})}
        self.log = open(log_path, "w")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen([sys.executable, "-m", "uvicorn", "server:app", "--port", str(self.port),
                                      "--no-access-log"], cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT)
        self._wait_healthy()


def _keys(path: Path, count: int) -> tuple[list[str], dict]:
    conn = connect(path)
    people = conn.execute("SELECT id, role, name FROM users WHERE active = 1 AND deleted_at IS NULL "
                          "ORDER BY role = 'rep' DESC, id").fetchall()
    keys = [apikeys.create(conn, p[0], f"bench {i}", "write", None, Actor(p[0], p[1], p[2]))
            for i, p in enumerate(people[:count])]
    info = {"contacts": conn.execute("SELECT MAX(id) FROM contacts").fetchone()[0],
            "deals": conn.execute("SELECT MAX(id) FROM deals").fetchone()[0],
            "activities": conn.execute("SELECT MAX(id) FROM activities").fetchone()[0],
            "deep_id": conn.execute("SELECT id FROM contacts WHERE deleted_at IS NULL ORDER BY id "
                                    "LIMIT 1 OFFSET 90000").fetchone()[0]}
    conn.close()
    while len(keys) < count:  # more clients than people: the first people get a second key
        keys.append(keys[len(keys) % max(1, len(people))])
    return keys, info


def _percentiles(took: list[float]) -> tuple[float, float]:
    took = sorted(took)
    return statistics.median(took), took[min(len(took) - 1, int(round(0.95 * (len(took) - 1))))]


def latency(base: str, key: str, info: dict, runs: int) -> list[tuple[str, float, float]]:
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {key}"
    from api.query import encode

    deep = encode("id", False, (info["deep_id"], info["deep_id"]))
    cases = {
        "list contacts (first page of 50)": lambda: "/contacts",
        "list contacts, page after 90,000 rows (cursor)": lambda: f"/contacts?cursor={deep}",
        "list contacts by last name": lambda: "/contacts?sort=last_name",
        "list contacts, changed since (sync)": lambda: "/contacts?sort=-updated_at&updated_since=2026-01-01T00:00:00Z",
        "list contacts, full-text search": lambda: f"/contacts?q={random.choice(['anna', 'petrov', 'smith', 'ivan'])}",
        "list deals of a stage kind": lambda: "/deals?stage_kind=open&sort=-amount",
        "list activities (1M rows), newest": lambda: "/activities?sort=-id",
        "get a contact": lambda: f"/contacts/{random.randint(1, info['contacts'])}",
        "get a deal": lambda: f"/deals/{random.randint(1, info['deals'])}",
        "get an activity": lambda: f"/activities/{random.randint(1, info['activities'])}",
    }
    out = []
    for name, path in cases.items():
        took = []
        for _ in range(runs):
            started = time.perf_counter()
            response = session.get(base + path(), timeout=60)
            took.append((time.perf_counter() - started) * 1000)
            if response.status_code not in (200, 404):
                raise SystemExit(f"{name}: {response.status_code} {response.text[:300]}")
        out.append((name, *_percentiles(took)))
    return out


def _clients(base: str, keys: list[str], seeds: list[int], info: dict, start_at: float, stop_at: float) -> dict:
    """One process's share of the clients: a thread each, from ``start_at`` until ``stop_at`` (wall clock)."""
    time.sleep(max(0.0, start_at - time.time()))
    counts = {"reads": 0, "writes": 0, "errors": 0, "sample_errors": []}
    lock = threading.Lock()

    def client(key: str, seed: int) -> None:
        rng = random.Random(seed)
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {key}"
        reads = writes = 0
        while time.time() < stop_at:
            try:
                if rng.random() < 0.2:
                    made = session.post(f"{base}/contacts", json={"first_name": "Bench", "last_name": f"C{seed}"},
                                        timeout=60)
                    response, ok = made, made.status_code == 201
                    if ok:
                        response = session.patch(f"{base}/contacts/{made.json()['id']}", json={"title": "Buyer"},
                                                 headers={"If-Match": made.headers["ETag"]}, timeout=60)
                        ok = response.status_code == 200
                    writes += 2
                else:
                    path = rng.choice([f"/contacts/{rng.randint(1, info['contacts'])}", "/contacts",
                                       f"/deals/{rng.randint(1, info['deals'])}", "/deals?sort=-updated_at",
                                       "/activities?sort=-id&limit=20"])
                    response = session.get(base + path, timeout=60)
                    ok = response.status_code in (200, 404)
                    reads += 1
                if not ok:
                    with lock:
                        counts["errors"] += 1
                        counts["sample_errors"].append(f"{response.status_code} {response.text[:200]}")
            except requests.RequestException as exc:
                with lock:
                    counts["errors"] += 1
                    counts["sample_errors"].append(str(exc)[:200])
        with lock:
            counts["reads"] += reads
            counts["writes"] += writes

    threads = [threading.Thread(target=client, args=(key, seed)) for key, seed in zip(keys, seeds, strict=True)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return counts


def throughput(base: str, keys: list[str], info: dict, seconds: float, procs: int) -> dict:
    """``len(keys)`` clients spread over ``procs`` processes (one Python process cannot drive 20 clients)."""
    from concurrent.futures import ProcessPoolExecutor

    start_at = time.time() + 2  # every process is up by then
    stop_at = start_at + seconds
    groups = [list(range(len(keys)))[i::procs] for i in range(procs)]
    with ProcessPoolExecutor(procs) as pool:
        parts = [pool.submit(_clients, base, [keys[i] for i in g], g, info, start_at, stop_at) for g in groups if g]
        results = [p.result() for p in parts]
    took = seconds
    total = {k: sum(r[k] for r in results) for k in ("reads", "writes", "errors")}
    samples = [e for r in results for e in r["sample_errors"]]
    return {**total, "seconds": took, "rps": (total["reads"] + total["writes"]) / took, "sample_errors": samples[:5]}


BROWSER_STEPS = ("open contacts", "search contacts", "open deals board", "open dashboard")


def browser_rounds(url: str, email: str, password: str, until) -> dict[str, list[float]]:
    """Rounds of BROWSER_STEPS until ``until(rounds timed)`` says stop: ms from the click until the script run
    is over, less the harness's fixed 250 ms of settling waits. A first round warms the browser's cache and
    the server's figures and is not timed."""
    from playwright.sync_api import sync_playwright

    from tests.e2e.harness import open_page, sign_in, wait_idle

    folder = Path(tempfile.mkdtemp(prefix="bench-api-browser-"))
    niced = niced_chromium(folder)
    took: dict[str, list[float]] = {name: [] for name in BROWSER_STEPS}
    words = iter(["anna", "petrov", "smith", "ivan", "maria", "olga"] * 100)
    try:
        with sync_playwright() as pw:
            browser = chromium(pw, niced)
            page = desktop_page(browser)
            sign_in(page, url, email, password)

            def search() -> None:
                box = page.locator("[data-testid=stMain]").get_by_label("Search", exact=True).first
                box.fill(next(words))
                box.press("Enter")
                wait_idle(page, 60_000)

            actions = {"open contacts": lambda: open_page(page, "Contacts"), "search contacts": search,
                       "open deals board": lambda: open_page(page, "Deals"),
                       "open dashboard": lambda: open_page(page, "Dashboard")}
            rounds = -1
            while True:
                rounds += 1
                for name in BROWSER_STEPS:
                    started = time.perf_counter()
                    try:
                        actions[name]()
                    except Exception:
                        page.screenshot(path="/tmp/bench-api-failed.png")
                        raise
                    if rounds:
                        took[name].append((time.perf_counter() - started) * 1000 - 250)
                if rounds and until(rounds):
                    break
            browser.close()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return took


def _print_browser(idle: dict, loaded: dict) -> None:
    print(f"\n{'browser step (ms to idle)':<30} {'idle p50':>9} {'loaded p50':>11} {'loaded p95':>11} {'max':>7} {'n':>4}")
    for name in BROWSER_STEPS:
        p50, _ = _percentiles(idle[name])
        lp50, lp95 = _percentiles(loaded[name])
        print(f"{name:<30} {p50:9.0f} {lp50:11.0f} {lp95:11.0f} {max(loaded[name]):7.0f} {len(loaded[name]):4d}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--server", choices=("streamlit", "uvicorn"), default="streamlit")
    parser.add_argument("--procs", type=int, default=4, help="client processes the clients are spread over")
    parser.add_argument("--browser", action="store_true", help="time a browser session, idle and under the load")
    args = parser.parse_args(argv)
    folder = Path(tempfile.mkdtemp(prefix="bench-api-"))
    try:
        path = folder / "large.db"
        shutil.copy(database("large"), path)
        keys, info = _keys(path, args.clients)
        password = bench_user(path) if args.browser else None
        serve = Uvicorn if args.server == "uvicorn" else Server
        server = serve(path, folder / "server.log", env={"CRM_API_RATE": "1000000"})
        try:
            base = f"{server.url}/api/v1"
            requests.get(f"{base}/contacts", headers={"Authorization": f"Bearer {keys[0]}"}, timeout=60)  # warm
            print(f"{'request':<50} {'p50 ms':>8} {'p95 ms':>8}")
            for name, p50, p95 in latency(base, keys[0], info, args.runs):
                print(f"{name:<50} {p50:8.1f} {p95:8.1f}")
            if args.browser:
                idle = browser_rounds(server.url, USER, password, until=lambda rounds: rounds >= 4)
                done = threading.Event()
                result: dict = {}
                worker = threading.Thread(target=lambda: (result.update(throughput(
                    base, keys, info, args.seconds, args.procs)), done.set()))
                worker.start()
                time.sleep(3)  # the clients start two seconds after the pool
                loaded = browser_rounds(server.url, USER, password, until=lambda _rounds: done.is_set())
                worker.join()
                got = result
            else:
                got = throughput(base, keys, info, args.seconds, args.procs)
            print(f"\n{args.clients} clients, {got['seconds']:.0f} s, 80% reads / 20% writes: {got['rps']:.0f} "
                  f"requests/s ({got['reads']} reads, {got['writes']} writes), {got['errors']} errors")
            for line in got["sample_errors"]:
                print("  error:", line)
            if args.browser:
                _print_browser(idle, loaded)
        finally:
            server.stop()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
