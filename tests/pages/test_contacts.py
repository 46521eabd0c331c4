"""AppTest of the contacts page: grid edits drive the database, conflicts keep input, record view works."""

from db.core import records
from db.core.connection import connect
from db.core.permissions import Actor
from db.crm import contacts
from tests.apptest import page, texts, user_id

GRID = "contacts_grid_0_25"


def _first_page(path):
    return contacts.page(connect(path), contacts.Query(), limit=25)[0]


def _edit(at, changes: dict, added=None, deleted=None):
    at.session_state[GRID] = {"edited_rows": changes, "added_rows": added or [], "deleted_rows": deleted or []}


def test_list_shows_a_bounded_page(seeded):
    at = page("pages/contacts.py", seeded[0], "rep")
    at.run()
    assert not at.exception
    total = contacts.page(connect(seeded[0]), contacts.Query(), limit=1)[1]
    assert f"of {total}" in texts(at)


def test_grid_edit_and_delete_reach_the_database_and_adding_goes_through_the_dialog(seeded):
    path = seeded[0]
    first = _first_page(path)
    at = page("pages/contacts.py", path, "admin")
    at.run()
    # The grid has no add row any more (Enter under the last row split one contact over three rows): a row
    # that still arrives as "added" is not saved; New contact is the way in.
    _edit(at, {0: {"title": "Chief Grid Officer"}}, added=[{"first_name": "Grace", "last_name": "Hopper"}],
          deleted=[1])
    at.run()
    assert at.button(key="c_save").label == "Save 2 changes"
    at.button(key="c_save").click().run()
    assert not at.exception
    c = connect(path)
    assert records.get(c, "contacts", first[0]["id"])["title"] == "Chief Grid Officer"
    assert c.execute("SELECT COUNT(*) FROM contacts WHERE first_name = 'Grace' AND last_name = 'Hopper'"
                     ).fetchone()[0] == 0
    assert "Add a contact with New contact" in texts(at)
    assert records.get(c, "contacts", first[1]["id"], include_deleted=True)["deleted_at"]
    at.button(key="c_undo_button").click().run()
    assert records.get(c, "contacts", first[1]["id"])["deleted_at"] is None


def test_bad_cell_names_the_row_and_saves_nothing(seeded):
    path = seeded[0]
    first = _first_page(path)
    at = page("pages/contacts.py", path, "admin")
    at.run()
    _edit(at, {0: {"title": "Fine"}, 1: {"email": "nope"}})
    at.run()
    at.button(key="c_save").click().run()
    assert "Row 2" in texts(at) and "not a valid email" in texts(at)
    assert records.get(connect(path), "contacts", first[0]["id"])["title"] != "Fine"


def test_conflict_names_who_and_keeps_the_edit(seeded):
    path = seeded[0]
    first = _first_page(path)
    at = page("pages/contacts.py", path, "admin")
    at.run()
    _edit(at, {0: {"title": "Mine"}})
    at.run()
    c = connect(path)
    manager = user_id(path, "manager")
    records.update(c, "contacts", first[0]["id"], first[0]["version"], {"title": "Theirs"}, Actor(manager, "manager"))
    at.button(key="c_save").click().run()
    assert "Nothing was saved" in texts(at) and "title" in texts(at) and "Row 1" in texts(at)
    assert at.session_state[GRID]["edited_rows"] == {0: {"title": "Mine"}} or \
        at.session_state[GRID]["edited_rows"] == {"0": {"title": "Mine"}}
    assert records.get(c, "contacts", first[0]["id"])["title"] == "Theirs"


def test_rep_cannot_edit_someone_elses_contact_through_the_grid(seeded):
    path = seeded[0]
    c = connect(path)
    rep = user_id(path, "rep")
    shown = contacts.page(c, contacts.Query(), limit=25)[0]
    c.execute("UPDATE contacts SET owner_id = ? WHERE id = ?", (user_id(path, "admin"), shown[2]["id"]))
    rows = contacts.page(c, contacts.Query(), limit=25)[0]
    index = next(i for i, r in enumerate(rows) if r["owner_id"] != rep)
    at = page("pages/contacts.py", path, "rep")
    at.run()
    _edit(at, {index: {"title": "Hijacked"}})
    at.run()
    at.button(key="c_save").click().run()
    assert "You may change only the records you own" in texts(at)
    assert records.get(c, "contacts", rows[index]["id"])["title"] != "Hijacked"


def test_record_view_shows_figures_and_logs_a_note(seeded):
    path = seeded[0]
    cid = connect(path).execute("SELECT id FROM contacts WHERE lifecycle = 'customer' LIMIT 1").fetchone()[0]
    at = page("pages/contacts.py", path, "admin", query={"id": cid})
    at.run()
    assert not at.exception
    assert {"Revenue", "Gross margin", "Cost to serve", "CAC", "Customer profit", "CSAT", "NPS"} <= \
        {m.label for m in at.metric}
    at.text_area[0].input("Called about renewal <b>soon</b>")
    next(b for b in at.button if b.label == "Add to the timeline").click().run()
    assert not at.exception
    assert connect(path).execute("SELECT COUNT(*) FROM activities WHERE contact_id = ? AND notes = ?",
                                 (cid, "Called about renewal <b>soon</b>")).fetchone()[0] == 1


def test_unknown_record_says_so(seeded):
    at = page("pages/contacts.py", seeded[0], "admin", query={"id": 999999})
    at.run()
    assert not at.exception and "No such contact #999999" in texts(at)


def test_saved_grid_view_restores_its_filters_by_url(seeded):
    from db.core.permissions import Actor
    from db.crm import views

    path = seeded[0]
    uid = user_id(path, "rep")
    vid = views.save(connect(path), "Customers only", "contacts",
                     {"schema": 1, "filters": {"c_lifecycle": "customer"}}, Actor(uid, "rep"))
    customers = contacts.page(connect(path), contacts.Query(lifecycle="customer"), limit=1)[1]
    at = page("pages/contacts.py", path, "rep", query={"view": vid})
    at.run()
    assert not at.exception
    assert f"of {customers}" in texts(at) and at.selectbox(key="c_lifecycle").value == "customer"
    assert "Customers only" in [link.label for link in at.get("page_link")]


def test_the_duplicates_panel_scans_only_while_open(seeded):
    """Closed (the default) it reads nothing; opened, it lists the likely pairs to merge."""
    path = seeded[0]
    conn = connect(path)
    uid = user_id(path, "admin")
    me = Actor(uid, "admin", "Admin")
    a = records.create(conn, "contacts", {"first_name": "Twin", "last_name": "One", "email": "twin@dup.example"}, me)
    b = records.create(conn, "contacts", {"first_name": "Twin", "last_name": "Two", "email": "TWIN@dup.example"}, me)
    conn.close()
    closed = page("pages/contacts.py", path)
    closed.run()
    assert not closed.exception
    assert "Duplicates and merge" in [e.label for e in closed.expander]
    assert not any(s.key == "merge_pair" for s in closed.selectbox)
    opened = page("pages/contacts.py", path, state={"merge_panel": True})
    opened.run()
    assert not opened.exception
    pick = next(s for s in opened.selectbox if s.key == "merge_pair")
    assert any(f"#{a} ↔ #{b}" in option for option in pick.options)  # AppTest lists the shown labels
