"""After a grid save the page reruns; the confirmation must still be on the page, in the user's language."""

import re
from pathlib import Path

import pytest

from db.core.connection import connect
from tests.apptest import page, texts, user_id

ROOT = Path(__file__).resolve().parents[2]


def _speak(path, role: str, lang: str) -> None:
    c = connect(path)
    c.execute("UPDATE users SET language = ? WHERE id = ?", (lang, user_id(path, role)))
    c.close()


def _edit(at, key: str, changes: dict) -> None:
    at.session_state[key] = {"edited_rows": changes, "added_rows": [], "deleted_rows": []}


def _saved(at, key: str, changes: dict, button: str) -> str:
    at.run()
    _edit(at, key, changes)
    at.run()
    at.button(key=button).click().run()
    assert not at.exception
    return texts(at)


@pytest.mark.parametrize("script,key,changes,button", [
    ("pages/contacts.py", "contacts_grid_0_25", {0: {"title": "Buyer"}, 1: {"title": "Chief"}}, "c_save"),
    ("pages/companies.py", "companies_grid_0_25", {0: {"city": "Plovdiv"}, 1: {"city": "Varna"}}, "co_save"),
    ("pages/campaigns.py", "campaigns_grid", {0: {"spend": 1234}, 1: {"spend": 99}}, "camp_save"),
])
def test_a_grid_save_says_what_was_saved_after_the_rerun(seeded, script, key, changes, button):
    at = page(script, seeded[0], "admin")
    assert "Saved: 2 changes." in _saved(at, key, changes, button)
    at.run()  # the next action: the confirmation has done its job
    assert "Saved: 2 changes." not in texts(at)


def test_the_confirmation_is_in_the_users_language_with_the_right_plural(seeded):
    path = seeded[0]
    _speak(path, "admin", "ru")  # campaigns: AppTest formats translated select options in English
    at = page("pages/campaigns.py", path, "admin")
    assert "Сохранено: 1 изменение." in _saved(at, "campaigns_grid", {0: {"spend": 5}}, "camp_save")
    _speak(path, "admin", "uk")
    at = page("pages/campaigns.py", path, "admin")
    shown = _saved(at, "campaigns_grid", {i: {"spend": 10 + i} for i in range(5)}, "camp_save")
    assert "Збережено: 5 змін." in shown


def test_admin_users_and_stages_confirm_their_saves(seeded):
    path = seeded[0]
    c = connect(path)
    rows = c.execute("SELECT id, email FROM users WHERE deleted_at IS NULL ORDER BY name").fetchall()
    rep = next(i for i, r in enumerate(rows) if r["email"].startswith("rep"))
    at = page("pages/admin.py", path, "admin")
    assert "Saved: 1 change." in _saved(at, "admin_users", {rep: {"hourly_cost": 55.0}}, "save_users")
    pipeline = c.execute("SELECT id FROM pipelines WHERE deleted_at IS NULL ORDER BY position, id").fetchone()[0]
    at = page("pages/admin.py", path, "admin")
    assert "Saved: 1 change." in _saved(at, f"stages_{pipeline}", {0: {"probability": 0.15}}, "pe_save")


def test_bulk_action_and_undo_confirm_on_the_page(seeded):
    path = seeded[0]
    at = page("pages/contacts.py", path, "admin")
    at.run()
    _edit(at, "contacts_grid_0_25", {i: {"selected": True} for i in range(3)})  # the grid's tick column
    at.run()
    at.selectbox(key="c_bulk_action").set_value("delete").run()
    at.button(key="c_bulk_apply").click().run()
    assert "Done for 3 contacts." in texts(at)
    at.button(key="c_undo_button").click().run()
    assert "3 contacts restored." in texts(at)


GRID_SAVES = ["components/contacts_grid.py", "components/companies_view.py", "pages/campaigns.py",
              "components/admin_panels.py", "components/pipeline_editor.py"]


@pytest.mark.parametrize("name", GRID_SAVES)
def test_every_grid_save_confirms_through_flash(name):
    """Walks the grid pages: a save that reruns keeps its confirmation with flash(), and no save confirms with
    a toast only (it fades before anyone reads it) or an st.success drawn just before st.rerun() (never seen)."""
    text = (ROOT / name).read_text()
    assert "show_flash(" in text, name
    assert "st.toast(" not in text, name
    blocks = re.split(r"\n\s*(?:try:|else:|if |for )", text)
    for block in blocks:
        if "st.rerun()" in block and ("save" in block or "restore" in block or "bulk" in block
                                      or "create_pipeline" in block or "update_pipeline" in block):
            assert "flash(" in block, (name, block[:200])
