"""Real browser: the dashboard shows the KPIs and updates by itself when someone else changes data."""

from datetime import datetime

from db import records
from db.permissions import Actor
from tests.e2e.harness import open_page, shot


def _card(page, label: str) -> str:
    metric = page.locator("[data-testid=stMetric]").filter(has_text=label).first
    return metric.locator("[data-testid=stMetricValue]").inner_text()


def test_dashboard_updates_without_a_reload(signed_in, db):
    page = signed_in
    open_page(page, "Dashboard")
    page.locator("[data-testid=stMetric]").filter(has_text="CSAT").first.wait_for()
    before = _card(page, "CSAT")
    shot(page, "dashboard")
    # Another person records ten unhappy answers this month, through the data layer.
    manager = db.execute("SELECT id FROM users WHERE role = 'manager' LIMIT 1").fetchone()[0]
    customer = db.execute("SELECT id FROM contacts WHERE lifecycle = 'customer' LIMIT 1").fetchone()[0]
    for _ in range(10):
        records.create(db, "feedback", {"contact_id": customer, "kind": "csat", "score": 1,
                                        "responded_at": datetime.now().strftime("%Y-%m-%d %H:%M:%S")},
                       Actor(manager, "manager"))
    page.wait_for_function(
        """([label, before]) => [...document.querySelectorAll('[data-testid=stMetric]')]
              .filter(m => m.innerText.includes(label))
              .some(m => m.querySelector('[data-testid=stMetricValue]').innerText !== before)""",
        arg=["CSAT", before], timeout=30_000)
    assert _card(page, "CSAT") != before
    page.get_by_role("tab", name="Profitability").click()
    page.wait_for_timeout(1500)
    shot(page, "dashboard_profit")
