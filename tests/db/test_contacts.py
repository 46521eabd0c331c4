"""Contacts: validation as a table, bounded pages with search and filters, all-or-nothing grid saves."""

import pytest

from db.analytics import customer_kpi
from db.core import records
from db.core.errors import ConflictError, ValidationError
from db.crm import contacts, timeline


@pytest.mark.parametrize("values,field", [
    ({"first_name": ""}, "first_name"),
    ({"first_name": "   "}, "first_name"),
    ({"first_name": "x" * 101}, "first_name"),
    ({"first_name": "Ana", "email": "not-an-email"}, "email"),
    ({"first_name": "Ana", "email": "a@b"}, "email"),
    ({"first_name": "Ana", "phone": "call me maybe"}, "phone"),
    ({"first_name": "Ana", "phone": "030 1234567"}, "phone"),  # no country code and no company country
    ({"first_name": "Ana", "lifecycle": "zombie"}, "lifecycle"),
    ({"first_name": "Ana", "owner_id": "boss"}, "owner_id"),
    ({"first_name": "Ana", "is_admin": 1}, "is_admin"),
])
def test_bad_values_name_their_field_and_save_nothing(conn, admin, values, field):
    with pytest.raises(ValidationError) as err:
        contacts.create(conn, values, admin, row=3)
    assert err.value.field == field and err.value.row == 3
    assert conn.execute("SELECT COUNT(*) FROM contacts").fetchone()[0] == 0


@pytest.mark.parametrize("raw,stored", [
    ({"phone": "+49 30 1234567"}, "+49301234567"),
    ({"email": " Ana@Example.COM "}, "ana@example.com"),
    ({"tags": "VIP, trial,vip,, "}, "vip,trial"),
    ({"last_name": "Robert'); DROP TABLE contacts;--"}, "Robert'); DROP TABLE contacts;--"),
    ({"last_name": "<script>alert(1)</script>"}, "<script>alert(1)</script>"),
    ({"last_name": "שלום 🙂"}, "שלום 🙂"),
])
def test_values_are_normalised_or_kept_verbatim(conn, admin, raw, stored):
    cid = contacts.create(conn, {"first_name": "Ana", **raw}, admin)
    assert records.get(conn, "contacts", cid)[next(iter(raw))] == stored


def test_phone_without_country_code_uses_the_company_country(conn, admin):
    company = records.create(conn, "companies", {"name": "Berlin GmbH", "country": "DE"}, admin)
    cid = contacts.create(conn, {"first_name": "Ana", "company_id": company, "phone": "030 1234567"}, admin)
    assert records.get(conn, "contacts", cid)["phone"] == "+49301234567"


def test_search_filters_and_pages(conn, admin, rep):
    acme = records.create(conn, "companies", {"name": "Acme Rockets"}, admin)
    for i in range(30):
        contacts.create(conn, {"first_name": f"Person{i:02d}", "last_name": "Zed", "owner_id": rep.id if i % 3 == 0
                               else admin.id, "tags": "vip" if i < 5 else "", "lifecycle": "customer" if i < 10
                               else "lead"}, admin)
    contacts.create(conn, {"first_name": "Ana", "last_name": "Lima", "company_id": acme, "email": "ana@acme.io"}, admin)
    found, total = contacts.page(conn, contacts.Query(search="rock"), limit=10)
    assert total == 1 and found[0]["first_name"] == "Ana"
    assert contacts.page(conn, contacts.Query(search="ana@acme"))[1] == 1
    assert contacts.page(conn, contacts.Query(search='"; DROP TABLE contacts; --'))[1] == 0
    assert contacts.page(conn, contacts.Query(tag="vip"))[1] == 5
    assert contacts.page(conn, contacts.Query(owner_id=rep.id))[1] == 10
    assert contacts.page(conn, contacts.Query(lifecycle="customer", owner_id=rep.id))[1] == 4
    ids = [r[0] for r in conn.execute("SELECT id FROM contacts ORDER BY id LIMIT 3")]
    conn.execute("INSERT INTO contact_segments (contact_id, abc_profit) VALUES (?, 'A'), (?, 'A'), (?, 'B')", ids)
    assert sorted(r["id"] for r in contacts.page(conn, contacts.Query(segment="A"))[0]) == ids[:2]
    first, total = contacts.page(conn, contacts.Query(sort="name"), limit=10, offset=0)
    second, _ = contacts.page(conn, contacts.Query(sort="name"), limit=10, offset=10)
    assert total == 31 and len(first) == len(second) == 10 and not {r["id"] for r in first} & {r["id"] for r in second}


def test_grid_save_is_all_or_nothing(conn, admin):
    a = contacts.create(conn, {"first_name": "A"}, admin)
    b = contacts.create(conn, {"first_name": "B"}, admin)
    rows = {r["id"]: r for r in contacts.page(conn, contacts.Query())[0]}
    with pytest.raises(ValidationError) as err:
        contacts.save_grid(conn, [(rows[a], {"title": "CEO"}), (rows[b], {"email": "broken"})],
                           [{"first_name": "New"}], [], admin)
    assert err.value.row == 2
    assert records.get(conn, "contacts", a)["title"] is None
    assert conn.execute("SELECT COUNT(*) FROM contacts").fetchone()[0] == 2


def test_grid_save_refuses_a_stale_row(conn, admin, manager):
    a = contacts.create(conn, {"first_name": "A"}, admin)
    seen = contacts.page(conn, contacts.Query())[0][0]
    contacts.update(conn, a, 1, {"title": "CTO"}, manager)
    with pytest.raises(ConflictError) as err:
        contacts.save_grid(conn, [(seen, {"first_name": "Mine"})], [], [], admin)
    assert "Mia Manager" in str(err.value) and err.value.changed == ["title"]
    assert records.get(conn, "contacts", a)["first_name"] == "A"


def test_bulk_actions_and_undo(conn, admin, rep):
    ids = [contacts.create(conn, {"first_name": n}, admin) for n in "ABC"]
    contacts.bulk(conn, ids[:2], "owner", rep.id, admin)
    contacts.bulk(conn, ids, "tag", "webinar", admin)
    contacts.bulk(conn, ids[2:], "delete", None, admin)
    assert [records.get(conn, "contacts", i)["owner_id"] for i in ids[:2]] == [rep.id, rep.id]
    assert records.get(conn, "contacts", ids[0])["tags"] == "webinar"
    assert contacts.page(conn, contacts.Query())[1] == 2
    records.restore(conn, "contacts", ids[2], admin)
    assert contacts.page(conn, contacts.Query())[1] == 3


def test_timeline_merges_every_kind_newest_first(conn, admin):
    cid = contacts.create(conn, {"first_name": "Ana"}, admin)
    timeline.add(conn, cid, "note", "Prefers email", admin)
    timeline.add(conn, cid, "comment", "Great call", admin)
    conn.execute("INSERT INTO feedback (contact_id, kind, score, responded_at) VALUES (?, 'csat', 5, '2020-01-01')",
                 (cid,))
    kinds = [e["kind"] for e in timeline.timeline(conn, cid)]
    assert {"note", "comment", "feedback", "change"} <= set(kinds)
    assert kinds[-1] == "feedback"  # the oldest
    assert [e["kind"] for e in timeline.timeline(conn, cid, ["comment"])] == ["comment"]
    with pytest.raises(ValidationError):
        timeline.add(conn, cid, "note", "   ", admin)
    with pytest.raises(ValidationError):
        timeline.add(conn, cid, "drop table", "x", admin)


def test_customer_figures_by_hand(conn, admin):
    # Campaign spend 1000 acquired 2 customers -> CAC 500. Won deals 800 (cost 300) + 200 (cost 100): margin 600.
    # Done activities: 90 min at 40/h = 60. Profit = 600 - 60 - 500 = 40. CSAT 4, 2 -> 50 %; NPS 10, 3 -> 0.
    x = conn.execute
    x("UPDATE users SET hourly_cost = 40 WHERE id = ?", (admin.id,))
    x("INSERT INTO campaigns (id, name, channel, spend) VALUES (9, 'C', 'email', 1000)")
    x("INSERT INTO contacts (id, first_name, campaign_id, acquired_at) VALUES (50, 'A', 9, '2026-01-01'), "
      "(51, 'B', 9, '2026-02-01')")
    x("INSERT INTO pipelines (id, name, kind) VALUES (1, 'S', 'sales')")
    x("INSERT INTO stages (id, pipeline_id, name, kind, probability) VALUES (1, 1, 'Won', 'won', 1)")
    x("INSERT INTO deals (pipeline_id, stage_id, title, contact_id, amount, cost) VALUES (1, 1, 'd', 50, 800, 300), "
      "(1, 1, 'e', 50, 200, 100)")
    x("INSERT INTO activities (kind, subject, contact_id, owner_id, duration_min, done) VALUES "
      "('call', 'a', 50, ?, 60, 1), ('call', 'b', 50, ?, 30, 1), ('call', 'c', 50, ?, 600, 0)",
      (admin.id, admin.id, admin.id))
    x("INSERT INTO feedback (contact_id, kind, score, responded_at) VALUES (50, 'csat', 4, '2026-01-02'), "
      "(50, 'csat', 2, '2026-01-03'), (50, 'nps', 10, '2026-01-02'), (50, 'nps', 3, '2026-01-03')")
    f = customer_kpi.figures(conn, 50)
    assert (f["revenue"], f["margin"]) == (1000, 600)
    assert f["cost_to_serve"] == pytest.approx(60) and f["cac"] == pytest.approx(500)
    assert f["profit"] == pytest.approx(40) and f["csat"] == 0.5 and f["nps"] == 0
    empty = customer_kpi.figures(conn, 51)
    assert empty["revenue"] is None and empty["csat"] is None and empty["nps"] is None
