from db.core.connection import connect
from db.crm import views
from tests.apptest import page, texts, user_id


def test_builder_saves_a_view_that_opens_by_url(seeded):
    path = seeded[0]
    at = page("pages/views.py", path, "manager")
    at.run()
    assert not at.exception
    at.selectbox(key="vb_record").select("deals").run()
    at.selectbox(key="vb_group").select("stage").run()
    at.main.text_input[-1].input("Deals per stage")  # the sidebar has the search box
    next(b for b in at.button if b.label == "Save view").click().run()
    assert not at.exception
    saved = [v for v in views.visible(connect(path), user_id(path, "manager"), "views") if v["name"] == "Deals per stage"]
    assert saved
    again = page("pages/views.py", path, "manager", query={"view": saved[0]["id"]})
    again.run()
    assert not again.exception and "Deals per stage" in texts(again)


def test_a_view_saved_by_a_newer_version_says_so(seeded):
    path = seeded[0]
    c = connect(path)
    uid = user_id(path, "manager")
    c.execute("INSERT INTO saved_views (name, owner_id, page, definition) VALUES ('Future', ?, 'views', "
              "'{\"schema\": 9, \"record\": \"deals\"}')", (uid,))
    vid = c.execute("SELECT id FROM saved_views WHERE name = 'Future'").fetchone()[0]
    at = page("pages/views.py", path, "manager", query={"view": vid})
    at.run()
    assert not at.exception and "newer version" in texts(at)
