"""Webhooks end to end: the server's worker posts to a receiver in this process over real HTTP."""

from __future__ import annotations

import hashlib
import hmac
import time

import pytest

from db.core import fields, records
from db.core.connection import write
from db.crm import contacts, deals, webhooks


def wait_for(read, timeout: float = 30.0):
    deadline = time.monotonic() + timeout
    while True:
        got = read()
        if got or time.monotonic() > deadline:
            return got
        time.sleep(0.1)


def verify(secret: str, request: dict) -> bool:
    """What a receiver does (docs/integrations.md): HMAC-SHA256 over "<timestamp>.<body>", compared in constant
    time, and a timestamp no older than five minutes."""
    stamp = request["headers"]["x-crm-timestamp"]
    expected = "sha256=" + hmac.new(secret.encode(), stamp.encode() + b"." + request["body"],
                                    hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, request["headers"]["x-crm-signature"]) and abs(time.time() - int(stamp)) < 300


def test_a_change_is_posted_signed_with_its_record_and_changes(conn, admin, server, receiver):
    _, secret = webhooks.create_endpoint(conn, {"name": "Receiver", "url": receiver.url,
                                                "events": ["contact.created", "contact.updated"]}, admin)
    budget = fields.define(conn, "contacts", {"type": "money", "labels": {"en": "Budget"}}, admin)
    fields.define(conn, "contacts", {"type": "multi_choice", "labels": {"en": "Interests"},
                                     "options": ["CRM", "ERP"]}, admin)
    with write(conn):  # one change: the worker cannot read the record between the two writes
        contact_id = contacts.create(conn, {"first_name": "Hook", "last_name": "Target",
                                            "email": "hook@example.com"}, admin)
        records.update(conn, "contacts", contact_id, 1, {budget.column: 5000}, admin)
    row = records.get(conn, "contacts", contact_id)
    contacts.update(conn, contact_id, row["version"], {"title": "Buyer"}, admin)
    got = wait_for(lambda: len(receiver.events()) >= 3 and receiver.events())
    assert got, "no delivery arrived"
    created = next(r for r in got if r["json"]["event"] == "contact.created")
    updated = next(r for r in got if r["json"]["changes"]["after"].get("title"))
    assert all(verify(secret, r) for r in got)
    assert not verify("whsec_wrong", created)
    assert created["headers"]["x-crm-event"] == "contact.created"
    assert created["json"]["data"]["email"] == "hook@example.com"
    assert created["json"]["data"]["custom"] == {"budget": 5000, "interests": []}  # by key, in public shape
    assert not any(k.startswith("cf_") for k in created["json"]["data"])
    assert updated["json"]["changes"] == {"before": {"title": None}, "after": {"title": "Buyer", "version": 3}}
    assert updated["json"]["actor"]["id"] == admin.id
    log = webhooks.deliveries(conn)
    assert {d["status"] for d in log} == {"delivered"} and {d["attempts"] for d in log} == {1}


def test_deal_events_and_only_the_subscribed_ones(conn, admin, server, receiver):
    webhooks.create_endpoint(conn, {"name": "Deals", "url": receiver.url, "events": ["deal.won"]}, admin)
    deal = conn.execute("SELECT d.id, d.version, d.pipeline_id FROM deals d JOIN stages s ON s.id = d.stage_id "
                        "WHERE s.kind = 'open' AND d.deleted_at IS NULL LIMIT 1").fetchone()
    won = conn.execute("SELECT id FROM stages WHERE pipeline_id = ? AND kind = 'won'", (deal["pipeline_id"],)).fetchone()
    contacts.create(conn, {"first_name": "Not subscribed"}, admin)
    deals.move(conn, deal["id"], won["id"], deal["version"], admin, amount=1200)
    got = wait_for(lambda: receiver.events("deal.won"))
    assert got and got[0]["json"]["entity_id"] == deal["id"] and got[0]["json"]["data"]["amount"] == 1200
    time.sleep(1.0)  # the worker polls every 0.2 s: anything else would have come by now
    assert [r["json"]["event"] for r in receiver.events()] == ["deal.won"]


def test_a_failing_receiver_is_retried_with_backoff_then_delivered(conn, admin, server, receiver):
    receiver.answers = [500, 503, 200]
    webhooks.create_endpoint(conn, {"name": "Flaky", "url": receiver.url, "events": ["activity.created"]}, admin)
    contact_id = contacts.create(conn, {"first_name": "Retry"}, admin)
    records.create(conn, "activities", {"kind": "note", "subject": "Call notes", "contact_id": contact_id,
                                        "starts_at": "2026-11-02 10:00:00"}, admin)
    assert wait_for(lambda: len(receiver.events()) >= 3, timeout=40)
    tries = receiver.events()
    assert len({r["headers"]["x-crm-delivery"] for r in tries}) == 1  # one delivery, tried three times
    assert len({r["body"] for r in tries}) == 1  # the same bytes each time (payload frozen at the first try)
    gaps = [b["at"] - a["at"] for a, b in zip(tries, tries[1:], strict=False)]
    assert gaps[0] >= 0.45 and gaps[1] >= 0.95  # the pauses double: 0.5 s, then 1 s (CRM_WEBHOOK_RETRY_BASE)
    delivered = wait_for(lambda: [d for d in webhooks.deliveries(conn) if d["status"] == "delivered"])
    assert delivered[0]["attempts"] == 3 and delivered[0]["last_error"] is None


def test_failures_are_logged_and_send_again_queues_it_once_more(conn, admin, server, receiver):
    receiver.answers = [410]
    endpoint_id, _ = webhooks.create_endpoint(conn, {"name": "Gone", "url": receiver.url,
                                                     "events": ["feedback.received"]}, admin)
    contact_id = contacts.create(conn, {"first_name": "Feedback"}, admin)
    records.create(conn, "feedback", {"contact_id": contact_id, "kind": "nps", "score": 9,
                                      "responded_at": "2026-11-20 09:00:00"}, admin)
    wait_for(lambda: receiver.events())
    row = wait_for(lambda: [d for d in webhooks.deliveries(conn) if d["attempts"] >= 1])[0]
    assert row["last_status"] == 410 and "410" in row["last_error"] and row["status"] == "pending"
    conn.execute("UPDATE webhook_deliveries SET status = 'failed' WHERE id = ?", (row["id"],))  # as after 10 tries
    receiver.answers = [200]
    before = len(receiver.events())
    webhooks.send_again(conn, row["id"], admin)
    assert wait_for(lambda: [d for d in webhooks.deliveries(conn, endpoint_id, "delivered")])
    assert len(receiver.events()) == before + 1


def test_a_restart_loses_nothing(conn, admin, servers, receiver):
    """Events queued while the receiver fails and the server is down are all delivered after the restart."""
    receiver.answers = [500]
    servers.start()
    webhooks.create_endpoint(conn, {"name": "Restart", "url": receiver.url, "events": ["contact.created"]}, admin)
    first = [contacts.create(conn, {"first_name": f"Before {i}"}, admin) for i in range(3)]
    assert wait_for(lambda: len(receiver.events()) >= 3)  # tried, refused
    servers.stop()
    later = [contacts.create(conn, {"first_name": f"While down {i}"}, admin) for i in range(2)]  # nobody sends
    pending = conn.execute("SELECT COUNT(*) FROM webhook_deliveries WHERE status = 'pending'").fetchone()[0]
    assert pending == 5
    receiver.answers = [200]
    servers.start()
    assert wait_for(lambda: conn.execute("SELECT COUNT(*) FROM webhook_deliveries WHERE status = 'delivered'")
                    .fetchone()[0] == 5, timeout=40)
    ok = {r["json"]["entity_id"] for r in receiver.events() if r["json"]["event"] == "contact.created"}
    assert ok == set(first + later)


def test_a_rolled_back_change_sends_nothing(conn, admin, server, receiver):
    webhooks.create_endpoint(conn, {"name": "Rollback", "url": receiver.url, "events": ["contact.created"]}, admin)
    with pytest.raises(RuntimeError), write(conn):
        contacts.create(conn, {"first_name": "Ghost"}, admin)
        assert conn.execute("SELECT COUNT(*) FROM webhook_deliveries").fetchone()[0] == 1  # queued inside ...
        raise RuntimeError("the rest of the change failed")
    assert conn.execute("SELECT COUNT(*) FROM webhook_deliveries").fetchone()[0] == 0  # ... and gone with it
    contacts.create(conn, {"first_name": "Marker"}, admin)
    assert wait_for(lambda: receiver.events())
    time.sleep(1.0)
    assert [r["json"]["data"]["first_name"] for r in receiver.events()] == ["Marker"]


def test_two_workers_share_the_outbox_without_sending_twice(conn, admin, server, receiver):
    """A second process's worker (here: one in the test process) and the server's claim disjoint rows."""
    from integrations.delivery import Worker

    webhooks.create_endpoint(conn, {"name": "Shared", "url": receiver.url, "events": ["contact.created"]}, admin)
    other = Worker(conn.execute("PRAGMA database_list").fetchone()[2], poll=0.05, retry_base=0.5).start()
    try:
        made = [contacts.create(conn, {"first_name": f"Shared {i}"}, admin) for i in range(30)]
        assert wait_for(lambda: len(receiver.events()) >= 30)
        time.sleep(1.0)
    finally:
        other.stop()
    ids = [r["json"]["entity_id"] for r in receiver.events()]
    assert sorted(ids) == sorted(made)
