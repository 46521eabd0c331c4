"""Per-page script-run times at small and large scale, against a bare one-line page timed in the same run.

Usage: ``.venv/bin/python -m bench.pages [--runs 5] [--scales small,large] [--pages contacts,deals]``.
The large database (100k contacts, 50k deals, 1M activities, 200k feedback) is built once into
``bench/.cache/`` (about a minute) and reused; set ``BENCH_LARGE=/path.db`` to reuse another copy.
Prints medians in milliseconds; it asserts nothing (tests assert behaviour, benchmarks print).

Times are of the script run itself (the runner's ``_run_script``, via bench/serve_timed.py), not of AppTest's own set-up on its
first run (it scans every installed package for components, ~100-250 ms, which a server does once at
start). Before a page's first run the server's start-up warm-up (components/warmup.py) runs, as it does
in ``server.py``; ``--no-warm-up`` leaves it out to show what it saves.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
from datetime import date
from pathlib import Path

from streamlit.testing.v1 import AppTest

from bench.serve_timed import record_script_runs
from components import warmup
from components.layout import PAGES, ROOT
from db.core.connection import connect
from db.core.migrations import migrate
from db.core.users import create_session
from db.io.seed import seed

CACHE = ROOT / "bench" / ".cache"


def database(scale: str) -> Path:
    """A cached, migrated database of ``scale``; built on first use."""
    override = os.environ.get(f"BENCH_{scale.upper()}")
    path = Path(override) if override else CACHE / f"{scale}.db"
    if not path.exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        print(f"building the {scale} database at {path} ...", file=sys.stderr)
        conn = connect(path)
        seed(conn, scale, 7, date.today(), quiet=False)
        conn.close()
    conn = connect(path)
    migrate(conn)
    conn.close()
    return path


def touch(db: Path) -> None:
    """Make the data look changed to every cache keyed by the change token (db.analytics.kpi.change_token) without
    changing a figure: add an audit row, as every write through db/ does."""
    conn = connect(db)
    with conn:
        conn.execute("INSERT INTO audit_log (entity, entity_id, action) VALUES ('bench', 0, 'touch')")
    conn.close()


def untouch(db: Path) -> None:
    conn = connect(db)
    with conn:
        conn.execute("DELETE FROM audit_log WHERE entity = 'bench'")
    conn.close()


_SCRIPT_RUNS: list[float] = []  # ms of each script run, once record_script_runs is hooked
_HOOKED: list[bool] = []


def time_runs(at: AppTest, runs: int, before_each=None) -> list[float]:
    """[first (cold) run, then ``runs`` warm runs] in milliseconds of script run; ``before_each`` runs
    untimed before each warm run."""
    if not _HOOKED:
        record_script_runs(lambda _started, ms, _rerun: _SCRIPT_RUNS.append(ms))
        _HOOKED.append(True)
    _SCRIPT_RUNS.clear()
    at.run()  # cold: empty caches, first connection (imports too with --no-warm-up)
    if at.exception:
        raise RuntimeError(f"page failed: {at.exception[0].message}")
    for _ in range(runs):
        if before_each:
            before_each()
        at.run()
    if at.exception:
        raise RuntimeError(f"page failed: {at.exception[0].message}")
    return list(_SCRIPT_RUNS)


def bare(runs: int) -> float:
    folder = Path(tempfile.mkdtemp())
    script = folder / "bare.py"
    script.write_text('import streamlit as st\n\nst.write("hello")\n')
    try:
        return statistics.median(time_runs(AppTest.from_file(str(script), default_timeout=60), runs)[1:])
    finally:
        shutil.rmtree(folder)


def page_time(script: str, db: Path, runs: int, role: str = "admin", changed: bool = False,
              warm_up: bool = True, state: dict | None = None) -> tuple[float, float]:
    """(cold ms, median warm ms) of one page's script run; ``changed``: the data changes before each warm
    run (what every open page re-runs when someone saves); ``warm_up``: the server's start-up warm-up
    runs first."""
    os.environ["CRM_DB"] = str(db)
    if warm_up:
        warmup.warm()
    conn = connect(db)
    uid = conn.execute("SELECT id FROM users WHERE role = ? ORDER BY id LIMIT 1", (role,)).fetchone()[0]
    token = create_session(conn, uid)  # every run confirms a live server-side session
    conn.close()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    if script != "app.py":
        at.switch_page(script)
    at.session_state["session_token"] = token
    for key, value in (state or {}).items():
        at.session_state[key] = value
    try:
        times = time_runs(at, runs, (lambda: touch(db)) if changed else None)
    finally:
        if changed:
            untouch(db)
    return times[0], statistics.median(times[1:])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--scales", default="small,large")
    parser.add_argument("--pages", default="", help="comma-separated page keys (default: all)")
    parser.add_argument("--changed", action="store_true", help="the data changes before each warm run")
    parser.add_argument("--no-warm-up", dest="warm_up", action="store_false",
                        help="leave out the server's start-up warm-up before a page's first run")
    parser.add_argument("--state", action="append", default=[], metavar="KEY=VALUE",
                        help="a session-state value before the first run, e.g. dash_tab=Profitability")
    args = parser.parse_args(argv)
    state = dict(pair.split("=", 1) for pair in args.state)
    scales = [s for s in args.scales.split(",") if s]
    wanted = {p for p in args.pages.split(",") if p}
    dbs = {s: database(s) for s in scales}
    baseline = bare(args.runs)
    print(f"\nbare one-line page: {baseline:.1f} ms (median of {args.runs})\n")
    header = f"{'page':<12}" + "".join(f"{s + ' cold':>12}{s + ' ms':>12}{'x bare':>8}" for s in scales)
    print(header)
    print("-" * len(header))
    for key, script, _, _ in PAGES:
        if (wanted and key not in wanted) or not (ROOT / script).exists():
            continue
        line = f"{key:<12}"
        for s in scales:
            cold, ms = page_time(script, dbs[s], args.runs, changed=args.changed, warm_up=args.warm_up,
                                 state=state)
            line += f"{cold:>12.0f}{ms:>12.1f}{ms / baseline:>8.1f}"
        print(line, flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
