"""The user-text helpers against a hostile corpus: every markdown construct Streamlit knows stays text.

Each property mirrors a stage of Streamlit's markdown (read from its frontend): CommonMark/GFM syntax and
remark-directive/remark-math see the escaped source; the icon, logo, emoji, autolink and typography
plugins see text nodes after the escapes are resolved. tests/e2e/test_hostile_text.py checks the pages.
"""

import re
import time

import pytest

from components.text import JOINER, clean, esc

HOSTILE = [
    "![x](http://127.0.0.1:9/pixel.png)",
    "[link](https://evil.example)",
    "**bold**",
    ":red[red]",
    ":red-background[x] :blue-badge[b] :color[c]{foreground=\"red\"}",
    ":material/home:",
    ":material_home:",
    ":streamlit:",
    ":smile: :+1: :-1:",
    "$x^2$",
    "$$\\int$$",
    "{{7*7}}",
    "<b>b</b>",
    '<a href="https://evil.example">a</a>',
    "<img src=x onerror=alert(1)>",
    "<script>alert(1)</script>",
    "https://evil.example/path?q=1",
    "www.evil.example",
    "WWW.Evil.example",
    "mail a@evil.example now",
    "x -> y <- z <-> w -- v >= u <= s ~= r",
    "# heading",
    "- item",
    "> quote",
    "1. one",
    "`code` ~~strike~~ _em_ *em*",
    "| a | b |",
    "a\\",
    "&amp; &#x41;",
    "line\nbreak\r\n\tand tabs",
    "\u202eevil\u202c and \u2066isolate\u2069",
    "zero\u200dwidth\u200cjoiners 👨\u200d👩\u200d👧",
    "nul\x00byte\x07bell",
    "emoji 😀 👍🏽",
    "Ана Лима",
    "x" * 100_000,
]

SHOWN = re.compile(r"\\([!-/:-@\[-`{-~])")  # what CommonMark shows for a backslash escape: the mark itself
TEXT_NODE_PLUGINS = {
    "material icon": re.compile(r":material_(\w+):"),
    "streamlit logo": re.compile(r":streamlit:"),
    "emoji shortcode": re.compile(r":\+1:|:-1:|:[\w-]+:"),
    "url autolink": re.compile(r"(https?://|www(?=\.))[-.\w]+", re.IGNORECASE),
    "email autolink": re.compile(r"[-.\w+]+@[-\w]+(?:\.[-\w]+)+"),
    "typography": re.compile(r"(^|\s)(<->|->|<-|--|>=|<=|~=)(\s|$)"),
}
# Streamlit's test for "this text has LaTeX" runs on the source after dropping escaped $, ` and \.
KATEX_ESCAPES = re.compile(r"\\[\\$`]")
KATEX = [re.compile(r"(?<!\$)\$\$+(?!\$)[\s\S]*?\$\$"), re.compile(r"(?<!\$)\$(?![\s$])[^$\n]*?[^\s$]\$(?!\d)")]


def shown(value: str) -> str:
    return SHOWN.sub(r"\1", value)


@pytest.mark.parametrize("raw", HOSTILE, ids=lambda s: repr(s[:30]))
def test_every_punctuation_mark_is_escaped(raw):
    """No CommonMark, GFM, directive or math syntax can start: every ASCII mark is backslash-escaped."""
    assert not re.search(r"[!-/:-@\[-`{-~]", SHOWN.sub("", esc(raw)))


@pytest.mark.parametrize("raw", HOSTILE, ids=lambda s: repr(s[:30]))
def test_text_node_plugins_find_nothing(raw):
    text = shown(esc(raw))
    for plugin, pattern in TEXT_NODE_PLUGINS.items():
        assert not pattern.search(text), plugin


@pytest.mark.parametrize("raw", HOSTILE, ids=lambda s: repr(s[:30]))
def test_no_latex_is_detected(raw):
    source = KATEX_ESCAPES.sub("_", esc(raw))
    assert not any(p.search(source) for p in KATEX)


@pytest.mark.parametrize("raw", HOSTILE, ids=lambda s: repr(s[:30]))
def test_the_text_reads_as_it_was_written(raw):
    """Without the invisible joiners, what the reader sees is the cleaned input, character for character."""
    assert shown(esc(raw)).replace(JOINER, "") == clean(raw)


def test_concrete_outputs():
    assert esc("Ana Lima") == "Ana Lima"
    assert esc("**bold**") == r"\*\*bold\*\*"
    assert esc(":red[x]") == "\\:\u2060red\\[x\\]"
    assert esc("a@b.example") == "a\\@\u2060b\\.example"
    assert esc("x -> y") == "x \\-\u2060\\> y"
    assert esc(None) == "" and esc(42) == "42"


def test_control_and_direction_characters_are_dropped_and_whitespace_folded():
    assert clean("\u202eevil\u202c and \u2066isolate\u2069") == "evil and isolate"
    assert clean("nul\x00byte\x07bell") == "nulbytebell"
    assert clean("  line\nbreak\r\n\tand  tabs ") == "line break and tabs"


def test_joiners_and_emoji_survive():
    family = "👨\u200d👩\u200d👧"
    assert family in esc(f"zero\u200dwidth {family}") and "zero\u200dwidth" in esc("zero\u200dwidth")


def test_long_text_is_capped_quickly():
    started = time.perf_counter()
    capped = esc("x" * 5_000_000, limit=50)
    assert len(capped) == 50 and capped.endswith("…")
    assert len(esc("*" * 100_000)) == 2 * 199 + 1  # 199 escaped marks and the ellipsis
    assert time.perf_counter() - started < 0.5


def test_the_invisible_joiner_goes_only_where_a_rewrite_could_start():
    """Plain prose ("Call: Ana", "Anne-Marie", "R&D") gets no invisible character: it copies and searches as is."""
    for prose in ("Call: Ana", "Anne-Marie", "R&D <team>", "a - b", "x@ y", "mail@"):
        assert JOINER not in esc(prose)
    assert esc("10:30").count(JOINER) == 1 and esc("a <-> b").count(JOINER) == 2
