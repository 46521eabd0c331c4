import pytest

from components.text import esc


@pytest.mark.parametrize("raw,shown", [
    ("Ana Lima", "Ana Lima"),
    ("**bold** [x](javascript:alert(1))", r"\*\*bold\*\* \[x\]\(javascript\:alert\(1\)\)"),
    ("<script>alert(1)</script>", r"\<script\>alert\(1\)\</script\>"),
    (":material/home: :red[x]", r"\:material/home\: \:red\[x\]"),
    ("line\nbreak", "line break"),
    (None, ""),
])
def test_markdown_is_neutralised(raw, shown):
    assert esc(raw) == shown.replace("/", "\\/")


def test_long_text_is_capped():
    assert len(esc("x" * 5_000_000, limit=50)) == 50
