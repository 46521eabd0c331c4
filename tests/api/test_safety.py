"""Optimistic locking, idempotent creates, key revocation and expiry, rate limits and stable cursors, over HTTP."""

from __future__ import annotations

import threading

from db.core import apikeys
from db.core.connection import connect
from tests.api.conftest import Client
from tests.e2e.harness import Server


def test_a_stale_if_match_gets_412_with_the_current_record(clients):
    api = clients["rep"]
    made = api.post("/contacts", {"first_name": "Vera"}).json()
    assert api.patch(f"/contacts/{made['id']}", {"title": "One"}, version=1).status_code == 200
    stale = api.patch(f"/contacts/{made['id']}", {"title": "Two"}, version=1)
    assert stale.status_code == 412
    problem = stale.json()
    assert problem["current"]["title"] == "One" and problem["current"]["version"] == 2
    assert problem["changed"] == ["title"] and "Rob Rep" in problem["detail"]
    assert api.patch(f"/contacts/{made['id']}", {"title": "Two"}).status_code == 428  # no If-Match at all
    assert api.get(f"/contacts/{made['id']}").json()["title"] == "One"  # nothing overwritten
    assert api.delete(f"/contacts/{made['id']}", version=1).status_code == 412


def test_a_retried_create_with_an_idempotency_key_never_duplicates(clients, db):
    api = clients["rep"]
    body = {"first_name": "Once", "last_name": "Only", "email": "once.only@example.com"}
    first = api.post("/contacts", body, headers={"Idempotency-Key": "retry-1"})
    again = api.post("/contacts", body, headers={"Idempotency-Key": "retry-1"})
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and again.headers["Idempotent-Replayed"] == "true"
    other = api.post("/contacts", {**body, "first_name": "Twice"}, headers={"Idempotency-Key": "retry-1"})
    assert other.status_code == 422 and other.json()["code"] == "api.err_idem_reused"
    assert db.execute("SELECT COUNT(*) FROM contacts WHERE email = 'once.only@example.com'").fetchone()[0] == 1


def test_parallel_retries_make_one_record(clients, db):
    api = clients["rep2"]
    body = {"first_name": "Racer", "email": "racer@example.com"}
    answers = []

    def send():
        answers.append(Client(api.base.removesuffix("/api/v1"), api.key).post(
            "/contacts", body, headers={"Idempotency-Key": "race"}).json()["id"])
    threads = [threading.Thread(target=send) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(answers) == 6 and len(set(answers)) == 1
    assert db.execute("SELECT COUNT(*) FROM contacts WHERE email = 'racer@example.com'").fetchone()[0] == 1


def test_a_revoked_or_expired_key_is_refused(api_server, api_env):
    path, _keys, people = api_env
    conn = connect(path)
    rep = people["rep2"]
    key = apikeys.create(conn, rep.id, "short-lived", "write", 1, rep)
    api = Client(api_server.url, key)
    assert api.get("/me").json()["key"]["name"] == "short-lived"
    key_id = apikeys.mine(conn, rep.id)[0]["id"]
    assert apikeys.mine(conn, rep.id)[0]["last_used_at"]  # the Account page shows when it was used
    apikeys.revoke(conn, key_id, rep)
    refused = api.get("/contacts")
    assert refused.status_code == 401 and refused.headers["WWW-Authenticate"].startswith("Bearer")
    assert refused.json()["code"] == "api.err_key"
    old = apikeys.create(conn, rep.id, "expired", "write", 1, rep)
    conn.execute("UPDATE api_keys SET expires_at = '2020-01-01 00:00:00' WHERE name = 'expired'")
    assert Client(api_server.url, old).get("/contacts").status_code == 401
    assert Client(api_server.url, "crm_forged").get("/contacts").status_code == 401
    assert Client(api_server.url, None).get("/contacts").status_code == 401
    conn.close()


def test_cursor_pages_are_stable_while_records_are_added(clients):
    api = clients["admin"]
    seen, cursor, pages = [], None, 0
    while True:
        params = {"sort": "last_name", "limit": 7, **({"cursor": cursor} if cursor else {})}
        page = api.get("/contacts", params=params).json()
        seen += [(r["last_name"], r["id"]) for r in page["data"]]
        if pages == 1:  # a record sorting before the cursor appears meanwhile: no repeat, no skip
            early = api.post("/contacts", {"first_name": "Early", "last_name": "AAAA"}).json()["id"]
        cursor, pages = page["next_cursor"], pages + 1
        if not cursor:
            break
    assert seen == sorted(seen) and len(seen) == len(set(seen))
    everyone, cursor = [], None
    while True:
        page = api.get("/contacts", params={"sort": "last_name", "limit": 200,
                                            **({"cursor": cursor} if cursor else {})}).json()
        everyone += [(r["last_name"], r["id"]) for r in page["data"]]
        if not (cursor := page["next_cursor"]):
            break
    assert set(everyone) - set(seen) == {("AAAA", early)}  # all but the one added behind the cursor
    made_for_name_sort = "WyJsYXN0X25hbWUiLGZhbHNlLCJ4IiwxXQ"
    bad = api.get("/contacts", params={"sort": "-id", "cursor": made_for_name_sort})
    assert bad.status_code == 400 and bad.json()["field"] == "cursor"


def test_search_and_filters(clients):
    api = clients["admin"]
    api.post("/contacts", {"first_name": "Zebulon", "last_name": "Quixote", "lifecycle": "prospect"})
    found = api.get("/contacts", params={"q": "quixo"}).json()["data"]
    assert [c["last_name"] for c in found] == ["Quixote"]
    prospects = api.get("/contacts", params={"lifecycle": "prospect", "limit": 200}).json()["data"]
    assert prospects and {c["lifecycle"] for c in prospects} == {"prospect"}
    later = api.get("/contacts", params={"updated_since": "2100-01-01T00:00:00Z"}).json()["data"]
    assert later == []


def test_rate_limit_answers_429_with_retry_after(api_env, tmp_path):
    srv = Server(api_env[0], tmp_path / "server.log", env={"CRM_API_RATE": "30"})  # bursts of 3
    try:
        api = Client(srv.url, api_env[1]["manager"])
        codes = [api.get("/me") for _ in range(6)]
        limited = [r for r in codes if r.status_code == 429]
        assert limited and int(limited[0].headers["Retry-After"]) >= 1
        assert limited[0].json()["code"] == "api.err_rate"
        assert Client(srv.url, api_env[1]["admin"]).get("/me").status_code == 200  # per key
    finally:
        srv.stop()
