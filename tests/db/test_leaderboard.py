from db.analytics.leaderboard import leaderboard


def test_leaderboard_by_hand(conn, admin, rep):
    # Rep: two wins in November (300 + 200 = 500), one October win outside, one open 1000, one done call.
    # Admin: one win of 400 in November.
    x = conn.execute
    x("INSERT INTO pipelines (id, name) VALUES (1, 'S')")
    x("INSERT INTO stages (id, pipeline_id, name, kind, probability) VALUES (1, 1, 'Won', 'won', 1), "
      "(2, 1, 'Lead', 'open', 0.1)")
    for owner, stage, amount, closed in [(rep.id, 1, 300, "2026-11-02"), (rep.id, 1, 200, "2026-11-20"),
                                         (rep.id, 1, 999, "2026-10-31"), (rep.id, 2, 1000, None),
                                         (admin.id, 1, 400, "2026-11-05")]:
        x("INSERT INTO deals (pipeline_id, stage_id, title, owner_id, amount, closed_at) VALUES (1, ?, 'd', ?, ?, ?)",
          (stage, owner, amount, closed))
    x("INSERT INTO activities (kind, subject, owner_id, starts_at, done) VALUES ('call', 'c', ?, '2026-11-03', 1)",
      (rep.id,))
    board = leaderboard(conn, "2026-11-01", "2026-12-01")
    assert [(r["name"], r["won"], r["revenue"], r["activities"], r["open_pipeline"]) for r in board] == [
        ("Rob Rep", 2, 500, 1, 1000), ("Ada Admin", 1, 400, 0, 0)]


def test_recruiting_salaries_are_not_revenue(seeded_conn):
    """The recruiting pipeline's amounts are salaries: the leaderboard counts sales pipelines only."""
    from db.analytics.leaderboard import leaderboard

    c = seeded_conn
    c.execute("UPDATE deals SET stage_id = (SELECT s.id FROM stages s WHERE s.pipeline_id = deals.pipeline_id AND "
              "s.kind = 'won'), closed_at = '2026-11-02 10:00:00' WHERE id = (SELECT MIN(d.id) FROM deals d JOIN "
              "pipelines p ON p.id = d.pipeline_id WHERE p.kind = 'recruiting')")  # one candidate hired
    board = leaderboard(c, "2000-01-01", "2100-01-01")
    sales_won = c.execute("SELECT COALESCE(SUM(d.amount), 0), COUNT(*) FROM deals d JOIN stages s ON s.id = d.stage_id "
                          "JOIN pipelines p ON p.id = d.pipeline_id WHERE s.kind = 'won' AND p.kind = 'sales' "
                          "AND d.deleted_at IS NULL AND d.owner_id IN (SELECT id FROM users WHERE active = 1)").fetchone()
    hired = c.execute("SELECT COUNT(*) FROM deals d JOIN stages s ON s.id = d.stage_id JOIN pipelines p "
                      "ON p.id = d.pipeline_id WHERE s.kind = 'won' AND p.kind = 'recruiting'").fetchone()[0]
    assert hired > 0
    assert round(sum(r["revenue"] for r in board), 2) == round(sales_won[0], 2)
    assert sum(r["won"] for r in board) == sales_won[1]
