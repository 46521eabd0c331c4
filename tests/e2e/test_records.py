"""Real browser: on a contact record, logging a call offers the next step; saved, it is the record's next step and
is stored in UTC from the user's time zone. The header's mailto:/tel: links carry the stored values. Screenshots of
both records at 1440 px (English and Russian) and 390 px."""

from datetime import UTC, datetime, timedelta
from urllib.parse import quote
from zoneinfo import ZoneInfo

from playwright.sync_api import expect

from tests.e2e.harness import eventually, shot, wait_idle

ZONE = "America/New_York"


def _contact(db):
    return db.execute("SELECT id, email, phone, company_id FROM contacts WHERE email LIKE '%@%' AND phone LIKE '+%' "
                      "AND company_id IS NOT NULL AND deleted_at IS NULL ORDER BY id LIMIT 1").fetchone()


def _loaded(page):
    """After a full page load: the run is over and the lazily loaded widgets have replaced their skeletons."""
    page.locator("[data-testid=stMetric]").first.wait_for(state="attached")  # folded (hidden) on a phone
    wait_idle(page)
    assert eventually(page, lambda: page.locator("[data-testid=stSkeleton]").count() == 0)


def test_log_a_call_then_plan_the_next_step(signed_in, server, db):
    page = signed_in
    uid = db.execute("SELECT id FROM users WHERE email = 'admin@demo.example'").fetchone()[0]
    db.execute("UPDATE users SET timezone = ? WHERE id = ?", (ZONE, uid))
    try:
        cid, email, phone, _ = _contact(db)
        page.goto(f"{server.url}/contacts?id={cid}")
        _loaded(page)
        mail = page.locator(f'a[href="mailto:{quote(email, safe="@")}"]')
        tel = page.locator(f'a[href="tel:{phone}"]')
        expect(mail).to_have_count(1)
        expect(tel).to_have_count(1)
        assert mail.inner_text().replace("\u2060", "").strip() == email  # esc's invisible joiner after the @
        assert tel.inner_text().strip() == phone
        page.locator(f".st-key-contact_{cid}_log_kind").get_by_role("radio", name="Call", exact=True).click()
        page.get_by_label("Text").fill("Discussed the renewal, wants a quote")
        page.get_by_role("button", name="Add to the timeline").click()
        wait_idle(page)
        offer = page.locator(f".st-key-contact_{cid}_ns_offer")  # beside the log form, where the user looks
        offer.get_by_text("Logged. Plan the next step?").wait_for()
        expect(offer).to_be_visible()
        subject = offer.get_by_label("Subject")
        assert subject.input_value() == "Follow up: Discussed the renewal, wants a quote"
        shot(page, "record_next_step_offered")
        offer.get_by_role("button", name="Save next step").click()
        wait_idle(page)
        header = page.locator(f"[class*='st-key-contact_{cid}_next_step']")
        header.get_by_text("Follow up: Discussed the renewal").wait_for()
        assert "Next step" in header.inner_text()
        row = eventually(page, lambda: db.execute(
            "SELECT kind, due_at, owner_id, done FROM activities WHERE contact_id = ? AND subject = ?",
            (cid, "Follow up: Discussed the renewal, wants a quote")).fetchone())
        local_tomorrow = datetime.now(UTC).astimezone(ZoneInfo(ZONE)).date() + timedelta(days=1)
        expected = datetime(local_tomorrow.year, local_tomorrow.month, local_tomorrow.day, 10,
                            tzinfo=ZoneInfo(ZONE)).astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")
        assert tuple(row) == ("task", expected, uid, 0)
        shot(page, "record_contact_1440_en")
    finally:
        db.execute("UPDATE users SET timezone = 'UTC' WHERE id = ?", (uid,))


def test_record_screenshots(signed_in, server, db):
    page = signed_in
    cid, _, _, company = _contact(db)
    uid = db.execute("SELECT id FROM users WHERE email = 'admin@demo.example'").fetchone()[0]
    for width, lang in ((1440, "en"), (1440, "ru"), (390, "en")):
        db.execute("UPDATE users SET language = ? WHERE id = ?", (lang, uid))
        page.set_viewport_size({"width": width, "height": 900})
        try:
            for name, url in (("contact", f"/contacts?id={cid}"), ("company", f"/companies?id={company}")):
                page.goto(server.url + url)
                _loaded(page)
                assert page.locator("[data-testid=stException]").count() == 0
                shot(page, f"record_{name}_{width}_{lang}")
        finally:
            db.execute("UPDATE users SET language = 'en' WHERE id = ?", (uid,))
    page.goto(f"{server.url}/companies?id={company}")
    _loaded(page)
    page.get_by_role("button", name="Schedule next step").click()
    wait_idle(page)
    page.get_by_role("button", name="Save next step").wait_for()
    shot(page, "record_company_plan_form")


def test_grid_has_read_only_mail_and_call_columns_beside_the_editable_ones(signed_in, db):
    from tests.e2e.harness import open_page

    page = signed_in
    open_page(page, "Contacts")
    page.locator("#glide-cell-6-0").wait_for(state="attached")
    page.wait_for_timeout(800)
    # Column order: row marker, ✓, ↗, first name, last name, email, ✉, phone, ☎ (the canvas's accessible copy).
    cells = [page.locator(f"#glide-cell-{c}-0").inner_text().strip() for c in (5, 6, 7, 8)]
    email, phone = cells[0], cells[2]
    # The accessible copy carries the link's href (the canvas paints ✉ / ☎).
    assert "@" in email and cells[1] == f"mailto:{quote(email, safe='@')}"
    assert cells[3] == (f"tel:{phone}" if phone.startswith("+") else "")
    shot(page, "contacts_grid_links")
