"""Real browser: the Admin page's Webhooks and Web forms tabs and the Account page's calendar feed, used as an
administrator would, with the server's own webhook worker posting to a receiver in this process."""

from __future__ import annotations

import re
import urllib.request

from playwright.sync_api import expect

from db.core.permissions import Actor
from db.crm import contacts, webhooks
from tests.e2e.harness import eventually, open_page, pick, shot, wait_idle
from tests.integrations.receiver import Receiver


def test_admin_registers_a_webhook_and_reads_the_delivery_log(signed_in, db):
    page = signed_in
    receiver, refusing = Receiver(), Receiver()
    refusing.answers = [500]
    try:
        open_page(page, "Admin")
        page.get_by_role("tab", name="Webhooks").click()
        wait_idle(page)
        page.get_by_text("Add endpoint").first.click()
        form = page.locator("[data-testid=stForm]").filter(has_text="Add endpoint")
        form.get_by_role("textbox", name="Name").fill("Accounting sync")
        form.get_by_role("textbox", name="URL").fill(receiver.url)
        pick(page, form.get_by_label("Events"), "Contact created")
        page.keyboard.press("Escape")
        form.get_by_role("button", name="Add endpoint").click()
        wait_idle(page)
        expect(page.get_by_text("copy it now, it is not shown again")).to_be_visible()
        secret = page.locator("[data-testid=stCode]").first.inner_text().strip()
        assert secret.startswith("whsec_")
        admin_id = db.execute("SELECT id FROM users WHERE email = 'admin@demo.example'").fetchone()[0]
        admin = Actor(admin_id, "admin", "Admin")
        webhooks.create_endpoint(db, {"name": "Old ERP", "url": refusing.url, "events": ["contact.created"]}, admin)
        contacts.create(db, {"first_name": "Webhook", "last_name": "Demo", "email": "webhook.demo@example.com"}, admin)
        assert eventually(page, lambda: receiver.events("contact.created") and refusing.events(), timeout=30)
        sent = receiver.events("contact.created")[0]
        assert sent["json"]["data"]["email"] == "webhook.demo@example.com"
        page.get_by_role("tab", name="Web forms").click()  # leave and come back: the log is read afresh
        page.get_by_role("tab", name="Webhooks").click()
        page.reload()
        wait_idle(page)
        page.get_by_role("tab", name="Webhooks").click()
        wait_idle(page)
        expect(page.get_by_text("Delivery log")).to_be_visible()
        expect(page.get_by_role("button", name=re.compile(r"Send again \(0\)"))).to_be_disabled()
        shot(page, "admin_webhooks")
        log = page.locator("[data-testid=stDataFrame]").last
        log.scroll_into_view_if_needed()
        page.wait_for_timeout(500)
        shot(page, "admin_webhooks_log")
        box = log.bounding_box()
        page.mouse.click(box["x"] + 12, box["y"] + 35 + 17)  # the newest row's selection box
        wait_idle(page)
        page.get_by_role("button", name=re.compile(r"Send again \(1\)")).click()
        wait_idle(page)
        expect(page.get_by_text("1 delivery queued again.")).to_be_visible()
        shot(page, "admin_webhooks_send_again")
    finally:
        receiver.close()
        refusing.close()


def test_admin_creates_a_web_form_and_copies_its_snippet(signed_in, db, server):
    page = signed_in
    open_page(page, "Admin")
    page.get_by_role("tab", name="Web forms").click()
    wait_idle(page)
    page.get_by_text("New form").first.click()
    form = page.locator("[data-testid=stForm]").filter(has_text="New form")
    form.get_by_role("textbox", name="Name").fill("Contact us page")
    form.get_by_role("textbox", name="Tags").fill("website")
    form.get_by_role("button", name="New form").click()
    wait_idle(page)
    expect(page.get_by_text("Form created: copy its snippet below.")).to_be_visible()
    page.get_by_text("Contact us page").first.click()
    wait_idle(page)
    code = page.locator("[data-testid=stCode]").filter(has_text="<form action=").first
    expect(code).to_be_visible()
    action = re.search(r'action="([^"]+)"', code.inner_text()).group(1)
    assert action.startswith(server.url + "/forms/")
    shot(page, "admin_web_forms")
    with urllib.request.urlopen(action, timeout=10) as hosted:  # the hosted copy answers
        assert "Contact us page" in hosted.read().decode()


def test_account_page_gives_a_calendar_feed_url_once(signed_in, server):
    page = signed_in
    open_page(page, "Account")
    expect(page.get_by_text("Calendar feed")).to_be_visible()
    page.get_by_role("button", name="New URL").first.click()
    wait_idle(page)
    expect(page.get_by_text("it is shown only once")).to_be_visible()
    code = page.locator("[data-testid=stCode]").filter(has_text="/feeds/").first
    code.scroll_into_view_if_needed()
    url = code.inner_text().strip()
    with urllib.request.urlopen(url, timeout=10) as feed:
        assert feed.read().startswith(b"BEGIN:VCALENDAR")
    shot(page, "account_calendar_feed")
