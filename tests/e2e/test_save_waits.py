"""Real browser: a grid save while another connection holds the write lock (as an import does) shows a
"waiting" notice, not an error, and saves once the lock is free."""

import threading

from db.core.connection import connect
from tests.e2e.harness import eventually, open_page, shot, wait_idle

ROW = 35  # glide data grid row height


def test_a_save_waits_for_an_import_and_then_saves(signed_in, db, e2e_db):
    page = signed_in
    open_page(page, "Contacts")
    grid = page.locator("[data-testid=stDataFrame]").first
    grid.wait_for()
    page.locator("#glide-cell-3-0").wait_for(state="attached")
    page.wait_for_timeout(800)
    box = grid.bounding_box()
    page.mouse.dblclick(box["x"] + 230, box["y"] + ROW + ROW / 2)
    editor = page.locator(".gdg-growing-entry textarea, textarea.gdg-input").first
    editor.wait_for()
    editor.fill("Waited")
    page.keyboard.press("Enter")  # enter: the grid's cell editor closes on it
    page.wait_for_timeout(500)

    taken, release = threading.Event(), threading.Event()

    def hold():  # another session's long write
        c = connect(e2e_db[0])
        c.execute("BEGIN IMMEDIATE")
        taken.set()
        release.wait(20)
        c.execute("COMMIT")
        c.close()

    holder = threading.Thread(target=hold)
    holder.start()
    assert taken.wait(5)
    try:
        page.get_by_role("button", name="Save 1 change").click()
        toast = page.get_by_text("Waiting for another change").first
        toast.wait_for(timeout=10_000)
        shot(page, "contacts_save_waiting")
        assert not page.locator("[data-testid=stException]").count()
        assert not db.execute("SELECT COUNT(*) FROM contacts WHERE first_name = 'Waited'").fetchone()[0]
    finally:
        release.set()
        holder.join()
    wait_idle(page)
    saved = eventually(page, lambda: db.execute("SELECT COUNT(*) FROM contacts WHERE first_name = 'Waited'"
                                                ).fetchone()[0])
    shot(page, "contacts_save_waited")
    assert saved == 1
    assert not page.locator("[data-testid=stAlertContentError]").count()
