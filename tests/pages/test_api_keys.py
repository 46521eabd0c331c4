"""The Account page's API keys: made in the form, shown once, listed without the secret, revoked."""

from __future__ import annotations

from db.core import apikeys
from db.core.connection import connect
from tests.apptest import page, texts, user_id


def test_a_key_is_made_shown_once_and_revoked(seeded):
    path, _ = seeded
    at = page("pages/account.py", path, role="rep")
    at.run()
    assert "No API keys yet." in texts(at)
    at.text_input(key="api_key_name").input("Zapier")
    next(s for s in at.selectbox if s.label == "Expires").select("Never")
    at.button(key="FormSubmitter:api_key_new-Create key").click()
    at.run()
    assert not at.exception
    token = at.code[0].value
    assert token.startswith("crm_") and "shown only once" in texts(at)
    conn = connect(path)
    actor, key, _ = apikeys.authenticate(conn, token)
    assert key["name"] == "Zapier" and key["scope"] == "read" and actor.id == user_id(path, "rep")
    table = at.dataframe[0].value
    assert list(table["Name"]) == ["Zapier"] and token not in table.to_string()
    assert list(table["Expires"]) == ["Never"] and list(table["Status"]) == ["Active"]
    at.run()
    assert not at.code  # the key is never shown again
    at.button(key="api_revoke").click()
    at.run()
    assert list(at.dataframe[0].value["Status"]) == ["Revoked"]
    assert apikeys.mine(conn, actor.id)[0]["revoked_at"]
    conn.close()


def test_a_key_needs_a_name(seeded):
    at = page("pages/account.py", seeded[0], role="manager")
    at.run()
    at.button(key="FormSubmitter:api_key_new-Create key").click()
    at.run()
    assert any("Give the key a name" in e.value for e in at.error)
    assert not at.code
