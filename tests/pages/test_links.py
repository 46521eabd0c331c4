"""Every page that takes an id in its URL, with every bad value: a clear message, never a traceback or the list.

Also: a page that fails unexpectedly shows an error id (and the log has the traceback), and stored view
definitions written around the app open with a message.
"""

import logging
import re
from pathlib import Path

import pytest

from components.errors import MAX_ID, parse_id
from db.core.connection import connect
from tests.apptest import ROOT, page, texts, user_id

# (page script, query parameter, role, text when a valid id names nothing)
LINKS = [
    ("pages/contacts.py", "id", "rep", "No such contact #"),
    ("pages/companies.py", "id", "rep", "No such company #"),
    ("pages/deals.py", "id", "rep", "No such deal #"),
    ("pages/contacts.py", "view", "rep", "No such view #"),
    ("pages/companies.py", "view", "rep", "No such view #"),
    ("pages/deals.py", "view", "rep", "No such view #"),
    ("pages/calendar.py", "view", "rep", "No such view #"),
    ("pages/views.py", "view", "manager", "No such view #"),
]
BAD = ["²", "١٢", str(MAX_ID + 1), "99999999999999999999999", "-1", "0", "+5", " 5", "5 ", "1.5", "1e3", "0x1F",
       "abc", "", "5; DROP TABLE contacts", "9" * 5000, "\x00"]
IN_PAGE = ["²", str(2**64), "-1", "0", "abc", "", "9" * 5000]  # the page walk: one of each kind


@pytest.mark.parametrize("raw", BAD)
def test_bad_ids_are_refused(raw):
    assert parse_id(raw) is None


@pytest.mark.parametrize("raw,value", [("1", 1), ("42", 42), ("007", 7), (str(MAX_ID), MAX_ID)])
def test_good_ids_are_read(raw, value):
    assert parse_id(raw) == value


def test_every_page_reads_ids_through_the_one_helper():
    """No page or component reads a query parameter itself: a new page with ids must use query_id (and join
    LINKS above)."""
    readers = []
    for path in [*ROOT.glob("pages/*.py"), *ROOT.glob("components/*.py"), ROOT / "app.py"]:
        text = path.read_text(encoding="utf-8")
        if re.search(r"query_params\.get\(|query_params\[[^\]]+\](?!\s*=)", text) and path.name != "errors.py":
            readers.append(path.name)
    assert readers == []
    users_of_helper = {p.name for p in [*ROOT.glob("pages/*.py"), *ROOT.glob("components/*.py")]
                       if "query_id(" in p.read_text(encoding="utf-8")} - {"errors.py"}
    covered = {Path(script).name for script, *_ in LINKS} | {"saved_views.py"}
    assert users_of_helper <= covered


@pytest.mark.parametrize("script,param,role,missing", LINKS)
def test_every_page_says_a_bad_link_is_not_valid(seeded, script, param, role, missing):
    at = page(script, seeded[0], role)
    for raw in IN_PAGE:
        at.query_params[param] = raw
        at.run()
        assert not at.exception, (raw, at.exception)
        shown = texts(at)
        assert "That link is not valid" in shown, raw
        assert "Traceback" not in shown and "Error" not in shown.replace("error id", "")
        if param == "id":  # the list is not shown instead
            assert not at.dataframe and not at.get("data_editor"), raw
    at.query_params[param] = "987654321"
    at.run()
    assert not at.exception and missing + "987654321" in texts(at)


BROKEN_VIEWS = [
    "{not json", "0", "true", "[]", '"text"', '{"schema": true, "record": "deals"}',
    '{"schema": 0, "record": "deals"}', '{"schema": 1, "record": "deals", "limit": -1}',
    '{"schema": 1, "record": "deals", "limit": "all"}', '{"schema": 1, "record": "deals", "measure": "sum"}',
    '{"schema": 1, "record": "deals", "filters": "owner"}', '{"schema": 1, "record": "deals", "filters": [1]}',
    '{"schema": 1, "record": "deals", "filters": [' + ", ".join(['{"field": "owner", "op": "=", "value": "x"}'] * 10_000)
    + "]}", '{"schema": 1, "filters": []}', '{"schema": 1, "filters": {"c_search": {"$gt": 1}}}',
    '{"schema": 1, "filters": {"d_min": [1, 2]}}', '{"schema": 1e400}', "[" * 100_000,
]


@pytest.mark.parametrize("script,role", [("pages/views.py", "manager"), ("pages/contacts.py", "rep"),
                                         ("pages/deals.py", "rep"), ("app.py", "manager")])
def test_damaged_stored_views_open_with_a_message(seeded, script, role):
    path = seeded[0]
    c = connect(path)
    uid = user_id(path, role)
    kind = {"pages/views.py": "views", "pages/contacts.py": "contacts", "pages/deals.py": "deals",
            "app.py": "views"}[script]
    ids = []
    for i, text in enumerate(BROKEN_VIEWS):
        ids.append(c.execute("INSERT INTO saved_views (name, owner_id, page, definition, pinned) VALUES (?, ?, ?, ?, "
                             "?) RETURNING id", (f"Broken {i}", uid, kind, text, int(i < 6))).fetchone()[0])
    at = page(script, path, role)
    for vid, text in zip(ids if script != "app.py" else ids[:1], BROKEN_VIEWS, strict=False):
        at.query_params["view"] = str(vid)
        at.run()
        assert not at.exception, (text[:60], at.exception)
        shown = texts(at)
        assert "error id" not in shown, text[:60]  # refused readably, not an unexpected failure
        if script == "app.py":
            assert shown.count("can no longer be shown") == 6
        else:
            assert re.search(r"damaged or not supported|not valid JSON|newer version", shown), (text[:60], shown)


def test_an_unexpected_failure_shows_an_error_id_and_logs_the_trace(seeded):
    """A rollup table gone from under the running app (the old-backup case): the page shows an id only."""
    path = seeded[0]
    c = connect(path)
    c.execute("DROP TABLE deal_cube")
    c.close()
    records = []
    handler = logging.Handler()
    handler.emit = records.append
    logging.getLogger("crm.errors").addHandler(handler)
    try:
        at = page("pages/dashboard.py", path, "manager")
        at.run()
    finally:
        logging.getLogger("crm.errors").removeHandler(handler)
    assert not at.exception
    shown = texts(at)
    found = re.search(r"Something went wrong \(error id ([A-Z0-9]{6})\)\. The team can find it in the server log\.",
                      shown)
    assert found, shown
    assert "deal_cube" not in shown and ".py" not in shown and "Traceback" not in shown
    logged = [r for r in records if found.group(1) in r.getMessage()]
    assert logged and logged[0].exc_info and "deal_cube" in str(logged[0].exc_info[1])


def test_the_error_message_is_in_the_users_language(seeded):
    path = seeded[0]
    c = connect(path)
    c.execute("DROP TABLE deal_cube")
    c.execute("UPDATE users SET language = 'uk' WHERE id = ?", (user_id(path, "manager"),))
    c.close()
    at = page("pages/dashboard.py", path, "manager")
    at.run()
    assert not at.exception
    assert re.search(r"Щось пішло не так \(код помилки [A-Z0-9]{6}\)", texts(at))


def test_streamlit_never_sends_error_details_to_the_browser():
    """The second line behind the error-id hook: anything it misses shows Streamlit's generic text only."""
    import tomllib

    from streamlit import config

    chosen = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())["client"]["showErrorDetails"]
    assert chosen == config.ShowErrorDetailsConfigOptions.NONE.value


@pytest.mark.parametrize("forged", [{"deal_id": "²", "version": 1, "to_stage_id": 1},
                                    {"deal_id": 2**64, "version": 1, "to_stage_id": 1},
                                    {"deal_id": None, "version": "x", "to_stage_id": [1]}])
def test_a_forged_board_move_is_dropped(seeded, forged):
    """Board events come from the browser too: read like link ids."""
    path = seeded[0]
    before = connect(path).execute("SELECT SUM(version) FROM deals").fetchone()[0]
    at = page("pages/deals.py", path, "admin", state={"deal_move": forged})
    at.run()
    assert not at.exception and "error id" not in texts(at)
    assert "deal_move" not in at.session_state
    assert connect(path).execute("SELECT SUM(version) FROM deals").fetchone()[0] == before
