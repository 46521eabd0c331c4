"""Real browser: a language chosen on the Account page reaches the calendar's toolbar, day names and times."""

from tests.e2e.harness import open_page, pick, shot, wait_idle

FRAME = "iframe[title='streamlit_calendar.calendar']"


def test_account_language_reaches_the_calendar(sign_in_as, db):
    page = sign_in_as("manager")
    uid = db.execute("SELECT id FROM users WHERE role = 'manager' ORDER BY id LIMIT 1").fetchone()[0]
    try:
        open_page(page, "Account")
        form = page.locator("[data-testid=stForm]").filter(has_text="Time zone")
        pick(page, form.get_by_role("combobox").first, "Русский")
        form.get_by_role("button", name="Save").click()
        wait_idle(page)
        page.get_by_role("heading", name="Профиль").wait_for()
        open_page(page, "Календарь")
        page.locator("[data-testid=stMain]").get_by_role("button", name="Сегодня").wait_for()  # the page's toolbar
        cal = page.frame_locator(FRAME).last
        cal.locator("th.fc-col-header-cell").first.wait_for()
        headers = cal.locator("th.fc-col-header-cell").all_inner_texts()
        assert headers[0].lower().startswith("пн"), headers  # the week starts on Monday, day names in Russian
        assert cal.locator("td.fc-timegrid-slot-label[data-time='13:00:00']").inner_text().strip() == "13:00"
        shot(page, "calendar_ru")
        assert db.execute("SELECT language FROM users WHERE id = ?", (uid,)).fetchone()[0] == "ru"
    finally:
        db.execute("UPDATE users SET language = 'en' WHERE id = ?", (uid,))
