"""Script-run times in a real server, driven by a real browser, at the large scale.

Usage: ``.venv/bin/python -m bench.server [--scale large]``. Starts ``streamlit run server.py``
(through bench/serve_timed.py, which logs each script run's duration) over the large database of
bench/pages.py, signs in with Debian's chromium and times what a visitor does: the first dashboard run
after the server started, each chart tab, the live refresh after someone saves, a reload, a year.
AppTest (bench/pages.py) cannot show two costs a server has: its start-up (components/warmup.py) and
Streamlit's garbage collection after every script run. The browser runs at the lowest CPU priority, as
if on the visitor's own machine (this one has two cores). Prints milliseconds; asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.pages import CACHE, database, touch, untouch
from db.core.connection import connect
from db.core.users import create_user, hash_password
from tests.e2e.harness import CHROMIUM_ARGS, chromium_path, free_port, open_page, sign_in, wait_healthy, wait_idle

USER = "bench@bench.example"
TABS = ("Profitability", "Acquisition cost", "Funnel and win rate", "Cohorts", "Satisfaction")


def bench_user(db: Path) -> str:
    """The password of an admin kept for this bench (created on first use, stored beside the database)."""
    stored = CACHE / f"{db.stem}.bench-user"
    conn = connect(db)
    try:
        if stored.exists() and conn.execute("SELECT 1 FROM users WHERE email = ?", (USER,)).fetchone():
            return stored.read_text().strip()
        password = secrets.token_urlsafe(12)
        if conn.execute("SELECT 1 FROM users WHERE email = ?", (USER,)).fetchone():
            # made by another checkout's bench (its password kept beside that copy): a new password, the
            # user and what it owns kept (deleting it would break the sessions and records that name it)
            conn.execute("UPDATE users SET password_hash = ? WHERE email = ?", (hash_password(password), USER))
        else:
            create_user(conn, email=USER, name="Bench Admin", role="admin", password=password)
        stored.write_text(password)
        return password
    finally:
        conn.close()


def niced_chromium(folder: Path, nice: int = 19) -> Path:
    """A launcher for Debian's chromium at CPU priority ``nice`` (19: lowest, as on the visitor's own machine;
    this one has two cores shared with the server)."""
    path = folder / "chromium"
    path.write_text(f'#!/bin/sh\nexec nice -n {nice} "{chromium_path()}" "$@"\n')
    path.chmod(0o755)
    return path


def chromium(pw, browser_path: Path):
    """Debian's chromium through ``browser_path`` (niced_chromium's launcher), as every browser bench starts it."""
    return pw.chromium.launch(executable_path=str(browser_path), args=CHROMIUM_ARGS, headless=True)


def desktop_page(browser):
    """A desktop-sized page, patient with a loaded server at the large scale."""
    page = browser.new_page(viewport={"width": 1440, "height": 900})
    page.set_default_timeout(60_000)
    return page


def launch(argv: list[str], log: Path, *, env: dict | None = None, what: str = "the server"
           ) -> tuple[subprocess.Popen, str]:
    """``argv`` (a Streamlit command line) on a free local port, once it answers its health check."""
    port = free_port()
    proc = subprocess.Popen([*argv, "--server.port", str(port), "--server.address", "127.0.0.1",
                             "--server.headless", "true", "--browser.gatherUsageStats", "false"],
                            cwd=Path(__file__).resolve().parent.parent, env=env or dict(os.environ),
                            stdout=log.open("w"), stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(proc, url, 120, log)
    except RuntimeError as err:
        proc.kill()
        raise RuntimeError(f"{what} did not start: {err}") from None
    return proc, url


def start(db: Path, timings: Path, log: Path) -> tuple[subprocess.Popen, str]:
    """The CRM (``streamlit run server.py`` through bench/serve_timed.py) over ``db``."""
    return launch([sys.executable, "-m", "bench.serve_timed", str(timings)], log,
                  env={**os.environ, "CRM_DB": str(db)})


def runs_since(timings: Path, since: float) -> list[dict]:
    if not timings.exists():
        return []
    return [r for r in map(json.loads, timings.read_text().splitlines()) if r["at"] >= since]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", default="large")
    args = parser.parse_args(argv)
    from playwright.sync_api import sync_playwright

    db = database(args.scale)
    password = bench_user(db)
    folder = Path(tempfile.mkdtemp())
    timings, log = folder / "runs.jsonl", folder / "server.log"
    browser_path = niced_chromium(folder)
    started = time.perf_counter()
    proc, url = start(db, timings, log)
    print(f"server answering after {(time.perf_counter() - started) * 1000:.0f} ms (start-up warm-up included)")
    rows = []

    def step(name: str, action, settle: float = 1.0, wait_for=None) -> None:
        since = time.time()
        action()
        wait_idle(page, 60_000)
        deadline = time.monotonic() + 15
        while wait_for and not wait_for(runs_since(timings, since)) and time.monotonic() < deadline:
            page.wait_for_timeout(200)
        page.wait_for_timeout(settle * 1000)
        runs = runs_since(timings, since)
        slowest = max(runs, key=lambda r: r["ms"], default=None)
        rows.append((name, len(runs), slowest["ms"] if slowest else None))

    try:
        with sync_playwright() as pw:
            browser = chromium(pw, browser_path)
            page = desktop_page(browser)
            step("sign in, home", lambda: sign_in(page, url, USER, password))
            step("dashboard, first run after start", lambda: open_page(page, "Dashboard"))
            for tab in TABS:
                step(f"tab {tab}", lambda tab=tab: page.get_by_role("tab", name=tab).click())
            step("live refresh after a data change", lambda: touch(db), settle=0.5,
                 wait_for=lambda runs: any(r["fragment"] and r["ms"] > 20 for r in runs))
            step("idle refresh (nothing changed, 6 s)", lambda: page.wait_for_timeout(6000), settle=0)
            step("reload (new session)", page.reload)
            step("period: year", lambda: page.locator("button[data-variant=segmented_control]:visible")
                 .filter(has_text="Year").first.click())
            browser.close()
    finally:
        untouch(db)
        proc.terminate()
        proc.wait(10)
    print(f"\n{'step':<40}{'runs':>6}{'slowest run ms':>16}")
    for name, count, ms in rows:
        print(f"{name:<40}{count:>6}{'' if ms is None else f'{ms:.0f}':>16}")
    shutil.rmtree(folder)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
