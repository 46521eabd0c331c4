"""The calendar at the large scale in a real server and browser: how long each view takes to be drawn, and how
many script runs each step causes.

Usage: ``.venv/bin/python -m bench.calendar [--rounds 3] [--nice 19]``; ``--queries`` times the data layer's
reads alone. Reuses the large database of bench/pages.py
(``bench/.cache/large.db`` or ``BENCH_LARGE``) and the server and browser set-up of bench/server.py (the
browser at the lowest CPU priority: on a real network it runs on the visitor's machine). A step's draw time
runs from the click until the calendar's frame shows the step's activities and its "+N more" links and the
script run has ended; it includes the script run, the component's messages and FullCalendar's drawing.
Prints milliseconds; asserts nothing.
"""

from __future__ import annotations

import argparse
import re
import shutil
import statistics
import tempfile
import time
from datetime import date
from pathlib import Path

from bench.pages import database
from bench.server import USER, bench_user, chromium, desktop_page, niced_chromium, runs_since, start
from tests.e2e.harness import open_page, sign_in, wait_idle

FRAME = "iframe[title='streamlit_calendar.calendar']"


def _frames(page) -> list:
    return [f for f in page.frames if "streamlit_calendar" in f.url and not f.is_detached()]


def _mark(page) -> None:
    """Mark the calendars and events drawn so far: a step waits for new ones (a new range starts a new
    calendar in the same frame; another person's activities are new event elements)."""
    for frame in _frames(page):
        try:
            frame.evaluate("() => document.querySelectorAll('.fc, .fc-event').forEach(e => { e.dataset.old = 1; })")
        except Exception:  # noqa: BLE001 - a frame going away
            continue


def _drawn(page, more: int | None, need_events: bool, remount: bool) -> bool:
    """A calendar frame (a new one if ``remount``) shows ``more`` "+N more" links (None: any) and, if asked,
    some activity."""
    for frame in reversed(_frames(page)):
        try:
            old, harness, links, events = frame.evaluate(
                "() => [!document.querySelector('.fc:not([data-old])'), "
                "document.querySelectorAll('.fc-view-harness').length, "
                "document.querySelectorAll('.fc-event.more:not([data-old])').length, "
                "document.querySelectorAll('.fc-event:not(.more):not([data-old])').length]")
        except Exception:  # noqa: BLE001 - a frame replaced while we looked
            continue
        if remount and old:
            continue
        if harness and (more is None or links == more) and (events > 0 or not need_events):
            return True
    return False


def timed(page, timings: Path, action, more: int | None = None, need_events: bool = True,
          remount: bool = True) -> tuple[float, int, float, float]:
    """(ms until drawn and idle, script runs caused, the slowest run's ms, ms drawing after the last run ended)
    for one step."""
    _mark(page)
    since, clock = time.time(), time.perf_counter()
    action()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if _drawn(page, more, need_events, remount) and not page.locator("[data-testid=stStatusWidget]").count():
            break
        page.wait_for_timeout(25)
    ms = (time.perf_counter() - clock) * 1000
    page.wait_for_timeout(2000)  # any run the draw itself would cause (there should be none)
    runs = runs_since(timings, since)
    ended = max((r["at"] + r["ms"] / 1000 - since) * 1000 for r in runs) if runs else 0
    return ms, len(runs), max((r["ms"] for r in runs), default=0), ms - ended


def _view(page, name: str) -> None:
    page.locator("button[data-variant=segmented_control]").filter(has_text=re.compile(f"^{name}$")).click()


def _person(page, name: str):
    """Open the person filter and find ``name``; the returned action picks it (the timed part)."""
    page.get_by_label("Whose calendar").click()
    page.keyboard.type(name)  # a long list is drawn only in part: filter it to the name
    option = page.get_by_role("option", name=name, exact=True)
    option.wait_for()
    return option.click


def expected_more(db: Path, first: date, days: int, per_day: int, owner: int | None) -> int:
    from db.core.connection import connect
    from db.crm import calendar

    conn = connect(db)
    try:
        found = calendar.window(conn, first, days, "UTC", owner, ["call", "meeting", "task"], per_day)
        return sum(1 for d in found["days"] if d["total"] > d["shown"])
    finally:
        conn.close()


def queries(db: Path, repeat: int = 7) -> None:
    """The data layer alone: median and worst ms of what one calendar run reads."""
    from components.calendar import PER_DAY, visible
    from db.core.connection import connect
    from db.crm import calendar

    conn = connect(db)
    rep = conn.execute("SELECT id FROM users WHERE role = 'rep' AND active = 1 ORDER BY id LIMIT 1").fetchone()[0]
    today, kinds = date.today(), ["call", "meeting", "task"]
    cases = {f"{who}, {view}": (lambda view=view, owner=owner: calendar.window(
        conn, *visible(view, today, 1), "UTC", owner, kinds, PER_DAY[view]))
        for who, owner in (("whole team", None), ("one rep", rep))
        for view in ("timeGridWeek", "dayGridMonth", "timeGridDay")}
    busiest = max(calendar.window(conn, *visible("timeGridWeek", today, 1), "UTC", None, kinds, 1)["days"],
                  key=lambda d: d["total"])
    day = date.fromisoformat(busiest["day"])
    last = (busiest["total"] - 1) // calendar.PAGE
    cases[f"day list {day} ({busiest['total']}), first page"] = lambda: calendar.day_list(conn, day, "UTC", None, kinds)
    cases["day list, last page"] = lambda: calendar.day_list(conn, day, "UTC", None, kinds, last)
    print(f"\n{'read (large, ms)':<46}{'median':>8}{'worst':>8}  drawn / in range")
    for name, read in cases.items():
        times = []
        for _ in range(repeat):
            clock = time.perf_counter()
            got = read()
            times.append((time.perf_counter() - clock) * 1000)
        size = f"{got['shown']} / {got['total']}" if isinstance(got, dict) else f"{len(got[0])} / {got[1]}"
        print(f"{name:<46}{statistics.median(times):>8.1f}{max(times):>8.1f}  {size}")
    conn.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--nice", type=int, default=19, help="the browser's CPU priority (19: lowest, as bench/server.py)")
    parser.add_argument("--queries", action="store_true", help="only the data layer's reads, no server or browser")
    args = parser.parse_args(argv)
    if args.queries:
        queries(database("large"))
        return 0
    from playwright.sync_api import sync_playwright

    from components.calendar import PER_DAY, visible
    from db.core.connection import connect

    db = database("large")
    password = bench_user(db)
    conn = connect(db)
    rep = conn.execute("SELECT id, name FROM users WHERE role = 'rep' AND active = 1 ORDER BY id LIMIT 1").fetchone()
    conn.close()
    today = date.today()
    week, month = visible("timeGridWeek", today, 1), visible("dayGridMonth", today, 1)
    more = {"team week": expected_more(db, *week, PER_DAY["timeGridWeek"], None),
            "team month": expected_more(db, *month, PER_DAY["dayGridMonth"], None)}
    folder = Path(tempfile.mkdtemp())
    timings, log = folder / "runs.jsonl", folder / "server.log"
    browser_path = niced_chromium(folder, args.nice)
    proc, url = start(db, timings, log)
    results: dict[str, list[tuple[float, int, float, float]]] = {}

    def record(name: str, ms_runs: tuple[float, int, float, float]) -> None:
        results.setdefault(name, []).append(ms_runs)

    try:
        with sync_playwright() as pw:
            browser = chromium(pw, browser_path)
            page = desktop_page(browser)
            sign_in(page, url, USER, password)
            for _ in range(args.rounds):
                open_page(page, "Home")
                record("visit from the sidebar (own week)",
                       timed(page, timings, lambda: page.locator("[data-testid=stSidebar]").get_by_role(
                           "link", name="Calendar", exact=True).first.click(), need_events=False))
                record("whole team, week", timed(page, timings, _person(page, "The team"),
                                                 more["team week"], remount=False))
                record("whole team, month", timed(page, timings, lambda: _view(page, "Month"), more["team month"]))
                record("whole team, next month", timed(page, timings, lambda: page.locator(
                    "[data-testid=stMain] button").filter(has=page.locator("[data-testid=stIconMaterial]",
                                                                           has_text="chevron_right")).first.click(),
                    None, need_events=False))
                record("whole team, month, back to today", timed(page, timings, lambda: page.get_by_role(
                    "button", name="Today", exact=True).click(), None, need_events=False))
                _view(page, "Week")
                wait_idle(page, 60_000)
                record("one person's week", timed(page, timings, _person(page, rep[1]), None,
                                                  remount=False))
                _person(page, "The team")()
                wait_idle(page, 60_000)
                page.wait_for_timeout(1500)
                since, clock = time.time(), time.perf_counter()
                frame = page.frame_locator(FRAME).last
                frame.locator(".fc-event.more").first.click()
                page.get_by_role("dialog").get_by_role("button", name="Next").wait_for()
                wait_idle(page, 60_000)
                ms = (time.perf_counter() - clock) * 1000
                page.wait_for_timeout(1000)
                runs = runs_since(timings, since)
                record("'+N more': the day's list opens", (ms, len(runs), max((r["ms"] for r in runs), default=0), 0))
                since, clock = time.time(), time.perf_counter()
                page.get_by_role("dialog").get_by_role("button", name="Next").click()
                page.get_by_role("dialog").get_by_text(re.compile(r"^Page 2 of")).wait_for()
                wait_idle(page, 60_000)
                ms = (time.perf_counter() - clock) * 1000
                page.wait_for_timeout(1000)
                runs = runs_since(timings, since)
                record("the day's list, next page", (ms, len(runs), max((r["ms"] for r in runs), default=0), 0))
                page.keyboard.press("Escape")
                wait_idle(page, 60_000)
                record("opened by URL (a new session, own week)",
                       timed(page, timings, lambda: page.goto(url + "/calendar"), need_events=False))
            browser.close()
    finally:
        proc.terminate()
        proc.wait(10)
    print(f"\ndraw time in the browser, {args.rounds} rounds (ms: median, each round) and script runs per step")
    print(f"{'step':<40}{'median':>7}  {'rounds':<22}{'runs':>6}  {'slowest run':<18}after the run")
    for name, got in results.items():
        times = [g[0] for g in got]
        print(f"{name:<40}{statistics.median(times):>7.0f}  {' / '.join(f'{ms:.0f}' for ms in times):<22}"
              f"{'/'.join(str(g[1]) for g in got):>6}  {' / '.join(f'{g[2]:.0f}' for g in got):<18}"
              f"{' / '.join(f'{g[3]:.0f}' for g in got)}")
    slow = [r for r in runs_since(timings, 0) if r["page"] == "calendar"]
    if slow:
        runs = sorted(r["ms"] for r in slow)
        print(f"calendar script runs: {len(runs)}, median {statistics.median(runs):.0f} ms, slowest {runs[-1]:.0f} ms")
    shutil.rmtree(folder)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
