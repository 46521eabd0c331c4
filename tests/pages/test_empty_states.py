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


EMPTY_DB_PAGES = [  # an empty database (just the administrator): every list or chart says why and what to do
    ("pages/leaderboard.py", "Nobody won a deal or completed an activity in this period yet."),
    ("pages/segments.py", "No customers to segment yet"),
    ("pages/views.py", "No records match this view."),
    ("pages/calendar.py", "Nothing planned in this range."),
    ("pages/dashboard.py", "No deals, activities or answers in this period"),
]


@pytest.mark.parametrize(("script", "text"), EMPTY_DB_PAGES)
def test_pages_over_no_data_say_what_to_do(db_file, admin, script, text):
    at = page(script, db_file)
    at.run()
    assert not at.exception
    assert any(text in i.value for i in at.info), [i.value for i in at.info]


def test_empty_states_follow_the_language(db_file, admin):
    c = connect(db_file)
    c.execute("UPDATE users SET language = 'uk' WHERE id = ?", (admin.id,))
    c.close()
    at = page("pages/leaderboard.py", db_file)
    at.run()
    assert any("ще ніхто не виграв угоду" in i.value for i in at.info)


def test_deals_board_with_filters_matching_nothing(seeded):
    at = page("pages/deals.py", seeded[0], state={"d_search": "zzqx-nothing-like-this"})
    at.run()
    assert not at.exception
    assert any("No deals match these filters" in i.value for i in at.info)


def test_audit_with_no_entries_for_the_filters(seeded):
    at = page("pages/audit.py", seeded[0])
    at.run()
    next(n for n in at.number_input).set_value(10**9).run()
    assert not at.exception
    assert any("No changes match these filters. Clear a filter" in i.value for i in at.info)


def test_nothing_treats_rows_of_zeros_as_empty():
    from components.empty import nothing

    assert nothing([]) and nothing(None)
    assert nothing([{"stage": "Lead", "deals": 0}, {"stage": "Won", "deals": 0}], "deals")
    assert not nothing([{"stage": "Lead", "deals": 2}], "deals")
    assert not nothing([{"won": 0, "activities": 3}], "won", "activities")
