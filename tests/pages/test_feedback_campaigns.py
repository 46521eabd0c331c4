import re

from db.core.connection import connect
from tests.apptest import page, texts


def test_feedback_page_records_an_answer(seeded):
    path = seeded[0]
    c = connect(path)
    person = c.execute("SELECT first_name, id FROM contacts WHERE lifecycle = 'customer' LIMIT 1").fetchone()
    before = c.execute("SELECT COUNT(*) FROM feedback WHERE contact_id = ?", (person["id"],)).fetchone()[0]
    at = page("pages/feedback.py", path, "rep")
    at.run()
    at.text_input(key="fb_search").input(person["first_name"]).run()
    at.selectbox(key="fb_customer").select(person["id"]).run()
    next(b for b in at.button if b.label == "Save the answer").click().run()
    assert not at.exception and "Saved." in texts(at)
    assert c.execute("SELECT COUNT(*) FROM feedback WHERE contact_id = ?", (person["id"],)).fetchone()[0] == before + 1


def test_campaigns_and_segments_pages_open_for_managers(seeded):
    for script in ("pages/campaigns.py", "pages/segments.py"):
        at = page(script, seeded[0], "manager")
        at.run()
        assert not at.exception, script


def test_segment_refresh_says_how_many_changed_and_a_second_one_changes_nothing(seeded):
    with connect(seeded[0]) as c:
        c.execute("DELETE FROM contact_segments WHERE contact_id = (SELECT MIN(contact_id) FROM contact_segments)")
    at = page("pages/segments.py", seeded[0], "manager")
    at.run()
    at.button(key="seg_refresh").click().run()
    assert not at.exception
    first = " ".join(str(s.value) for s in at.success)  # at least the customer whose row was removed changed
    assert re.search(r"\d+ customers segmented\. [1-9]\d* changed since the last computation\.", first), first
    at.button(key="seg_refresh").click().run()
    assert "0 changed since the last computation." in " ".join(str(s.value) for s in at.success)
