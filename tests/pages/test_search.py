"""The global search: the sidebar box on every page opens the results page; results link to their records."""

from __future__ import annotations

from db.core import records
from db.core.connection import connect
from db.core.permissions import Actor
from tests.apptest import page, shown, texts


def _links(at) -> list[tuple[str, str, str]]:
    """The results as (page, query, label as read) in the order shown."""
    return [(link.proto.page, link.proto.query_string, shown(link.proto.label)) for link in at.main.get("page_link")]


def _company_with_deal(path) -> tuple[int, str, int]:
    c = connect(path)
    try:
        return tuple(c.execute("SELECT co.id, co.name, d.id FROM deals d JOIN companies co ON co.id = d.company_id "
                               "WHERE d.deleted_at IS NULL ORDER BY d.id LIMIT 1").fetchone())
    finally:
        c.close()


def test_the_sidebar_box_opens_the_results_and_a_deal_is_found_by_its_company(seeded):
    company_id, name, deal_id = _company_with_deal(seeded[0])
    at = page("pages/contacts.py", seeded[0], role="rep")
    at.run()
    at.sidebar.text_input(key="global_search_box").input(name)
    at.sidebar.button(key="global_search_go").click()
    at.run()
    assert not at.exception, at.exception
    assert at.query_params["q"] in (name, [name])
    links = _links(at)
    assert links[0] == ("companies", f"id={company_id}", name)  # the name itself first
    assert ("deals", f"id={deal_id}") in [(p, q) for p, q, _ in links]
    assert not [e for e in at.sidebar.text_input if e.key == "global_search_box"]  # the page's own box instead
    assert "Search" not in [shown(link.proto.label) for link in at.sidebar.get("page_link")]  # no nav link


def test_results_read_in_the_users_language_and_say_when_nothing_matches(seeded):
    company_id, name, _ = _company_with_deal(seeded[0])
    c = connect(seeded[0])
    c.execute("UPDATE users SET language = 'ru' WHERE role = 'manager'")
    c.close()
    at = page("pages/search.py", seeded[0], role="manager", query={"q": name})
    at.run()
    assert not at.exception
    assert at.title[0].value == "Поиск" and "Компания ·" in texts(at) and "Сделка ·" in texts(at)
    at.text_input(key="search_page_box").input("zzqx-nothing")
    at.button(key="search_page_go").click()
    at.run()
    assert "По запросу «zzqx-nothing» ничего не найдено" in texts(at)
    assert at.query_params["q"] in ("zzqx-nothing", ["zzqx-nothing"])


def test_the_type_filter_and_activity_links(seeded):
    c = connect(seeded[0])
    admin = Actor(c.execute("SELECT id FROM users WHERE role = 'admin'").fetchone()[0], "admin")
    deal = c.execute("SELECT id FROM deals WHERE deleted_at IS NULL LIMIT 1").fetchone()[0]
    records.create(c, "activities", {"kind": "call", "subject": "Quokka pricing", "deal_id": deal}, admin)
    records.create(c, "activities", {"kind": "task", "subject": "Quokka follow-up",
                                             "due_at": "2026-11-24 09:00:00"}, admin)
    c.close()
    at = page("pages/search.py", seeded[0], role="rep", query={"q": "quokka"})
    at.run()
    labels = {label: (p, q) for p, q, label in _links(at)}
    assert labels["Quokka pricing"] == ("deals", f"id={deal}")
    assert labels["Quokka follow-up"] == ("calendar", "")
    assert "Task ·" in texts(at) and "Calendar" in texts(at)
    at.segmented_control(key="search_kind").set_value("contact").run()
    assert _links(at) == [] and "Nothing found" in texts(at)
    at.segmented_control(key="search_kind").set_value("activity").run()
    assert {shown(link.proto.label) for link in at.main.get("page_link")} == {"Quokka pricing", "Quokka follow-up"}


def test_hostile_queries_and_names_are_shown_as_text(seeded):
    c = connect(seeded[0])
    admin = Actor(c.execute("SELECT id FROM users WHERE role = 'admin'").fetchone()[0], "admin")
    records.create(c, "companies", {"name": "**Bold** [x](javascript:alert(1)) :red[Quark] $x$"}, admin)
    c.close()
    for text in ('quark', '"quark', '(quark)', "quark*", "^quark", "-quark:", 'red quark', "bold: quark"):
        at = page("pages/search.py", seeded[0], role="rep", query={"q": text})
        at.run()
        assert not at.exception, (text, at.exception)
        assert [label for _, _, label in _links(at)] == ["**Bold** [x](javascript:alert(1)) :red[Quark] $x$"], text
    at = page("pages/search.py", seeded[0], role="rep", query={"q": "<b>*nothing*</b>"})
    at.run()
    assert "«<b>*nothing*</b>»" not in texts(at) and "“<b>*nothing*</b>”" in texts(at)


def test_an_empty_query_explains_the_page(seeded):
    at = page("pages/search.py", seeded[0], role="rep")
    at.run()
    assert not at.exception and "Press / or Ctrl+K" in texts(at) and _links(at) == []


def test_new_records_from_the_search_open_the_dialogs_with_the_words_filled_in(seeded):
    """The dialogs themselves (checks, duplicates, creating) are the list pages' ones: the browser test
    creates a contact from the search (AppTest reruns the whole page, not the dialog alone)."""
    at = page("pages/search.py", seeded[0], role="rep", query={"q": "Zorabel  Quint"})
    at.run()
    assert "Nothing found" in texts(at) and "New contact “Zorabel Quint”" in [shown(b.label) for b in at.button]
    at.button(key="search_new_contact").click().run()
    assert at.text_input(key="nc_first").value == "Zorabel" and at.text_input(key="nc_last").value == "Quint"
    at.button(key="search_new_company").click().run()
    assert at.text_input(key="nco_name").value == "Zorabel Quint"
    at.button(key="search_new_deal").click().run()
    assert at.text_input(key="nd_title").value == "Zorabel Quint"
    assert at.selectbox(key="nd_pipeline").value is not None  # from the search, the dialog asks for the pipeline
    assert not at.exception


def test_one_letter_asks_for_a_second(seeded):
    at = page("pages/search.py", seeded[0], role="rep", query={"q": "c"})
    at.run()
    assert "Type a second letter to find names that start with “c”" in texts(at)
    assert "search_new_contact" not in [b.key for b in at.button]  # no "New contact “c”"
    at = page("pages/search.py", seeded[0], role="rep", query={"q": "ca"})
    at.run()
    assert "second letter" not in texts(at)
