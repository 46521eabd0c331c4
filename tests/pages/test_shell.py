"""The page shell: sign-in, first admin, roles, sidebar, bad database paths, home page."""

import pytest

from components.layout import PAGES, ROOT
from db.core.connection import connect
from tests.apptest import page, texts


def test_signed_out_visitor_gets_the_sign_in_form_only(seeded):
    at = page("app.py", seeded[0], role=None)
    at.run()
    assert not at.exception
    assert [b.label for b in at.button] == ["Sign in"]
    assert not at.metric


def test_wrong_password_gives_a_message_not_a_crash(seeded):
    at = page("app.py", seeded[0], role=None)
    at.run()
    at.text_input(key="sign_in_email").input("admin@demo.example")
    at.text_input(key="sign_in_password").input("definitely wrong")
    at.button[0].click().run()
    assert not at.exception
    assert "Wrong email or password" in texts(at)
    assert "user_id" not in at.session_state


def test_right_password_signs_in(seeded):
    path, creds = seeded
    at = page("app.py", path, role=None)
    at.run()
    at.text_input(key="sign_in_email").input("admin@demo.example")
    at.text_input(key="sign_in_password").input(creds["admin@demo.example"])
    at.button[0].click().run()
    assert not at.exception
    assert "Welcome back" in texts(at)


def test_empty_database_offers_the_first_admin_form(db_file):
    at = page("app.py", db_file, role=None)
    at.run()
    assert "no users yet" in texts(at)
    at.text_input[0].input("Olga Owner")
    at.text_input[1].input("olga@example.com")
    at.text_input[2].input("short")
    at.button[0].click().run()
    assert "at least 10 characters" in texts(at)
    at.text_input[2].input("a long enough password")
    at.button[0].click().run()
    assert not at.exception
    assert "Welcome back, Olga" in texts(at)


def test_home_shows_real_figures(seeded):
    at = page("app.py", seeded[0], role="rep")
    at.run()
    assert not at.exception
    c = connect(seeded[0])
    open_deals = c.execute("SELECT COUNT(*) FROM deals d JOIN stages s ON s.id = d.stage_id JOIN pipelines p "
                           "ON p.id = d.pipeline_id WHERE s.kind = 'open' AND p.kind = 'sales'").fetchone()[0]
    labels = {m.label for m in at.metric}
    assert {"Open pipeline", "Weighted pipeline", "Won this month", "New customers"} <= labels
    assert at.metric[0].help and str(open_deals) in at.metric[0].help


def test_unwritable_database_path_reads_plainly_and_logs_the_path(tmp_path, caplog):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    at = page("app.py", blocker / "crm.db", role=None)
    at.run()
    assert not at.exception
    assert "cannot be opened" in texts(at)
    assert str(tmp_path) not in texts(at) and "CRM_DB" not in texts(at)  # nothing a visitor cannot act on
    assert any(str(blocker) in r.getMessage() for r in caplog.records)  # the administrator's server log has it


def test_newer_schema_shows_what_to_do(seeded):
    c = connect(seeded[0])
    c.execute("INSERT INTO _sqlite_migrations (migration_set, name, applied_at) VALUES ('crm', '9999_x', 'now')")
    c.close()
    at = page("app.py", seeded[0], role="admin")
    at.run()
    assert not at.exception
    assert "newer version" in texts(at)


def test_language_is_per_user(seeded):
    c = connect(seeded[0])
    c.execute("UPDATE users SET language = 'bg' WHERE role = 'admin'")
    c.close()
    at = page("app.py", seeded[0], role="admin")
    at.run()
    assert "Добре дошли" in texts(at)


@pytest.mark.parametrize("key,script,roles", [(k, s, r) for k, s, _, r in PAGES if (ROOT / s).exists()])
@pytest.mark.parametrize("role", ["admin", "manager", "rep"])
def test_every_page_opens_or_refuses_by_role(seeded, key, script, roles, role):
    at = page(script, seeded[0], role=role)
    at.run()
    assert not at.exception, at.exception
    refused = "not available to the" in texts(at)
    assert refused == (role not in roles)


def test_company_currency_is_used_for_money(seeded):
    c = connect(seeded[0])
    c.execute("INSERT OR REPLACE INTO settings (key, value) VALUES ('currency', 'USD')")
    c.close()
    at = page("app.py", seeded[0], role="admin")
    at.run()
    assert at.metric[0].value.startswith("US$") or at.metric[0].value.startswith("$")


def test_a_tab_keeps_its_connection_between_runs_and_starts_each_run_clean(seeded):
    """open_db: one connection per tab (a new one parses the whole schema), never left in a transaction,
    opened afresh when the file was replaced under the server."""
    import os

    from components.layout import HELD

    path = seeded[0]
    at = page("app.py", path)
    at.run()
    first = at.session_state[HELD][2]
    at.run()
    assert not at.exception and at.session_state[HELD][2] is first
    first.execute("BEGIN IMMEDIATE")  # a run stopped halfway through a save
    at.run()
    assert not at.exception and not first.in_transaction
    first.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    copy = path.with_name("replacement.db")
    target = connect(copy)
    first.backup(target)
    target.execute("UPDATE users SET name = 'Replaced Admin' WHERE role = 'admin'")
    target.close()
    os.replace(copy, path)
    at.run()
    assert not at.exception
    assert at.session_state[HELD][2] is not first
    assert "Replaced" in texts(at)
