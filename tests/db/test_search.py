"""Global search: one ranked list over contacts, companies, deals and activities, kept current by triggers."""

from __future__ import annotations

import pytest

from db.core import records
from db.core.connection import write
from db.crm import search as gs
from db.io import bulk

FTS = ("contacts_fts", "companies_fts", "deals_fts", "activities_fts")


@pytest.fixture
def crm(conn, admin):
    """A small CRM: companies, people, deals (one per stage kind) and activities linked in every way."""
    conn.execute("INSERT INTO pipelines (id, name) VALUES (1, 'Sales')")
    conn.execute("INSERT INTO stages (id, pipeline_id, name, position, probability) VALUES (1, 1, 'Lead', 0, 0.1)")
    new = lambda table, **v: records.create(conn, table, v, admin)  # noqa: E731
    ids = {
        "acme": new("companies", name="Acme", city="Berlin", website="https://acme.example"),
        "acme_widgets": new("companies", name="Acme Widgets GmbH", tags="partner"),
        "mueller": new("companies", name="Müller & Söhne AG", city="München"),
    }
    ids["ana"] = new("contacts", first_name="Ana", last_name="Acmeson", email="ana@mail.example")
    ids["bob"] = new("contacts", first_name="Bob", last_name="Ray", company_id=ids["acme"], email="bob@acme.example")
    ids["darya"] = new("contacts", first_name="Дарья", last_name="Иванова", company_id=ids["mueller"])
    ids["renewal"] = new("deals", pipeline_id=1, stage_id=1, title="Renewal 2027", company_id=ids["acme"],
                         contact_id=ids["bob"], amount=1200)
    ids["upgrade"] = new("deals", pipeline_id=1, stage_id=1, title="Upgrade", contact_id=ids["darya"])
    ids["call_deal"] = new("activities", kind="call", subject="Pricing call", contact_id=ids["bob"],
                           deal_id=ids["renewal"])
    ids["call_contact"] = new("activities", kind="call", subject="Discovery call", contact_id=ids["ana"])
    ids["note_company"] = new("activities", kind="note", subject="Budget approved", company_id=ids["mueller"])
    ids["task_alone"] = new("activities", kind="task", subject="Call back tomorrow")
    return conn, admin, ids


def found(conn, text, **kw) -> list[tuple[str, int]]:
    return [(r["kind"], r["id"]) for r in gs.search(conn, text, **kw)]


def test_exact_then_prefix_names_first_and_a_deal_by_its_company(crm):
    conn, _, ids = crm
    result = found(conn, "acme")
    assert result[:3] == [("company", ids["acme"]), ("company", ids["acme_widgets"]), ("contact", ids["ana"])]
    # the deal has no "acme" in its title: found through its company's name, before the company's people
    assert result[3:5] == [("deal", ids["renewal"]), ("contact", ids["bob"])]
    tiers = {(r["kind"], r["id"]): r["tier"] for r in gs.search(conn, "acme")}
    assert tiers[("company", ids["acme"])] == 0 and tiers[("company", ids["acme_widgets"])] == 1
    assert tiers[("contact", ids["ana"])] == 2 and tiers[("deal", ids["renewal"])] == 3


def test_words_are_prefixes_and_all_required(crm):
    conn, _, ids = crm
    assert found(conn, "acm wid") == [("company", ids["acme_widgets"])]
    assert found(conn, "ren 2027") == [("deal", ids["renewal"])]
    assert found(conn, "renewal ray") == [("deal", ids["renewal"])]  # title + contact name of the deal
    assert found(conn, "acme nothing-like-it") == []
    assert ("contact", ids["bob"]) in found(conn, "bob@acme.example")


def test_an_exact_name_beats_longer_names_sharing_its_start(crm):
    conn, admin, _ = crm
    with write(conn):
        deal_ids = bulk.create_many(conn, "deals", [{"pipeline_id": 1, "stage_id": 1, "title": f"Deal {i}"}
                                                    for i in range(1, 400)], admin)
    result = gs.search(conn, "Deal 3", limit=5)
    assert (result[0]["kind"], result[0]["id"], result[0]["tier"]) == ("deal", deal_ids[2], 0)  # oldest of 399
    assert all(r["name"].startswith("Deal 3") for r in result)


def test_activities_link_to_their_deal_then_contact_then_company_then_calendar(crm):
    conn, _, ids = crm
    links = {r["id"]: (r["page"], r["link_id"]) for r in gs.search(conn, "call", kinds=["activity"])}
    assert links[ids["call_deal"]] == ("deals", ids["renewal"])
    assert links[ids["call_contact"]] == ("contacts", ids["ana"])
    assert links[ids["task_alone"]] == ("calendar", None)
    assert [(r["page"], r["link_id"]) for r in gs.search(conn, "budget")] == [("companies", ids["mueller"])]
    deal = gs.search(conn, "renewal")[0]
    assert (deal["page"], deal["link_id"], deal["company"], deal["contact"], deal["stage"]) == (
        "deals", ids["renewal"], "Acme", "Bob Ray", "Lead")


def test_kinds_and_limit(crm):
    conn, _, ids = crm
    assert {k for k, _ in found(conn, "acme", kinds=["deal"])} == {"deal"}
    assert len(gs.search(conn, "ac", limit=2)) == 2
    with pytest.raises(ValueError):
        gs.search(conn, "acme", kinds=["users"])


HOSTILE = [
    '"', '""', "*", "acme*", '"acme', 'acme"', "NEAR(acme bob)", "acme AND", "AND", "OR acme", "NOT", "acme NOT bob",
    "(", ")", "acme)", "{name}: acme", "name:acme", "^acme", "-acme", "+", "acme' OR 1=1 --", "'; DROP TABLE x; --",
    "\x00acme", "a\u202eb", "🙂", "🙂 acme", "%", "_", "acme_", "\\", "a" * 5000, " ".join(["acme"] * 50), "",
    "   ", None, "ａｃｍｅ", "Ⅻ", "e\u0301", "ß", "İ", "acme\tbob", "acme\nbob", "NEAR", "acme NEAR/2 bob",
]


def test_hostile_text_is_only_ever_words(crm):
    conn, _, ids = crm
    for text in HOSTILE:
        result = gs.search(conn, text)  # never an FTS5 syntax error, never SQL
        assert isinstance(result, list), text
        words = gs.words(text)
        if words and all(w.lower().startswith("acm") for w in words):
            assert ("company", ids["acme"]) in found(conn, text), text
    assert found(conn, "acme AND") == []  # "and" is a word like any other: nothing holds acme and and*
    assert ("company", ids["acme"]) in found(conn, "ＡＣＭＥ")  # full-width letters fold like the index does


def test_match_query_quotes_every_word():
    assert gs.match_query(gs.words('a"b NEAR c* AND')) == '"a"* AND "b"* AND "NEAR"* AND "c"* AND "AND"*'
    assert gs.match_query(["ab", "abc"], short_whole=True) == '"ab" AND "abc"*'
    assert gs.match_query(["ab", "abc"], whole=True) == '"ab" AND "abc"'
    assert len(gs.words("w " * 100)) == gs.MAX_WORDS and len(gs.words("x" * 500)[0]) == gs.MAX_WORD


def test_unicode_case_and_accents(crm):
    conn, _, ids = crm
    for text in ("дарья", "ДАРЬЯ", "Иван", "Дарья Иванова"):
        assert ("contact", ids["darya"]) in found(conn, text), text
    for text in ("muller", "MÜLLER", "Müll", "sohne", "münchen"):
        assert ("company", ids["mueller"]) in found(conn, text), text
    assert gs.search(conn, "muller")[0]["tier"] == 1  # accents do not demote a name match
    assert ("deal", ids["upgrade"]) in found(conn, "иванова")  # a deal by its contact's name


def test_soft_deleted_records_are_not_found_and_come_back_on_restore(crm):
    conn, admin, ids = crm
    targets = [("companies", "company", ids["acme"], "acme"), ("contacts", "contact", ids["bob"], "bob"),
               ("deals", "deal", ids["renewal"], "renewal"), ("activities", "activity", ids["call_deal"], "pricing")]
    for table, kind, record_id, text in targets:
        assert (kind, record_id) in found(conn, text)
        records.soft_delete(conn, table, record_id, admin)
        assert (kind, record_id) not in found(conn, text)
    # a deal whose company is deleted is still found by its title, without the deleted company's name
    assert found(conn, "upgrade") == [("deal", ids["upgrade"])]
    for table, kind, record_id, text in targets:
        records.restore(conn, table, record_id, admin)
        assert (kind, record_id) in found(conn, text)


def test_triggers_keep_every_index_current(crm):
    conn, admin, ids = crm
    version = lambda t, i: conn.execute(f"SELECT version FROM {t} WHERE id = ?", (i,)).fetchone()[0]  # noqa: E731
    records.update(conn, "companies", ids["acme"], version("companies", ids["acme"]),
                   {"name": "Zenith", "website": None}, admin)
    assert ("company", ids["acme"]) in found(conn, "zenith")
    assert ("company", ids["acme"]) not in found(conn, "acme")
    assert ("deal", ids["renewal"]) in found(conn, "zenith")  # the deal follows its company's new name
    assert ("deal", ids["renewal"]) not in found(conn, "acme")
    records.update(conn, "contacts", ids["bob"], version("contacts", ids["bob"]), {"first_name": "Robert"}, admin)
    assert ("deal", ids["renewal"]) in found(conn, "robert")
    records.update(conn, "deals", ids["renewal"], version("deals", ids["renewal"]),
                   {"title": "Expansion", "company_id": ids["mueller"]}, admin)
    assert found(conn, "expansion müller") == [("deal", ids["renewal"])]
    assert ("deal", ids["renewal"]) not in found(conn, "zenith")
    records.update(conn, "activities", ids["call_deal"], version("activities", ids["call_deal"]),
                   {"subject": "Negotiation"}, admin)
    assert found(conn, "negotiation") == [("activity", ids["call_deal"])]
    assert ("activity", ids["call_deal"]) not in found(conn, "pricing")
    new_activity = records.create(conn, "activities", {"kind": "email", "subject": "Sent quotation"}, admin)
    assert found(conn, "quotation") == [("activity", new_activity)]
    with write(conn):  # hard deletes (the app only soft-deletes; merges and tests do this)
        conn.execute("DELETE FROM activities WHERE id = ?", (new_activity,))
        conn.execute("DELETE FROM deals WHERE id = ?", (ids["upgrade"],))
        conn.execute("DELETE FROM companies WHERE id = ?", (ids["acme_widgets"],))
    assert found(conn, "quotation") == found(conn, "upgrade") == found(conn, "widgets") == []
    _intact(conn)


def test_bulk_writes_index_like_single_ones(crm, tmp_path):
    conn, admin, _ = crm
    with write(conn):
        company_ids = bulk.create_many(conn, "companies", [{"name": "Bulkhead Ltd"}, {"name": "Ölfeld"}], admin)
        activity_ids = bulk.create_many(conn, "activities", [{"kind": "note", "subject": f"Imported note {i}"}
                                                             for i in range(3)], admin)
        deal_ids = bulk.create_many(conn, "deals", [{"pipeline_id": 1, "stage_id": 1, "title": "Bulk deal",
                                                     "company_id": company_ids[0]}], admin)
    assert found(conn, "bulkhead") == [("company", company_ids[0]), ("deal", deal_ids[0])]
    assert found(conn, "olfeld") == [("company", company_ids[1])]
    assert [i for k, i in found(conn, "imported note") if k == "activity"] == activity_ids[::-1]
    assert conn.execute("SELECT COUNT(*) FROM fts_deferred").fetchone()[0] == 0
    _intact(conn)


def test_deferred_index_needs_a_transaction_and_indexes_only_new_rows(crm):
    conn, admin, _ = crm
    with pytest.raises(RuntimeError):
        with bulk.deferred_search_index(conn):
            pass
    before = conn.execute("SELECT COUNT(*) FROM activities_fts").fetchone()[0]
    with write(conn), bulk.deferred_search_index(conn):
        records.create(conn, "activities", {"kind": "call", "subject": "Quiet call"}, admin)
        assert found(conn, "quiet") == []  # the trigger stood aside
    assert conn.execute("SELECT COUNT(*) FROM activities_fts").fetchone()[0] == before + 1
    assert [k for k, _ in found(conn, "quiet")] == ["activity"]
    _intact(conn)


def test_the_migration_indexes_existing_rows(seeded_conn):
    """The seeded database was indexed while it was built (deferred): every live row can be found."""
    for table, fts in (("companies", "companies_fts"), ("deals", "deals_fts"), ("activities", "activities_fts")):
        assert (seeded_conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
                == seeded_conn.execute(f"SELECT COUNT(*) FROM {fts}").fetchone()[0]), table
    deal = seeded_conn.execute("SELECT d.id, co.name FROM deals d JOIN companies co ON co.id = d.company_id "
                               "WHERE d.deleted_at IS NULL ORDER BY d.id LIMIT 1").fetchone()
    assert ("deal", deal[0]) in found(seeded_conn, deal[1], limit=200)
    _intact(seeded_conn)


def _intact(conn):
    for fts in FTS:
        conn.execute(f"INSERT INTO {fts} ({fts}) VALUES ('integrity-check')")  # raises if the index is damaged


def test_one_letter_finds_whole_words_only_and_asks_for_another(crm):
    """A lone letter as a prefix matched most of 100k contacts (~120 ms at the large scale): it finds whole
    words (an initial, "S.C.P") and the page asks for a second letter; two letters are prefixes again."""
    conn, admin, ids = crm
    kid = records.create(conn, "contacts", {"first_name": "J", "last_name": "Acmeson"}, admin)
    assert gs.needs_more("a") and gs.needs_more(" J ") and not gs.needs_more("ac") and not gs.needs_more("j s")
    assert found(conn, "j") == [("contact", kid)]  # the initial, not every name starting with j
    assert found(conn, "b") == []  # Bob is not found by "b" ...
    assert ("contact", ids["bob"]) in found(conn, "bo")  # ... but by "bo"
    with write(conn):
        bulk.create_many(conn, "contacts", [{"first_name": "K", "last_name": f"Nr{i}"} for i in range(120)], admin)
    assert len(gs.search(conn, "k", limit=30)) == 30  # whole-word matches still fill the page
