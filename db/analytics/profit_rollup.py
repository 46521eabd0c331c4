"""Per-customer profit rollup ``customer_months``: what the profit lists and new-customer figures read.

One row per period x pipeline x customer, for three period lengths: months ('YYYY-MM'), quarters
('YYYY-Qn') and calendar years ('YYYY'), so the dashboard's periods are read as one row per customer.
``pipeline_id`` 0 holds what belongs to no pipeline: cost to serve, pre-sale cost and the first win; a
pipeline's id holds its won deals; -1 (``DEFAULT``) holds the sum the dashboard shows without a pipeline
filter: pipeline 0 plus the won deals of every sales pipeline. Each row carries the customer's owner,
channel, campaign and ABC segment, so the customer filters need no join. Counters (``won``, ``served``,
``new``) say whether a customer had anything in a period at all, since sums that net to zero are not
"nothing".

Kept by triggers on activities, deals, stages and contacts (migration ``0015_customer_profit_rollup``);
``rebuild`` recomputes it from the source rows (tests prove the triggers equal to it). Definitions match
db/analytics/rollups.py: cost to serve counts done activities at or after the first win, pre-sale cost the ones
before it (filed under the month of the first win); only live customers count.
"""

from __future__ import annotations

import json
import sqlite3

from db.analytics.rollups import WHEN, _served
from db.core.filters import Filters, _add_months

# period keys of a timestamp x: month, quarter, year
LEVELS = ("substr({x}, 1, 7)", "substr({x}, 1, 4) || '-Q' || ((substr({x}, 6, 2) + 2) / 3)", "substr({x}, 1, 4)")
DEFAULT = -1  # the pipeline_id of "no pipeline filter": costs, first win and every sales pipeline's won deals
MEASURES = ("revenue", "margin", "won", "cost", "served", "presale", "new")
_KEY = "period, pipeline_id, contact_id"
_COLUMNS = "period, pipeline_id, contact_id, owner_id, channel, campaign_id, segment"
_SALES = "(SELECT kind FROM pipelines WHERE id = {p}) = 'sales'"
_UPSERT = (f" ON CONFLICT ({_KEY}) DO UPDATE SET owner_id = excluded.owner_id, channel = excluded.channel, "
           "campaign_id = excluded.campaign_id, segment = excluded.segment, "
           + ", ".join(f"{m} = {m} + excluded.{m}" for m in MEASURES) + ";")
_COUNTED = "{a}.done = 1 AND {a}.deleted_at IS NULL AND {a}.cost IS NOT NULL"

TABLE = """CREATE TABLE customer_months (
    period TEXT NOT NULL, pipeline_id INTEGER NOT NULL, contact_id INTEGER NOT NULL,
    owner_id INTEGER NOT NULL, channel TEXT NOT NULL, campaign_id INTEGER NOT NULL, segment TEXT NOT NULL,
    revenue REAL NOT NULL DEFAULT 0, margin REAL NOT NULL DEFAULT 0, won INTEGER NOT NULL DEFAULT 0,
    cost REAL NOT NULL DEFAULT 0, served INTEGER NOT NULL DEFAULT 0, presale REAL NOT NULL DEFAULT 0,
    new INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (period, pipeline_id, owner_id, channel, campaign_id, segment, contact_id)) WITHOUT ROWID"""
# the primary key keeps a period's customers in owner/channel/campaign/segment order, so the dashboard's
# sums per combination stream without a sort; the unique index is the one-row-per-customer rule upserts use
INDEXES = [f"CREATE UNIQUE INDEX ux_customer_months ON customer_months({_KEY})",
           "CREATE INDEX ix_customer_months_contact ON customer_months(contact_id)"]


def period_keys(f: Filters) -> list[str]:
    """The fewest ``customer_months`` keys covering a whole-month period: a calendar year ('YYYY') where the
    period holds it whole, else a quarter ('YYYY-Qn'), else a month ('YYYY-MM'). The 12 months before
    a mid-year month end read ~6 keys instead of 12."""
    keys, month = [], f.start
    while month < f.end:
        if month.month == 1 and _add_months(month, 12) <= f.end:
            keys.append(str(month.year))
            month = _add_months(month, 12)
        elif month.month % 3 == 1 and _add_months(month, 3) <= f.end:
            keys.append(f"{month.year}-Q{(month.month + 2) // 3}")
            month = _add_months(month, 3)
        else:
            keys.append(month.strftime("%Y-%m"))
            month = _add_months(month, 1)
    return keys


def _dims(c: str) -> str:
    return (f"COALESCE({c}.owner_id, 0), COALESCE({c}.channel, ''), COALESCE({c}.campaign_id, 0), "
            f"COALESCE({c}.profit_segment, '')")


def _levels(measures: dict[str, str], period: str, pipeline: str, rest: str, c: str = "c") -> str:
    """Upsert statements, one per level, adding ``measures`` (column -> expression) under ``pipeline``."""
    names, values = ", ".join(measures), ", ".join(measures.values())
    return " ".join(f"INSERT INTO customer_months ({_COLUMNS}, {names}) SELECT {level.format(x=period)}, {pipeline}, "
                    f"{c}.id, {_dims(c)}, {values} {rest}{_UPSERT}" for level in LEVELS)


def _insert(measures: dict[str, str], period: str, pipeline: str, where: str, group: str = "", c: str = "c") -> str:
    """``_levels`` under ``pipeline`` and under ``DEFAULT`` (a pipeline's deals only if it is a sales pipeline)."""
    default = where if pipeline == "0" else f"{where} AND {_SALES.format(p=pipeline)}"
    return (_levels(measures, period, pipeline, where + group, c) + " "
            + _levels(measures, period, str(DEFAULT), default + group, c))


def _activity(a: str, sign: str) -> str:
    """Add (sign '') or take back ('-') one activity row: cost to serve, or pre-sale cost."""
    when = WHEN.format(a=a)
    served = _insert({"cost": f"{sign}{a}.cost", "served": f"{sign}1"}, when, "0",
                     f"FROM contacts c WHERE c.id = {a}.contact_id AND {_served(a, 'c')}")
    presale = _insert({"presale": f"{sign}{a}.cost"}, "c.acquired_at", "0",
                      f"FROM contacts c WHERE c.id = {a}.contact_id AND {_COUNTED.format(a=a)} "
                      f"AND c.deleted_at IS NULL AND c.acquired_at IS NOT NULL AND {when} < c.acquired_at")
    return f"{served} {presale}"


_WON = ("JOIN stages s ON s.id = {d}.stage_id AND s.kind = 'won' WHERE c.deleted_at IS NULL "
        "AND {d}.deleted_at IS NULL AND {d}.closed_at IS NOT NULL")


def _deal(d: str, sign: str) -> str:
    """Add or take back one deal row, if it is won."""
    return _insert({"revenue": f"{sign}{d}.amount", "margin": f"{sign}({d}.amount - {d}.cost)", "won": f"{sign}1"},
                   f"{d}.closed_at", f"{d}.pipeline_id", f"FROM contacts c {_WON.format(d=d)} AND c.id = {d}.contact_id")


def _everything(scope: str = "") -> str:
    """Upserts of everything customers contribute, from the source rows: every customer (``scope`` '') or
    one (``scope`` ' AND c.id = ...')."""
    when = WHEN.format(a="a")
    acts = "FROM contacts c JOIN activities a ON a.contact_id = c.id WHERE "
    return " ".join((
        _insert({"cost": "SUM(a.cost)", "served": "COUNT(*)"}, when, "0", acts + _served("a", "c") + scope,
                " GROUP BY 1, 3"),
        _insert({"presale": "SUM(a.cost)"}, "c.acquired_at", "0",
                f"{acts}{_COUNTED.format(a='a')} AND c.deleted_at IS NULL AND c.acquired_at IS NOT NULL "
                f"AND {when} < c.acquired_at{scope}", " GROUP BY 1, 3"),
        _insert({"revenue": "SUM(d.amount)", "margin": "SUM(d.amount - d.cost)", "won": "COUNT(*)"},
                "d.closed_at", "d.pipeline_id",
                f"FROM contacts c JOIN deals d ON d.contact_id = c.id {_WON.format(d='d')}{scope}", " GROUP BY 1, 2, 3"),
        _insert({"new": "1"}, "c.acquired_at", "0",
                f"FROM contacts c WHERE c.deleted_at IS NULL AND c.acquired_at IS NOT NULL{scope}")))


def _customer(cid: str) -> str:
    """Recompute every row of one customer (after its first win or deletion changed)."""
    return f"DELETE FROM customer_months WHERE contact_id = {cid}; " + _everything(f" AND c.id = {cid}")


def _stage_kind() -> str:
    """A stage turned won (add its deals) or stopped being won (take them back)."""
    sign = "(CASE NEW.kind WHEN 'won' THEN 1 ELSE -1 END)"
    return _insert({"revenue": f"{sign} * SUM(d.amount)", "margin": f"{sign} * SUM(d.amount - d.cost)",
                    "won": f"{sign} * COUNT(*)"}, "d.closed_at", "d.pipeline_id",
                   "FROM deals d JOIN contacts c ON c.id = d.contact_id WHERE d.stage_id = NEW.id "
                   "AND c.deleted_at IS NULL AND d.deleted_at IS NULL AND d.closed_at IS NOT NULL", " GROUP BY 1, 2, 3")


def _pipeline_kind() -> str:
    """A pipeline became a sales pipeline (add its won deals to the default rows) or stopped being one."""
    sign = "(CASE NEW.kind WHEN 'sales' THEN 1 ELSE -1 END)"
    return _levels({"revenue": f"{sign} * SUM(d.amount)", "margin": f"{sign} * SUM(d.amount - d.cost)",
                    "won": f"{sign} * COUNT(*)"}, "d.closed_at", str(DEFAULT),
                   f"FROM deals d JOIN contacts c ON c.id = d.contact_id {_WON.format(d='d')} "
                   "AND d.pipeline_id = NEW.id GROUP BY 1, 3")


_DIMS_MOVED = ("(OLD.owner_id IS NOT NEW.owner_id OR OLD.channel IS NOT NEW.channel OR OLD.campaign_id IS NOT "
               "NEW.campaign_id OR OLD.profit_segment IS NOT NEW.profit_segment)")
_WON_MOVED = ("OLD.stage_id IS NOT NEW.stage_id OR OLD.closed_at IS NOT NEW.closed_at OR OLD.amount IS NOT "
              "NEW.amount OR OLD.cost IS NOT NEW.cost OR OLD.contact_id IS NOT NEW.contact_id OR OLD.deleted_at "
              "IS NOT NEW.deleted_at OR OLD.pipeline_id IS NOT NEW.pipeline_id")

_ACTIVITY_MOVED = "(" + " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in (
    "done", "deleted_at", "cost", "contact_id", "starts_at", "due_at", "created_at")) + ")"

TRIGGERS = [
    f"CREATE TRIGGER profit_activity_insert AFTER INSERT ON activities BEGIN {_activity('NEW', '')} END",
    f"CREATE TRIGGER profit_activity_update AFTER UPDATE ON activities WHEN {_ACTIVITY_MOVED} BEGIN "
    f"{_activity('OLD', '-')} "
    f"{_activity('NEW', '')} END",
    f"CREATE TRIGGER profit_activity_delete AFTER DELETE ON activities BEGIN {_activity('OLD', '-')} END",
    f"CREATE TRIGGER profit_deal_insert AFTER INSERT ON deals BEGIN {_deal('NEW', '')} END",
    f"CREATE TRIGGER profit_deal_update AFTER UPDATE ON deals WHEN {_WON_MOVED} BEGIN {_deal('OLD', '-')} "
    f"{_deal('NEW', '')} END",
    f"CREATE TRIGGER profit_deal_delete AFTER DELETE ON deals BEGIN {_deal('OLD', '-')} END",
    "CREATE TRIGGER profit_stage_kind AFTER UPDATE OF kind ON stages WHEN OLD.kind IS NOT NEW.kind "
    f"AND 'won' IN (OLD.kind, NEW.kind) BEGIN {_stage_kind()} END",
    "CREATE TRIGGER profit_pipeline_kind AFTER UPDATE OF kind ON pipelines WHEN OLD.kind IS NOT NEW.kind "
    f"AND 'sales' IN (OLD.kind, NEW.kind) BEGIN {_pipeline_kind()} END",
    f"CREATE TRIGGER profit_contact_insert AFTER INSERT ON contacts WHEN NEW.acquired_at IS NOT NULL BEGIN "
    f"{_customer('NEW.id')} END",
    "CREATE TRIGGER profit_contact_won AFTER UPDATE OF acquired_at, deleted_at ON contacts "
    f"WHEN OLD.acquired_at IS NOT NEW.acquired_at OR OLD.deleted_at IS NOT NEW.deleted_at BEGIN "
    f"{_customer('NEW.id')} END",
    "CREATE TRIGGER profit_contact_dims AFTER UPDATE OF owner_id, channel, campaign_id, profit_segment ON contacts "
    f"WHEN {_DIMS_MOVED} AND OLD.acquired_at IS NEW.acquired_at AND OLD.deleted_at IS NEW.deleted_at BEGIN "
    "UPDATE customer_months SET owner_id = COALESCE(NEW.owner_id, 0), channel = COALESCE(NEW.channel, ''), "
    "campaign_id = COALESCE(NEW.campaign_id, 0), segment = COALESCE(NEW.profit_segment, '') "
    "WHERE contact_id = NEW.id; END",
    "CREATE TRIGGER profit_contact_delete AFTER DELETE ON contacts BEGIN "
    "DELETE FROM customer_months WHERE contact_id = OLD.id; END",
]


def rebuild(conn: sqlite3.Connection) -> None:
    """Recompute the rollup from the source rows (call inside a write transaction)."""
    conn.execute("DELETE FROM customer_months")
    for sql in _everything().split(";"):
        if sql.strip():
            conn.execute(sql)


def period_clause(f: Filters, alias: str = "m.") -> tuple[str, list]:
    """``period = ?`` (one key) or ``period IN (...)`` for the keys of a whole-month period, and its one
    parameter."""
    keys = period_keys(f)
    if len(keys) == 1:
        return f"{alias}period = ?", keys
    return f"{alias}period IN (SELECT value FROM json_each(?))", [json.dumps(keys)]


def create(conn: sqlite3.Connection) -> None:
    """Table, index and triggers of migration 0015, filled from the current rows."""
    for sql in (TABLE, *INDEXES, *TRIGGERS):
        conn.execute(sql)
    rebuild(conn)
    conn.execute("ANALYZE customer_months")
