"""``streamlit run server.py`` with each script run's duration appended to a file, for bench/server.py.

Usage: ``.venv/bin/python -m bench.serve_timed TIMINGS.jsonl [streamlit run options]``. One JSON line
per run: when it started, its milliseconds, the page and whether it was a fragment's run.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    out = Path(sys.argv[1])
    from streamlit.runtime.scriptrunner import script_runner
    from streamlit.web import cli

    run_script = script_runner.ScriptRunner._run_script

    def timed(self, rerun_data):
        started, clock = time.time(), time.perf_counter()
        try:
            return run_script(self, rerun_data)
        finally:
            line = {"at": started, "ms": (time.perf_counter() - clock) * 1000, "page": rerun_data.page_name,
                    "fragment": bool(rerun_data.fragment_id_queue)}
            with out.open("a") as f:
                f.write(json.dumps(line) + "\n")

    script_runner.ScriptRunner._run_script = timed
    sys.argv = ["streamlit", "run", str(ROOT / "server.py"), *sys.argv[2:]]
    cli.main(prog_name="streamlit")


if __name__ == "__main__":
    main()
