"""Real browser: drag a deal card to another column and find the new stage in the database."""

from playwright.sync_api import expect

from tests.e2e.harness import enter_text, eventually, open_page, pick, shot, wait_idle


def test_drag_a_card_to_another_stage(signed_in, db):
    page = signed_in
    open_page(page, "Deals")
    column = page.locator("[data-testid=kanban-column]")
    column.first.wait_for()
    source = column.nth(0)
    card = source.locator("[data-testid=kanban-card]").first
    card.wait_for()
    deal_id = int(card.get_attribute("data-deal-id"))
    target = column.nth(1)
    target_stage = int(target.get_attribute("data-stage-id"))
    shot(page, "deals_board")
    card.drag_to(target, target_position={"x": 120, "y": 30})  # drop on the column header
    wait_idle(page)
    for _ in range(40):
        stage = db.execute("SELECT stage_id FROM deals WHERE id = ?", (deal_id,)).fetchone()[0]
        if stage == target_stage:
            break
        page.wait_for_timeout(250)
    assert stage == target_stage
    moves = db.execute("SELECT COUNT(*) FROM deal_stage_history WHERE deal_id = ? AND to_stage_id = ?",
                       (deal_id, target_stage)).fetchone()[0]
    assert moves == 1
    wait_idle(page)
    shot(page, "deals_after_move")


FOCUSED = """() => { let a = document.activeElement;
  while (a && a.shadowRoot && a.shadowRoot.activeElement) a = a.shadowRoot.activeElement;
  return a ? {testid: a.getAttribute('data-testid'), deal: a.dataset.dealId || null, text: a.textContent,
              role: a.getAttribute('role')} : null; }"""


def _focused(page):
    return page.evaluate(FOCUSED)


def _tab_until(page, testid, limit=120):
    for _ in range(limit):
        page.keyboard.press("Tab")
        got = _focused(page)
        if got and got["testid"] == testid:
            return got
    raise AssertionError(f"Tab never reached {testid}")


def test_keyboard_only_move_to_won(signed_in, db):
    """Tab to a card, open its move menu, choose Won, confirm: the deal is won on the board and in the database."""
    page = signed_in
    open_page(page, "Deals")
    page.locator("[data-testid=kanban-card]").first.wait_for()
    page.get_by_test_id("stMainBlockContainer").get_by_role("textbox", name="Search").focus()  # start from the filters; everything after is the keyboard
    first = _tab_until(page, "kanban-card")
    page.keyboard.press("ArrowDown")  # arrows walk the cards
    second = _focused(page)
    assert second["testid"] == "kanban-card" and second["deal"] != first["deal"]
    page.keyboard.press("ArrowUp")
    card = _focused(page)
    assert card["deal"] == first["deal"]
    deal_id = int(card["deal"])
    title = db.execute("SELECT title FROM deals WHERE id = ?", (deal_id,)).fetchone()[0]
    won = db.execute("SELECT s.id, s.name FROM stages s JOIN deals d ON d.pipeline_id = s.pipeline_id "
                     "WHERE d.id = ? AND s.kind = 'won'", (deal_id,)).fetchone()
    page.keyboard.press("Tab")
    assert _focused(page)["testid"] == "kanban-move"
    page.keyboard.press("Enter")
    menu = page.get_by_role("menu")
    menu.wait_for()
    assert _focused(page)["role"] == "menuitem"
    shot(page, "deals_move_menu")
    for _ in range(12):
        if _focused(page)["text"] == won["name"]:
            break
        page.keyboard.press("ArrowDown")
    assert _focused(page)["text"] == won["name"]
    page.keyboard.press("Enter")
    wait_idle(page)
    confirm = page.get_by_role("button", name="Confirm the move")
    confirm.wait_for()
    expect(page.get_by_text(f"Won: {title}").first).to_be_visible()
    confirm.focus()
    page.keyboard.press("Enter")
    wait_idle(page)
    got = eventually(page, lambda: db.execute("SELECT stage_id FROM deals WHERE id = ?", (deal_id,)).fetchone()[0]
                     == won["id"])
    assert got
    shot(page, "deals_after_keyboard_move")
    page.get_by_text(f"Moved “{title}” to {won['name']}.").wait_for()
    won_col = page.locator(f"[data-testid=kanban-column][data-stage-id='{won['id']}']")
    won_col.locator(f"[data-testid=kanban-card][data-deal-id='{deal_id}']").wait_for()
    assert eventually(page, lambda: (_focused(page) or {}).get("deal") == str(deal_id))  # focus follows the card
    shot(page, "deals_moved_notice")


def test_reps_locked_cards_cannot_be_dragged(sign_in_as, db):
    page = sign_in_as("rep")
    rep = db.execute("SELECT id FROM users WHERE role = 'rep' ORDER BY id LIMIT 1").fetchone()[0]
    open_page(page, "Deals")
    page.locator("[data-testid=kanban-card]").first.wait_for()
    locked = page.locator("[data-testid=kanban-card].locked").first
    locked.wait_for()
    deal_id = int(locked.get_attribute("data-deal-id"))
    owner, stage = db.execute("SELECT owner_id, stage_id FROM deals WHERE id = ?", (deal_id,)).fetchone()
    assert owner != rep
    assert locked.get_attribute("draggable") == "false"
    slot = locked.locator("xpath=..")
    expect(slot.locator("[data-testid=kanban-lock]")).to_have_count(1)
    expect(slot.locator("[data-testid=kanban-move]")).to_have_count(0)
    own = page.locator("[data-testid=kanban-card]:not(.locked)").first
    assert own.get_attribute("draggable") == "true"
    assert db.execute("SELECT owner_id FROM deals WHERE id = ?", (int(own.get_attribute("data-deal-id")),)
                      ).fetchone()[0] == rep
    target = page.locator("[data-testid=kanban-column]").nth(1)
    if int(target.get_attribute("data-stage-id")) == stage:
        target = page.locator("[data-testid=kanban-column]").nth(2)
    locked.drag_to(target, target_position={"x": 120, "y": 30})
    wait_idle(page)
    page.wait_for_timeout(500)
    assert db.execute("SELECT stage_id FROM deals WHERE id = ?", (deal_id,)).fetchone()[0] == stage
    shot(page, "deals_rep_locked")
    locked.focus()
    page.keyboard.press("Enter")  # a locked card still opens
    wait_idle(page)
    page.get_by_role("tab", name="Stage history").wait_for()
    stage_field = page.get_by_label("Stage", exact=True)
    expect(stage_field).to_be_disabled()
    shot(page, "deal_detail_rep_locked")


DRAG_START = """(card) => { const dt = new DataTransfer();
  card.dispatchEvent(new DragEvent('dragstart', {bubbles: true, dataTransfer: dt})); }"""


def test_won_and_lost_drop_zones_show_while_dragging(signed_in, db):
    """At 1440 px the Won and Lost columns are off to the right; while a card is dragged fixed drop zones for
    them sit at the bottom of the screen, inside the window, and dropping there moves the deal (won: asks first)."""
    page = signed_in
    open_page(page, "Deals")
    card = page.locator("[data-testid=kanban-card]:not(.locked)").first
    card.wait_for()
    deal_id = int(card.get_attribute("data-deal-id"))
    zones = page.locator("[data-testid=kanban-drop-zone]")
    expect(zones.first).to_be_hidden()
    card.evaluate(DRAG_START)
    zones.first.wait_for()
    for i in range(zones.count()):
        box = zones.nth(i).bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 1440 and box["y"] + box["height"] <= 900, box
    shot(page, "deals_drop_zones")
    lost = zones.filter(has_text="Lost")
    lost_id = int(lost.get_attribute("data-stage-id"))
    card.evaluate("(card) => card.dispatchEvent(new DragEvent('dragend', {bubbles: true}))")
    expect(lost).to_be_hidden()
    box = card.bounding_box()  # a real drag: the zones appear after dragstart and take the drop
    page.mouse.move(box["x"] + 40, box["y"] + 20)
    page.mouse.down()
    page.mouse.move(box["x"] + 60, box["y"] + 40, steps=4)
    lost.wait_for()
    target = lost.bounding_box()
    page.mouse.move(target["x"] + target["width"] / 2, target["y"] + target["height"] / 2, steps=8)
    page.mouse.up()
    wait_idle(page)
    page.get_by_text("Why was it lost?").wait_for()
    page.get_by_role("button", name="Cancel").click()
    wait_idle(page)
    assert db.execute("SELECT stage_id FROM deals WHERE id = ?", (deal_id,)).fetchone()[0] != lost_id


def test_board_screens_narrow_and_russian(sign_in_as, db):
    """Screenshots: 390 px wide in English, then the manager's board in Russian at 1440 and 390 px."""
    uid = db.execute("SELECT id FROM users WHERE role = 'manager' ORDER BY id LIMIT 1").fetchone()[0]
    try:
        page = sign_in_as("manager")
        db.execute("UPDATE users SET language = 'ru' WHERE id = ?", (uid,))  # every run reads the language
        db.commit()
        open_page(page, "Deals")
        page.locator("[data-testid=kanban-card]").first.wait_for()
        expect(page.get_by_text("Нет следующего шага").first).to_be_visible()
        shot(page, "deals_board_ru")
        page.locator("[data-testid=kanban-move]").first.click()
        page.get_by_role("menu").wait_for()
        shot(page, "deals_move_menu_ru")
        page.keyboard.press("Escape")
        page.set_viewport_size({"width": 390, "height": 844})
        wait_idle(page)
        page.locator("[data-testid=kanban-card]").first.scroll_into_view_if_needed()
        shot(page, "deals_board_ru_390")
        db.execute("UPDATE users SET language = 'en' WHERE id = ?", (uid,))
        db.commit()
        page.reload()
        page.locator("[data-testid=kanban-card]").first.wait_for()
        wait_idle(page)
        page.locator("[data-testid=kanban-card]").first.scroll_into_view_if_needed()
        shot(page, "deals_board_390")
    finally:
        db.execute("UPDATE users SET language = 'en' WHERE id = ?", (uid,))
        db.commit()


def test_new_deal_dialog(signed_in, db):
    """From the header button: the title's message under the field, the lookalike warning, then the deal."""
    page = signed_in
    twin = db.execute("SELECT d.title, c.first_name, c.last_name FROM deals d JOIN stages s ON s.id = d.stage_id "
                      "JOIN contacts c ON c.id = d.contact_id WHERE s.kind = 'open' AND d.deleted_at IS NULL "
                      "AND c.deleted_at IS NULL AND d.pipeline_id = 1 ORDER BY d.id LIMIT 1").fetchone()
    before = db.execute("SELECT COUNT(*) FROM deals WHERE title = ?", (twin[0],)).fetchone()[0]
    open_page(page, "Deals")
    page.get_by_role("button", name="New deal").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_role("button", name="Create deal").click()
    wait_idle(page)
    dialog.get_by_text("Title is required.").wait_for()
    dialog.get_by_label("Title *").fill(twin[0].upper())
    enter_text(page, dialog.get_by_label("Contact (search)"), f"{twin[1]} {twin[2]}")
    pick(page, dialog.get_by_label("Contact", exact=True),
         page.get_by_role("option").filter(has_text=f"{twin[1]} {twin[2]}"))
    wait_idle(page)
    dialog.get_by_role("button", name="Create deal").click()
    wait_idle(page)
    dialog.get_by_text("An open deal with this title already exists").wait_for()
    shot(page, "new_deal_lookalike")
    assert db.execute("SELECT COUNT(*) FROM deals WHERE title = ?", (twin[0].upper(),)).fetchone()[0] == 0
    dialog.get_by_role("button", name="Create deal").click()  # create anyway
    wait_idle(page)
    page.get_by_text("Deal created.").wait_for()
    assert eventually(page, lambda: db.execute("SELECT COUNT(*) FROM deals WHERE title = ?", (twin[0].upper(),)
                                               ).fetchone()[0]) == 1
    assert db.execute("SELECT COUNT(*) FROM deals WHERE title = ?", (twin[0],)).fetchone()[0] == before
    shot(page, "new_deal_created")


def test_deals_opened_by_url_in_a_new_tab_shows_the_board_and_the_forecast(signed_in, server):
    """A link opened in a new tab (a fresh session, signed in by the cookie) draws the board with the forecast
    folded under it; opened, the forecast is a Vega-Lite chart, so the tab never loads plotly's library
    (docs/bench.md)."""
    tab = signed_in.context.new_page()
    try:
        tab.goto(server.url + "/deals")
        tab.locator("[data-testid=kanban-card]").first.wait_for()
        wait_idle(tab)
        chart = tab.locator("[data-testid=stVegaLiteChart]")
        expect(chart).to_have_count(0)  # folded: not read, not drawn
        tab.locator("[data-testid=stExpander] summary", has_text="Weighted forecast").click()
        expect(chart).to_have_count(1)
        chart.locator("canvas, svg").first.wait_for()
        expect(tab.locator(".js-plotly-plot")).to_have_count(0)
        assert tab.evaluate("() => performance.getEntriesByType('resource').map((r) => r.name)"
                            ".filter((n) => /plotly/i.test(n))") == []  # the library is not even fetched
    finally:
        tab.close()
