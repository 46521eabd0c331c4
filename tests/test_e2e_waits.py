"""Browser tests wait for what they expect to appear: a one-shot read of the page (``is_visible()``,
``is_enabled()``, ``count() == 1``) races Streamlit's rerun on a loaded machine, where the old copy of a widget
can still be on screen, so every positive check goes through playwright's retrying ``expect``. One-shot reads
stay allowed for absence (``count() == 0`` after ``wait_idle``)."""

import re
from pathlib import Path

E2E = Path(__file__).parent / "e2e"
ONE_SHOT = re.compile(r"assert (?!not ).*\.(is_visible|is_enabled|is_disabled|is_checked|is_editable)\(\)"
                      r"|assert .*\.count\(\) *(==|>=|>) *[1-9]")


def test_positive_browser_checks_retry():
    found = [f"{p.name}:{n}: {line.strip()}"
             for p in sorted(E2E.glob("test_*.py"))
             for n, line in enumerate(p.read_text().splitlines(), 1) if ONE_SHOT.search(line)]
    assert not found, "use expect(...) so the check waits for the rerun:\n" + "\n".join(found)


def test_the_rule_catches_a_one_shot_read():
    assert ONE_SHOT.search('    assert page.get_by_role("button", name="Import").is_enabled()')
    assert ONE_SHOT.search("    assert page.get_by_text('x').count() == 1")
    assert not ONE_SHOT.search("    assert page.locator('[data-testid=stException]').count() == 0")


OPTION_CLICK = re.compile(r'get_by_role\("option".*\)\.(first\.)?click\(')


def test_options_are_picked_through_the_harness():
    """A rerun landing between opening a list and clicking its option redraws the list closed: every pick goes
    through ``harness.pick``, which opens the list again."""
    found = [f"{p.name}:{n}: {line.strip()}"
             for p in sorted(E2E.glob("test_*.py"))
             for n, line in enumerate(p.read_text().splitlines(), 1) if OPTION_CLICK.search(line)]
    assert not found, "use harness.pick(page, opener, option):\n" + "\n".join(found)
    assert OPTION_CLICK.search('    page.get_by_role("option", name="The team").click()')


def test_typed_text_is_committed_through_the_harness():
    """A rerun redrawing a text input between typing and Enter drops the text: every fill-then-Enter goes
    through ``harness.enter_text``, which reads the input back. An Enter that does something else (submits a
    form, closes the grid's cell editor, opens a page) says so after ``# enter:``."""
    found = []
    for p in sorted(E2E.glob("test_*.py")):
        lines = p.read_text().splitlines()
        for n, (line, after) in enumerate(zip(lines, [*lines[1:], ""], strict=True), 1):
            if ".fill(" in line and 'press("Enter")' in after and "# enter:" not in after:
                found.append(f"{p.name}:{n}: {line.strip()}")
    assert not found, "use harness.enter_text(page, field, text):\n" + "\n".join(found)
