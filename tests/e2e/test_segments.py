"""Real browser: recomputing segments says how many customers changed; pressing it again changes nothing."""

import re

from playwright.sync_api import expect

from tests.e2e.harness import open_page, shot, wait_idle


def test_recompute_segments_says_what_changed(signed_in):
    page = signed_in
    open_page(page, "Segments")
    button = page.get_by_role("button", name="Recompute segments")
    button.click()
    said = page.get_by_text(re.compile(r"customers segmented\. \d+ changed since the last computation\."))
    expect(said).to_be_visible()
    wait_idle(page)
    shot(page, "segments_recomputed")
    button.click()
    expect(page.get_by_text(re.compile(r"customers segmented\. 0 changed since the last computation\."))
           ).to_be_visible()
    assert not page.locator("[data-testid=stException]").count()
