"""Real browser: an admin adds a single-choice field (with a default) and a number field to deals on
Admin → Fields; a rep sees the default in the New deal dialog and fills both on the deal form opened from the
board. Screenshots of the Fields tab (en, ru), a record page with fields and the deal form, at 1440 and 390 px."""

from playwright.sync_api import expect

from db.core import fields
from tests.e2e.harness import enter_text, eventually, open_page, pick, shot, sign_in, wait_idle

TIER, SEATS = "Tier QZ", "Seats QZ"


def _pick(page, scope, label: str, option: str) -> None:
    """Open the list and pick; a rerun that lands meanwhile redraws the list closed, so open it again."""
    pick(page, scope.get_by_label(label, exact=True).first, option)  # the Add panel comes before the Change one
    wait_idle(page)


def _add(page, main, kind: str, label: str, options: str = "") -> None:
    _pick(page, main, "Type", kind)
    main.get_by_label("Label · EN", exact=True).first.fill(label)
    if options:
        main.get_by_label("Choices, one per line", exact=True).first.fill(options)
        main.get_by_label("Choices, one per line", exact=True).first.blur()
        wait_idle(page)
        _pick(page, main, "Default value", "Gold")
    main.get_by_role("button", name="Add field").click()
    wait_idle(page)
    expect(main.get_by_text(f"Field “{label}” added.")).to_be_visible()


def test_admin_adds_fields_and_a_rep_fills_them_on_the_deal_form(signed_in, server, e2e_db, db):
    page = signed_in
    main = page.locator("[data-testid=stMain]")
    open_page(page, "Admin")
    page.get_by_role("tab", name="Fields").click()
    main.get_by_role("radio", name="Deals", exact=True).click()  # the entity picker
    wait_idle(page)
    _add(page, main, "single choice", TIER, "Gold\nSilver\nBronze")
    _add(page, main, "number", SEATS)
    made = {f.label("en"): f for f in fields.active(db, "deals")}
    tier, seats = made[TIER], made[SEATS]
    assert tier.type == "choice" and tier.options == ("Gold", "Silver", "Bronze") and tier.default == "Gold"
    assert seats.type == "number"
    expect(main.locator("[role=gridcell]", has_text=TIER)).to_have_count(1)  # in the list (a canvas table)
    shot(page, "custom_fields_admin")
    page.set_viewport_size({"width": 390, "height": 844})
    wait_idle(page)
    shot(page, "custom_fields_admin_390")
    page.set_viewport_size({"width": 1440, "height": 900})

    admin = db.execute("SELECT id FROM users WHERE email = 'admin@demo.example'").fetchone()[0]
    try:
        db.execute("UPDATE users SET language = 'ru' WHERE id = ?", (admin,))
        db.commit()
        page.reload()
        wait_idle(page)
        page.get_by_role("tab", name="Поля").click()
        main.get_by_role("radio", name="Сделки", exact=True).click()
        wait_idle(page)
        expect(main.get_by_text("Изменить поле").first).to_be_visible()
        expect(main.get_by_label("Поле", exact=True)).to_have_value(f"{TIER} · один вариант")
        shot(page, "custom_fields_admin_ru")
    finally:
        db.execute("UPDATE users SET language = 'en' WHERE id = ?", (admin,))
        db.commit()

    page.locator("[data-testid=stSidebar]").get_by_role("button", name="Выйти").click()
    wait_idle(page)
    rep_email = next(e for e in e2e_db[1] if e.startswith("rep"))
    sign_in(page, server.url, rep_email, e2e_db[1][rep_email])
    open_page(page, "Deals")
    page.get_by_role("button", name="New deal").click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_label(TIER, exact=True)).to_have_value("Gold")  # the default, pre-filled
    page.keyboard.press("Escape")
    wait_idle(page)

    own = page.locator("[data-testid=kanban-card]:not(.locked)").first
    own.wait_for()
    deal_id = int(own.get_attribute("data-deal-id"))
    own.focus()
    page.keyboard.press("Enter")
    wait_idle(page)
    form = main.get_by_role("tabpanel").first
    _pick(page, form, TIER, "Silver")
    form.get_by_label(SEATS, exact=True).fill("25")
    form.get_by_label(SEATS, exact=True).press("Enter")  # enter: in a form it submits
    wait_idle(page)
    form.get_by_role("button", name="Save").click()
    wait_idle(page)
    expect(form.get_by_text("Saved.")).to_be_visible()
    assert eventually(page, lambda: db.execute(f"SELECT {tier.column} = 'Silver' AND {seats.column} = 25 FROM deals "
                                               "WHERE id = ?", (deal_id,)).fetchone()[0]) == 1
    shot(page, "custom_fields_deal_form")
    page.set_viewport_size({"width": 390, "height": 844})
    wait_idle(page)
    form.get_by_label(TIER, exact=True).scroll_into_view_if_needed()
    shot(page, "custom_fields_deal_form_390")


def test_a_contact_record_with_fields_by_section(signed_in, server, db):
    """A contact record page with custom fields in two sections (the admin's view)."""
    from db.core.permissions import Actor

    admin = Actor(db.execute("SELECT id FROM users WHERE email = 'admin@demo.example'").fetchone()[0], "admin")
    existing = {f.key for f in fields.active(db, "contacts")}
    if "notice_period_qz" not in existing:
        fields.define(db, "contacts", {"type": "number", "label": "Notice period QZ", "key": "notice_period_qz",
                                       "section": "Hiring", "help": "In weeks"}, admin)
        fields.define(db, "contacts", {"type": "date", "label": "Available from QZ", "section": "Hiring"}, admin)
        fields.define(db, "contacts", {"type": "multi_choice", "label": "Channels QZ", "section": "Contact",
                                       "options": ["Email", "Phone", "Post"]}, admin)
        fields.define(db, "contacts", {"type": "checkbox", "label": "VIP QZ", "section": "Contact"}, admin)
    cid = db.execute("SELECT id FROM contacts WHERE deleted_at IS NULL ORDER BY id LIMIT 1").fetchone()[0]
    page = signed_in
    page.goto(server.url + f"/contacts?id={cid}")
    wait_idle(page)
    page.get_by_role("tab", name="Details").click()
    main = page.locator("[data-testid=stMain]")
    expect(main.get_by_text("Hiring", exact=True)).to_be_visible()
    enter_text(page, main.get_by_label("Notice period QZ", exact=True), "4")
    main.get_by_role("button", name="Save").click()
    wait_idle(page)
    expect(main.get_by_text("Saved.")).to_be_visible()
    column = next(f.column for f in fields.active(db, "contacts") if f.key == "notice_period_qz")
    assert eventually(page, lambda: db.execute(f"SELECT {column} FROM contacts WHERE id = ?", (cid,)).fetchone()[0]) == 4
    shot(page, "custom_fields_contact_record")
    page.set_viewport_size({"width": 390, "height": 844})
    wait_idle(page)
    main.get_by_text("Hiring", exact=True).scroll_into_view_if_needed()
    shot(page, "custom_fields_contact_record_390")
