"""An open tab confirms its server-side session on every run (plain `streamlit run`/AppTest mode too)."""

from db.core import users
from db.core.connection import connect
from db.core.permissions import Actor
from tests.apptest import page, texts

ENDED = "You were signed out: this session ended"


def _admin(c) -> Actor:
    return Actor(c.execute("SELECT id FROM users WHERE role = 'admin' ORDER BY id LIMIT 1").fetchone()[0], "admin")


def test_a_deactivated_user_is_signed_out_of_an_open_tab(seeded):
    at = page("pages/contacts.py", seeded[0], role="rep")
    at.run()
    assert not at.exception and "session_token" in at.session_state
    c = connect(seeded[0])
    rep = users.session_user(c, at.session_state["session_token"])
    version = c.execute("SELECT version FROM users WHERE id = ?", (rep["id"],)).fetchone()[0]
    users.update_user(c, rep["id"], version, {"active": False}, _admin(c))
    c.close()
    at.run()  # the tab's next interaction
    assert not at.exception
    assert ENDED in texts(at)
    assert [b.label for b in at.button] == ["Sign in"]
    assert "session_token" not in at.session_state


def test_an_admin_password_reset_signs_out_an_open_tab(seeded):
    at = page("app.py", seeded[0], role="manager")
    at.run()
    c = connect(seeded[0])
    users.reset_password(c, users.session_user(c, at.session_state["session_token"])["id"], _admin(c))
    c.close()
    at.run()
    assert ENDED in texts(at) and not at.metric


def test_sign_in_without_cookie_routes_still_makes_a_revocable_session(seeded):
    path, creds = seeded
    at = page("app.py", path, role=None)
    at.run()
    at.text_input(key="sign_in_email").input("admin@demo.example")
    at.text_input(key="sign_in_password").input(creds["admin@demo.example"])
    at.button[0].click().run()
    assert "Welcome back" in texts(at)
    c = connect(path)
    token = at.session_state["session_token"]
    assert users.session_user(c, token)["email"] == "admin@demo.example"
    users.revoke_all_sessions(c, users.session_user(c, token)["id"])
    c.close()
    at.run()
    assert ENDED in texts(at)


def test_sign_out_everywhere_ends_this_tab_too_and_says_how_many(seeded):
    at = page("pages/account.py", seeded[0], role="rep")
    at.run()
    other = page("pages/account.py", seeded[0], role="rep")
    other.run()
    at.button(key="sign_out_everywhere").click().run()
    assert not at.exception
    assert "2 sessions ended" in texts(at) and [b.label for b in at.button] == ["Sign in"]
    other.run()
    assert ENDED in texts(other)


def test_changing_the_password_keeps_this_tab_and_ends_the_others(seeded):
    path, creds = seeded
    at = page("app.py", path, role=None)
    at.run()
    email = next(e for e in creds if e.startswith("rep"))
    at.text_input(key="sign_in_email").input(email)
    at.text_input(key="sign_in_password").input(creds[email])
    at.button[0].click().run()
    other = page("app.py", path, role="rep")  # another tab of someone signed in as the same person
    other.session_state["session_token"] = _session(path, email)
    other.run()
    at.switch_page("pages/account.py").run()
    at.text_input(key="old_password").input(creds[email])
    at.text_input(key="new_password").input("password12")
    at.text_input(key="repeat_password").input("password12")
    at.button[0].click().run()
    assert "commonly used" in texts(at)
    at.text_input(key="new_password").input("violet tundra lamp 42")
    at.text_input(key="repeat_password").input("violet tundra lamp 42")
    at.button[0].click().run()
    assert "Password changed" in texts(at)
    at.run()
    assert ENDED not in texts(at)
    other.run()
    assert ENDED in texts(other)


def _session(path, email) -> str:
    c = connect(path)
    try:
        return users.create_session(c, c.execute("SELECT id FROM users WHERE email = ?", (email,)).fetchone()[0])
    finally:
        c.close()
