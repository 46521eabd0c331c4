"""Real browser: the dashboard shows the KPIs, updates by itself when someone else changes data, and draws its
charts with Vega-Lite (no plotly in a new tab)."""

import time
from datetime import date

from playwright.sync_api import expect

from tests.e2e.harness import open_page, shot, sign_in, wait_idle


def _card(page, label: str) -> str:
    metric = page.locator("[data-testid=stMetric]").filter(has_text=label).first
    return metric.locator("[data-testid=stMetricValue]").inner_text()


def test_a_second_session_changes_the_dashboard_without_a_reload(signed_in, browser, server, e2e_db, db):
    page = signed_in
    open_page(page, "Dashboard")
    page.locator("[data-testid=stMetric]").filter(has_text="CSAT").first.wait_for()
    before = _card(page, "CSAT")
    shot(page, "dashboard")
    # A manager in another browser imports twenty unhappy answers for this month on the Feedback page.
    other = browser.new_context(viewport={"width": 1440, "height": 900})
    try:
        second = other.new_page()
        second.set_default_timeout(20_000)
        manager = next(e for e in e2e_db[1] if e.startswith("manager"))
        sign_in(second, server.url, manager, e2e_db[1][manager])
        open_page(second, "Feedback")
        email = db.execute("SELECT email FROM contacts WHERE lifecycle = 'customer' AND email IS NOT NULL "
                           "AND deleted_at IS NULL ORDER BY id LIMIT 1").fetchone()[0]
        answers = "email,kind,score,date,comment\n" + f"{email},csat,1,{date.today().isoformat()},slow\n" * 20
        count = db.execute("SELECT COUNT(*) FROM feedback").fetchone()[0]
        second.locator("[data-testid=stFileUploaderDropzoneInput]").set_input_files(
            files=[{"name": "answers.csv", "mimeType": "text/csv", "buffer": answers.encode()}])
        second.get_by_role("button", name="Import", exact=True).click()
        deadline = time.monotonic() + 30
        while db.execute("SELECT COUNT(*) FROM feedback").fetchone()[0] < count + 20 and time.monotonic() < deadline:
            time.sleep(0.3)
        assert db.execute("SELECT COUNT(*) FROM feedback").fetchone()[0] == count + 20
    finally:
        other.close()
    # The first browser is not touched: its live fragment picks the change up by itself.
    page.wait_for_function(
        """([label, before]) => [...document.querySelectorAll('[data-testid=stMetric]')]
              .filter(m => m.innerText.includes(label))
              .some(m => m.querySelector('[data-testid=stMetricValue]').innerText !== before)""",
        arg=["CSAT", before], timeout=30_000)
    assert _card(page, "CSAT") != before
    # Only the open tab is read and drawn: picking another re-runs the live fragment, which draws it.
    page.get_by_role("tab", name="Profitability").click()
    page.get_by_text("Customer profit by channel").first.wait_for()
    shot(page, "dashboard_profit")
    page.get_by_role("tab", name="Acquisition cost").click()
    page.get_by_text("CAC by channel and month").first.wait_for()
    shot(page, "dashboard_acquisition")
    # CAC over time per campaign instead of per channel: the chart is redrawn with the campaign title.
    page.locator("button[data-variant=segmented_control]:visible").filter(has_text="campaign").click()
    page.get_by_text("CAC by campaign and month").first.wait_for()
    page.get_by_text("CAC by campaign and month").first.scroll_into_view_if_needed()
    page.wait_for_timeout(1000)
    shot(page, "dashboard_cac_campaign")


PLOTLY_LOADED = "() => performance.getEntriesByType('resource').map((r) => r.name).filter((n) => /plotly/i.test(n))"


def test_the_dashboard_opened_by_url_in_a_new_tab_draws_vega_lite_charts_without_plotly(signed_in, server):
    """A link opened in a new tab (a fresh session, signed in by the cookie) draws the cards and the open tab's
    charts as Vega-Lite SVG; plotly's library (~1.3 s of a new tab, docs/bench.md) is neither drawn nor loaded."""
    tab = signed_in.context.new_page()
    try:
        tab.goto(server.url + "/dashboard")
        tab.locator("[data-testid=stMetric]").first.wait_for()
        charts = tab.locator("[data-testid=stVegaLiteChart]")
        charts.first.locator("svg .role-mark path").first.wait_for()
        wait_idle(tab)
        expect(charts).to_have_count(3)  # satisfaction by month, the CSAT and the NPS scores
        expect(tab.get_by_text("Satisfaction by month", exact=True)).to_be_visible()  # SVG text
        for name in ("Profitability", "Acquisition cost", "Funnel and win rate", "Cohorts"):
            tab.get_by_role("tab", name=name).click()
            wait_idle(tab)
            charts.first.locator("svg .role-mark path").first.wait_for()
        expect(tab.locator(".js-plotly-plot")).to_have_count(0)
        assert tab.evaluate(PLOTLY_LOADED) == []
    finally:
        tab.close()
