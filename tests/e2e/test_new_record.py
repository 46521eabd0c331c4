"""Real browser: the New contact dialog says what is wrong at the field, warns about a likely duplicate,
and creates the contact."""

from tests.e2e.harness import eventually, open_page, shot, wait_idle


def test_new_contact_dialog(signed_in, db):
    page = signed_in
    existing = db.execute("SELECT email FROM contacts WHERE email IS NOT NULL AND email != '' AND deleted_at IS NULL "
                          "ORDER BY id LIMIT 1").fetchone()[0]
    open_page(page, "Contacts")
    page.get_by_role("button", name="New contact").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("First name *").fill("Quennelzyx")
    dialog.get_by_label("Email").fill("not-an-email")
    dialog.get_by_role("button", name="Create").click()
    wait_idle(page)
    dialog.get_by_text("is not a valid email address").wait_for()
    dialog.get_by_label("Email").fill(existing)
    dialog.get_by_role("button", name="Create").click()
    wait_idle(page)
    dialog.get_by_text("This looks like an existing record").wait_for()
    shot(page, "new_contact_lookalike")
    assert db.execute("SELECT COUNT(*) FROM contacts WHERE first_name = 'Quennelzyx'").fetchone()[0] == 0
    dialog.get_by_role("button", name="Create").click()  # create anyway
    wait_idle(page)
    page.get_by_text("Contact created.").wait_for()
    shot(page, "new_contact_created")
    assert eventually(page, lambda: db.execute("SELECT COUNT(*) FROM contacts WHERE first_name = 'Quennelzyx' AND "
                                               "email = ?", (existing.lower(),)).fetchone()[0]) == 1
