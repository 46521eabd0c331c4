"""AppTest of the integration panels: Admin → Webhooks / Web forms and Account → Calendar feed drive the database
and show their one-time secrets."""

from __future__ import annotations

from db.core.connection import connect
from tests.apptest import page, texts


def _submit(at, label: str):
    return next(b for b in at.button if b.label == label).click().run()


def test_admin_adds_a_webhook_sees_the_secret_once_and_a_bad_url_is_named(seeded):
    path, _ = seeded
    at = page("pages/admin.py", path, "admin")
    at.run()
    assert not at.exception
    at.text_input(key="hook_new_name").input("ERP")
    at.text_input(key="hook_new_url").input("ftp://erp.internal/hook")
    at.multiselect(key="hook_new_events").select("deal.won")
    _submit(at, "Add endpoint")
    assert "Enter a full http:// or https:// address." in texts(at)
    at.text_input(key="hook_new_url").input("http://erp.internal:8080/hook")
    _submit(at, "Add endpoint")
    assert not at.exception
    secret = next(c.value for c in at.code if c.value.startswith("whsec_"))
    c = connect(path)
    assert c.execute("SELECT secret FROM webhook_endpoints WHERE name = 'ERP'").fetchone()[0] == secret
    at.run()  # shown once: gone on the next run
    assert not any(c.value.startswith("whsec_") for c in at.code)


def test_admin_creates_a_web_form_and_gets_its_snippet(seeded):
    path, _ = seeded
    at = page("pages/admin.py", path, "admin")
    at.run()
    [t for t in at.text_input if t.label == "Name"][-1].input("Newsletter signup")  # the new form's, last
    _submit(at, "New form")
    assert not at.exception
    assert "Form created: copy its snippet below." in texts(at)
    snippet = next(c.value for c in at.code if c.value.startswith("<form action="))
    public_id = connect(path).execute("SELECT public_id FROM webforms").fetchone()[0]
    assert f"/forms/{public_id}" in snippet and 'name="website"' in snippet


def test_account_calendar_feed_url_once_and_team_only_for_managers(seeded):
    path, _ = seeded
    at = page("pages/account.py", path, "rep")
    at.run()
    assert "My activities" in texts(at) and "The team's activities" not in texts(at)
    at.button(key="feed_new_mine").click().run()
    url = next(c.value for c in at.code if "/feeds/" in c.value)
    assert url.endswith(".ics") and "/feeds/cal_" in url
    assert connect(path).execute("SELECT COUNT(*) FROM calendar_feeds WHERE revoked_at IS NULL").fetchone()[0] == 1
    at.run()
    assert not any("/feeds/" in c.value for c in at.code) and "last read by a calendar: not yet" in texts(at)
    at.button(key="feed_off_mine").click().run()
    assert connect(path).execute("SELECT COUNT(*) FROM calendar_feeds WHERE revoked_at IS NULL").fetchone()[0] == 0
    manager = page("pages/account.py", path, "manager")
    manager.run()
    assert "The team's activities" in texts(manager)


def test_the_audit_page_shows_integration_changes(seeded):
    from db.core.permissions import Actor
    from db.crm import webforms, webhooks

    path, _ = seeded
    c = connect(path)
    admin_id = c.execute("SELECT id FROM users WHERE role = 'admin' ORDER BY id LIMIT 1").fetchone()[0]
    admin = Actor(admin_id, "admin")
    endpoint, _ = webhooks.create_endpoint(c, {"name": "Ledger", "url": "https://ledger.example/in",
                                               "events": ["deal.won"]}, admin)
    webhooks.update_endpoint(c, endpoint, {"active": False}, admin)
    webforms.create(c, {"name": "Trial signup", "fields": ["first_name", "email"], "owners": [admin_id]}, admin)
    at = page("pages/audit.py", path, "admin")
    at.run()
    assert not at.exception
    table = at.dataframe[0].value
    shown = " ".join(str(v) for v in table.to_numpy().ravel())
    assert "Webhook" in shown and "Web form" in shown, table.columns
    assert "Ledger" in shown and "whsec_" not in shown
