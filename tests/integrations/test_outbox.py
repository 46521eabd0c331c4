"""The outbox rule in the data layer alone: which changes queue which events, on every write path."""

from __future__ import annotations

import pytest

from db.core import records
from db.core.errors import PermissionDenied, ValidationError
from db.core.permissions import Actor
from db.crm import webhooks
from db.io import bulk


def queued(conn) -> list[tuple]:
    return [tuple(r) for r in conn.execute("SELECT event, entity, entity_id FROM webhook_deliveries ORDER BY id")]


def test_nothing_is_queued_without_an_active_endpoint(conn, admin):
    endpoint_id, _ = webhooks.create_endpoint(conn, {"name": "Off", "url": "http://127.0.0.1:9/x",
                                                     "events": list(webhooks.EVENTS)}, admin)
    webhooks.update_endpoint(conn, endpoint_id, {"active": False}, admin)
    records.create(conn, "contacts", {"first_name": "Quiet"}, admin)
    assert queued(conn) == []


def test_every_write_path_queues_and_each_endpoint_gets_its_own_events(conn, admin):
    a, _ = webhooks.create_endpoint(conn, {"name": "All", "url": "http://127.0.0.1:9/a",
                                           "events": list(webhooks.EVENTS)}, admin)
    b, _ = webhooks.create_endpoint(conn, {"name": "Deletes", "url": "http://127.0.0.1:9/b",
                                           "events": ["contact.deleted"]}, admin)
    ids = bulk.create_many(conn, "contacts", [{"first_name": "Bulk 1"}, {"first_name": "Bulk 2"}], admin)  # imports
    records.soft_delete(conn, "contacts", ids[0], admin)
    records.restore(conn, "contacts", ids[0], admin)
    records.create(conn, "companies", {"name": "Not an event"}, admin)
    got = conn.execute("SELECT endpoint_id, event, entity_id FROM webhook_deliveries ORDER BY id").fetchall()
    assert [tuple(r) for r in got] == [(a, "contact.created", ids[0]), (a, "contact.created", ids[1]),
                                       (a, "contact.deleted", ids[0]), (b, "contact.deleted", ids[0]),
                                       (a, "contact.updated", ids[0])]


def test_only_admins_manage_endpoints_and_bad_input_names_the_field(conn, admin):
    with pytest.raises(PermissionDenied):
        webhooks.create_endpoint(conn, {"name": "x", "url": "http://a.example", "events": ["deal.won"]},
                                 Actor(admin.id, "manager"))
    for values, field in (({"name": "", "url": "http://a.example", "events": ["deal.won"]}, "name"),
                          ({"name": "x", "url": "ftp://a.example", "events": ["deal.won"]}, "url"),
                          ({"name": "x", "url": "http://a example", "events": ["deal.won"]}, "url"),
                          ({"name": "x", "url": "http://a.example", "events": []}, "events"),
                          ({"name": "x", "url": "http://a.example", "events": ["deal.exploded"]}, "events")):
        with pytest.raises(ValidationError) as caught:
            webhooks.create_endpoint(conn, values, admin)
        assert caught.value.field == field


def test_the_secret_never_reaches_the_audit_log(conn, admin):
    endpoint_id, secret = webhooks.create_endpoint(conn, {"name": "S", "url": "http://a.example",
                                                          "events": ["deal.won"]}, admin)
    again = webhooks.new_secret(conn, endpoint_id, admin)
    logged = " ".join(str(tuple(r)) for r in conn.execute("SELECT before, after FROM audit_log"))
    assert secret not in logged and again not in logged and again != secret


def test_old_delivered_rows_are_pruned_and_the_rest_kept(conn, admin):
    webhooks.create_endpoint(conn, {"name": "P", "url": "http://127.0.0.1:9/p", "events": ["contact.created"]}, admin)
    for name in ("Old", "Recent", "Waiting"):
        records.create(conn, "contacts", {"first_name": name}, admin)
    conn.execute("UPDATE webhook_deliveries SET status = 'delivered', delivered_at = datetime('now', '-31 days') "
                 "WHERE id = 1")
    conn.execute("UPDATE webhook_deliveries SET status = 'delivered', delivered_at = datetime('now', '-2 days') "
                 "WHERE id = 2")
    assert webhooks.prune(conn) == 1
    assert [r[0] for r in conn.execute("SELECT id FROM webhook_deliveries ORDER BY id")] == [2, 3]
