"""Named schema migrations (sqlite-utils ``Migrations``), applied at start.

Add a migration by appending a new decorated function; never edit one that has shipped.
A database carrying migration names this code does not know came from a newer version:
``migrate`` refuses it with ``SchemaTooNew`` instead of guessing.
"""

from __future__ import annotations

import sqlite3

import sqlite_utils
from sqlite_utils.migrations import Migrations

from db.analytics import deal_cube, profit_rollup, rollups
from db.core.errors import SchemaTooNew

migrations = Migrations("crm")

# Columns every editable table carries (optimistic locking, audit, soft delete).
STD = """
    version INTEGER NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL DEFAULT (datetime('now')),
    updated_at TEXT NOT NULL DEFAULT (datetime('now')),
    updated_by INTEGER,
    deleted_at TEXT
"""

SCHEMA_V1 = [
    f"""CREATE TABLE users (
        id INTEGER PRIMARY KEY,
        email TEXT NOT NULL UNIQUE COLLATE NOCASE,
        name TEXT NOT NULL,
        role TEXT NOT NULL CHECK (role IN ('admin', 'manager', 'rep')),
        password_hash TEXT NOT NULL,
        hourly_cost REAL NOT NULL DEFAULT 0,
        language TEXT NOT NULL DEFAULT 'en',
        timezone TEXT NOT NULL DEFAULT 'UTC',
        active INTEGER NOT NULL DEFAULT 1,
        failed_logins INTEGER NOT NULL DEFAULT 0,
        locked_until TEXT,
        {STD})""",
    f"""CREATE TABLE campaigns (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL,
        channel TEXT NOT NULL,
        starts_on TEXT,
        ends_on TEXT,
        budget REAL NOT NULL DEFAULT 0,
        spend REAL NOT NULL DEFAULT 0,
        {STD})""",
    f"""CREATE TABLE companies (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL,
        industry TEXT,
        website TEXT,
        phone TEXT,
        city TEXT,
        country TEXT,
        owner_id INTEGER REFERENCES users(id),
        lifecycle TEXT NOT NULL DEFAULT 'lead' CHECK (lifecycle IN ('lead', 'prospect', 'customer', 'churned')),
        channel TEXT,
        campaign_id INTEGER REFERENCES campaigns(id),
        acquired_at TEXT,
        tags TEXT NOT NULL DEFAULT '',
        {STD})""",
    f"""CREATE TABLE contacts (
        id INTEGER PRIMARY KEY,
        first_name TEXT NOT NULL,
        last_name TEXT NOT NULL DEFAULT '',
        email TEXT,
        phone TEXT,
        title TEXT,
        company_id INTEGER REFERENCES companies(id),
        owner_id INTEGER REFERENCES users(id),
        lifecycle TEXT NOT NULL DEFAULT 'lead' CHECK (lifecycle IN ('lead', 'prospect', 'customer', 'churned')),
        channel TEXT,
        campaign_id INTEGER REFERENCES campaigns(id),
        acquired_at TEXT,
        churned_at TEXT,
        tags TEXT NOT NULL DEFAULT '',
        {STD})""",
    f"""CREATE TABLE pipelines (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL,
        kind TEXT NOT NULL DEFAULT 'sales' CHECK (kind IN ('sales', 'recruiting')),
        position INTEGER NOT NULL DEFAULT 0,
        {STD})""",
    f"""CREATE TABLE stages (
        id INTEGER PRIMARY KEY,
        pipeline_id INTEGER NOT NULL REFERENCES pipelines(id),
        name TEXT NOT NULL,
        position INTEGER NOT NULL DEFAULT 0,
        probability REAL NOT NULL DEFAULT 0 CHECK (probability BETWEEN 0 AND 1),
        kind TEXT NOT NULL DEFAULT 'open' CHECK (kind IN ('open', 'won', 'lost')),
        {STD})""",
    f"""CREATE TABLE deals (
        id INTEGER PRIMARY KEY,
        pipeline_id INTEGER NOT NULL REFERENCES pipelines(id),
        stage_id INTEGER NOT NULL REFERENCES stages(id),
        title TEXT NOT NULL,
        contact_id INTEGER REFERENCES contacts(id),
        company_id INTEGER REFERENCES companies(id),
        owner_id INTEGER REFERENCES users(id),
        amount REAL NOT NULL DEFAULT 0,
        cost REAL NOT NULL DEFAULT 0,
        expected_close TEXT,
        closed_at TEXT,
        lost_reason TEXT,
        stage_entered_at TEXT NOT NULL DEFAULT (datetime('now')),
        {STD})""",
    """CREATE TABLE deal_stage_history (
        id INTEGER PRIMARY KEY,
        deal_id INTEGER NOT NULL REFERENCES deals(id),
        from_stage_id INTEGER REFERENCES stages(id),
        to_stage_id INTEGER NOT NULL REFERENCES stages(id),
        moved_at TEXT NOT NULL DEFAULT (datetime('now')),
        moved_by INTEGER REFERENCES users(id))""",
    f"""CREATE TABLE activities (
        id INTEGER PRIMARY KEY,
        kind TEXT NOT NULL CHECK (kind IN ('call', 'meeting', 'email', 'task', 'note', 'complaint')),
        subject TEXT NOT NULL,
        notes TEXT NOT NULL DEFAULT '',
        contact_id INTEGER REFERENCES contacts(id),
        company_id INTEGER REFERENCES companies(id),
        deal_id INTEGER REFERENCES deals(id),
        owner_id INTEGER REFERENCES users(id),
        starts_at TEXT,
        ends_at TEXT,
        due_at TEXT,
        duration_min INTEGER NOT NULL DEFAULT 0,
        done INTEGER NOT NULL DEFAULT 0,
        done_at TEXT,
        recurrence TEXT,
        series_id INTEGER,
        {STD})""",
    f"""CREATE TABLE feedback (
        id INTEGER PRIMARY KEY,
        contact_id INTEGER NOT NULL REFERENCES contacts(id),
        kind TEXT NOT NULL CHECK (kind IN ('csat', 'nps')),
        score INTEGER NOT NULL,
        comment TEXT NOT NULL DEFAULT '',
        responded_at TEXT NOT NULL,
        {STD},
        CHECK ((kind = 'csat' AND score BETWEEN 1 AND 5) OR (kind = 'nps' AND score BETWEEN 0 AND 10)))""",
    f"""CREATE TABLE comments (
        id INTEGER PRIMARY KEY,
        entity TEXT NOT NULL,
        entity_id INTEGER NOT NULL,
        body TEXT NOT NULL,
        author_id INTEGER REFERENCES users(id),
        {STD})""",
    """CREATE TABLE audit_log (
        id INTEGER PRIMARY KEY,
        at TEXT NOT NULL DEFAULT (datetime('now')),
        user_id INTEGER,
        entity TEXT NOT NULL,
        entity_id INTEGER NOT NULL,
        action TEXT NOT NULL,
        before TEXT,
        after TEXT)""",
    f"""CREATE TABLE saved_views (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL,
        owner_id INTEGER REFERENCES users(id),
        page TEXT NOT NULL,
        shared INTEGER NOT NULL DEFAULT 0,
        pinned INTEGER NOT NULL DEFAULT 0,
        definition TEXT NOT NULL DEFAULT '{{}}',
        {STD})""",
    """CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL)""",
]

INDEXES_V1 = [
    "CREATE INDEX ix_contacts_owner ON contacts(owner_id)",
    "CREATE INDEX ix_contacts_company ON contacts(company_id)",
    "CREATE INDEX ix_contacts_lifecycle ON contacts(lifecycle)",
    "CREATE INDEX ix_contacts_campaign ON contacts(campaign_id)",
    "CREATE INDEX ix_contacts_acquired ON contacts(acquired_at)",
    "CREATE INDEX ix_contacts_email ON contacts(email COLLATE NOCASE)",
    "CREATE INDEX ix_contacts_name ON contacts(last_name, first_name)",
    "CREATE INDEX ix_companies_owner ON companies(owner_id)",
    "CREATE INDEX ix_companies_name ON companies(name)",
    "CREATE INDEX ix_deals_stage ON deals(stage_id)",
    "CREATE INDEX ix_deals_pipeline ON deals(pipeline_id, stage_id)",
    "CREATE INDEX ix_deals_contact ON deals(contact_id)",
    "CREATE INDEX ix_deals_company ON deals(company_id)",
    "CREATE INDEX ix_deals_closed ON deals(closed_at)",
    "CREATE INDEX ix_deals_owner ON deals(owner_id)",
    "CREATE INDEX ix_history_deal ON deal_stage_history(deal_id)",
    "CREATE INDEX ix_history_moved ON deal_stage_history(moved_at)",
    "CREATE INDEX ix_activities_contact ON activities(contact_id, starts_at)",
    "CREATE INDEX ix_activities_deal ON activities(deal_id)",
    "CREATE INDEX ix_activities_company ON activities(company_id)",
    "CREATE INDEX ix_activities_owner_start ON activities(owner_id, starts_at)",
    "CREATE INDEX ix_activities_start ON activities(starts_at)",
    "CREATE INDEX ix_activities_due ON activities(due_at) WHERE kind = 'task'",
    "CREATE INDEX ix_feedback_responded ON feedback(kind, responded_at)",
    "CREATE INDEX ix_feedback_contact ON feedback(contact_id)",
    "CREATE INDEX ix_comments_entity ON comments(entity, entity_id)",
    "CREATE INDEX ix_audit_entity ON audit_log(entity, entity_id)",
    "CREATE INDEX ix_audit_at ON audit_log(at)",
    "CREATE INDEX ix_stages_pipeline ON stages(pipeline_id, position)",
]


@migrations(name="0001_initial_schema")
def m0001_initial_schema(db: sqlite_utils.Database) -> None:
    for sql in SCHEMA_V1 + INDEXES_V1:
        db.execute(sql)


@migrations(name="0002_sessions")
def m0002_sessions(db: sqlite_utils.Database) -> None:
    """Server-side sign-in sessions, so a cookie can be revoked and expire."""
    db.execute(
        """CREATE TABLE sessions (
            token_hash TEXT PRIMARY KEY,
            user_id INTEGER NOT NULL REFERENCES users(id),
            created_at TEXT NOT NULL DEFAULT (datetime('now')),
            expires_at TEXT NOT NULL,
            revoked_at TEXT)"""
    )
    db.execute("CREATE INDEX ix_sessions_user ON sessions(user_id)")


@migrations(name="0003_contact_segments")
def m0003_contact_segments(db: sqlite_utils.Database) -> None:
    """Computed segments per contact (ABC by profit and revenue, RFM), refreshed by db.analytics.segments."""
    db.execute(
        """CREATE TABLE contact_segments (
            contact_id INTEGER PRIMARY KEY REFERENCES contacts(id),
            abc_profit TEXT CHECK (abc_profit IN ('A', 'B', 'C')),
            abc_revenue TEXT CHECK (abc_revenue IN ('A', 'B', 'C')),
            recency INTEGER, frequency INTEGER, monetary INTEGER,
            rfm TEXT,
            computed_at TEXT NOT NULL DEFAULT (datetime('now')))"""
    )
    db.execute("CREATE INDEX ix_segments_abc_profit ON contact_segments(abc_profit)")
    db.execute("CREATE INDEX ix_segments_rfm ON contact_segments(rfm)")


@migrations(name="0004_sign_in_tickets")
def m0004_sign_in_tickets(db: sqlite_utils.Database) -> None:
    """One-time tickets that turn a form sign-in into a session cookie (see server.py)."""
    db.execute(
        """CREATE TABLE sign_in_tickets (
            token_hash TEXT PRIMARY KEY,
            user_id INTEGER NOT NULL REFERENCES users(id),
            expires_at TEXT NOT NULL,
            used_at TEXT)"""
    )


@migrations(name="0005_activity_indexes")
def m0005_activity_indexes(db: sqlite_utils.Database) -> None:
    """Home-page lists: the latest completed activities, and each person's open tasks by due date."""
    db.execute("CREATE INDEX IF NOT EXISTS ix_activities_done_at ON activities(done_at)")
    db.execute("CREATE INDEX IF NOT EXISTS ix_activities_open_tasks ON activities(owner_id, due_at) "
               "WHERE kind = 'task' AND done = 0")


_COST = "{a}.duration_min / 60.0 * COALESCE((SELECT hourly_cost FROM users WHERE id = {a}.owner_id), 0)"
_COUNTED = "{a}.done = 1 AND {a}.deleted_at IS NULL AND {a}.contact_id IS NOT NULL AND {a}.cost IS NOT NULL"
_ROLLUP_ADD = """INSERT INTO cost_rollup (month, owner_id, channel, campaign_id, minutes, cost)
    SELECT substr(COALESCE({a}.starts_at, {a}.due_at, {a}.created_at), 1, 7), COALESCE(c.owner_id, 0), COALESCE(c.channel, ''),
           COALESCE(c.campaign_id, 0), {sign}{a}.duration_min, {sign}{a}.cost
    FROM contacts c WHERE c.id = {a}.contact_id AND {counted}
    ON CONFLICT (month, owner_id, channel, campaign_id)
    DO UPDATE SET minutes = minutes + excluded.minutes, cost = cost + excluded.cost;"""


@migrations(name="0006_activity_cost_rollup")
def m0006_activity_cost_rollup(db: sqlite_utils.Database) -> None:
    """Cost to serve without scanning a million activities.

    Each activity keeps its cost (duration x the owner's hourly cost when it was logged, so a later
    raise does not rewrite history). ``cost_rollup`` sums done activities per month and per the
    customer's owner, channel and campaign; triggers keep it current on every insert, edit and delete.
    """
    db.execute("ALTER TABLE activities ADD COLUMN cost REAL")
    db.execute(f"UPDATE activities SET cost = {_COST.format(a='activities')}")
    db.execute("""CREATE TABLE cost_rollup (
        month TEXT NOT NULL, owner_id INTEGER NOT NULL, channel TEXT NOT NULL, campaign_id INTEGER NOT NULL,
        minutes INTEGER NOT NULL DEFAULT 0, cost REAL NOT NULL DEFAULT 0,
        PRIMARY KEY (month, owner_id, channel, campaign_id))""")
    db.execute(
        "INSERT INTO cost_rollup (month, owner_id, channel, campaign_id, minutes, cost) "
        "SELECT substr(COALESCE(a.starts_at, a.due_at, a.created_at), 1, 7), COALESCE(c.owner_id, 0), COALESCE(c.channel, ''), "
        "COALESCE(c.campaign_id, 0), SUM(a.duration_min), SUM(a.cost) FROM activities a "
        f"JOIN contacts c ON c.id = a.contact_id WHERE {_COUNTED.format(a='a')} GROUP BY 1, 2, 3, 4")
    db.execute(f"""CREATE TRIGGER activities_cost_default AFTER INSERT ON activities WHEN NEW.cost IS NULL
        BEGIN UPDATE activities SET cost = {_COST.format(a='NEW')} WHERE id = NEW.id; END""")
    db.execute(f"""CREATE TRIGGER activities_cost_change AFTER UPDATE OF duration_min, owner_id ON activities
        WHEN NEW.cost IS OLD.cost
        BEGIN UPDATE activities SET cost = {_COST.format(a='NEW')} WHERE id = NEW.id; END""")
    add_new = _ROLLUP_ADD.format(a="NEW", sign="", counted=_COUNTED.format(a="NEW"))
    take_old = _ROLLUP_ADD.format(a="OLD", sign="-", counted=_COUNTED.format(a="OLD"))
    db.execute(f"CREATE TRIGGER activities_rollup_insert AFTER INSERT ON activities BEGIN {add_new} END")
    db.execute(f"CREATE TRIGGER activities_rollup_update AFTER UPDATE ON activities BEGIN {take_old} {add_new} END")
    db.execute(f"CREATE TRIGGER activities_rollup_delete AFTER DELETE ON activities BEGIN {take_old} END")


@migrations(name="0007_activity_done_by_owner")
def m0007_activity_done_by_owner(db: sqlite_utils.Database) -> None:
    """Count a person's done activities in a period from the index alone (leaderboard, views)."""
    db.execute("CREATE INDEX IF NOT EXISTS ix_activities_owner_done ON activities(owner_id, starts_at) "
               "WHERE done = 1 AND deleted_at IS NULL")


_FTS_ROW = """SELECT NEW.id, trim(NEW.first_name || ' ' || NEW.last_name), COALESCE(NEW.email, ''),
    COALESCE(NEW.phone, '') || ' ' || replace(replace(replace(COALESCE(NEW.phone, ''), ' ', ''), '-', ''), '+', ''),
    COALESCE((SELECT name FROM companies WHERE id = NEW.company_id), ''), replace(NEW.tags, ',', ' ')"""


@migrations(name="0010_contacts_search")
def m0010_contacts_search(db: sqlite_utils.Database) -> None:
    """Full-text search over contacts (name, email, phone, company, tags) with SQLite FTS5.

    The index's rowid is the contact id; triggers keep it in step with contacts and company names.
    Soft-deleted contacts stay indexed and are filtered out by the query.
    """
    db.execute("CREATE VIRTUAL TABLE contacts_fts USING fts5(name, email, phone, company, tags, "
               "tokenize = 'unicode61 remove_diacritics 2')")
    db.execute("INSERT INTO contacts_fts (rowid, name, email, phone, company, tags) "
               + _FTS_ROW.replace("NEW.", "contacts.") + " FROM contacts")
    db.execute(f"CREATE TRIGGER contacts_fts_insert AFTER INSERT ON contacts BEGIN "
               f"INSERT INTO contacts_fts (rowid, name, email, phone, company, tags) {_FTS_ROW}; END")
    db.execute(f"CREATE TRIGGER contacts_fts_update AFTER UPDATE OF first_name, last_name, email, phone, company_id, "
               f"tags ON contacts BEGIN DELETE FROM contacts_fts WHERE rowid = OLD.id; "
               f"INSERT INTO contacts_fts (rowid, name, email, phone, company, tags) {_FTS_ROW}; END")
    db.execute("CREATE TRIGGER contacts_fts_delete AFTER DELETE ON contacts BEGIN "
               "DELETE FROM contacts_fts WHERE rowid = OLD.id; END")
    db.execute("CREATE TRIGGER companies_fts_rename AFTER UPDATE OF name ON companies BEGIN "
               "UPDATE contacts_fts SET company = NEW.name WHERE rowid IN "
               "(SELECT id FROM contacts WHERE company_id = NEW.id); END")


@migrations(name="0011_kpi_rollups")
def m0011_kpi_rollups(db: sqlite_utils.Database) -> None:
    """Dashboard figures from trigger-kept rollups (db/analytics/rollups.py) instead of a million activities.

    Replaces ``cost_rollup``: it grouped by the customer's owner, channel and campaign but went stale when
    those changed, and it had no segment or satisfaction counts.
    """
    for trigger in ("activities_rollup_insert", "activities_rollup_update", "activities_rollup_delete"):
        db.execute(f"DROP TRIGGER IF EXISTS {trigger}")
    db.execute("DROP TABLE IF EXISTS cost_rollup")
    rollups.create(db.conn)


@migrations(name="0012_segment_on_contacts")
def m0012_segment_on_contacts(db: sqlite_utils.Database) -> None:
    """Copy each customer's ABC-by-profit letter onto ``contacts.profit_segment`` (kept by triggers on
    ``contact_segments``) and carry it in the KPI indexes.

    The segment filter used to be a lookup in ``contact_segments`` per deal, feedback answer or customer
    (a summary with a segment filter took 0.3-1 s at the large scale); as a column of the covering indexes it
    costs what the owner filter costs. The funnel reads the stage a deal moved to from an index too.
    """
    db.execute("ALTER TABLE contacts ADD COLUMN profit_segment TEXT")
    db.execute("UPDATE contacts SET profit_segment = (SELECT abc_profit FROM contact_segments "
               "WHERE contact_id = contacts.id)")
    set_new = "UPDATE contacts SET profit_segment = NEW.abc_profit WHERE id = NEW.contact_id;"
    db.execute(f"CREATE TRIGGER contacts_segment_insert AFTER INSERT ON contact_segments BEGIN {set_new} END")
    db.execute(f"CREATE TRIGGER contacts_segment_update AFTER UPDATE OF abc_profit, contact_id ON contact_segments "
               f"BEGIN UPDATE contacts SET profit_segment = NULL WHERE id = OLD.contact_id; {set_new} END")
    db.execute("CREATE TRIGGER contacts_segment_delete AFTER DELETE ON contact_segments BEGIN "
               "UPDATE contacts SET profit_segment = NULL WHERE id = OLD.contact_id; END")
    for sql in (
            "DROP INDEX ix_contacts_acquired_kpi",
            "CREATE INDEX ix_contacts_acquired_kpi ON contacts(acquired_at, churned_at, owner_id, channel, "
            "campaign_id, profit_segment, deleted_at)",
            "DROP INDEX ix_contacts_kpi_dims",
            "CREATE INDEX ix_contacts_kpi_dims ON contacts(id, owner_id, channel, campaign_id, profit_segment, "
            "acquired_at, deleted_at)",
            "DROP INDEX ix_history_deal",
            "CREATE INDEX ix_history_deal ON deal_stage_history(deal_id, to_stage_id)"):
        db.execute(sql)
    db.execute("ANALYZE")


_FURTHEST = ("(SELECT h.to_stage_id FROM deal_stage_history h JOIN stages st ON st.id = h.to_stage_id "
             "AND st.kind != 'lost' WHERE h.deal_id = {deal} ORDER BY st.position DESC, st.id DESC LIMIT 1)")


@migrations(name="0013_deal_furthest_stage")
def m0013_deal_furthest_stage(db: sqlite_utils.Database) -> None:
    """Keep on each deal the furthest open or won stage it ever reached (``deals.furthest_stage_id``).

    The funnel counts, per stage, the deals that got at least that far; reading it from the deal instead of
    every deal's stage history took a year's funnel at the large scale from ~0.2 s to a few ms. Triggers
    keep it: a history row added or removed recomputes that deal; a stage whose position or kind changes
    recomputes the deals that visited it (the only ones whose furthest stage can change).
    """
    db.execute("ALTER TABLE deals ADD COLUMN furthest_stage_id INTEGER REFERENCES stages(id)")
    db.execute("UPDATE deals SET furthest_stage_id = " + _FURTHEST.format(deal="deals.id"))
    db.execute("CREATE INDEX ix_history_to_stage ON deal_stage_history(to_stage_id, deal_id)")
    for event, deal in (("INSERT", "NEW.deal_id"), ("DELETE", "OLD.deal_id")):
        db.execute(f"CREATE TRIGGER deals_furthest_{event.lower()} AFTER {event} ON deal_stage_history BEGIN "
                   f"UPDATE deals SET furthest_stage_id = {_FURTHEST.format(deal=deal)} WHERE id = {deal}; END")
    db.execute("CREATE TRIGGER deals_furthest_stage AFTER UPDATE OF position, kind ON stages "
               "WHEN OLD.position IS NOT NEW.position OR OLD.kind IS NOT NEW.kind BEGIN "
               f"UPDATE deals SET furthest_stage_id = {_FURTHEST.format(deal='deals.id')} "
               "WHERE id IN (SELECT deal_id FROM deal_stage_history WHERE to_stage_id = NEW.id); END")
    db.execute("DROP INDEX ix_deals_created")
    db.execute("CREATE INDEX ix_deals_created ON deals(pipeline_id, created_at, furthest_stage_id, contact_id) "
               "WHERE deleted_at IS NULL")
    db.execute("ANALYZE")


@migrations(name="0014_duplicate_lookups")
def m0014_duplicate_lookups(db: sqlite_utils.Database) -> None:
    """Indexes that let the duplicates panel group contacts by email, phone and name within a company.

    It joined contacts to themselves on lower(email), which no index serves: the contacts page of a manager
    took minutes at 100k contacts. Grouping along these indexes reads each once.
    """
    db.execute("CREATE INDEX ix_contacts_dupe_email ON contacts(email COLLATE NOCASE, deleted_at)")
    db.execute("CREATE INDEX ix_contacts_dupe_phone ON contacts(phone, deleted_at)")
    db.execute("CREATE INDEX ix_contacts_dupe_name ON contacts(company_id, last_name COLLATE NOCASE, "
               "first_name COLLATE NOCASE, deleted_at)")
    db.execute("ANALYZE")


@migrations(name="0015_customer_profit_rollup")
def m0015_customer_profit_rollup(db: sqlite_utils.Database) -> None:
    """Per-customer profit by month, quarter and year, with the customer's filter columns (db/analytics/profit_rollup.py).

    The profit lists merged three grouped reads and looked up thousands of customers one by one (a year at
    the large scale: ~0.25-0.35 s); reading one row per customer of a year takes a few tens of ms.
    """
    profit_rollup.create(db.conn)


@migrations(name="0016_deal_cube")
def m0016_deal_cube(db: sqlite_utils.Database) -> None:
    """Closed deals per month x pipeline x the customer's filter columns (db/analytics/deal_cube.py).

    The sales cards and the win-rate series read every deal closed in the 12 months before the period,
    joined to its customer under a customer filter (~20-50 ms a read at the large scale, several reads per
    dashboard run); the same figures from the monthly rows take about a millisecond.
    """
    deal_cube.create(db.conn)


@migrations(name="0170_sign_in_throttle")
def m0170_sign_in_throttle(db: sqlite_utils.Database) -> None:
    """Sign-in throttling and one session per sign-in (docs/security.md).

    ``sign_in_failures`` counts attempts per key (account, account + address, address; only SHA-256 of
    each key is kept) with the time the next attempt is allowed: growing delays instead of a hard lock.
    ``sign_in_tickets.sealed`` carries the tab's session token, sealed with the one-time ticket, so the
    cookie and the tab share one session (revoking it reaches both).
    """
    db.execute(
        """CREATE TABLE sign_in_failures (
            key_hash TEXT PRIMARY KEY,
            account_hash TEXT,
            failures INTEGER NOT NULL,
            last_at REAL NOT NULL,
            next_at REAL NOT NULL) WITHOUT ROWID"""
    )
    db.execute("CREATE INDEX ix_sign_in_failures_account ON sign_in_failures(account_hash)")
    db.execute("ALTER TABLE sign_in_tickets ADD COLUMN sealed TEXT")


# The search row of every contact, for a set-based (re)index: the 0010 trigger's row with NEW. -> contacts.
CONTACTS_FTS_INSERT = ("INSERT INTO contacts_fts (rowid, name, email, phone, company, tags) "
                       + _FTS_ROW.replace("NEW.", "contacts.") + " FROM contacts")


@migrations(name="0180_contacts_fts_bulk")
def m0180_contacts_fts_bulk(db: sqlite_utils.Database) -> None:
    """Let a bulk insert index its new contacts in one statement instead of one FTS insert per row.

    An FTS5 write made from a trigger runs as a nested statement, and FTS5 flushes its pending terms at
    every statement savepoint: each imported contact became its own tiny index segment (10.5 rows written
    per contact, half of a 10,000-row import's time under the write lock). ``db.io.bulk.create_many``
    marks the table in ``fts_deferred`` inside its own savepoint, inserts the rows (the trigger stands
    aside), indexes them with one INSERT ... SELECT and removes the mark before its savepoint ends: no
    other connection ever sees a mark, and a crash or rollback takes it away with the rows.
    """
    db.execute("CREATE TABLE fts_deferred (tbl TEXT PRIMARY KEY) WITHOUT ROWID")
    db.execute("DROP TRIGGER contacts_fts_insert")
    db.execute(f"CREATE TRIGGER contacts_fts_insert AFTER INSERT ON contacts "
               f"WHEN NOT EXISTS (SELECT 1 FROM fts_deferred WHERE tbl = 'contacts') BEGIN "
               f"INSERT INTO contacts_fts (rowid, name, email, phone, company, tags) {_FTS_ROW}; END")


# Global search (migration 0190): one FTS5 index per record type besides contacts_fts, each kept by triggers.
# Each *_FTS_INSERT is the set-based (re)index of every row; bulk writers add a WHERE (db/io/bulk.py).
_SEARCH_TOKENIZER = "tokenize = 'unicode61 remove_diacritics 2'"
_COMPANY_ROW = """SELECT NEW.id, NEW.name, COALESCE(NEW.website, ''), COALESCE(NEW.city, ''),
    replace(NEW.tags, ',', ' ')"""
_DEAL_ROW = """SELECT NEW.id, NEW.title, COALESCE((SELECT name FROM companies WHERE id = NEW.company_id), ''),
    COALESCE((SELECT trim(first_name || ' ' || last_name) FROM contacts WHERE id = NEW.contact_id), '')"""
COMPANIES_FTS_INSERT = ("INSERT INTO companies_fts (rowid, name, website, city, tags) "
                        + _COMPANY_ROW.replace("NEW.", "companies.") + " FROM companies")
DEALS_FTS_INSERT = ("INSERT INTO deals_fts (rowid, title, company, contact) "
                    + _DEAL_ROW.replace("NEW.", "deals.") + " FROM deals")
ACTIVITIES_FTS_INSERT = "INSERT INTO activities_fts (rowid, subject) SELECT id, subject FROM activities"


def _deferrable(table: str) -> str:
    """The WHEN clause of an insert trigger that stands aside while ``db.io.bulk`` indexes in one statement."""
    return f"WHEN NOT EXISTS (SELECT 1 FROM fts_deferred WHERE tbl = '{table}')"


@migrations(name="0190_global_search")
def m0190_global_search(db: sqlite_utils.Database) -> None:
    """Full-text indexes for the global search over companies, deals and activities (db/crm/search.py).

    - ``companies_fts`` (name, website, city, tags) and ``deals_fts`` (title, the company's and the
      contact's names, so a deal is found by its customer) store their text: 20k / 50k short rows at the
      large scale. Renaming a company or a contact rewrites the name in its deals' rows, as
      ``companies_fts_rename`` does for contacts.
    - ``activities_fts`` indexes the subject only, as an external-content table over ``activities``
      (1M rows at the large scale): the text is not stored twice. Its triggers pass the old subject to
      FTS5's 'delete' command, which an external-content index needs to remove exactly what it added.
    Every row is indexed, soft-deleted ones too (as in ``contacts_fts``); the search query drops those.
    Insert triggers stand aside for ``fts_deferred`` (migration 0180), like ``contacts_fts_insert``.
    """
    db.execute(f"CREATE VIRTUAL TABLE companies_fts USING fts5(name, website, city, tags, {_SEARCH_TOKENIZER})")
    db.execute(COMPANIES_FTS_INSERT)
    db.execute(f"CREATE TRIGGER companies_fts_insert AFTER INSERT ON companies {_deferrable('companies')} BEGIN "
               f"INSERT INTO companies_fts (rowid, name, website, city, tags) {_COMPANY_ROW}; END")
    db.execute(f"CREATE TRIGGER companies_fts_update AFTER UPDATE OF name, website, city, tags ON companies BEGIN "
               f"DELETE FROM companies_fts WHERE rowid = OLD.id; "
               f"INSERT INTO companies_fts (rowid, name, website, city, tags) {_COMPANY_ROW}; END")
    db.execute("CREATE TRIGGER companies_fts_delete AFTER DELETE ON companies BEGIN "
               "DELETE FROM companies_fts WHERE rowid = OLD.id; END")

    db.execute(f"CREATE VIRTUAL TABLE deals_fts USING fts5(title, company, contact, {_SEARCH_TOKENIZER})")
    db.execute(DEALS_FTS_INSERT)
    db.execute(f"CREATE TRIGGER deals_fts_insert AFTER INSERT ON deals {_deferrable('deals')} BEGIN "
               f"INSERT INTO deals_fts (rowid, title, company, contact) {_DEAL_ROW}; END")
    db.execute(f"CREATE TRIGGER deals_fts_update AFTER UPDATE OF title, company_id, contact_id ON deals BEGIN "
               f"DELETE FROM deals_fts WHERE rowid = OLD.id; "
               f"INSERT INTO deals_fts (rowid, title, company, contact) {_DEAL_ROW}; END")
    db.execute("CREATE TRIGGER deals_fts_delete AFTER DELETE ON deals BEGIN "
               "DELETE FROM deals_fts WHERE rowid = OLD.id; END")
    db.execute("CREATE TRIGGER deals_fts_company_rename AFTER UPDATE OF name ON companies BEGIN "
               "UPDATE deals_fts SET company = NEW.name WHERE rowid IN "
               "(SELECT id FROM deals WHERE company_id = NEW.id); END")
    db.execute("CREATE TRIGGER deals_fts_contact_rename AFTER UPDATE OF first_name, last_name ON contacts BEGIN "
               "UPDATE deals_fts SET contact = trim(NEW.first_name || ' ' || NEW.last_name) WHERE rowid IN "
               "(SELECT id FROM deals WHERE contact_id = NEW.id); END")

    db.execute(f"CREATE VIRTUAL TABLE activities_fts USING fts5(subject, content = 'activities', "
               f"content_rowid = 'id', {_SEARCH_TOKENIZER})")
    db.execute(ACTIVITIES_FTS_INSERT)
    db.execute(f"CREATE TRIGGER activities_fts_insert AFTER INSERT ON activities {_deferrable('activities')} "
               f"BEGIN INSERT INTO activities_fts (rowid, subject) VALUES (NEW.id, NEW.subject); END")
    db.execute("CREATE TRIGGER activities_fts_update AFTER UPDATE OF subject ON activities BEGIN "
               "INSERT INTO activities_fts (activities_fts, rowid, subject) VALUES ('delete', OLD.id, OLD.subject); "
               "INSERT INTO activities_fts (rowid, subject) VALUES (NEW.id, NEW.subject); END")
    db.execute("CREATE TRIGGER activities_fts_delete AFTER DELETE ON activities BEGIN "
               "INSERT INTO activities_fts (activities_fts, rowid, subject) VALUES ('delete', OLD.id, OLD.subject); "
               "END")


# Events that reach a person as a notification, written by triggers on the records themselves in the transaction
# of the change: every path that changes an owner or a stage (grid, board, record, import, revert) is covered
# by one rule, and the actor is ``updated_by``, which the write path sets on every change. A change without a
# person behind it (the demo seed, the system) is no news. Triggers on ``audit_log`` would do the same, but an
# audit insert is one statement per row in a bulk import, and a trigger there cost ~8 us per row even when idle.
_NOTIFY = ("INSERT INTO notifications (user_id, kind, entity, entity_id, actor_id, ref_id, at) "
           "SELECT u.id, '{kind}', '{table}', NEW.id, NEW.updated_by, {ref}, NEW.updated_at FROM users u "
           "WHERE u.id = NEW.owner_id AND u.active = 1;")
_HANDED = "NEW.owner_id IS NOT NULL AND NEW.updated_by IS NOT NULL AND NEW.owner_id IS NOT NEW.updated_by"


def notify_triggers() -> list[str]:
    """The triggers that write "assigned to you" (a contact, company or deal made for, or handed to, someone by
    another person) and "your deal moved" (a stage change by someone other than the owner, unless the same
    change handed the deal over: that one already says "assigned to you")."""
    out = []
    for table in ("contacts", "companies", "deals"):
        assigned = _NOTIFY.format(kind="assigned", table=table, ref="NULL")
        out.append(f"CREATE TRIGGER {table}_notify_created AFTER INSERT ON {table} WHEN {_HANDED} "
                   f"BEGIN {assigned} END")
        out.append(f"CREATE TRIGGER {table}_notify_handed AFTER UPDATE OF owner_id ON {table} "
                   f"WHEN NEW.owner_id IS NOT OLD.owner_id AND {_HANDED} BEGIN {assigned} END")
    moved = _NOTIFY.format(kind="stage", table="deals", ref="NEW.stage_id")
    out.append("CREATE TRIGGER deals_notify_moved AFTER UPDATE OF stage_id ON deals "
               f"WHEN NEW.stage_id IS NOT OLD.stage_id AND NEW.owner_id IS OLD.owner_id AND {_HANDED} "
               f"BEGIN {moved} END")
    return out


@migrations(name="0200_notifications")
def m0200_notifications(db: sqlite_utils.Database) -> None:
    """Notifications (db/crm/notifications.py): stored events and the read marks of computed reminders.

    ``notifications`` holds events (assigned to me, a stage change on my deal, an @mention), written in
    the transaction of the change itself: by the triggers of ``notify_triggers`` on contacts, companies
    and deals, and by the comment write for mentions (``ref_id``: the comment, or the stage a deal moved
    to). Task reminders (due soon, overdue) are not stored: they follow the clock and are read from
    ``activities``; ``notification_reads`` keeps which of them a person has marked read. The
    sidebar counts unread events from ``ix_notifications_unread`` alone. History is not backfilled:
    events start when this migration runs.
    """
    db.execute(
        """CREATE TABLE notifications (
            id INTEGER PRIMARY KEY,
            user_id INTEGER NOT NULL REFERENCES users(id),
            kind TEXT NOT NULL CHECK (kind IN ('assigned', 'stage', 'mention')),
            entity TEXT NOT NULL,
            entity_id INTEGER NOT NULL,
            actor_id INTEGER REFERENCES users(id),
            ref_id INTEGER,
            at TEXT NOT NULL,
            read_at TEXT)"""
    )
    db.execute("CREATE INDEX ix_notifications_user ON notifications(user_id, id)")
    db.execute("CREATE INDEX ix_notifications_unread ON notifications(user_id) WHERE read_at IS NULL")
    db.execute(
        """CREATE TABLE notification_reads (
            user_id INTEGER NOT NULL,
            key TEXT NOT NULL,
            read_at TEXT NOT NULL,
            PRIMARY KEY (user_id, key)) WITHOUT ROWID"""
    )
    for sql in notify_triggers():
        db.execute(sql)


@migrations(name="0210_custom_fields")
def m0210_custom_fields(db: sqlite_utils.Database) -> None:
    """Definitions of custom fields (db/core/fields.py); each field's values live in its own column
    ``cf_<id>`` added to the entity's table when the field is defined. ``<entity>_cf_fts`` holds the
    custom text of each record for search; its triggers are rebuilt whenever the set of text fields changes."""
    db.execute(
        f"""CREATE TABLE custom_fields (
            id INTEGER PRIMARY KEY,
            entity TEXT NOT NULL CHECK (entity IN ('contacts', 'companies', 'deals', 'activities')),
            key TEXT NOT NULL,
            type TEXT NOT NULL,
            labels TEXT NOT NULL,
            help TEXT,
            required INTEGER NOT NULL DEFAULT 0,
            default_value TEXT,
            is_unique INTEGER NOT NULL DEFAULT 0,
            position INTEGER NOT NULL DEFAULT 0,
            section TEXT,
            options TEXT,
            view_roles TEXT NOT NULL,
            edit_roles TEXT NOT NULL,
            archived_at TEXT,
            {STD},
            UNIQUE (entity, key))"""
    )
    for entity in ("contacts", "companies", "deals", "activities"):
        db.execute(f"CREATE VIRTUAL TABLE {entity}_cf_fts USING fts5(body, {_SEARCH_TOKENIZER})")


@migrations(name="0220_api_keys")
def m0220_api_keys(db: sqlite_utils.Database) -> None:
    """API keys, idempotency keys and the key behind each audited change (the REST API, docs/api.md).

    ``api_keys`` holds only the SHA-256 of each key (the key is shown once), its owner, name, scope (read or
    write), expiry, last use and revocation. ``api_idempotency`` keeps the answer to a POST sent with an
    ``Idempotency-Key`` for a day, so a retried create returns the first answer instead of a duplicate; it is
    written in the transaction of the create. ``audit_log.api_key_id`` names the key a change came through.
    """
    db.execute(
        """CREATE TABLE api_keys (
            id INTEGER PRIMARY KEY,
            user_id INTEGER NOT NULL REFERENCES users(id),
            name TEXT NOT NULL,
            prefix TEXT NOT NULL,
            key_hash TEXT NOT NULL UNIQUE,
            scope TEXT NOT NULL CHECK (scope IN ('read', 'write')),
            created_at TEXT NOT NULL DEFAULT (datetime('now')),
            expires_at TEXT,
            last_used_at TEXT,
            revoked_at TEXT)"""
    )
    db.execute("CREATE INDEX ix_api_keys_user ON api_keys(user_id)")
    db.execute(
        """CREATE TABLE api_idempotency (
            key_id INTEGER NOT NULL REFERENCES api_keys(id),
            idem_key TEXT NOT NULL,
            request_hash TEXT NOT NULL,
            status INTEGER NOT NULL,
            body TEXT NOT NULL,
            created_at TEXT NOT NULL,
            PRIMARY KEY (key_id, idem_key)) WITHOUT ROWID"""
    )
    db.execute("CREATE INDEX ix_api_idempotency_created ON api_idempotency(created_at)")
    db.execute("ALTER TABLE audit_log ADD COLUMN api_key_id INTEGER REFERENCES api_keys(id)")


@migrations(name="0221_api_list_indexes")
def m0221_api_list_indexes(db: sqlite_utils.Database) -> None:
    """Indexes for the API's keyset pages (db/crm/listing.py): each sort key with the id after it (an index
    carries the rowid), so page N of 100k rows reads from an index seek, never a sort of the table."""
    for table, column in (("contacts", "created_at"), ("contacts", "updated_at"), ("contacts", "last_name"),
                          ("companies", "created_at"), ("companies", "updated_at"),
                          ("deals", "updated_at"), ("deals", "amount"), ("activities", "updated_at")):
        db.execute(f"CREATE INDEX IF NOT EXISTS ix_{table}_api_{column} ON {table}({column})")
    db.execute("CREATE INDEX IF NOT EXISTS ix_deals_api_created ON deals(created_at)")


EPOCH_NOW = "((julianday('now') - 2440587.5) * 86400.0)"  # unix seconds with fractions (SQLite 3.40: no subsec)
_HOOKED = "EXISTS (SELECT 1 FROM webhook_endpoints WHERE active = 1 AND deleted_at IS NULL)"
_OUTBOX = ("INSERT INTO webhook_deliveries (endpoint_id, event, entity, entity_id, version, created_at, next_attempt_at) "
           "SELECT e.id, ev.name, '{table}', NEW.id, NEW.version, datetime('now'), " + EPOCH_NOW + " FROM ({events}) ev "
           "JOIN webhook_endpoints e ON e.active = 1 AND e.deleted_at IS NULL WHERE ev.name IS NOT NULL "
           "AND EXISTS (SELECT 1 FROM json_each(e.events) j WHERE j.value = ev.name);")
_CHANGED = "NEW.version IS NOT OLD.version"  # a change through the write path, not a rollup trigger's column


def webhook_triggers() -> list[str]:
    """The triggers that fill the webhook outbox (``webhook_deliveries``) in the transaction of the change.

    On the record tables, not on ``audit_log``: those already carry triggers (rollups, search), so one more
    costs only its WHEN per row, while any trigger on ``audit_log`` makes each of a bulk import's per-row
    audit INSERTs open a statement journal (measured: tens of microseconds a row). An update counts only when
    it bumps ``version`` (every write of ``records`` does; the columns kept by rollup triggers do not)."""
    plan = [
        ("contacts_webhook_created", "AFTER INSERT ON contacts", _HOOKED, "contacts", "SELECT 'contact.created' AS name"),
        ("contacts_webhook_changed", "AFTER UPDATE ON contacts", f"{_CHANGED} AND {_HOOKED}", "contacts",
         "SELECT CASE WHEN NEW.deleted_at IS NOT NULL AND OLD.deleted_at IS NULL THEN 'contact.deleted' "
         "ELSE 'contact.updated' END AS name"),
        ("deals_webhook_moved", "AFTER UPDATE OF stage_id ON deals",
         f"NEW.stage_id IS NOT OLD.stage_id AND {_CHANGED} AND {_HOOKED}", "deals",
         "SELECT 'deal.stage_changed' AS name UNION ALL SELECT (SELECT 'deal.' || s.kind FROM stages s "
         "WHERE s.id = NEW.stage_id AND s.kind IN ('won', 'lost'))"),
        ("activities_webhook_created", "AFTER INSERT ON activities", _HOOKED, "activities",
         "SELECT 'activity.created' AS name"),
        ("feedback_webhook_received", "AFTER INSERT ON feedback", _HOOKED, "feedback",
         "SELECT 'feedback.received' AS name"),
    ]
    return [f"CREATE TRIGGER {name} {when} WHEN {cond} BEGIN {_OUTBOX.format(table=table, events=events)} END"
            for name, when, cond, table, events in plan]


@migrations(name="0230_integrations")
def m0230_integrations(db: sqlite_utils.Database) -> None:
    """Webhooks with an outbox, web-to-lead forms and calendar feeds (integrations/, db/crm/webhooks.py,
    webforms.py, feeds.py).

    ``webhook_deliveries`` is the outbox and the delivery log in one: the triggers of ``webhook_triggers`` add
    a row per subscribed endpoint in the transaction of the change itself (whichever path wrote it: pages,
    imports, merges, forms, the API), so a rolled-back change leaves none and a committed one cannot be
    missed; ``version`` finds the change's audit row when the payload is built. Their WHEN does nothing
    while no endpoint is active. ``next_attempt_at`` and
    ``locked_until`` are unix seconds (REAL): the worker's lease lets two processes share the outbox.
    """
    db.execute(
        """CREATE TABLE webhook_endpoints (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL,
            url TEXT NOT NULL,
            events TEXT NOT NULL DEFAULT '[]',
            secret TEXT NOT NULL,
            active INTEGER NOT NULL DEFAULT 1,
            created_at TEXT NOT NULL DEFAULT (datetime('now')),
            created_by INTEGER REFERENCES users(id),
            deleted_at TEXT)"""
    )
    db.execute(
        """CREATE TABLE webhook_deliveries (
            id INTEGER PRIMARY KEY,
            endpoint_id INTEGER NOT NULL REFERENCES webhook_endpoints(id),
            event TEXT NOT NULL,
            entity TEXT NOT NULL,
            entity_id INTEGER NOT NULL,
            version INTEGER NOT NULL,
            created_at TEXT NOT NULL,
            payload TEXT,
            status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'failed')),
            attempts INTEGER NOT NULL DEFAULT 0,
            next_attempt_at REAL NOT NULL,
            locked_until REAL,
            locked_by TEXT,
            last_attempt_at TEXT,
            last_status INTEGER,
            last_error TEXT,
            delivered_at TEXT)"""
    )
    db.execute("CREATE INDEX ix_webhook_due ON webhook_deliveries(next_attempt_at) WHERE status = 'pending'")
    db.execute("CREATE INDEX ix_webhook_log ON webhook_deliveries(endpoint_id, id)")
    for sql in webhook_triggers():
        db.execute(sql)
    db.execute(
        """CREATE TABLE webforms (
            id INTEGER PRIMARY KEY,
            public_id TEXT NOT NULL UNIQUE,
            name TEXT NOT NULL,
            fields TEXT NOT NULL DEFAULT '["first_name", "last_name", "email"]',
            campaign_id INTEGER REFERENCES campaigns(id),
            owner_mode TEXT NOT NULL DEFAULT 'fixed' CHECK (owner_mode IN ('fixed', 'round_robin')),
            owners TEXT NOT NULL DEFAULT '[]',
            last_owner_id INTEGER,
            tags TEXT NOT NULL DEFAULT '',
            redirect_url TEXT,
            active INTEGER NOT NULL DEFAULT 1,
            created_at TEXT NOT NULL DEFAULT (datetime('now')),
            created_by INTEGER REFERENCES users(id),
            deleted_at TEXT)"""
    )
    db.execute("CREATE TABLE webform_hits (address TEXT NOT NULL, at REAL NOT NULL)")
    db.execute("CREATE INDEX ix_webform_hits ON webform_hits(address, at)")
    db.execute(
        """CREATE TABLE calendar_feeds (
            id INTEGER PRIMARY KEY,
            user_id INTEGER NOT NULL REFERENCES users(id),
            scope TEXT NOT NULL DEFAULT 'mine' CHECK (scope IN ('mine', 'team')),
            token_hash TEXT NOT NULL UNIQUE,
            created_at TEXT NOT NULL DEFAULT (datetime('now')),
            last_used_at TEXT,
            revoked_at TEXT)"""
    )
    db.execute("CREATE INDEX ix_calendar_feeds_user ON calendar_feeds(user_id) WHERE revoked_at IS NULL")


@migrations(name="0260_calendar_indexes")
def m0260_calendar_indexes(db: sqlite_utils.Database) -> None:
    """The calendar's per-day counts and pages (db/crm/calendar.py) from indexes alone: the team's timed
    activities by start with their kind (a team's week counted 25k rows with a table read each: 60 ms), and
    tasks by due time, for the team and per person (a person's tasks walked every task of the day)."""
    # deleted_at and kind are columns too, though the WHERE fixes them: SQLite's planner reads a partial
    # index as covering only when every column the query names is in it.
    db.execute("CREATE INDEX IF NOT EXISTS ix_activities_cal_start ON activities(starts_at, kind, deleted_at) "
               "WHERE deleted_at IS NULL")
    db.execute("CREATE INDEX IF NOT EXISTS ix_activities_cal_due ON activities(due_at, kind, deleted_at) "
               "WHERE kind = 'task' AND deleted_at IS NULL")
    db.execute("CREATE INDEX IF NOT EXISTS ix_activities_cal_owner_due ON activities(owner_id, due_at, kind, "
               "deleted_at) WHERE kind = 'task' AND deleted_at IS NULL")


@migrations(name="0270_lighter_rollup_triggers")
def m0270_lighter_rollup_triggers(db: sqlite_utils.Database) -> None:
    """Fewer rows written per change by the rollup triggers (issue 21: a segment refresh held the write lock
    for 11 s even when nothing changed).

    - ``contacts_segment_update`` ran on every upsert of a segment row, letter changed or not, and set
      ``contacts.profit_segment`` to NULL and back: two contact updates, each re-filing the customer's
      ``customer_months`` and ``deal_cube`` rows (~47 rows written per unchanged customer). It now runs only
      when the letter (or the contact) changes, and sets the new letter once.
    - ``kpi_contact_update`` took back and re-added a customer's ``serve_costs`` rows on an owner, channel or
      campaign change, though those rows carry none of them (~2 rows per month of history); such a change
      now re-files only the ``kpi_cube`` rows (``kpi_contact_dims``, db/analytics/rollups.py).
    """
    db.execute("DROP TRIGGER IF EXISTS contacts_segment_update")
    db.execute("CREATE TRIGGER contacts_segment_update AFTER UPDATE OF abc_profit, contact_id ON contact_segments "
               "WHEN OLD.abc_profit IS NOT NEW.abc_profit OR OLD.contact_id IS NOT NEW.contact_id BEGIN "
               "UPDATE contacts SET profit_segment = NULL WHERE id = OLD.contact_id AND OLD.contact_id IS NOT "
               "NEW.contact_id; UPDATE contacts SET profit_segment = NEW.abc_profit WHERE id = NEW.contact_id; END")
    for name in ("kpi_contact_update", "kpi_contact_dims"):
        db.execute(f"DROP TRIGGER IF EXISTS {name}")
    for sql in rollups.TRIGGERS:
        if " kpi_contact_update " in sql or " kpi_contact_dims " in sql:
            db.execute(sql)


@migrations(name="0310_deals_board_index")
def m0310_deals_board_index(db: sqlite_utils.Database) -> None:
    """The board reads each stage's count, sum and top cards by amount, and the forecast the open stages'
    amounts by owner and month, from this index alone (no table row is visited): at 50,000 deals a board
    goes from scanning the pipeline to a few thousand index entries per stage."""
    db.execute("CREATE INDEX ix_deals_board ON deals(stage_id, amount DESC, id, closed_at, owner_id, expected_close) "
               "WHERE deleted_at IS NULL")


@migrations(name="0320_grid_sort_indexes")
def m0320_grid_sort_indexes(db: sqlite_utils.Database) -> None:
    """The contacts and companies grids open sorted by name, case-insensitively; without an index in that
    collation every run sorted the whole table for its first page (100k contacts: ~15-25 ms of each contacts
    run, the costliest part of the page). With it, a page is an index walk."""
    db.execute("CREATE INDEX ix_contacts_sort_name ON contacts(last_name COLLATE NOCASE, first_name COLLATE NOCASE, "
               "id) WHERE deleted_at IS NULL")
    db.execute("CREATE INDEX ix_companies_sort_name ON companies(name COLLATE NOCASE, id) WHERE deleted_at IS NULL")


def known_names() -> set[str]:
    return {m.name for m in migrations._migrations}


def migrate(conn: sqlite3.Connection) -> list[str]:
    """Apply pending migrations; return the names applied. Refuse a newer schema."""
    database = sqlite_utils.Database(conn)
    applied = {m.name for m in migrations.applied(database)}
    unknown = applied - known_names()
    if unknown:
        raise SchemaTooNew(path=_path(conn), names=", ".join(sorted(unknown)))
    pending = [m.name for m in migrations.pending(database)]
    if pending:
        migrations.apply(database)
        conn.execute("PRAGMA optimize")  # refresh planner statistics for new indexes
    return pending


def schema_version(conn: sqlite3.Connection) -> int:
    """SQLite's counter of schema changes: equal numbers mean no migration (or custom field) since."""
    return conn.execute("PRAGMA schema_version").fetchone()[0]


def _path(conn: sqlite3.Connection) -> str:
    row = conn.execute("PRAGMA database_list").fetchone()
    return row[2] if row else "?"
