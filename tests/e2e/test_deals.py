"""Real browser: drag a deal card to another column and find the new stage in the database."""

from tests.e2e.harness import open_page, shot, wait_idle


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
