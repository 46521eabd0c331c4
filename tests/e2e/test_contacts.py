"""Real browser: edit a cell of the contacts grid and see it in the database; log a note on a record."""

from playwright.sync_api import expect

from tests.e2e.harness import open_page, shot, wait_idle

ROW = 35  # glide data grid row height


def test_edit_a_cell_in_the_grid(signed_in, db):
    page = signed_in
    open_page(page, "Contacts")
    grid = page.locator("[data-testid=stDataFrame]").first
    grid.wait_for()
    page.locator("#glide-cell-3-0").wait_for(state="attached")
    page.wait_for_timeout(800)
    first_row = page.locator("#glide-cell-3-0").inner_text()  # accessible copy of the canvas: column 3 = first name
    box = grid.bounding_box()
    # Column order: row marker, ✓, ↗, First name... The first-name column starts about 190 px in.
    page.mouse.dblclick(box["x"] + 230, box["y"] + ROW + ROW / 2)
    editor = page.locator(".gdg-growing-entry textarea, textarea.gdg-input").first
    editor.wait_for()
    editor.fill("Zelda")
    page.keyboard.press("Enter")  # enter: the grid's cell editor closes on it
    page.wait_for_timeout(500)
    page.get_by_role("button", name="Save 1 change").click()
    wait_idle(page)
    saved = 0
    for _ in range(60):  # the confirmation is a toast that may be gone under load: ask the database
        saved = db.execute("SELECT COUNT(*) FROM contacts WHERE first_name = 'Zelda'").fetchone()[0]
        if saved:
            break
        page.wait_for_timeout(250)
    page.get_by_text("Saved: 1 change.").wait_for()  # the confirmation stays on the page after the rerun
    shot(page, "contacts_saved")
    assert saved == 1
    assert first_row != "Zelda"


def test_record_deep_link_and_log_a_note(signed_in, server, db):
    page = signed_in
    cid = db.execute("SELECT id FROM contacts WHERE lifecycle = 'customer' ORDER BY id LIMIT 1").fetchone()[0]
    page.goto(f"{server.url}/contacts?id={cid}")
    page.get_by_text("Log something").first.wait_for()
    page.get_by_label("Text").fill("Asked for a quote <script>alert(1)</script>")
    page.get_by_role("button", name="Add to the timeline").click()
    wait_idle(page)
    page.get_by_text("Asked for a quote").first.wait_for()
    shot(page, "contact_record")
    assert db.execute("SELECT COUNT(*) FROM activities WHERE contact_id = ? AND notes LIKE 'Asked for a quote%'",
                      (cid,)).fetchone()[0] == 1


def _upload(page, tmp_path, name: str, content: bytes):
    path = tmp_path / name
    path.write_bytes(content)
    page.get_by_text("Import contacts from CSV or Excel").click()
    page.locator("[data-testid=stFileUploader] input[type=file]").first.set_input_files(str(path))
    wait_idle(page)


def test_upload_a_csv_and_see_the_rows(signed_in, db, tmp_path):
    page = signed_in
    open_page(page, "Contacts")
    _upload(page, tmp_path, "people.csv",
            b"Given Name,Surname,E-mail Address\nUploaded,Person,uploaded.person@import.io\n"
            b"Second,Person,second.person@import.io\n")
    page.get_by_role("button", name="Import 2 contacts").click()
    wait_idle(page)
    imported = 0
    for _ in range(80):
        imported = db.execute("SELECT COUNT(*) FROM contacts WHERE email LIKE '%@import.io'").fetchone()[0]
        if imported:
            break
        page.wait_for_timeout(250)
    shot(page, "contacts_import")
    assert imported == 2


def test_a_bad_csv_gives_the_message_and_changes_nothing(signed_in, db, tmp_path):
    page = signed_in
    before = db.execute("SELECT COUNT(*) FROM contacts").fetchone()[0]
    open_page(page, "Contacts")
    _upload(page, tmp_path, "bad.csv", b"First Name,Email\n,missing.name@import.io\nOk,not-an-email\n")
    page.get_by_text("2 rows have problems.").first.wait_for()
    shot(page, "contacts_import_bad")
    expect(page.get_by_role("button", name="Import 0 contacts")).to_have_count(0)
    assert db.execute("SELECT COUNT(*) FROM contacts").fetchone()[0] == before
