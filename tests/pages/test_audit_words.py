"""The audit log and a record's history show labels and names, never column names, raw ids or JSON null."""

import re

from db.core import records
from db.core.connection import connect
from db.core.permissions import Actor
from tests.apptest import page, user_id


def _move_a_deal(path):
    c = connect(path)
    deal = c.execute("SELECT id, version, stage_id, pipeline_id FROM deals WHERE deleted_at IS NULL LIMIT 1").fetchone()
    other = c.execute("SELECT id, name FROM stages WHERE pipeline_id = ? AND id != ? AND kind = 'open' LIMIT 1",
                      (deal["pipeline_id"], deal["stage_id"])).fetchone()
    records.update(c, "deals", deal["id"], deal["version"], {"stage_id": other["id"], "amount": 4321.0,
                                                             "expected_close": None},
                   Actor(user_id(path, "admin"), "admin"))
    c.close()
    return deal["id"], other["name"]


def _cells(frame) -> str:
    return " ".join(str(v) for v in frame.astype(str).to_numpy().ravel())


def test_audit_log_reads_as_words(seeded):
    path = seeded[0]
    _, stage = _move_a_deal(path)
    at = page("pages/audit.py", path)
    at.run()
    assert not at.exception
    cells = _cells(at.dataframe[0].value)
    assert "Stage: " in cells and stage in cells and "€4,321.00" in cells
    assert not re.search(r"\b[a-z]+_id\b|\bnull\b|\bNone\b|\d\d:\d\d:\d\d", cells), cells[:400]
    assert "Deal" in cells and "Changed" in cells  # record type and action in words


def test_record_history_reads_as_words(seeded):
    path = seeded[0]
    deal_id, stage = _move_a_deal(path)
    at = page("pages/deals.py", path, query={"id": deal_id})
    at.run()
    assert not at.exception
    tables = " ".join(_cells(d.value) for d in at.dataframe)
    assert stage in tables and "Stage" in tables
    assert not re.search(r"\bstage_id\b|\bnull\b|\d\d:\d\d:\d\d", tables)
