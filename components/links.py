"""mailto:/tel: links built from stored, validated values only (a value that fails validation gets no link)."""

from __future__ import annotations

import re
from urllib.parse import quote

from components.text import esc
from db.core.users import EMAIL_RE

E164 = re.compile(r"^\+[1-9]\d{5,14}$")


def mail_href(email: str | None) -> str | None:
    """``mailto:`` for a valid stored address, else None."""
    value = (email or "").strip()
    return f"mailto:{quote(value, safe='@')}" if value and EMAIL_RE.match(value) else None


def tel_href(phone: str | None) -> str | None:
    """``tel:`` for a stored E.164 number (what the contacts layer saves), else None."""
    value = (phone or "").strip()
    return f"tel:{quote(value, safe='+')}" if E164.match(value) else None


def link_markdown(icon: str, text: str | None, href: str | None) -> str:
    """``icon [text](href)`` with the text escaped; plain escaped text when there is no valid href."""
    if not text:
        return ""
    return f"{icon} [{esc(text)}]({href})" if href else f"{icon} {esc(text)}"
