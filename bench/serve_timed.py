"""``streamlit run server.py`` with each script run's duration appended to a file, for bench/server.py.

Usage: ``.venv/bin/python -m bench.serve_timed TIMINGS.jsonl [streamlit run options]``. One JSON line
per run: when it started, its milliseconds, the page and whether it was a fragment's run.
``record_script_runs`` is the timing hook, shared with bench/pages.py (AppTest's runner is a subclass).
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def record_script_runs(record) -> None:
    """Call ``record(started, ms, rerun_data)`` after every script run of this process (patched once)."""
    from streamlit.runtime.scriptrunner import script_runner

    run_script = script_runner.ScriptRunner._run_script

    def timed(self, rerun_data):
        started, clock = time.time(), time.perf_counter()
        try:
            return run_script(self, rerun_data)
        finally:
            record(started, (time.perf_counter() - clock) * 1000, rerun_data)

    script_runner.ScriptRunner._run_script = timed


def record_gc_pauses(path: Path, floor_ms: float = 50.0) -> None:
    """Append each garbage-collector pass of at least ``floor_ms`` (its generation, when, ms) to ``path``: with
    Streamlit's per-run collection off, Python's own full passes are the process-wide pauses to look for."""
    import gc

    started: dict[str, float] = {}

    def callback(phase: str, info: dict) -> None:
        if phase == "start":
            started["at"], started["clock"] = time.time(), time.perf_counter()
        elif "clock" in started:
            ms = (time.perf_counter() - started["clock"]) * 1000
            if ms >= floor_ms:
                with path.open("a") as f:
                    f.write(json.dumps({"at": started["at"], "ms": ms, "generation": info.get("generation"),
                                        "collected": info.get("collected")}) + "\n")

    gc.callbacks.append(callback)


def main() -> None:
    out = Path(sys.argv[1])
    from streamlit.web import cli

    def write(started: float, ms: float, rerun_data) -> None:
        line = {"at": started, "ms": ms, "page": rerun_data.page_name,
                "fragment": bool(rerun_data.fragment_id_queue)}
        with out.open("a") as f:
            f.write(json.dumps(line) + "\n")

    record_script_runs(write)
    record_gc_pauses(out.with_suffix(".gc.jsonl"))
    sys.argv = ["streamlit", "run", str(ROOT / "server.py"), *sys.argv[2:]]
    cli.main(prog_name="streamlit")


if __name__ == "__main__":
    main()
