"""Make database text safe to show in Streamlit markdown.

Streamlit already refuses raw HTML in markdown, but names can still carry markdown, links or
``:material/...:`` directives. ``esc`` backslash-escapes every ASCII punctuation mark (CommonMark
renders an escaped mark as itself), folds newlines and caps the length.
"""

from __future__ import annotations

import re

_PUNCT = re.compile(r"([!-/:-@\[-`{-~])")
_SPACE = re.compile(r"\s+")


def esc(value: object, limit: int = 200) -> str:
    text = "" if value is None else str(value)
    text = _SPACE.sub(" ", text).strip()
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return _PUNCT.sub(r"\\\1", text)
