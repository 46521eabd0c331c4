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


def _stage_box(at):
    return next(s for s in at.selectbox if s.label == "Stage")


def test_stage_field_on_the_deal_moves_it_and_won_asks_first(seeded):
    path = seeded[0]
    deal = _open_deal(path)
    target = _stage(path, deal["pipeline_id"], "open", other_than=deal["stage_id"])
    won = _stage(path, deal["pipeline_id"], "won")
    at = page("pages/deals.py", path, "admin", query={"id": deal["id"]})
    at.run()
    _stage_box(at).set_value(target).run()
    assert not at.exception
    row = records.get(connect(path), "deals", deal["id"])
    assert row["stage_id"] == target
    title = row["title"]
    assert f"Moved “{title}” to" in texts(at)
    assert _stage_box(at).value == target  # the field shows the stage the deal now has
    _stage_box(at).set_value(won).run()
    assert "Confirm the amount and close date" in texts(at)
    assert records.get(connect(path), "deals", deal["id"])["stage_id"] == target  # nothing yet
    at.button(key="move_cancel").click().run()
    assert _stage_box(at).value == target and "Confirm the amount" not in texts(at)
    _stage_box(at).set_value(won).run()
    at.number_input(key="move_amount").set_value(1234.0).run()
    at.button(key="move_confirm").click().run()
    row = records.get(connect(path), "deals", deal["id"])
    assert (row["stage_id"], row["amount"]) == (won, 1234.0) and row["closed_at"]


def test_undo_puts_the_deal_back_and_records_the_way_back(seeded):
    path = seeded[0]
    deal = _open_deal(path)
    before = records.get(connect(path), "deals", deal["id"])
    lost = _stage(path, deal["pipeline_id"], "lost")
    at = page("pages/deals.py", path, "admin",
              state={"deal_move": {"deal_id": deal["id"], "version": deal["version"], "to_stage_id": lost}})
    at.run()
    at.selectbox(key="move_reason").select("Price").run()
    at.button(key="move_confirm").click().run()
    assert records.get(connect(path), "deals", deal["id"])["stage_id"] == lost
    assert f"Moved “{before['title']}” to Lost." in texts(at)
    at.button(key="deal_undo").click().run()
    assert not at.exception
    row = records.get(connect(path), "deals", deal["id"])
    assert (row["stage_id"], row["lost_reason"], row["closed_at"], row["stage_entered_at"]) == (
        before["stage_id"], None, None, before["stage_entered_at"])
    last = connect(path).execute("SELECT from_stage_id, to_stage_id FROM deal_stage_history WHERE deal_id = ? "
                                 "ORDER BY id DESC LIMIT 1", (deal["id"],)).fetchone()
    assert tuple(last) == (lost, before["stage_id"])
    assert "Undone:" in texts(at) and not any(b.key == "deal_undo" for b in at.button)


def _others_deal(path):
    """An open deal handed to a manager (the tiny seed gives every deal to its one rep)."""
    deal = _open_deal(path)
    c = connect(path)
    manager = c.execute("SELECT id FROM users WHERE role = 'manager' ORDER BY id LIMIT 1").fetchone()[0]
    c.execute("UPDATE deals SET owner_id = ? WHERE id = ?", (manager, deal["id"]))
    c.commit()
    return deal


def test_a_rep_cannot_move_someone_elses_deal(seeded):
    """Refused before any won/lost question (the board also locks the card; this is the server's side)."""
    path = seeded[0]
    deal = _others_deal(path)
    won = _stage(path, deal["pipeline_id"], "won")
    at = page("pages/deals.py", path, "rep",
              state={"deal_move": {"deal_id": deal["id"], "version": deal["version"], "to_stage_id": won}})
    at.run()
    assert not at.exception
    assert "may change this deal" in texts(at) and "Confirm the amount" not in texts(at)
    assert records.get(connect(path), "deals", deal["id"])["stage_id"] == deal["stage_id"]


def test_a_reps_stage_field_is_locked_on_someone_elses_deal(seeded):
    path = seeded[0]
    deal = _others_deal(path)
    at = page("pages/deals.py", path, "rep", query={"id": deal["id"]})
    at.run()
    assert _stage_box(at).disabled


def test_the_deal_page_shows_its_next_step_and_plans_one(seeded):
    deal = _open_deal(seeded[0])
    c = connect(seeded[0])
    c.execute("UPDATE activities SET done = 1 WHERE deal_id = ?", (deal["id"],))
    c.close()
    at = page("pages/deals.py", seeded[0], query={"id": deal["id"]})
    at.run()
    assert not at.exception
    assert "No next step planned" in texts(at)
    assert any(b.label == "Schedule next step" for b in at.button)


def test_a_reps_edit_form_is_read_only_on_someone_elses_deal_and_says_why(seeded):
    path = seeded[0]
    deal = _others_deal(path)
    owner = connect(path).execute("SELECT u.name FROM deals d JOIN users u ON u.id = d.owner_id WHERE d.id = ?",
                                  (deal["id"],)).fetchone()[0]
    at = page("pages/deals.py", path, "rep", query={"id": deal["id"]})
    at.run()
    fields = [at.text_input(key=f"deal_{deal['id']}_title"), at.number_input(key=f"deal_{deal['id']}_amount"),
              at.number_input(key=f"deal_{deal['id']}_cost"), at.date_input(key=f"deal_{deal['id']}_close")]
    assert all(f.disabled for f in fields)
    assert f"Read-only: this record belongs to {owner}" in texts(at)
    own = page("pages/deals.py", path, "manager", query={"id": deal["id"]})
    own.run()
    assert not own.text_input(key=f"deal_{deal['id']}_title").disabled and "Read-only" not in texts(own)


def _forecast_total(at) -> float:
    """The sum of the forecast chart's weighted values, read from the Arrow data the page sent."""
    import pyarrow as pa

    chart = at.get("vega_lite_chart")[0].proto
    table = pa.ipc.open_stream(chart.data.data).read_all()
    return sum(v or 0 for v in table.column("weighted").to_pylist())


def test_the_forecast_is_folded_and_read_only_while_open(seeded):
    """Closed (the default), the board's run neither reads nor draws it; opened, it shows the chart."""
    path = seeded[0]
    closed = page("pages/deals.py", path, "admin")
    closed.run()
    assert not closed.exception
    assert "Weighted forecast by expected-close month" in [e.label for e in closed.expander]
    assert not closed.get("vega_lite_chart")
    opened = page("pages/deals.py", path, "admin", state={"forecast_panel": True})
    opened.run()
    assert not opened.exception
    assert _forecast_total(opened) > 0


def test_the_forecast_follows_a_change_made_after_it_was_drawn(seeded):
    """It is cached between runs; a change anywhere (here an amount) is in the next run's figure."""
    path = seeded[0]
    deal = _open_deal(path)
    at = page("pages/deals.py", path, "admin", state={"forecast_panel": True})
    at.run()
    before = _forecast_total(at)
    c = connect(path)
    row = c.execute("SELECT d.amount, d.version, s.probability FROM deals d JOIN stages s ON s.id = d.stage_id "
                    "WHERE d.id = ?", (deal["id"],)).fetchone()
    admin = c.execute("SELECT id, role, name FROM users WHERE role = 'admin' ORDER BY id LIMIT 1").fetchone()
    from db.core.permissions import Actor

    records.update(c, "deals", deal["id"], row["version"], {"amount": (row["amount"] or 0) + 10_000},
                   Actor(admin["id"], admin["role"], admin["name"]))
    at.run()
    assert not at.exception
    assert abs(_forecast_total(at) - before - 10_000 * row["probability"]) < 0.01
