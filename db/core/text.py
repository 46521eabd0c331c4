"""Shared rules for values coming from people: the one validation path for text, numbers and times.

Text is NFC-normalised and loses control characters (NUL included), bidi overrides and lone surrogates
(which SQLite cannot even store); single-line text keeps no line breaks. Too long is refused with a message
at the field, never cut silently. Numbers must be finite and in range; times with an offset are converted
to UTC; malformed dates and times are a ``ValidationError``, never a ``ValueError``. ``records`` scrubs every
text value once more, so nothing reaches the database around these rules.
"""

from __future__ import annotations

import math
import re
import unicodedata
from datetime import UTC, date, datetime

from db.core.errors import ValidationError

# C0 controls but tab/newline/CR, DEL and C1 controls, bidi embeddings/overrides/isolates, BOM, surrogates
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ufeff\ud800-\udfff]")
_BREAKS = re.compile("[\t\n\r\u2028\u2029]+")
TEXT_LIMIT = 10_000  # a field without its own limit
UTC_FMT = "%Y-%m-%d %H:%M:%S"


def scrub(text: str, *, multiline: bool = True) -> str:
    """``text`` without the characters no field may hold; single-line text gets spaces for line breaks."""
    text = unicodedata.normalize("NFC", _CONTROL.sub("", text))
    text = text.replace("\r\n", "\n").replace("\r", "\n") if multiline else _BREAKS.sub(" ", text)
    return text


def clean_text(value, field: str, limit: int, *, row: int | None = None, multiline: bool = False) -> str | None:
    """Scrubbed, trimmed text (None when empty); longer than ``limit`` is refused naming the field."""
    if value is None:
        return None
    text = scrub(value if isinstance(value, str) else str(value), multiline=multiline).strip()
    if len(text) > limit:
        raise ValidationError("{field} is too long ({n} characters at most).", field=field, row=row,
                              key="errors.too_long", n=limit)
    return text or None


def clean_fields(values: dict, allowed: tuple[str, ...], limits: dict[str, int], row: int | None = None) -> dict:
    """Refuse unknown fields; trim text, drop control characters, enforce length caps, empty -> None."""
    out = {}
    for key, value in values.items():
        if key.startswith("cf_"):  # a custom field's column: its own rules run in the write path (db/core/fields)
            out[key] = value
            continue
        if key not in allowed:
            raise ValidationError("Unknown field(s): {names}", field=key, row=row, key="errors.unknown_fields",
                                  names=key)
        out[key] = clean_text(value, key, limits.get(key, TEXT_LIMIT), row=row) if isinstance(value, str) else value
    return out


def clean_number(value, field: str, *, low: float, high: float, row: int | None = None) -> float:
    """A finite number within ``low``..``high`` (NaN and infinity are not numbers here)."""
    try:
        number = float(value.strip().replace(",", "") if isinstance(value, str) else value)
    except (TypeError, ValueError, OverflowError):
        raise ValidationError("{field} must be a number.", field=field, row=row, key="errors.number") from None
    if not math.isfinite(number) or not low <= number <= high:
        raise ValidationError("{field} must be between {low} and {high}.", field=field, row=row,
                              key="errors.range", low=f"{low:,g}", high=f"{high:,.0f}")
    return number


def clean_moment(value, field: str, *, row: int | None = None) -> datetime:
    """A point in time as naive UTC: an offset (``+14:00``, ``Z``) is converted, none means UTC already."""
    if isinstance(value, datetime):
        moment = value
    else:
        try:
            moment = datetime.fromisoformat(str(value).strip())
        except (TypeError, ValueError):
            raise ValidationError("{field}: enter a date and time such as 2026-11-23 14:30.", field=field, row=row,
                                  key="errors.moment") from None
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment


def clean_day(value, field: str, *, row: int | None = None) -> date:
    """A calendar date from a date, a datetime or ISO text (``2026-11-23``)."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip()[:10])
    except (TypeError, ValueError):
        raise ValidationError("{field}: enter a date such as 2026-11-23.", field=field, row=row,
                              key="errors.day") from None


def like(text: str, limit: int = 100) -> str:
    """A LIKE pattern that matches ``text`` literally anywhere (use with ESCAPE '\\')."""
    escaped = text.strip()[:limit].replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"
