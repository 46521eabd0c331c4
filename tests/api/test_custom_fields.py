"""Custom fields through the API: under "custom" by key, the write path's rules and roles, in the OpenAPI document."""

from __future__ import annotations

import requests


def test_custom_values_round_trip(clients):
    rep = clients["rep"]
    made = rep.post("/contacts", {"first_name": "Cora", "custom": {"tier": "Gold", "score": 7, "renewal": "2027-01-31",
                                                                   "topics": ["api", "sso"]}})
    assert made.status_code == 201, made.text
    custom = made.json()["custom"]
    assert custom["tier"] == "Gold" and custom["score"] == 7 and custom["renewal"] == "2027-01-31"
    assert custom["topics"] == ["api", "sso"] and custom["vip"] in (False, None)
    assert "margin_note" not in custom  # a rep does not see it
    saved = rep.patch(f"/contacts/{made.json()['id']}", {"custom": {"score": 8.5, "topics": []}}, version=1)
    assert saved.status_code == 200 and saved.json()["custom"]["score"] == 8.5 and saved.json()["custom"]["topics"] == []
    manager = clients["manager"].get(f"/contacts/{made.json()['id']}").json()["custom"]
    assert "margin_note" in manager and manager["score"] == 8.5


def test_custom_rules_and_roles_answer_at_the_field(clients):
    rep = clients["rep"]
    wrong = rep.post("/contacts", {"first_name": "Cy", "custom": {"tier": "Bronze"}})
    assert wrong.status_code == 422 and wrong.json()["field"] == "custom.tier"
    assert wrong.json()["detail"].startswith("Уровень")
    hidden = rep.post("/contacts", {"first_name": "Cy", "custom": {"margin_note": "x"}})
    assert hidden.status_code == 422 and hidden.json()["field"] == "custom.margin_note"
    bad_day = rep.post("/contacts", {"first_name": "Cy", "custom": {"renewal": "2027-13-45"}})
    assert bad_day.status_code == 422 and bad_day.json()["field"] == "custom.renewal"
    assert bad_day.json()["detail"].startswith("Продление")  # the field's label in Rob's language
    not_mine = rep.post("/contacts", {"first_name": "Cy", "custom": {"vip": True}})
    assert not_mine.status_code == 403 and not_mine.json()["code"] == "custom.err_role"
    assert clients["manager"].post("/contacts", {"first_name": "Cy", "custom": {"vip": True}}).json()["custom"]["vip"]


def test_other_entities_carry_their_fields(clients):
    rep = clients["rep"]
    deal = rep.post("/deals", {"title": "Custom deal", "stage_id": 1, "custom": {"source_detail": "webinar"}})
    assert deal.json()["custom"] == {"source_detail": "webinar"}
    call = rep.post("/activities", {"kind": "note", "subject": "Outcome noted", "custom": {"outcome": "won"}}).json()
    assert call["custom"] == {"outcome": "won"}
    moved = rep.patch(f"/activities/{call['id']}", {"custom": {"outcome": "lost"}}, version=call["version"])
    assert moved.json()["custom"] == {"outcome": "lost"}
    assert "custom" not in rep.get("/feedback", params={"limit": 1}).json()["data"][0]


def test_the_document_carries_the_callers_fields(api_server, api_env):
    url = f"{api_server.url}/api/v1/openapi.json"
    as_rep = requests.get(url, headers={"Authorization": f"Bearer {api_env[1]['rep']}"}, timeout=30).json()
    contact = as_rep["components"]["schemas"]["Contacts"]["properties"]["custom"]
    assert {"tier", "score", "renewal", "topics", "vip"} <= set(contact["properties"])
    assert "margin_note" not in contact["properties"]
    assert contact["properties"]["tier"]["enum"] == ["Gold", "Silver", None]
    assert as_rep["components"]["schemas"]["ContactsCreate"]["properties"]["custom"]["additionalProperties"] is False
    as_admin = requests.get(url, headers={"Authorization": f"Bearer {api_env[1]['admin']}"}, timeout=30).json()
    assert "margin_note" in as_admin["components"]["schemas"]["Contacts"]["properties"]["custom"]["properties"]
    anonymous = requests.get(url, timeout=30).json()
    assert anonymous["components"]["schemas"]["Contacts"]["properties"]["custom"] == {"type": "object"}
