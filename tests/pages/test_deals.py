"""AppTest of the deals page with an injected drag result (AppTest cannot render the board component)."""

from db.core import records
from db.core.connection import connect
from tests.apptest import page, texts


def _open_deal(path, stage_kind="open"):
    c = connect(path)
    return c.execute("SELECT d.id, d.version, d.stage_id, d.pipeline_id FROM deals d JOIN stages s ON s.id = d.stage_id "
                     "JOIN pipelines p ON p.id = d.pipeline_id WHERE s.kind = ? AND p.kind = 'sales' ORDER BY d.id "
                     "LIMIT 1", (stage_kind,)).fetchone()


def _stage(path, pipeline_id, kind, other_than=None):
    return connect(path).execute("SELECT id FROM stages WHERE pipeline_id = ? AND kind = ? AND id != ? ORDER BY "
                                 "position LIMIT 1", (pipeline_id, kind, other_than or 0)).fetchone()[0]


def test_board_page_renders(seeded):
    at = page("pages/deals.py", seeded[0], "rep")
    at.run()
    assert not at.exception and "Drag a card" in texts(at)


def test_drag_to_an_open_stage_moves_the_deal(seeded):
    path = seeded[0]
    deal = _open_deal(path)
    target = _stage(path, deal["pipeline_id"], "open", other_than=deal["stage_id"])
    at = page("pages/deals.py", path, "admin",
              state={"deal_move": {"deal_id": deal["id"], "version": deal["version"], "to_stage_id": target}})
    at.run()
    assert not at.exception
    assert records.get(connect(path), "deals", deal["id"])["stage_id"] == target


def test_drag_to_lost_asks_for_a_reason_first(seeded):
    path = seeded[0]
    deal = _open_deal(path)
    lost = _stage(path, deal["pipeline_id"], "lost")
    at = page("pages/deals.py", path, "admin",
              state={"deal_move": {"deal_id": deal["id"], "version": deal["version"], "to_stage_id": lost}})
    at.run()
    assert "Why was it lost?" in texts(at)
    at.button(key="move_confirm").click().run()
    assert "Say why the deal was lost" in texts(at)
    assert records.get(connect(path), "deals", deal["id"])["stage_id"] == deal["stage_id"]
    at.selectbox(key="move_reason").select("Price").run()
    at.button(key="move_confirm").click().run()
    row = records.get(connect(path), "deals", deal["id"])
    assert (row["stage_id"], row["lost_reason"]) == (lost, "Price")


def test_stale_drag_says_so_and_moves_nothing(seeded):
    path = seeded[0]
    deal = _open_deal(path)
    target = _stage(path, deal["pipeline_id"], "open", other_than=deal["stage_id"])
    at = page("pages/deals.py", path, "admin",
              state={"deal_move": {"deal_id": deal["id"], "version": deal["version"] - 1 or 99,
                                   "to_stage_id": target}})
    at.run()
    assert "The card was not moved" in texts(at)
    assert records.get(connect(path), "deals", deal["id"])["stage_id"] == deal["stage_id"]


def test_deal_detail_by_deep_link(seeded):
    deal = _open_deal(seeded[0])
    at = page("pages/deals.py", seeded[0], "admin", query={"id": deal["id"]})
    at.run()
    assert not at.exception and "Stage history" in [t.label for t in at.tabs]
