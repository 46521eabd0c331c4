"""Times to the minute and money in the language's format, everywhere the UI shows them."""

import re
from datetime import datetime
from pathlib import Path

import pytest

from components.i18n import LANGUAGES, moment, money, money_column_format, stamp

ROOT = Path(__file__).resolve().parents[2]
UI = [*ROOT.joinpath("components").rglob("*.py"), *ROOT.joinpath("pages").rglob("*.py"), ROOT / "app.py"]


@pytest.mark.parametrize("lang", list(LANGUAGES))
def test_moments_have_minutes_not_seconds(lang):
    shown = moment("2026-03-09 17:45:59", lang)
    assert "17:45" in shown and not re.search(r"\d:\d\d:\d\d", shown), shown


def test_stored_utc_times_are_shown_in_the_time_zone():
    assert moment("2026-07-01 06:30:00", "en", "Europe/Kyiv") == "1 Jul 2026, 09:30"
    assert moment(datetime(2026, 1, 1, 6, 30), "en", "Asia/Tokyo") == "1 Jan 2026, 15:30"
    assert moment("2026-07-01 06:30:00", "en", "Not/AZone") == "1 Jul 2026, 06:30"  # a bad zone: UTC
    assert stamp("2026-07-01 06:30:00", "en") == "1 Jul 2026, 06:30"  # outside a session: UTC


def _sprintf(fmt: str, value: float) -> str:
    """What the grid's sprintf does with our format: %'X,.0f groups thousands with X."""
    m = re.search(r"%'(.),\.0f", fmt)
    digits = f"{round(value):,}".replace(",", m.group(1))
    return (fmt[:m.start()] + digits + fmt[m.end():]).replace("%%", "%")


@pytest.mark.parametrize("lang", list(LANGUAGES))
@pytest.mark.parametrize("currency", ["EUR", "USD", "BGN", "UAH"])
def test_grid_money_columns_read_like_money_elsewhere(lang, currency):
    fmt = money_column_format(lang, currency)
    for value in (7, 1234.4, 98_765_432):
        assert _sprintf(fmt, value) == money(value, lang, currency), (lang, currency, fmt)


MONEY_COLUMNS = r"budget|spend|revenue|cac|amount|margin|profit|cost_to_serve|clv|open_pipeline"


def test_every_money_number_column_uses_the_money_format():
    """Walks the UI: a NumberColumn for an amount formats through money_column_format (a plain "%.0f" showed
    12000 next to "€12,000" on the same page)."""
    bad = []
    for path in UI:
        text = path.read_text()
        for m in re.finditer(rf'"({MONEY_COLUMNS})": st\.column_config\.NumberColumn\(', text):
            args = text[m.end():m.end() + 300].split("\n    ")[0]
            if "format=cash" not in args and "money_column_format" not in args:
                bad.append((path.name, m.group(1)))
    assert not bad, bad


def test_no_ui_code_shows_seconds():
    """Walks the UI: no time format with seconds, and no Babel "medium"/"long" datetime (they carry seconds)."""
    bad = []
    for path in UI:
        for n, line in enumerate(path.read_text().splitlines(), 1):
            if "%H:%M:%S" in line and "FMT" not in line or re.search(r"format_(date)?time\(.*\"(medium|long)\"", line):
                bad.append(f"{path.name}:{n}")
    assert not bad, bad
