"""User text is text: the one place that makes database text safe for Streamlit markdown (and charts).

Streamlit renders markdown in ``st.markdown``/``caption``/``title``/``toast``/alerts, in every widget
label, ``help=`` tooltip, tab, expander and ``page_link`` label, and in the options of ``st.radio``,
``st.pills`` and ``st.segmented_control`` (selectbox and multiselect options, dataframe cells,
``st.text``/``st.code``/``st.json`` are plain). Its markdown is more than CommonMark: images, links,
``:red[...]`` directives, KaTeX ``$...$``, and plugins that rewrite *text nodes after the escapes are
resolved*: ``:material_x:`` icons, ``:streamlit:``, emoji shortcodes, GFM autolinks (``https://…``,
``www.…``, ``a@b.example``) and typographic arrows (``->``). So ``esc`` does two things:

1. backslash-escapes every ASCII punctuation mark (CommonMark shows an escaped mark as itself, and an
   escaped ``$`` never starts KaTeX), which stops every syntax-level construct;
2. puts an invisible WORD JOINER (U+2060) where a text-node rewrite would start: after a ``:`` or ``@``
   that is followed by a word character (``:smile:``, ``https://``, ``a@b.example``), inside ``www.``
   and inside a free-standing typographic digraph. The text reads the same; only a copy of those few
   spots carries the invisible mark ("Call: Ana" has none), so values meant for copying (a new
   password) go into a code span or ``st.code`` instead.

It also drops control and bidi-override characters (a U+202E can make a name read backwards), folds
whitespace to single spaces and caps the length. Charts (components/charts.py, Vega-Lite) need no escape:
Vega draws labels and titles as text and its tooltip escapes ``&`` and ``<``, so chart labels only go
through ``clean``.
"""

from __future__ import annotations

import re

JOINER = "\u2060"  # WORD JOINER: zero width, no line break, no glyph
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ufeff\ufff9-\ufffb]")
_SPACE = re.compile(r"\s+")
_PUNCT = re.compile(r"[!-/:-@\[-`{-~]")
_JOIN_AFTER = re.compile(r"(?<=[:@])(?=[^\s:@])")  # :smile: :material_x: https:// a@b.example :-)
_DIGRAPH = re.compile(r"(?<!\S)(<->|->|<-|--|>=|<=|~=)(?!\S)")  # shown as arrows, a dash, ≥ ≤ ≈
_WWW = re.compile(r"(?<=www)(?=\.)", re.IGNORECASE)  # www.example.com (an autolink without a scheme)


def clean(value: object, limit: int = 200) -> str:
    """One line of at most ``limit`` characters, without control or direction-override characters."""
    text = "" if value is None else str(value)
    text = _CONTROL.sub("", _SPACE.sub(" ", text[: limit * 4 + 64])).strip()
    if len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    return text


def esc(value: object, limit: int = 200) -> str:
    """Database text for any Streamlit markdown context: shown literally, never interpreted."""
    text = _DIGRAPH.sub(lambda m: JOINER.join(m.group(0)), clean(value, limit))
    text = _WWW.sub(JOINER, _JOIN_AFTER.sub(JOINER, text))
    return _PUNCT.sub(r"\\\g<0>", text)
