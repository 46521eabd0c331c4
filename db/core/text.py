"""Shared rules for text coming from people: trimmed, control characters gone, capped, LIKE-safe."""

from __future__ import annotations

import re

from db.core.errors import ValidationError

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def clean_fields(values: dict, allowed: tuple[str, ...], limits: dict[str, int], row: int | None = None) -> dict:
    """Refuse unknown fields; trim text, drop control characters, enforce length caps, empty -> None."""
    out = {}
    for key, value in values.items():
        if key not in allowed:
            raise ValidationError("Unknown field(s): {names}", field=key, row=row, key="errors.unknown_fields",
                                  names=key)
        if isinstance(value, str):
            value = _CONTROL.sub("", value).strip()
            if len(value) > limits.get(key, 10_000):
                raise ValidationError("{field} is too long ({n} characters at most).", field=key, row=row,
                                      key="contacts.err_too_long", n=limits.get(key, 10_000))
            value = value or None
        out[key] = value
    return out


def like(text: str, limit: int = 100) -> str:
    """A LIKE pattern that matches ``text`` literally anywhere (use with ESCAPE '\\')."""
    escaped = text.strip()[:limit].replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"
