"""A page opened by URL in a fresh session (a new tab) against the same page reached from the sidebar.

Usage: ``.venv/bin/python -m bench.fresh [--scale large|small] [--runs 3] [--pages contacts,deals]``.
Starts ``streamlit run server.py`` (through bench/serve_timed.py, which logs each script run) over a copy of
the database of ``--scale`` (bench/pages.py; ``BENCH_LARGE=/path.db`` reuses one: the bench adds its own
admin to it), signs in once with chromium, then opens each page ``--runs`` times in a new tab of the same
browser context (the session cookie signs it in) and once per run from the sidebar of a signed-in tab.

Each load is timed from navigation start (the click, for the sidebar) until the page's main content is
there (the contacts grid's first rows drawn on its canvas, a board card, the dashboard's figures and first
chart's marks, the calendar's grid in its frame, a record's title), no element is still a grey skeleton
(Streamlit's placeholder while an element's code loads), and its last script run has ended. The breakdown puts
every step on the browser's clock: the HTML, the JS bundle (downloaded, then parsed and run until
DOMContentLoaded), the websocket opened, each script run (the server's log, same machine, same wall clock),
the browser's long tasks (main thread busy > 50 ms). Prints milliseconds; asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.pages import database
from bench.server import CHROMIUM_ARGS, USER, bench_user, chromium, launch, niced_chromium, runs_since, start
from db.core.connection import connect
from tests.e2e.harness import wait_idle

PAGES = {  # key: (path, sidebar label)
    "contacts": ("/contacts", "Contacts"),
    "deals": ("/deals", "Deals"),
    "dashboard": ("/dashboard", "Dashboard"),
    "calendar": ("/calendar", "Calendar"),
    "record": ("/contacts?id={id}", None),  # what the contacts grid's ↗ opens
    "deal": ("/deals?id={deal}", None),  # the deals list's ↗
    "company": ("/companies?id={company}", None),  # the companies grid's ↗
    "bare": ("/?fresh=bare", None),  # a one-line Streamlit app, no sign-in: Streamlit's own cost of a new tab
}
BARE = 'import streamlit as st\n\nst.title("Bare")\nst.write("A one-line page.")\n'

# Recorded in the page from its first line: the websocket's steps, long tasks, when the content came,
# when Streamlit's status widget last went away. ``watch(key)`` restarts it for a sidebar navigation.
PROBE = """
(() => {
  if (window.top !== window) return;
  const F = window.__fresh = {longtasks: [], key: null, ready: null, idleAt: null, busy: false, wsStart: null,
                              wsOpen: null, wsFirst: null, wsLast: null};
  const WS = window.WebSocket;
  window.WebSocket = class extends WS {
    constructor(url, protocols) {
      super(url, protocols);
      if (String(url).includes("_stcore/stream")) {
        F.wsStart = F.wsStart ?? performance.now();
        this.addEventListener("open", () => { F.wsOpen = F.wsOpen ?? performance.now(); });
        this.addEventListener("message", () => { const now = performance.now(); F.wsFirst = F.wsFirst ?? now; F.wsLast = now; });
      }
    }
  };
  try {
    new PerformanceObserver((list) => { for (const e of list.getEntries()) F.longtasks.push([e.startTime, e.duration]); })
      .observe({type: "longtask", buffered: true});
  } catch (e) {}
  const deep = (sel, root) => {  // components-v2 elements draw in a shadow root
    const hit = root.querySelector(sel);
    if (hit) return hit;
    for (const el of root.querySelectorAll("*")) if (el.shadowRoot) { const got = deep(sel, el.shadowRoot); if (got) return got; }
    return null;
  };
  const inFrame = (frameSel, sel) => {
    for (const f of document.querySelectorAll(frameSel)) {
      try { if (f.contentDocument && f.contentDocument.querySelector(sel)) return true; } catch (e) {}
    }
    return false;
  };
  const inked = (sel) => {  // the grid's canvas shows its first rows (dark text below the header)
    const c = document.querySelector(sel);
    if (!c || c.height < 120) return false;
    try {
      const d = c.getContext("2d").getImageData(0, 40, Math.min(c.width, 800), 80).data;
      let n = 0;
      for (let i = 0; i < d.length; i += 16) if (d[i] < 120 && d[i + 3] > 200) n++;
      return n > 50;
    } catch (e) { return false; }
  };
  const READY = {
    contacts: () => inked("canvas[data-testid=data-grid-canvas]"),
    deals: () => deep("[data-testid=kanban-card]", document),
    dashboard: () => document.querySelector("[data-testid=stMetricValue]") && document.querySelector("[data-testid=stVegaLiteChart] .role-mark path"),
    calendar: () => inFrame("iframe[title='streamlit_calendar.calendar']", ".fc-view"),
    record: () => document.querySelector("[data-testid=stMain] h1") && !document.querySelector("#glide-cell-3-0"),
    deal: () => document.querySelector("[data-testid=stMain] h1") && !deep("[data-testid=kanban-card]", document),
    company: () => document.querySelector("[data-testid=stMain] h1") && !document.querySelector("#glide-cell-3-0"),
    bare: () => {
      const sel = new URLSearchParams(location.search).get("sel");
      return document.querySelector("[data-testid=stMain] h1") && (!sel || document.querySelector(sel));
    },
  };
  const fromUrl = () => {
    if (new URLSearchParams(location.search).get("fresh") === "bare") return "bare";
    const path = location.pathname.replace(/\\/$/, "").split("/").pop();
    const id = new URLSearchParams(location.search).has("id");
    if (id) return {contacts: "record", deals: "deal", companies: "company"}[path] || null;
    return READY[path] ? path : null;
  };
  F.key = fromUrl();
  F.watch = (key) => { F.key = key; F.ready = null; F.idleAt = null; F.t0 = performance.now(); };
  const tick = () => {
    // Ready: the page's main content is drawn and no element still waits for its code (Streamlit draws a
    // grey skeleton in its place until then).
    if (F.key && F.ready === null && READY[F.key]() && !document.querySelector("[data-testid=stSkeleton]"))
      F.ready = performance.now();
    const busy = !!document.querySelector("[data-testid=stStatusWidget]");
    if (F.busy && !busy) F.idleAt = performance.now();
    F.busy = busy;
  };
  setInterval(tick, 10);
})();
"""
READ = """
() => {
  const F = window.__fresh;
  const nav = performance.getEntriesByType("navigation")[0] || null;
  const res = performance.getEntriesByType("resource").map((r) => ({name: r.name, start: r.startTime,
    end: r.responseEnd, size: r.transferSize, body: r.decodedBodySize, kind: r.initiatorType}));
  return {origin: performance.timeOrigin, F: {...F, watch: undefined},
          nav: nav && {html: nav.responseEnd, dcl: nav.domContentLoadedEventEnd, load: nav.loadEventEnd}, res};
}
"""


def record_ids(db: Path) -> dict[str, int]:
    """A contact, a deal and a company to open (the first live one of each)."""
    conn = connect(db)
    try:
        return {key: conn.execute(f"SELECT min(id) FROM {table} WHERE deleted_at IS NULL").fetchone()[0]
                for key, table in (("id", "contacts"), ("deal", "deals"), ("company", "companies"))}
    finally:
        conn.close()


def start_bare(folder: Path) -> tuple[subprocess.Popen, str]:
    """The floor: a bare Streamlit app (no sign-in, no sidebar) served the same way."""
    script = folder / "bare.py"
    script.write_text(BARE)
    return launch([sys.executable, "-m", "streamlit", "run", str(script)], folder / "bare.log", what="the bare app")


def wait_ready(page, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not page.evaluate("() => window.__fresh && window.__fresh.ready !== null"):
        if time.monotonic() > deadline:
            raise TimeoutError(f"{page.url}: the page's content did not come")
        page.wait_for_timeout(50)


def measure(page, timings: Path, since: float, t0: float = 0.0) -> dict:
    """One load's figures in ms from ``t0`` (navigation start: 0; a sidebar click: its own moment)."""
    wait_ready(page)
    wait_idle(page, 60_000)
    page.wait_for_timeout(800)  # a run the load causes late (a component's first value) is counted too
    got = page.evaluate(READ)
    origin, f = got["origin"], got["F"]
    # Fragment runs are the dashboard's 5-second watcher (another tab left on it), never a page's first load.
    runs = [{"start": r["at"] * 1000 - origin - t0, "ms": r["ms"], "fragment": r["fragment"]}
            for r in runs_since(timings, since) if not r["fragment"]]
    for r in runs:
        r["end"] = r["start"] + r["ms"]

    def rel(v):
        return None if v is None else v - t0

    ready = rel(f["ready"])
    done = max([ready, *[r["end"] for r in runs]])
    out = {"ready": ready, "done": done, "runs": runs,
           "busy": sum(d for s, d in f["longtasks"] if t0 <= s <= t0 + done),
           "ws_open": rel(f["wsOpen"]), "ws_start": rel(f["wsStart"])}
    if t0 == 0.0 and got["nav"]:
        static = [r for r in got["res"] if "/static/" in r["name"] and r["start"] < done]
        bundle = [r for r in static if r["name"].endswith(".js") and r["start"] < got["nav"]["html"] + 50]
        comp = [r for r in got["res"] if "/component/" in r["name"] or "/_stcore/bidi" in r["name"]]
        out.update(html=got["nav"]["html"], dcl=got["nav"]["dcl"],
                   bundle=max((r["end"] for r in bundle), default=None),
                   static_n=len(static), static_kb=sum(r["size"] for r in static) / 1024,
                   static_cached=sum(1 for r in static if r["size"] == 0),
                   static_last=max((r["end"] for r in static), default=None),
                   comp_n=len(comp), comp_last=max((r["end"] for r in comp), default=None),
                   checks=max((r["end"] for r in got["res"] if "_stcore/health" in r["name"]
                               or "_stcore/host-config" in r["name"]), default=None))
    return out


def fmt(v, width: int = 7) -> str:
    return f"{'-' if v is None else f'{v:.0f}':>{width}}"


def median(rows: list[dict], key: str):
    values = [r[key] for r in rows if r.get(key) is not None]
    return statistics.median(values) if values else None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", default="large")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--pages", default=",".join(PAGES))
    parser.add_argument("--nice", type=int, default=0, help="the browser's niceness (0: as the server)")
    parser.add_argument("--detail", action="store_true", help="print every load, not only medians")
    parser.add_argument("--profile", action="store_true",
                        help="a browser profile on disk (HTTP and code cache kept, as a visitor's own browser)"
                             " instead of playwright's in-memory context")
    args = parser.parse_args(argv)
    from playwright.sync_api import sync_playwright

    folder = Path(tempfile.mkdtemp())
    source = database(args.scale)
    db = source if os.environ.get(f"BENCH_{args.scale.upper()}") else folder / source.name  # bench_user: by stem
    if db != source:
        shutil.copy(source, db)
    password = bench_user(db)
    ids = record_ids(db)
    timings, log = folder / "runs.jsonl", folder / "server.log"
    browser_path = niced_chromium(folder, args.nice)
    proc, url = start(db, timings, log)
    keys = [k for k in args.pages.split(",") if k]
    bare = start_bare(folder) if "bare" in keys else None
    base = {k: bare[1] if k == "bare" else url for k in keys}
    fresh: dict[str, list[dict]] = {k: [] for k in keys}
    sidebar: dict[str, list[dict]] = {k: [] for k in keys}
    try:
        with sync_playwright() as pw:
            if args.profile:
                browser = context = pw.chromium.launch_persistent_context(
                    folder / "profile", executable_path=str(browser_path), args=CHROMIUM_ARGS, headless=True,
                    viewport={"width": 1440, "height": 900})
            else:
                browser = chromium(pw, browser_path)
                context = browser.new_context(viewport={"width": 1440, "height": 900})
            context.add_init_script(PROBE)
            home = context.new_page()
            home.set_default_timeout(60_000)
            home.goto(url + "/")
            home.get_by_label("Email", exact=True).fill(USER)
            home.get_by_label("Password", exact=True).fill(password)
            home.get_by_role("button", name="Sign in").click()
            home.locator("[data-testid=stSidebar]").get_by_role("link", name="Contacts").wait_for()
            wait_idle(home, 60_000)
            deadline = time.monotonic() + 10
            while not any(c["name"] == "crm_session" for c in context.cookies()) and time.monotonic() < deadline:
                home.wait_for_timeout(100)
            for key in keys:  # a first visit of each page warms the server's caches, as any earlier visitor would
                tab = context.new_page()
                tab.goto(base[key] + PAGES[key][0].format(**ids))
                wait_ready(tab)
                wait_idle(tab, 60_000)
                tab.close()
            for _ in range(args.runs):
                for key in keys:
                    tab = context.new_page()
                    tab.set_default_timeout(60_000)
                    since = time.time()
                    tab.goto(base[key] + PAGES[key][0].format(**ids), wait_until="commit")
                    fresh[key].append(measure(tab, timings, since))
                    tab.close()
                    label = PAGES[key][1]
                    if label is None:
                        continue
                    other = "Home" if key != "home" else "Contacts"
                    home.locator("[data-testid=stSidebar]").get_by_role("link", name=other, exact=True).click()
                    wait_idle(home, 60_000)
                    home.wait_for_timeout(300)
                    link = home.locator("[data-testid=stSidebar]").get_by_role("link", name=label, exact=True)
                    link.wait_for()
                    since = time.time()
                    t0 = home.evaluate(f"() => {{ window.__fresh.watch('{key}'); return window.__fresh.t0; }}")
                    link.click()
                    sidebar[key].append(measure(home, timings, since, t0))
                    home.locator("[data-testid=stSidebar]").get_by_role("link", name="Home", exact=True).click()
                    wait_idle(home, 60_000)  # no live dashboard left running beside the next load
            browser.close()
    finally:
        for p in (proc, bare and bare[0]):
            if p:
                p.terminate()
                p.wait(10)
    print(f"scale {args.scale}, {args.runs} runs, medians in ms from navigation start (new tab) or the click (sidebar)")
    head = ["page", "html", "bundle", "DCL", "ws open", "run1 start", "run1 ms", "runs", "ready", "done",
            "busy", "static n/cached", "comp last", "sidebar done", "sb runs"]
    print(" | ".join(head))
    for key in keys:
        rows = fresh[key]
        first = [r["runs"][0] for r in rows if r["runs"]]
        cells = [key, fmt(median(rows, "html")), fmt(median(rows, "bundle")), fmt(median(rows, "dcl")),
                 fmt(median(rows, "ws_open")),
                 fmt(statistics.median(r["start"] for r in first) if first else None),
                 fmt(statistics.median(r["ms"] for r in first) if first else None),
                 "/".join(str(len(r["runs"])) for r in rows), fmt(median(rows, "ready")), fmt(median(rows, "done")),
                 fmt(median(rows, "busy")),
                 f"{median(rows, 'static_n'):.0f}/{median(rows, 'static_cached'):.0f}" if rows else "-",
                 fmt(median(rows, "comp_last")), fmt(median(sidebar[key], "done")),
                 "/".join(str(len(r["runs"])) for r in sidebar[key]) or "-"]
        print(" | ".join(str(c).strip() for c in cells))
    if args.detail:
        for key in keys:
            for r in fresh[key]:
                runs = ", ".join(f"{x['start']:.0f}+{x['ms']:.0f}" for x in r["runs"])
                print(f"{key} new tab: DCL {fmt(r.get('dcl'))} health/host-config {fmt(r.get('checks'))} "
                      f"ws {fmt(r.get('ws_open'))} ready {fmt(r['ready'])} done {fmt(r['done'])} runs [{runs}] "
                      f"static {r.get('static_n')} ({r.get('static_kb', 0):.0f} kB) last {fmt(r.get('static_last'))}")
            for r in sidebar[key]:
                runs = ", ".join(f"{x['start']:.0f}+{x['ms']:.0f}" for x in r["runs"])
                print(f"{key} sidebar: ready {fmt(r['ready'])} done {fmt(r['done'])} runs [{runs}]")
    shutil.rmtree(folder)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
