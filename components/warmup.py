"""One-time loading done when the server starts (server.py's lifespan), not in the first visitor's page run.

A fresh process pays, once, for importing the app's modules, for babel reading each language's locale data
(~25 ms a language) and for the migration check. Without this the first page run after a restart carries
all of it; with it the first run costs what later ones do. (The charts need no warming: they are plain
Vega-Lite dicts, components/charts.py.)

Last, what was loaded is frozen out of the garbage collector (``gc.freeze``): Streamlit runs a full
collection after every script run (``runner.postScriptGC``), which otherwise walks the ~130k objects of
the loaded modules each time (~80-110 ms of every page run of every visitor). They live as long as the
process anyway; what pages create later is still collected.
"""

from __future__ import annotations

import gc
import importlib
import logging
import pkgutil
import time
from datetime import date, datetime

log = logging.getLogger(__name__)
PACKAGES = ("db", "components")
# streamlit-calendar declares its component at import, and Streamlit only registers (and serves) a
# component declared inside a script run: imported here, the calendar would stay blank
IN_SCRIPT_RUN = {"components.calendar", "components.calendar_view"}


def _modules() -> None:
    """Import every module the pages import (pages themselves are scripts, run per visit)."""
    for name in PACKAGES:
        package = importlib.import_module(name)
        for info in pkgutil.walk_packages(package.__path__, f"{name}."):
            if info.name not in IN_SCRIPT_RUN:
                importlib.import_module(info.name)


def _languages() -> None:
    from components import i18n

    for lang in i18n.LANGUAGES:
        i18n.day(date(2026, 1, 31), lang)
        i18n.moment(datetime(2026, 1, 31, 9, 30), lang)
        i18n.money(1234.5, lang, "EUR")
        i18n.number(1234.5, lang)
        i18n.percent(0.5, lang)


def _database() -> None:
    from components.layout import migrated
    from db.core.connection import db_path

    migrated(str(db_path()))


def _freeze() -> None:
    """Collect the warm-up's garbage, then move every object left into the collector's permanent generation."""
    gc.collect()
    gc.freeze()


STEPS = {"modules": _modules, "languages": _languages, "database": _database, "freeze": _freeze}


def warm(steps: tuple[str, ...] = tuple(STEPS)) -> dict[str, float]:
    """Run the warm-up ``steps``; returns milliseconds per step. A step that fails is logged and skipped:
    the warm-up must never keep the server from starting (a page then shows the problem as usual)."""
    took = {}
    for name in steps:
        started = time.perf_counter()
        try:
            STEPS[name]()
        except Exception:  # noqa: BLE001 - logged; the page run reports the same failure readably
            log.exception("warm-up step %s failed", name)
        took[name] = (time.perf_counter() - started) * 1000
    return took
