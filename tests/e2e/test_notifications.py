"""Real browser, two people: the manager @mentions the rep in a comment; the rep's sidebar count rises at their next
interaction, and the notification opens the record."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from playwright.sync_api import expect

from db.core import records
from db.core.permissions import Actor
from db.crm import deals
from tests.e2e.harness import eventually, open_page, shot, sign_in, wait_idle


def _context(browser):
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    context.set_default_timeout(20_000)
    return context


def _count(page, word: str = "Notifications") -> int:
    """The unread figure of the sidebar entry (0 when it shows none)."""
    link = page.locator("[data-testid=stSidebar]").get_by_role("link", name=re.compile(word)).first
    found = re.search(r"(\d+)\+?\s*$", link.inner_text().strip())
    return int(found.group(1)) if found else 0


def _more_news(db, rep_id: int, manager_email: str) -> None:
    """The other kinds, through the data layer, so the list shows one of each: a task due soon and one overdue,
    a contact handed over and a deal moved by the manager."""
    uid, name = db.execute("SELECT id, name FROM users WHERE email = ?", (manager_email,)).fetchone()
    manager, rep = Actor(uid, "manager", name), Actor(rep_id, "rep")
    soon = (datetime.now(UTC) + timedelta(minutes=40)).strftime("%Y-%m-%d %H:%M:%S")
    late = (datetime.now(UTC) - timedelta(days=2)).strftime("%Y-%m-%d 09:00:00")
    for subject, due in (("Send the revised quote", soon), ("Chase the signed contract", late)):
        records.create(db, "activities", {"kind": "task", "subject": subject, "due_at": due, "owner_id": rep_id}, rep)
    contact = db.execute("SELECT id, version FROM contacts WHERE owner_id IS NOT ? AND deleted_at IS NULL "
                         "ORDER BY id LIMIT 1", (rep_id,)).fetchone()
    records.update(db, "contacts", contact[0], contact[1], {"owner_id": rep_id}, manager)
    deal = db.execute("SELECT d.id, d.version, s.id FROM deals d JOIN stages s ON s.pipeline_id = d.pipeline_id "
                      "AND s.kind = 'open' AND s.id != d.stage_id AND s.deleted_at IS NULL WHERE d.owner_id = ? "
                      "AND d.deleted_at IS NULL ORDER BY d.id LIMIT 1", (rep_id,)).fetchone()
    deals.move(db, deal[0], deal[2], deal[1], manager)


def test_a_mention_reaches_the_rep_and_opens_the_record(browser, server, e2e_db, db):
    creds = e2e_db[1]
    manager_email = next(e for e in creds if e.startswith("manager"))
    rep_email = next(e for e in creds if e.startswith("rep"))
    rep_id, rep_name = db.execute("SELECT id, name FROM users WHERE email = ?", (rep_email,)).fetchone()
    # A demo contact with a plain name: other tests on this worker add contacts with hostile names.
    cid, first, last = db.execute("SELECT id, first_name, last_name FROM contacts WHERE deleted_at IS NULL "
                                  "AND email LIKE '%@example.com' ORDER BY id DESC LIMIT 1").fetchone()
    _more_news(db, rep_id, manager_email)
    a, b = _context(browser), _context(browser)
    try:
        rep = b.new_page()
        sign_in(rep, server.url, rep_email, creds[rep_email])
        before = _count(rep)

        manager = a.new_page()
        sign_in(manager, server.url, manager_email, creds[manager_email])
        manager.goto(f"{server.url}/contacts?id={cid}")
        manager.get_by_text("Log something").first.wait_for()
        manager.locator("button[data-variant=segmented_control]:visible").filter(has_text="Comment").click()
        manager.get_by_label("Text").fill(f"@{rep_name} please call")
        manager.get_by_role("button", name="Add to the timeline").click()
        wait_idle(manager)
        assert eventually(manager, lambda: db.execute(
            "SELECT COUNT(*) FROM notifications WHERE user_id = ? AND kind = 'mention' AND entity_id = ?",
            (rep_id, cid)).fetchone()[0]) == 1

        open_page(rep, "Contacts")  # any interaction: the sidebar is drawn again from the database
        assert eventually(rep, lambda: _count(rep) >= before + 1), (before, _count(rep))
        shot(rep, "notifications_sidebar")
        rep.locator("[data-testid=stSidebar]").get_by_role("link", name=re.compile("Notifications")).first.click()
        wait_idle(rep)
        rep.get_by_text(re.compile("mentioned you on")).first.wait_for()
        row = rep.locator("[data-testid=stVerticalBlock]").filter(has_text=re.compile("mentioned you on")).filter(
            has=rep.get_by_role("button", name="Open")).last  # the innermost: the notification's own box
        assert "please call" in row.inner_text()
        shot(rep, "notifications_en")

        row.get_by_role("button", name="Open").click()
        rep.get_by_text("Log something").first.wait_for()
        wait_idle(rep)
        assert f"id={cid}" in rep.url
        expect(rep.get_by_role("heading", name=f"{first} {last}").first).to_be_visible()
        # Opening it marked it read (asked of the database: tests on the other worker may notify this rep too).
        assert eventually(rep, lambda: db.execute(
            "SELECT COUNT(*) FROM notifications WHERE user_id = ? AND kind = 'mention' AND entity_id = ? "
            "AND read_at IS NOT NULL", (rep_id, cid)).fetchone()[0]) == 1

        language = db.execute("SELECT language FROM users WHERE id = ?", (rep_id,)).fetchone()[0]
        db.execute("UPDATE users SET language = 'ru' WHERE id = ?", (rep_id,))
        try:
            rep.locator("[data-testid=stSidebar]").get_by_role("link", name=re.compile("Notifications")).first.click()
            wait_idle(rep)
            rep.get_by_text("Только непрочитанные").first.wait_for()
            rep.get_by_text("упомянул(а) вас").first.wait_for()
            shot(rep, "notifications_ru")
        finally:
            db.execute("UPDATE users SET language = ? WHERE id = ?", (language, rep_id))
    finally:
        a.close()
        b.close()
