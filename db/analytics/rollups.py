"""Trigger-maintained KPI rollups, so dashboard figures read hundreds of rows instead of a million.

Two tables, both kept current by triggers on activities, feedback and contacts (created by migration
``0011_kpi_rollups``, made lighter by ``0270``) and rebuilt from scratch by ``rebuild`` (by the seed after
loading its rows, and in tests to prove the triggers right):

- ``kpi_cube``: per month x the customer's owner, channel, campaign and ABC segment: cost to serve and
  minutes, CSAT and NPS counts. Any whole-month KPI with any customer filter is a small sum over it.
- ``serve_costs``: per month x customer: cost to serve, for the per-customer profit lists.

Cost to serve counts a done activity on a customer at or after the customer's first win (``acquired_at``);
done activities before it are pre-sale cost (fully loaded CAC). An activity's moment is
``COALESCE(starts_at, due_at, created_at)``. Soft-deleted rows and customers count nowhere.
"""

from __future__ import annotations

import sqlite3

WHEN = "COALESCE({a}.starts_at, {a}.due_at, {a}.created_at)"
_COUNTED = "{a}.done = 1 AND {a}.deleted_at IS NULL AND {a}.cost IS NOT NULL"
_SEGMENT = "COALESCE((SELECT abc_profit FROM contact_segments WHERE contact_id = {c}.id), '')"
_DIMS = "COALESCE({c}.owner_id, 0), COALESCE({c}.channel, ''), COALESCE({c}.campaign_id, 0), " + _SEGMENT
_FEEDBACK = ("({s}({f}.kind = 'csat')), ({s}({f}.kind = 'csat' AND {f}.score >= 4)), ({s}({f}.kind = 'nps')), "
             "({s}({f}.kind = 'nps' AND {f}.score >= 9)), ({s}({f}.kind = 'nps' AND {f}.score <= 6))")
_FEEDBACK_SUM = ("SUM({f}.kind = 'csat'), SUM({f}.kind = 'csat' AND {f}.score >= 4), SUM({f}.kind = 'nps'), "
                 "SUM({f}.kind = 'nps' AND {f}.score >= 9), SUM({f}.kind = 'nps' AND {f}.score <= 6)")
_CUBE_KEY = "month, owner_id, channel, campaign_id, segment"
_ADD_COST = (f" ON CONFLICT ({_CUBE_KEY}) DO UPDATE SET cost = cost + excluded.cost, "
             "minutes = minutes + excluded.minutes;")
_ADD_SERVE = (" ON CONFLICT (month, contact_id) DO UPDATE SET cost = cost + excluded.cost, "
              "minutes = minutes + excluded.minutes;")
_ADD_FEEDBACK = (f" ON CONFLICT ({_CUBE_KEY}) DO UPDATE SET csat_n = csat_n + excluded.csat_n, "
                 "csat_happy = csat_happy + excluded.csat_happy, nps_n = nps_n + excluded.nps_n, "
                 "promoters = promoters + excluded.promoters, detractors = detractors + excluded.detractors;")

TABLES = [
    f"""CREATE TABLE kpi_cube (
        month TEXT NOT NULL, owner_id INTEGER NOT NULL, channel TEXT NOT NULL, campaign_id INTEGER NOT NULL,
        segment TEXT NOT NULL, cost REAL NOT NULL DEFAULT 0, minutes INTEGER NOT NULL DEFAULT 0,
        csat_n INTEGER NOT NULL DEFAULT 0, csat_happy INTEGER NOT NULL DEFAULT 0, nps_n INTEGER NOT NULL DEFAULT 0,
        promoters INTEGER NOT NULL DEFAULT 0, detractors INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY ({_CUBE_KEY})) WITHOUT ROWID""",
    """CREATE TABLE serve_costs (
        month TEXT NOT NULL, contact_id INTEGER NOT NULL, cost REAL NOT NULL DEFAULT 0,
        minutes INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (month, contact_id)) WITHOUT ROWID""",
]

INDEXES = [
    # pre-sale cost and a customer's served cost: a range per customer, read from the index alone
    "CREATE INDEX ix_activities_contact_when ON activities(contact_id, COALESCE(starts_at, due_at, created_at), "
    "cost) WHERE done = 1 AND deleted_at IS NULL",
    # cost in a custom (not whole-month) period
    "CREATE INDEX ix_activities_when ON activities(COALESCE(starts_at, due_at, created_at), contact_id, cost) "
    "WHERE done = 1 AND deleted_at IS NULL",
    # covering the KPI queries; they replace the one-column indexes on the same leading column
    "DROP INDEX IF EXISTS ix_feedback_responded",
    "CREATE INDEX ix_feedback_kpi ON feedback(kind, responded_at, score, contact_id, deleted_at)",
    "DROP INDEX IF EXISTS ix_deals_closed",
    "CREATE INDEX ix_deals_closed_kpi ON deals(closed_at, pipeline_id, stage_id, contact_id, amount, cost, "
    "created_at, deleted_at)",
    "CREATE INDEX ix_deals_open_kpi ON deals(stage_id, pipeline_id, amount, contact_id) WHERE deleted_at IS NULL",
    "CREATE INDEX ix_deals_created ON deals(pipeline_id, created_at) WHERE deleted_at IS NULL",
    "DROP INDEX IF EXISTS ix_contacts_acquired",
    "CREATE INDEX ix_contacts_acquired_kpi ON contacts(acquired_at, churned_at, owner_id, channel, campaign_id, "
    "deleted_at)",
    # the per-customer profit list reads these columns of thousands of customers: an index, not the wide rows
    "CREATE INDEX ix_contacts_kpi_dims ON contacts(id, owner_id, channel, campaign_id, acquired_at, deleted_at)",
    "CREATE INDEX ix_contacts_campaign_won ON contacts(campaign_id, acquired_at) WHERE deleted_at IS NULL",
]


def _served(a: str, c: str) -> str:
    """An activity row ``a`` counts as cost to serve customer row ``c``."""
    return (f"{_COUNTED.format(a=a)} AND {c}.deleted_at IS NULL AND {c}.acquired_at IS NOT NULL "
            f"AND {WHEN.format(a=a)} >= {c}.acquired_at")


def _activity(row: str, sign: str) -> str:
    """Add (sign '') or take back (sign '-') one activity row's cost in both tables."""
    when = WHEN.format(a=row)
    where = f"FROM contacts c WHERE c.id = {row}.contact_id AND {_served(row, 'c')}"
    return (f"INSERT INTO kpi_cube ({_CUBE_KEY}, cost, minutes) SELECT substr({when}, 1, 7), {_DIMS.format(c='c')}, "
            f"{sign}{row}.cost, {sign}{row}.duration_min {where}{_ADD_COST} "
            f"INSERT INTO serve_costs (month, contact_id, cost, minutes) SELECT substr({when}, 1, 7), {row}.contact_id, "
            f"{sign}{row}.cost, {sign}{row}.duration_min {where}{_ADD_SERVE}")


def _feedback(row: str, sign: str) -> str:
    return (f"INSERT INTO kpi_cube ({_CUBE_KEY}, csat_n, csat_happy, nps_n, promoters, detractors) "
            f"SELECT substr({row}.responded_at, 1, 7), {_DIMS.format(c='c')}, {_FEEDBACK.format(s=sign, f=row)} "
            f"FROM contacts c WHERE c.id = {row}.contact_id AND {row}.deleted_at IS NULL "
            f"AND c.deleted_at IS NULL{_ADD_FEEDBACK}")


def _customer(c: str, cid: str, dims: str, sign: str, *, serve_costs: bool = True) -> str:
    """Add or take back everything one customer contributes, filed under ``dims``. ``c`` is the contacts
    row to judge it by: OLD or NEW in a contacts trigger, or ``c`` read from the table by id ``cid``."""
    when = WHEN.format(a="a")
    join = f" JOIN contacts c ON c.id = {cid}" if c == "c" else ""
    costs = f"FROM activities a{join} WHERE a.contact_id = {cid} AND {_served('a', c)} GROUP BY 1"
    out = (f"INSERT INTO kpi_cube ({_CUBE_KEY}, cost, minutes) SELECT substr({when}, 1, 7), {dims}, "
           f"{sign}SUM(a.cost), {sign}SUM(a.duration_min) {costs}{_ADD_COST} ")
    if serve_costs:
        out += (f"INSERT INTO serve_costs (month, contact_id, cost, minutes) SELECT substr({when}, 1, 7), {cid}, "
                f"{sign}SUM(a.cost), {sign}SUM(a.duration_min) {costs}{_ADD_SERVE} ")
    return out + (f"INSERT INTO kpi_cube ({_CUBE_KEY}, csat_n, csat_happy, nps_n, promoters, detractors) "
                  f"SELECT substr(f.responded_at, 1, 7), {dims}, {_FEEDBACK_SUM.format(f='f').replace('SUM(', sign + 'SUM(')} "
                  f"FROM feedback f{join} WHERE f.contact_id = {cid} AND f.deleted_at IS NULL AND {c}.deleted_at IS NULL "
                  f"GROUP BY 1{_ADD_FEEDBACK}")


def _contact(row: str, sign: str, *, serve_costs: bool = True) -> str:
    """A contacts trigger's OLD or NEW row: all it contributes, under that row's owner, channel and campaign."""
    return _customer(row, f"{row}.id", _DIMS.format(c=row), sign, serve_costs=serve_costs)


def _segment(cid: str, segment: str, sign: str) -> str:
    """A segment trigger: the customer's cube rows under ``segment`` (serve_costs has no segment)."""
    dims = "COALESCE(c.owner_id, 0), COALESCE(c.channel, ''), COALESCE(c.campaign_id, 0), " + segment
    return _customer("c", cid, dims, sign, serve_costs=False)


_NO_SEGMENT, _SEG_NEW, _SEG_OLD = "''", "COALESCE(NEW.abc_profit, '')", "COALESCE(OLD.abc_profit, '')"
_FILED = "OLD.owner_id IS NOT NEW.owner_id OR OLD.channel IS NOT NEW.channel OR OLD.campaign_id IS NOT NEW.campaign_id"
_COUNTS = "OLD.acquired_at IS NOT NEW.acquired_at OR OLD.deleted_at IS NOT NEW.deleted_at"

TRIGGERS = [
    f"CREATE TRIGGER kpi_activity_insert AFTER INSERT ON activities BEGIN {_activity('NEW', '')} END",
    f"CREATE TRIGGER kpi_activity_update AFTER UPDATE ON activities BEGIN {_activity('OLD', '-')} "
    f"{_activity('NEW', '')} END",
    f"CREATE TRIGGER kpi_activity_delete AFTER DELETE ON activities BEGIN {_activity('OLD', '-')} END",
    f"CREATE TRIGGER kpi_feedback_insert AFTER INSERT ON feedback BEGIN {_feedback('NEW', '')} END",
    f"CREATE TRIGGER kpi_feedback_update AFTER UPDATE ON feedback BEGIN {_feedback('OLD', '-')} "
    f"{_feedback('NEW', '')} END",
    f"CREATE TRIGGER kpi_feedback_delete AFTER DELETE ON feedback BEGIN {_feedback('OLD', '-')} END",
    # what a customer counts changes with its first win or deletion: every row of it, serve_costs included
    f"CREATE TRIGGER kpi_contact_update AFTER UPDATE OF owner_id, channel, campaign_id, acquired_at, deleted_at "
    f"ON contacts WHEN {_COUNTS} BEGIN {_contact('OLD', '-')} {_contact('NEW', '')} END",
    # a new owner, channel or campaign only re-files its cube rows: serve_costs has none of those columns, and
    # taking its rows back and adding them again rewrote ~2 rows per month of history (migration 0270)
    f"CREATE TRIGGER kpi_contact_dims AFTER UPDATE OF owner_id, channel, campaign_id ON contacts "
    f"WHEN ({_FILED}) AND NOT ({_COUNTS}) BEGIN {_contact('OLD', '-', serve_costs=False)} "
    f"{_contact('NEW', '', serve_costs=False)} END",
    f"CREATE TRIGGER kpi_contact_delete AFTER DELETE ON contacts BEGIN {_contact('OLD', '-')} END",
    # a segment row is written before the cube looks it up: file the customer's rows under the new letter
    f"CREATE TRIGGER kpi_segment_insert AFTER INSERT ON contact_segments BEGIN "
    f"{_segment('NEW.contact_id', _NO_SEGMENT, '-')} {_segment('NEW.contact_id', _SEG_NEW, '')} END",
    f"CREATE TRIGGER kpi_segment_update AFTER UPDATE OF abc_profit ON contact_segments "
    f"WHEN OLD.abc_profit IS NOT NEW.abc_profit BEGIN {_segment('OLD.contact_id', _SEG_OLD, '-')} "
    f"{_segment('NEW.contact_id', _SEG_NEW, '')} END",
    f"CREATE TRIGGER kpi_segment_delete AFTER DELETE ON contact_segments BEGIN "
    f"{_segment('OLD.contact_id', _SEG_OLD, '-')} {_segment('OLD.contact_id', _NO_SEGMENT, '')} END",
]


def rebuild(conn: sqlite3.Connection) -> None:
    """Recompute both rollups from the source rows (call inside a write transaction)."""
    when = WHEN.format(a="a")
    conn.execute("DELETE FROM serve_costs")
    conn.execute("DELETE FROM kpi_cube")
    conn.execute(f"INSERT INTO serve_costs (month, contact_id, cost, minutes) SELECT substr({when}, 1, 7), a.contact_id, "
                 f"SUM(a.cost), SUM(a.duration_min) FROM activities a JOIN contacts c ON c.id = a.contact_id "
                 f"WHERE {_served('a', 'c')} GROUP BY 1, 2")
    conn.execute(
        f"INSERT INTO kpi_cube ({_CUBE_KEY}, cost, minutes, csat_n, csat_happy, nps_n, promoters, detractors) "
        f"SELECT {_CUBE_KEY}, SUM(cost), SUM(minutes), SUM(csat_n), SUM(csat_happy), SUM(nps_n), SUM(promoters), "
        f"SUM(detractors) FROM ("
        f"  SELECT s.month, COALESCE(c.owner_id, 0) AS owner_id, COALESCE(c.channel, '') AS channel, "
        f"  COALESCE(c.campaign_id, 0) AS campaign_id, COALESCE(sg.abc_profit, '') AS segment, s.cost, s.minutes, "
        f"  0 AS csat_n, 0 AS csat_happy, 0 AS nps_n, 0 AS promoters, 0 AS detractors FROM serve_costs s "
        f"  JOIN contacts c ON c.id = s.contact_id LEFT JOIN contact_segments sg ON sg.contact_id = c.id "
        f"  UNION ALL "
        f"  SELECT substr(f.responded_at, 1, 7), COALESCE(c.owner_id, 0), COALESCE(c.channel, ''), "
        f"  COALESCE(c.campaign_id, 0), COALESCE(sg.abc_profit, ''), 0, 0, {_FEEDBACK_SUM.format(f='f')} "
        f"  FROM feedback f JOIN contacts c ON c.id = f.contact_id LEFT JOIN contact_segments sg "
        f"  ON sg.contact_id = c.id WHERE f.deleted_at IS NULL AND c.deleted_at IS NULL "
        f"  GROUP BY 1, 2, 3, 4, 5) GROUP BY {_CUBE_KEY}")


def create(conn: sqlite3.Connection) -> None:
    """Tables, triggers and indexes of migration 0011, filled from the current rows."""
    for sql in TABLES + INDEXES + TRIGGERS:
        conn.execute(sql)
    rebuild(conn)
    conn.execute("ANALYZE")  # the planner needs row counts to prefer the covering indexes
