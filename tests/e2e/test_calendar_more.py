"""Real browser: a day with more activities than the calendar draws says "+N more", and its list reaches them all."""

import re
from datetime import date, timedelta

from playwright.sync_api import expect

from db.core.permissions import Actor
from db.crm import activities, calendar
from tests.e2e.harness import open_page, pick, shot, wait_idle

FRAME = "iframe[title='streamlit_calendar.calendar']"
PREFIX = "Crowded slot"


def _crowd(db, rep_id: int, day: date, count: int) -> None:
    """``count`` meetings on ``day`` for the rep, 5 minutes apart from 06:00 (UTC, the rep's zone)."""
    if db.execute("SELECT count(*) FROM activities WHERE subject LIKE ?", (PREFIX + "%",)).fetchone()[0]:
        return
    for i in range(count):
        start = f"{day} {6 + i * 5 // 60:02d}:{i * 5 % 60:02d}:00"
        end = f"{day} {6 + (i * 5 + 5) // 60:02d}:{(i * 5 + 5) % 60:02d}:00"
        activities.create(db, {"kind": "meeting", "subject": f"{PREFIX} {i + 1:02d}", "owner_id": rep_id,
                               "starts_at": start, "ends_at": end}, Actor(rep_id, "rep"))


def test_a_crowded_day_says_how_many_more_and_lists_every_one(sign_in_as, db, e2e_db):
    page = sign_in_as("rep")
    email = next(e for e in e2e_db[1] if e.startswith("rep"))  # the rep sign_in_as chose
    rep_id = db.execute("SELECT id FROM users WHERE email = ?", (email,)).fetchone()[0]
    day = date.today() + timedelta(days=1 if date.today().weekday() < 6 else -1)  # in this week's view
    _crowd(db, rep_id, day, 70)
    (day_name, lo, hi), = calendar.day_bounds(day, 1, "UTC")
    total = calendar.day_counts(db, [(day_name, lo, hi)], rep_id, ["call", "meeting", "task"])[day_name]
    assert total >= 70
    open_page(page, "Calendar")
    cal = page.frame_locator(FRAME).last
    more = cal.locator(f"td[data-date='{day}'] .fc-event.more")
    expect(more).to_have_text(f"+{total - 12} more")  # a week column draws 12 activities of a day
    shot(page, "calendar_week_more")
    more.click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_text(f"{total} activities on this day")).to_be_visible()
    pages = -(-total // calendar.PAGE)
    expect(dialog.get_by_text(f"Page 1 of {pages}")).to_be_visible()
    expect(dialog.get_by_role("button", name=f"{PREFIX} 01", exact=True)).to_be_visible()
    shot(page, "calendar_day_list")
    for number in range(2, pages + 1):  # paging re-runs only the dialog
        dialog.get_by_role("button", name="Next").click()
        expect(dialog.get_by_text(f"Page {number} of {pages}")).to_be_visible()
    expect(dialog.get_by_role("button", name="Next")).to_be_disabled()
    last = dialog.get_by_role("button", name=f"{PREFIX} 70", exact=True)
    expect(last).to_be_visible()  # the last activity of the day, which the calendar did not draw
    last.click()
    wait_idle(page)
    opened = page.get_by_role("dialog")
    expect(opened.get_by_label("Subject")).to_have_value(f"{PREFIX} 70")
    opened.get_by_role("button", name="Mark done").click()
    wait_idle(page)
    expect(page.get_by_role("dialog")).to_have_count(0)
    done = db.execute("SELECT done FROM activities WHERE subject = ?", (f"{PREFIX} 70",)).fetchone()[0]
    assert done == 1


def _view(page, name: str) -> None:
    page.locator("button[data-variant=segmented_control]").filter(has_text=re.compile(f"^{name}$")).click()


def test_month_and_day_views_draw_the_range_with_counts(sign_in_as, db):
    page = sign_in_as("manager")
    open_page(page, "Calendar")
    pick(page, page.get_by_label("Whose calendar"), "The team")
    wait_idle(page)
    _view(page, "Month")
    wait_idle(page)
    cal = page.frame_locator(FRAME).last
    expect(cal.locator(".fc-daygrid-day").first).to_be_visible()
    expect(cal.locator(".fc-event").first).to_be_visible()
    shot(page, "calendar_month_team")
    _view(page, "Day")
    wait_idle(page)
    cal = page.frame_locator(FRAME).last
    expect(cal.locator(".fc-timegrid-col").first).to_be_visible()
    shot(page, "calendar_day_team")
