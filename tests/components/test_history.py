"""Record history and audit log entries read as words: labels, names for ids, money, minutes, "—"."""

import re

import pytest

from components.changes import change_rows, label, summary
from components.i18n import LANGUAGES, catalogue
from db.core import names, records
from db.core.records import EDITABLE, SYSTEM_COLUMNS


def test_one_row_per_changed_field_without_the_version(conn):
    entries = [{"id": 9, "at": "2026-11-23 10:00:00", "who": "Ada", "action": "update", "entity": "contacts",
                "before": {"title": "CTO", "email": None}, "after": {"title": "CEO", "email": "a@b.co", "version": 3}},
               {"id": 8, "at": "2026-11-22 10:00:00", "who": "Bob", "action": "create", "entity": "contacts",
                "before": {}, "after": {"first_name": "Ana"}},
               {"id": 7, "at": "2026-11-21 10:00:00", "who": "Bob", "action": "password", "entity": "users",
                "before": {}, "after": {}}]
    rows = change_rows(conn, entries, "en", "UTC")
    assert [(r["label"], r["from"], r["to"]) for r in rows] == [
        ("Job title", "CTO", "CEO"), ("Email", "—", "a@b.co"), ("First name", "—", "Ana"), ("—", "—", "—")]
    assert rows[0]["audit_id"] == 9
    assert summary(rows[:2]) == "Job title: CTO → CEO; Email: — → a@b.co"


def test_long_values_are_cut(conn):
    rows = change_rows(conn, [{"id": 1, "at": "2026-11-23 10:00:00", "who": "y", "action": "update",
                               "before": {"notes": "a" * 500}, "after": {"notes": "b"}}], "en", "UTC")
    assert len(rows[0]["from"]) == 120


def test_ids_become_names_money_dates_and_choices_read_as_words(seeded_conn):
    c = seeded_conn
    stage_a, stage_b = c.execute("SELECT id, name FROM stages ORDER BY id LIMIT 2").fetchall()
    owner = c.execute("SELECT id, name FROM users ORDER BY id LIMIT 1").fetchone()
    entry = {"id": 1, "at": "2026-11-23 10:00:59", "who": "Ada", "action": "update", "entity": "deals",
             "before": {"stage_id": stage_a[0], "amount": None, "owner_id": 999_999, "expected_close": None,
                        "closed_at": None, "title": "Old"},
             "after": {"stage_id": stage_b[0], "amount": 1200.5, "owner_id": owner[0], "expected_close": "2026-12-24",
                       "closed_at": "2026-11-23 10:00:59", "title": "New"}}
    rows = {r["field"]: {k: v.replace("\u202f", " ") if isinstance(v, str) else v for k, v in r.items()}
            for r in change_rows(c, [entry], "ru", "Europe/Sofia")}  # Babel puts a narrow space before "г."
    assert (rows["stage_id"]["label"], rows["stage_id"]["from"], rows["stage_id"]["to"]) == \
        ("Этап", stage_a[1], stage_b[1])
    assert rows["amount"]["from"] == "—" and rows["amount"]["to"] == "1\xa0200,50\xa0€"
    assert rows["owner_id"]["from"] == "#999999" and rows["owner_id"]["to"] == owner[1]
    assert rows["expected_close"]["to"] == "24 дек. 2026 г."
    assert rows["closed_at"]["to"] == "23 нояб. 2026 г., 12:00"  # Sofia is UTC+2; no seconds
    assert rows["stage_id"]["when"] == "23 нояб. 2026 г., 12:00"
    assert rows["title"]["label"] == "Название сделки"
    text = " ".join(f"{r['from']} {r['to']}" for r in rows.values())
    assert "None" not in text and "null" not in text


def _columns(conn, table):
    return [r[1] for r in conn.execute(f"PRAGMA table_info({table})")]


def test_every_column_of_every_audited_table_has_a_label_in_every_language(conn):
    """Walks the live schema: a new column without a label in fields.json fails here, not on the audit page."""
    missing = []
    for table in sorted(EDITABLE):
        for column in _columns(conn, table):
            if column in {"version"}:
                continue
            for lang in LANGUAGES:
                key = label.__globals__["LABELS"].get((table, column), f"fields.{column}")
                if key not in catalogue(lang):
                    missing.append((lang, table, column))
    assert not missing, missing


def test_every_id_column_of_every_audited_table_shows_a_name(seeded_conn):
    """Walks the live schema: every *_id column (and updated_by) is resolved to a name by db.core.names, or is
    listed with the reason it is not a reference; each resolver really finds a name in the seeded data."""
    c = seeded_conn
    unresolved = []
    for table in sorted(EDITABLE):
        for column in _columns(c, table):
            if not (column.endswith("_id") or column in ("updated_by",)):
                continue
            if column in names.NOT_REFERENCES:
                continue
            if column not in names.REFERENCES:
                unresolved.append((table, column))
                continue
            ref_table = names.REFERENCES[column][0]
            some = c.execute(f"SELECT id FROM {ref_table} ORDER BY id LIMIT 1").fetchone()
            assert some, ref_table
            shown = change_rows(c, [{"id": 1, "at": "2026-11-23 10:00:00", "who": "x", "action": "update",
                                     "entity": table, "before": {column: None}, "after": {column: some[0]}}],
                                "en", "UTC")[0]
            assert shown["to"] and not re.fullmatch(r"#?\d+", shown["to"]), (table, column, shown["to"])
    assert not unresolved, unresolved
    assert not set(SYSTEM_COLUMNS) - {"id", "version", "created_at", "updated_at", "updated_by", "deleted_at"}


@pytest.mark.parametrize("lang", list(LANGUAGES))
def test_times_have_no_seconds(conn, lang):
    rows = change_rows(conn, [{"id": 1, "at": "2026-11-23 10:00:59", "who": "x", "action": "update",
                               "entity": "activities", "before": {"starts_at": "2026-11-23 08:15:42"},
                               "after": {"starts_at": "2026-11-24 09:30:07"}}], lang, "UTC")
    assert not re.search(r"\d:\d\d:\d\d", rows[0]["when"] + rows[0]["from"] + rows[0]["to"]), rows[0]


def test_history_of_a_real_change_is_named(seeded_conn):
    from db.core.permissions import Actor

    c = seeded_conn
    admin = Actor(c.execute("SELECT id FROM users WHERE role = 'admin' LIMIT 1").fetchone()[0], "admin")
    deal = c.execute("SELECT id, version, stage_id, pipeline_id FROM deals WHERE deleted_at IS NULL LIMIT 1").fetchone()
    other = c.execute("SELECT id, name FROM stages WHERE pipeline_id = ? AND id != ? AND kind = 'open' LIMIT 1",
                      (deal["pipeline_id"], deal["stage_id"])).fetchone()
    records.update(c, "deals", deal["id"], deal["version"], {"stage_id": other["id"]}, admin)
    rows = change_rows(c, records.history(c, "deals", deal["id"]), "en", "UTC")
    assert any(r["label"] == "Stage" and r["to"] == other["name"] for r in rows), rows[:3]
