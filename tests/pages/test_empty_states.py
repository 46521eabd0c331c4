"""An empty list says what to do next, in the user's language, instead of an empty grid."""

import pytest

from db.core.connection import connect
from tests.apptest import page, user_id


@pytest.mark.parametrize(("script", "search_key", "text"), [
    ("pages/contacts.py", "c_search", "No contacts match"),
    ("pages/companies.py", "co_search", "No companies match"),
])
def test_a_search_with_no_match_explains_itself(seeded, script, search_key, text):
    at = page(script, seeded[0], state={search_key: "zzqx-nothing-like-this"})
    at.run()
    assert not at.exception
    assert any(text in i.value for i in at.info)


def test_the_message_follows_the_language(seeded):
    c = connect(seeded[0])
    c.execute("UPDATE users SET language = 'ru' WHERE id = ?", (user_id(seeded[0], "admin"),))
    c.close()
    at = page("pages/contacts.py", seeded[0], state={"c_search": "zzqx-nothing-like-this"})
    at.run()
    assert any("Нет подходящих контактов" in i.value for i in at.info)
