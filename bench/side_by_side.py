"""The CRM side by side with its naive peer (bench/naive: whole tables read into pandas), in a real browser.

Usage: ``.venv/bin/python -m bench.side_by_side [--scale large] [--rounds 6] [--pages contacts,deals]
[--modes crm,naive,cached]``. Starts three servers over the same database (bench/pages.py: ``BENCH_LARGE``
names a copy): the CRM (``streamlit run server.py`` through bench/serve_timed.py), the naive peer, and the
naive peer with ``NAIVE_CACHE=1`` (its reads in ``st.cache_data``). Debian's chromium, at the lowest CPU
priority as on a visitor's own machine, opens each page in the app as its sidebar does (one session per
server, back home between visits; ``--via url``: a new page load and session each visit), the modes and
pages interleaved, one unmeasured warm-up round first. A visit's time runs from navigation start until the
page's content is drawn (grid, board, calendar events, charts) and Streamlit is idle. Prints medians per page
and mode, the ratios, the servers' script-run time per visit, and each server's memory (VmRSS, peak VmHWM)
after the runs. Asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.pages import CACHE, database
from bench.server import USER, bench_user, chromium, launch, niced_chromium, runs_since
from bench.server import start as start_crm
from db.core.connection import connect
from db.core.permissions import Actor
from db.crm import views
from tests.e2e.harness import sign_in, wait_idle

ROOT = Path(__file__).resolve().parent.parent
NAIVE = ROOT / "bench" / "naive" / "app.py"
PAGES = ("contacts", "deals", "calendar", "dashboard")
MODES = ("crm", "naive", "cached")
CAL_FRAME = "iframe[title='streamlit_calendar.calendar']"

# When a page is drawn: Streamlit has finished the run and the page's main content is on screen.
READY = """([page, crm, calFrame]) => {
  const app = document.querySelector('[data-testid=stApp]');
  if (!app || app.getAttribute('data-test-script-state') !== 'notRunning') return false;
  const all = (sel, root = document) => root.querySelectorAll(sel).length
      + [...root.querySelectorAll('*')].filter((e) => e.shadowRoot).reduce((n, e) => n + all(sel, e.shadowRoot), 0);
  if (page === 'contacts') return all('[data-testid=stDataFrame] canvas') > 0;
  if (page === 'deals') return crm ? all('[data-testid=kanban-card]') > 0 : all('[data-testid=stText]') > 0;
  if (page === 'dashboard') return all('[data-testid=stMetric]') >= 10  // the CRM's charts are Vega-Lite, the peer's plotly
      && all('.js-plotly-plot .main-svg') + [...document.querySelectorAll('[data-testid=stVegaLiteChart]')]
        .filter((c) => c.querySelector('.role-mark path')).length >= 3;
  const frame = document.querySelector(calFrame);
  const doc = frame && frame.contentDocument;
  return !!doc && doc.querySelectorAll('.fc-timegrid .fc-event').length > 0;
}"""


def serve(argv: list[str]) -> None:
    """``--serve TIMINGS SCRIPT [streamlit options]``: run a Streamlit script, logging each run as serve_timed does."""
    from streamlit.web import cli

    from bench.serve_timed import record_script_runs

    out = Path(argv[0])

    def write(started: float, ms: float, rerun_data) -> None:
        with out.open("a") as f:
            f.write(json.dumps({"at": started, "ms": ms, "page": rerun_data.page_name,
                                "fragment": bool(rerun_data.fragment_id_queue)}) + "\n")

    record_script_runs(write)
    sys.argv = ["streamlit", "run", *argv[1:]]
    cli.main(prog_name="streamlit")


def start_naive(db: Path, cache: bool, timings: Path, log: Path) -> tuple[subprocess.Popen, str]:
    env = {**os.environ, "NAIVE_DB": str(db), "NAIVE_CACHE": "1" if cache else "0"}
    return launch([sys.executable, "-m", "bench.side_by_side", "--serve", str(timings), str(NAIVE)], log, env=env,
                  what="the naive server")


def team_calendars(db: Path, count: int) -> list[int]:
    """Saved calendar views of the whole team's calls, meetings and tasks for the bench user, one per round
    (the naive calendar shows the team; the CRM's opens on the person's own calendar, and a session applies a
    view once)."""
    conn = connect(db)
    try:
        user = conn.execute("SELECT id, role FROM users WHERE email = ?", (USER,)).fetchone()
        definition = {"schema": 1, "filters": {"cal_person": "team", "cal_kinds": ["call", "meeting", "task"]}}
        out = []
        for number in range(count):
            name = f"Bench team week {number}"
            found = conn.execute("SELECT id FROM saved_views WHERE owner_id = ? AND page = 'calendar' AND name = ? "
                                 "AND deleted_at IS NULL", (user[0], name)).fetchone()
            out.append(found[0] if found else views.save(conn, name, "calendar", definition, Actor(user[0], user[1])))
        return out
    finally:
        conn.close()


def memory(pid: int) -> tuple[float, float]:
    """(resident MB now, peak resident MB) of a process."""
    try:
        import psutil

        info = psutil.Process(pid).memory_info()
        return info.rss / 2**20, getattr(info, "peak_wset", info.rss) / 2**20
    except ImportError:
        fields = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines())
        return tuple(int(fields[k].split()[0]) / 1024 for k in ("VmRSS", "VmHWM"))


# In-app navigation, as a sidebar link does (Streamlit's frontend turns the history change into a page change
# in the same session), with the query string a sidebar link cannot carry.
GO = """(path) => { window.__navAt = performance.now();
  history.pushState(null, '', path); window.dispatchEvent(new PopStateEvent('popstate')); }"""
# In every document: when Streamlit last became idle (a component can ask for more runs after the first draw:
# streamlit-calendar's default callbacks report the events it was given, which runs the script again).
WATCH = """window.__navAt = 0; window.__idleAt = 0;
new MutationObserver(() => {
  const app = document.querySelector('[data-testid=stApp]');
  if (app && app.getAttribute('data-test-script-state') === 'notRunning') window.__idleAt = performance.now();
}).observe(document, {subtree: true, attributes: true, attributeFilter: ['data-test-script-state']});"""
PROBE = """([page, crm, calFrame]) => [(""" + READY + """)([page, crm, calFrame]), window.__idleAt, window.__navAt,
  performance.now()]"""
QUIET = {"calendar": 5.0}  # seconds without a new run before a visit counts as over (others: 1.5)


def visit(page, url: str, path: str, name: str, crm: bool, timeout: float, via: str) -> float | None:
    """Seconds from navigation start until the page is drawn and Streamlit idle for good (the last run's end or
    the content's drawing, whichever is later); None when it never was."""
    if via == "url":
        page.goto(url + path, wait_until="commit")
    else:
        page.evaluate(GO, path)
    quiet, ready_since = QUIET.get(name, 1.5) * 1000, None
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, idle_at, nav_at, now = page.evaluate(PROBE, [name, crm, CAL_FRAME])
        ready_since = (ready_since or now) if ready else None
        if ready and idle_at > nav_at and now - idle_at >= quiet:
            return (max(idle_at, ready_since) - nav_at) / 1000
        page.wait_for_timeout(50)
    print(f"  {name} at {url}{path}: not drawn in {timeout:.0f} s", file=sys.stderr)
    return None


# Home is drawn: the run has ended and none of the visited pages' content is left on screen (a busy browser can
# show the status widget too late for wait_idle, and a next visit would then find the last page's content).
HOME = """() => {
  const app = document.querySelector('[data-testid=stApp]');
  if (!app || app.getAttribute('data-test-script-state') !== 'notRunning') return false;
  const all = (sel, root = document) => root.querySelectorAll(sel).length
      + [...root.querySelectorAll('*')].filter((e) => e.shadowRoot).reduce((n, e) => n + all(sel, e.shadowRoot), 0);
  return all('[data-testid=stDataFrame], [data-testid=stText], .js-plotly-plot, [data-testid=stVegaLiteChart], iframe, '
             + '[data-testid=kanban-card]') === 0;
}"""


def leave(page, url: str, via: str) -> None:
    """Between visits: back home (app) or to a blank page, which closes the session (url)."""
    if via == "url":
        page.goto("about:blank")
        return
    for _ in range(6):  # a navigation sent while a component's late report re-runs the page is lost: send again
        page.evaluate(GO, "/")
        try:
            page.wait_for_function(HOME, polling=100, timeout=30_000)
            break
        except Exception:  # noqa: BLE001, S112 - playwright's TimeoutError: try once more
            continue
    wait_idle(page, 60_000)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "--serve":
        serve(argv[1:])
        return 0
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", default="large")
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--pages", default=",".join(PAGES))
    parser.add_argument("--modes", default=",".join(MODES))
    parser.add_argument("--timeout", type=float, default=180, help="seconds a visit may take")
    parser.add_argument("--via", choices=("app", "url"), default="app",
                        help="app: in-app navigation in one session, as the sidebar; url: a new page load each visit")
    args = parser.parse_args(argv)
    pages = [p for p in args.pages.split(",") if p]
    modes = [m for m in args.modes.split(",") if m]
    from playwright.sync_api import sync_playwright

    began = time.perf_counter()
    db = database(args.scale)
    CACHE.mkdir(parents=True, exist_ok=True)  # bench_user keeps the password there
    password = bench_user(db)
    calendars = team_calendars(db, args.rounds + 1)
    folder = Path(tempfile.mkdtemp())
    browser_path = niced_chromium(folder)
    servers, urls, timings, startup = {}, {}, {}, {}
    times: dict[tuple[str, str], list[float | None]] = {}
    script: dict[tuple[str, str], list[float]] = {}
    first: dict[tuple[str, str], float | None] = {}
    try:
        for mode in modes:
            timings[mode] = folder / f"{mode}.jsonl"
            clock = time.perf_counter()
            if mode == "crm":
                servers[mode], urls[mode] = start_crm(db, timings[mode], folder / f"{mode}.log")
            else:
                servers[mode], urls[mode] = start_naive(db, mode == "cached", timings[mode], folder / f"{mode}.log")
            startup[mode] = time.perf_counter() - clock
        with sync_playwright() as pw:
            browser = chromium(pw, browser_path)
            tabs = {}
            for mode in modes:
                tabs[mode] = browser.new_context(viewport={"width": 1440, "height": 900}).new_page()
                tabs[mode].add_init_script(WATCH)
                tabs[mode].set_default_timeout(args.timeout * 1000)
            for mode in modes:
                if mode == "crm":
                    sign_in(tabs[mode], urls[mode], USER, password)
                else:
                    tabs[mode].goto(urls[mode] + "/")
                    wait_idle(tabs[mode], args.timeout * 1000)
            for number in range(args.rounds + 1):  # round 0: the first visits, not in the medians
                for i, name in enumerate(pages):
                    shift = (number + i) % len(modes)  # each mode in turn goes first
                    for mode in modes[shift:] + modes[:shift]:
                        since = time.time()
                        path = f"/calendar?view={calendars[number]}" if (mode, name) == ("crm", "calendar") \
                            else f"/{name}"
                        took = visit(tabs[mode], urls[mode], path, name, mode == "crm", args.timeout, args.via)
                        tabs[mode].wait_for_timeout(300)  # the run's timing line is written after it ends
                        ran = sum(r["ms"] for r in runs_since(timings[mode], since)) / 1000
                        if number == 0:
                            first[(name, mode)] = took
                        else:
                            times.setdefault((name, mode), []).append(took)
                            script.setdefault((name, mode), []).append(ran)
                        shown = "—" if took is None else f"{took:.2f}"
                        print(f"round {number} {name:<10}{mode:<8}{shown:>7} s  (script {ran:.2f} s)",
                              file=sys.stderr)
                        leave(tabs[mode], urls[mode], args.via)
            browser.close()
        held = {mode: memory(proc.pid) for mode, proc in servers.items()}
    finally:
        for proc in servers.values():
            proc.terminate()
        for proc in servers.values():
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
    report(pages, modes, times, script, first, startup, held, args, db)
    print(f"\nwhole bench: {time.perf_counter() - began:.0f} s")
    shutil.rmtree(folder)
    return 0


def median(values: list[float | None]) -> float | None:
    done = [v for v in values if v is not None]
    return statistics.median(done) if done else None


def report(pages, modes, times, script, first, startup, held, args, db) -> None:
    def secs(value: float | None) -> str:
        return "—" if value is None else f"{value:.2f}"

    print(f"\n{args.scale} scale ({db}), via {args.via}, medians of {args.rounds} interleaved visits, seconds; "
          "'script' = the server's script-run time per visit")
    head = "".join(f"{m:>10}{m + ' script':>15}" for m in modes)
    print(f"{'page':<12}{head}")
    for name in pages:
        cells = "".join(f"{secs(median(times[(name, m)])):>10}{secs(median(script[(name, m)])):>15}" for m in modes)
        print(f"{name:<12}{cells}")
    if "crm" in modes and len(modes) > 1:
        print("\nratios (naive mode / crm, medians)")
        for name in pages:
            base = median(times[(name, "crm")])
            ratios = [f"{m} x{median(times[(name, m)]) / base:.1f}" if base and median(times[(name, m)]) else f"{m} —"
                      for m in modes if m != "crm"]
            print(f"{name:<12}" + "   ".join(ratios))
    print("\nfirst visit (round 0), seconds")
    for name in pages:
        print(f"{name:<12}" + "".join(f"{m:>8} {secs(first[(name, m)]):>6}" for m in modes))
    print("\nserver after the runs: start-up to healthy s, VmRSS MB, peak VmHWM MB")
    for mode in modes:
        rss, peak = held[mode]
        print(f"{mode:<12}{startup[mode]:>8.1f}{rss:>10.0f}{peak:>10.0f}")


if __name__ == "__main__":
    raise SystemExit(main())
