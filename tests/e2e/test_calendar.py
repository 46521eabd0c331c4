"""Real browser: select a range in the week view, save the dialog, then drag the event to another time."""

from datetime import date

from tests.e2e.harness import open_page, shot, wait_idle

FRAME = "iframe[title='streamlit_calendar.calendar']"


def _drag(page, start, end, steps=8):
    page.mouse.move(*start)
    page.mouse.down()
    page.mouse.move(start[0], start[1] + 3)  # a small first move, then the real one
    page.mouse.move(*end, steps=steps)
    page.mouse.up()


def _centre(box, dy=0):
    return box["x"] + box["width"] / 2, box["y"] + box["height"] / 2 + dy


def test_select_to_create_then_drag_to_reschedule(sign_in_as, db):
    page = sign_in_as("rep")
    open_page(page, "Calendar")
    cal = page.frame_locator(FRAME).last
    today = date.today().isoformat()
    column = cal.locator(f"td.fc-timegrid-col[data-date='{today}']")
    column.wait_for()
    col_box = column.bounding_box()
    ten = cal.locator("td.fc-timegrid-slot-lane[data-time='10:00:00']").bounding_box()
    eleven = cal.locator("td.fc-timegrid-slot-lane[data-time='10:30:00']").bounding_box()
    x = col_box["x"] + col_box["width"] / 2
    _drag(page, (x, ten["y"] + 4), (x, eleven["y"] + eleven["height"] - 4))
    row = None
    for attempt in range(3):  # a rerun can re-mount the dialog under a click: retry, then ask the database
        dialog = page.get_by_role("dialog")
        dialog.get_by_label("Subject").first.wait_for()
        dialog.get_by_label("Subject").first.fill("Browser planned demo")
        if attempt == 0:
            shot(page, "calendar_dialog")
        dialog.get_by_role("button", name="Save").first.click()
        wait_idle(page)
        for _ in range(20):
            row = db.execute("SELECT id, starts_at, ends_at FROM activities WHERE subject = 'Browser planned demo'"
                             ).fetchone()
            if row:
                break
            page.wait_for_timeout(250)
        if row or page.get_by_role("dialog").count() == 0:
            break
    assert row and row["starts_at"] == f"{today} 10:00:00" and row["ends_at"] == f"{today} 11:00:00"  # rep is UTC
    cal = page.frame_locator(FRAME).last  # the calendar is re-mounted after a save; the old frame may linger
    event = cal.locator(".fc-event", has_text="Browser planned demo")
    event.wait_for()
    shot(page, "calendar_week")
    one_pm = cal.locator("td.fc-timegrid-slot-lane[data-time='13:00:00']").bounding_box()
    ev_box = event.bounding_box()
    _drag(page, (ev_box["x"] + ev_box["width"] / 2, ev_box["y"] + 6), (ev_box["x"] + ev_box["width"] / 2,
                                                                         one_pm["y"] + 6), steps=12)
    wait_idle(page)
    for _ in range(40):
        moved = db.execute("SELECT starts_at FROM activities WHERE id = ?", (row["id"],)).fetchone()[0]
        if moved != row["starts_at"]:
            break
        page.wait_for_timeout(250)
    assert moved == f"{today} 13:00:00"
