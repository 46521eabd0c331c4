from db.core import records
from db.crm import duplicates, timeline


def test_candidates_and_merge_move_everything(conn, admin):
    acme = records.create(conn, "companies", {"name": "Acme"}, admin)
    a = records.create(conn, "contacts", {"first_name": "Ana", "last_name": "Lima", "email": "ana@x.io",
                                          "company_id": acme}, admin)
    b = records.create(conn, "contacts", {"first_name": "Ana", "last_name": "Lima", "email": "ANA@x.io",
                                          "title": "CEO", "company_id": acme}, admin)
    pairs = duplicates.candidates(conn)
    assert {(p["a"], p["b"], p["reason"]) for p in pairs} == {(a, b, "email"), (a, b, "name and company")}
    timeline.add(conn, b, "note", "Loser's note", admin)
    timeline.add(conn, b, "comment", "Loser's comment", admin)
    conn.execute("INSERT INTO feedback (contact_id, kind, score, responded_at) VALUES (?, 'csat', 5, '2026-01-01')",
                 (b,))
    moved = duplicates.merge(conn, a, b, {"title": "loser"}, admin)
    assert moved == {"activities": 1, "deals": 0, "feedback": 1, "comments": 1}
    assert records.get(conn, "contacts", a)["title"] == "CEO"
    assert records.get(conn, "contacts", b, include_deleted=True)["deleted_at"]
    kinds = {e["kind"] for e in timeline.timeline(conn, a)}
    assert {"note", "comment", "feedback"} <= kinds
    assert conn.execute("SELECT COUNT(*) FROM audit_log WHERE action = 'merge' AND entity_id = ?", (a,)).fetchone()[0]
    assert duplicates.candidates(conn) == []


def test_groups_of_three_give_three_pairs_deleted_ones_none_and_the_list_is_bounded(conn, admin):
    ids = [records.create(conn, "contacts", {"first_name": f"P{i}", "last_name": "Q", "phone": "+1 415 555 0100"},
                          admin) for i in range(4)]
    records.soft_delete(conn, "contacts", ids[3], admin)
    pairs = duplicates.candidates(conn)
    assert [(p["a"], p["b"], p["reason"], p["value"]) for p in pairs] == [
        (ids[0], ids[1], "phone", "+1 415 555 0100"), (ids[0], ids[2], "phone", "+1 415 555 0100"),
        (ids[1], ids[2], "phone", "+1 415 555 0100")]
    assert len(duplicates.candidates(conn, limit=2)) == 2


def test_lookalikes_find_same_email_phone_or_name_in_company(conn, admin):
    from db.crm import duplicates as dup

    company = records.create(conn, "companies", {"name": "Acme"}, admin)
    same = records.create(conn, "contacts", {"first_name": "Ann", "last_name": "Lee", "email": "ann@acme.example",
                                             "phone": "+4930123456", "company_id": company}, admin)
    records.create(conn, "contacts", {"first_name": "Ann", "last_name": "Lee"}, admin)  # no company: not the same
    assert [r["id"] for r in dup.lookalikes(conn, {"first_name": "X", "email": "ANN@acme.example"})] == [same]
    assert [r["reason"] for r in dup.lookalikes(conn, {"first_name": "X", "phone": "+4930123456"})] == ["phone"]
    assert [r["id"] for r in dup.lookalikes(conn, {"first_name": "ann", "last_name": "LEE",
                                                   "company_id": company})] == [same]
    assert dup.lookalikes(conn, {"first_name": "Bob", "email": "bob@acme.example"}) == []


def test_company_lookalikes_ignore_case_and_spacing(conn, admin):
    from db.crm import companies
    from db.crm import duplicates as dup

    acme = companies.create(conn, {"name": "  Acme   Widgets "}, admin)
    assert records.get(conn, "companies", acme)["name"] == "Acme Widgets"
    assert [r["id"] for r in dup.company_lookalikes(conn, "acme  widgets")] == [acme]
    assert dup.company_lookalikes(conn, "Acme") == []


def test_company_lookalikes_match_the_way_the_import_does(conn, admin):
    from db.crm import companies
    from db.crm import duplicates as dup

    vector = companies.create(conn, {"name": "ООО «Вектор»"}, admin)
    assert [r["id"] for r in dup.company_lookalikes(conn, "ооо вектор")] == [vector]
