"""Real browser, a sales day's loose ends: adding in the grids, new records from the search, read-only
record forms, built-in choices in the user's language, phone-width filters."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.e2e.harness import eventually, open_page, shot, wait_idle

SIDEBAR_BOX = ".st-key-global_search_box input"
TOOLBAR = "[data-testid=stElementToolbar]"


def _language(db, role: str, lang: str) -> None:
    uid = db.execute("SELECT id FROM users WHERE role = ? ORDER BY id LIMIT 1", (role,)).fetchone()[0]
    db.execute("UPDATE users SET language = ? WHERE id = ?", (lang, uid))  # every run reads the language
    db.commit()


def test_the_contacts_grid_adds_through_the_dialog_and_campaigns_name_a_half_filled_row(signed_in, db):
    page = signed_in
    open_page(page, "Contacts")
    grid = page.locator("[data-testid=stDataFrame]").first
    grid.hover()
    expect(page.locator(TOOLBAR).first.get_by_role("button", name="Delete row(s)").or_(
        page.locator(TOOLBAR).first.get_by_role("button", name="Search"))).to_be_visible()
    expect(page.locator(TOOLBAR).first.get_by_role("button", name="Add row")).to_have_count(0)  # no add row here
    expect(page.get_by_text("Add a contact with New contact")).to_be_visible()
    open_page(page, "Campaigns")
    grid = page.locator("[data-testid=stDataFrame]").first
    grid.hover()
    page.locator(TOOLBAR).first.get_by_role("button", name="Add row").click()
    wait_idle(page)
    # The new row holds only the default channel: a blank row, nothing to save and nothing to blame.
    expect(page.get_by_role("button", name="Save 0 changes")).to_be_disabled()
    expect(page.get_by_text("(new):")).to_have_count(0)
    # The grid is a canvas: the new row is under the campaigns (35 px rows under a 35 px header), at the bottom
    # when the grid is full; the budget
    # column starts about 530 px in (row marker, ✓, campaign, channel, starts, ends).
    box = grid.bounding_box()
    shown = db.execute("SELECT COUNT(*) FROM campaigns WHERE deleted_at IS NULL").fetchone()[0]
    row_y = min(box["y"] + 35 + shown * 35 + 17, box["y"] + box["height"] - 18)  # a full grid scrolls to it
    page.mouse.dblclick(box["x"] + 571, row_y)
    editor = page.locator("#portal input, #portal textarea").first  # the cell's editor, over the canvas
    editor.wait_for()
    editor.fill("500")  # a budget, and no campaign name
    page.keyboard.press("Tab")
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] + 120)
    wait_idle(page)
    expect(page.get_by_text("(new): Campaign is missing")).to_be_visible()
    expect(page.get_by_role("button", name="Save 0 changes")).to_be_disabled()
    shot(page, "campaigns_half_filled_row")


def test_a_contact_created_from_the_search(signed_in, db):
    page = signed_in
    page.mouse.click(700, 400)
    page.locator(SIDEBAR_BOX).fill("Zorabel Quint")
    page.keyboard.press("Enter")  # enter: it opens the search page
    page.wait_for_url("**/search?q=*")
    wait_idle(page)
    main = page.locator("[data-testid=stMain]")
    expect(main.get_by_text("Nothing found for “Zorabel Quint”")).to_be_visible()
    main.get_by_role("button", name="New contact “Zorabel Quint”").click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_label("First name *")).to_have_value("Zorabel")
    expect(dialog.get_by_label("Last name")).to_have_value("Quint")
    shot(page, "search_new_contact_dialog")
    dialog.get_by_role("button", name="Create").click()
    wait_idle(page)
    expect(page.get_by_text("Contact created.")).to_be_visible()
    shot(page, "search_new_contact_created")
    assert eventually(page, lambda: db.execute("SELECT COUNT(*) FROM contacts WHERE first_name = 'Zorabel' AND "
                                               "last_name = 'Quint' AND deleted_at IS NULL").fetchone()[0]) == 1


def test_a_reps_view_of_someone_elses_deal_is_read_only(sign_in_as, server, db):
    rep = db.execute("SELECT id FROM users WHERE role = 'rep' ORDER BY id LIMIT 1").fetchone()[0]
    deal_id, owner = db.execute("SELECT d.id, u.name FROM deals d JOIN users u ON u.id = d.owner_id WHERE "
                                "d.owner_id != ? AND d.deleted_at IS NULL ORDER BY d.id LIMIT 1", (rep,)).fetchone()
    page = sign_in_as("rep")
    page.goto(f"{server.url}/deals?id={deal_id}")
    wait_idle(page)
    expect(page.get_by_text(f"Read-only: this record belongs to {owner}")).to_be_visible()
    expect(page.locator(f".st-key-deal_{deal_id}_title input")).to_be_disabled()
    expect(page.locator(f".st-key-deal_{deal_id}_amount input")).to_be_disabled()
    expect(page.locator(f".st-key-deal_{deal_id}_close input")).to_be_disabled()
    expect(page.locator(f".st-key-deal_{deal_id}_save button")).to_be_disabled()
    shot(page, "deal_read_only_rep")


def test_built_in_choices_in_bulgarian(sign_in_as, db):
    page = sign_in_as("manager")
    try:
        _language(db, "manager", "bg")
        open_page(page, "Contacts")  # the click's run reads the language: the page answers in Bulgarian
        expect(page.get_by_role("heading", name="Контакти")).to_be_visible()
        page.locator(".st-key-c_channel").get_by_role("combobox").click()
        expect(page.get_by_role("option", name="Платено търсене")).to_be_visible()  # stored as "paid search"
        page.keyboard.press("Escape")
        shot(page, "contacts_bg_1440")
    finally:
        _language(db, "manager", "en")


def test_phone_width_folds_the_filters(signed_in, server, db):
    page = signed_in
    page.set_viewport_size({"width": 390, "height": 844})
    try:
        open_page_narrow(page, server, "/contacts")
        folded = page.locator("[data-testid=stExpander]").filter(has_text="Filters").first
        expect(folded).to_be_visible()
        expect(page.locator(".st-key-c_search input")).to_be_hidden()  # the grid, not ten inputs, on screen one
        shot(page, "contacts_390")
        folded.locator("summary").click()
        expect(page.locator(".st-key-c_search input")).to_be_visible()
        open_page_narrow(page, server, "/deals")
        expect(page.locator("[data-testid=stExpander]").filter(has_text="Filters").first).to_be_visible()
        expect(page.locator(".st-key-d_pipeline")).to_be_visible()  # the pipeline chooses the board: it stays out
        shot(page, "deals_390")
        open_page_narrow(page, server, "/dashboard")
        expect(page.locator("[data-testid=stExpander]").filter(has_text="Filters").first).to_be_visible()
        shot(page, "dashboard_390")
        contact = db.execute("SELECT id FROM contacts WHERE deleted_at IS NULL ORDER BY id LIMIT 1").fetchone()[0]
        open_page_narrow(page, server, f"/contacts?id={contact}")
        expect(page.locator("[data-testid=stExpander]").filter(has_text="Figures").first).to_be_visible()
        shot(page, "contact_record_390")
    finally:
        page.set_viewport_size({"width": 1440, "height": 900})


def open_page_narrow(page, server, path: str) -> None:
    """A full load: the page first draws wide, then folds once the browser has said it is phone-width."""
    page.goto(server.url + path)
    wait_idle(page)
    page.wait_for_function("() => window.__crmNarrow === true")
    wait_idle(page)
