"""Choosing a language sticks wherever it is chosen, and the sidebar follows it."""

from db.core.connection import connect
from tests.apptest import page, user_id


def _language(path, uid) -> str:
    c = connect(path)
    try:
        return c.execute("SELECT language FROM users WHERE id = ?", (uid,)).fetchone()[0]
    finally:
        c.close()


def test_language_chosen_on_the_account_page_sticks(seeded):
    path = seeded[0]
    at = page("pages/account.py", path)
    at.run()
    assert not at.exception
    form_language = next(s for s in at.selectbox if s.key != "sidebar_language" and s.value == "en")
    form_language.set_value("ru")
    next(b for b in at.button if b.label == "Save").click().run()
    assert not at.exception
    at.run()  # one more run: the sidebar's selector must not write English back
    uid = user_id(path, "admin")
    assert _language(path, uid) == "ru"
    assert at.title[0].value == "Профиль"
    assert at.selectbox(key="sidebar_language").value == "ru"


def test_language_chosen_in_the_sidebar_sticks(seeded):
    path = seeded[0]
    at = page("pages/account.py", path)
    at.run()
    at.selectbox(key="sidebar_language").set_value("bg").run()
    at.run()
    assert not at.exception
    assert _language(path, user_id(path, "admin")) == "bg"
    assert at.selectbox(key="sidebar_language").value == "bg"
