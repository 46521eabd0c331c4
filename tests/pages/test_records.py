"""AppTest of the contact and company records: plan a next step, log a call and be offered the next step."""

from datetime import date, time, timedelta

import pytest

from db.core.connection import connect, now
from db.crm import activities
from tests.apptest import page, texts, user_id


def _ids(path):
    c = connect(path)
    company = c.execute("SELECT company_id FROM contacts WHERE company_id IS NOT NULL AND deleted_at IS NULL "
                        "ORDER BY id LIMIT 1").fetchone()[0]
    contact = c.execute("SELECT id FROM contacts WHERE deleted_at IS NULL ORDER BY id LIMIT 1").fetchone()[0]
    return contact, company


@pytest.mark.parametrize("script, field", [("pages/contacts.py", "contact_id"), ("pages/companies.py", "company_id")])
def test_schedule_a_next_step(seeded, script, field):
    path = seeded[0]
    contact, company = _ids(path)
    rid = contact if field == "contact_id" else company
    key = f"{'contact' if field == 'contact_id' else 'company'}_{rid}"
    c = connect(path)
    uid = user_id(path, "rep")
    c.execute("UPDATE users SET timezone = 'Europe/Berlin' WHERE id = ?", (uid,))
    at = page(script, path, "rep", query={"id": rid})
    at.run()
    assert not at.exception
    at.button(key=f"{key}_ns_button").click().run()
    assert at.selectbox(key=f"{key}_ns_owner").options == [c.execute("SELECT name FROM users WHERE id = ?",
                                                                     (uid,)).fetchone()[0]]
    at.selectbox(key=f"{key}_ns_kind").set_value("meeting")
    at.text_input(key=f"{key}_ns_subject").input("Quarterly review 7Q")
    at.date_input(key=f"{key}_ns_day").set_value(date(2030, 7, 1))
    at.time_input(key=f"{key}_ns_at").set_value(time(9, 30))
    at.button(key=f"FormSubmitter:{key}_ns_form-{_label('followup.save')}").click().run()
    assert not at.exception, at.exception
    row = c.execute(f"SELECT kind, starts_at, ends_at, owner_id, done FROM activities WHERE {field} = ? "
                    "AND subject = 'Quarterly review 7Q'", (rid,)).fetchone()
    assert tuple(row) == ("meeting", "2030-07-01 07:30:00", "2030-07-01 08:00:00", uid, 0)  # Berlin summer: UTC+2
    at.run()
    assert "Quarterly review 7Q" in texts(at) and "Next step" in texts(at)


def _label(key):
    from components.i18n import translate

    return translate("en", key)


@pytest.mark.parametrize("script, field", [("pages/contacts.py", "contact_id"), ("pages/companies.py", "company_id")])
def test_logging_a_call_offers_the_next_step_pre_filled(seeded, script, field):
    path = seeded[0]
    contact, company = _ids(path)
    rid = contact if field == "contact_id" else company
    key = f"{'contact' if field == 'contact_id' else 'company'}_{rid}"
    at = page(script, path, "admin", query={"id": rid})
    at.run()
    assert not at.exception
    at.session_state[f"{key}_log_kind"] = "call"
    at.run()
    at.text_area(key=f"{key}_log_text").input("Asked about the renewal price")
    at.button(key=f"FormSubmitter:{key}_log-{_label('record.add')}").click().run()
    assert not at.exception, at.exception
    assert at.text_input(key=f"{key}_ns_subject").value == "Follow up: Asked about the renewal price"
    assert at.selectbox(key=f"{key}_ns_kind").value == "task"
    assert at.time_input(key=f"{key}_ns_at").value == time(10, 0)
    tz = connect(path).execute("SELECT timezone FROM users WHERE id = ?", (user_id(path, "admin"),)).fetchone()[0]
    tomorrow = activities.utc_to_local(now(), tz or "UTC").date() + timedelta(days=1)
    assert at.date_input(key=f"{key}_ns_day").value == tomorrow  # tomorrow in the user's zone
    assert "Plan the next step" in texts(at)
    c = connect(path)
    assert c.execute(f"SELECT COUNT(*) FROM activities WHERE {field} = ? AND kind = 'call' AND done = 1 "
                     "AND subject = 'Asked about the renewal price'", (rid,)).fetchone()[0] == 1
    at.button(key=f"FormSubmitter:{key}_ns_form-{_label('followup.save')}").click().run()
    assert not at.exception
    assert c.execute(f"SELECT COUNT(*) FROM activities WHERE {field} = ? AND kind = 'task' AND done = 0 "
                     "AND subject = 'Follow up: Asked about the renewal price'", (rid,)).fetchone()[0] == 1


def test_a_reps_contact_details_are_read_only_on_someone_elses_contact(seeded):
    path = seeded[0]
    c = connect(path)
    rep, manager = user_id(path, "rep"), user_id(path, "manager")
    other, mine = [r[0] for r in c.execute("SELECT id FROM contacts WHERE deleted_at IS NULL ORDER BY id LIMIT 2")]
    c.execute("UPDATE contacts SET owner_id = ? WHERE id = ?", (manager, other))
    c.execute("UPDATE contacts SET owner_id = ? WHERE id = ?", (rep, mine))
    c.commit()
    owner = c.execute("SELECT name FROM users WHERE id = ?", (manager,)).fetchone()[0]
    at = page("pages/contacts.py", path, "rep", query={"id": other})
    at.run()
    assert at.text_input(key=f"details_{other}_email").disabled and at.selectbox(key=f"details_{other}_lifecycle").disabled
    assert f"Read-only: this record belongs to {owner}" in texts(at)
    at = page("pages/contacts.py", path, "rep", query={"id": mine})
    at.run()
    assert not at.text_input(key=f"details_{mine}_email").disabled and "Read-only" not in texts(at)
