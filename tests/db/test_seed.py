from datetime import datetime

from db.core.connection import connect
from db.io.seed import seed
from tests.conftest import TODAY


def _fingerprint(conn):
    tables = ("companies", "contacts", "deals", "deal_stage_history", "activities", "feedback", "campaigns")
    counts = {t: conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in tables}
    names = conn.execute("SELECT group_concat(first_name || last_name) FROM (SELECT * FROM contacts ORDER BY id)"
                         ).fetchone()[0]
    amounts = conn.execute("SELECT SUM(amount), SUM(cost) FROM deals").fetchone()
    return counts, names, tuple(amounts)


def test_same_seed_same_database(tmp_path):
    a, b = connect(tmp_path / "a.db"), connect(tmp_path / "b.db")
    creds_a = seed(a, "tiny", 11, TODAY)
    creds_b = seed(b, "tiny", 11, TODAY)
    assert _fingerprint(a) == _fingerprint(b)
    assert set(creds_a) == set(creds_b)
    assert creds_a != creds_b, "demo passwords are random, never derived from the seed"


def test_demo_data_is_realistic(seeded_conn):
    c = seeded_conn
    roles = {r[0] for r in c.execute("SELECT DISTINCT role FROM users")}
    assert roles == {"admin", "manager", "rep"}
    # Every deal's history starts with an entry into its pipeline and ends at its current stage.
    mismatched = c.execute(
        "SELECT COUNT(*) FROM deals d WHERE stage_id != (SELECT to_stage_id FROM deal_stage_history h "
        "WHERE h.deal_id = d.id ORDER BY h.moved_at DESC, h.id DESC LIMIT 1)").fetchone()[0]
    assert mismatched == 0
    # Won deals have a close date and customers acquired through them.
    assert c.execute("SELECT COUNT(*) FROM deals d JOIN stages s ON s.id = d.stage_id "
                     "WHERE s.kind = 'won' AND d.closed_at IS NULL").fetchone()[0] == 0
    assert c.execute("SELECT COUNT(*) FROM contacts WHERE lifecycle = 'customer' AND acquired_at IS NULL"
                     ).fetchone()[0] == 0
    assert c.execute("SELECT COUNT(DISTINCT kind) FROM pipelines").fetchone()[0] == 2
    assert c.execute("SELECT COUNT(DISTINCT channel) FROM campaigns").fetchone()[0] >= 5
    assert c.execute("SELECT MIN(hourly_cost) FROM users").fetchone()[0] > 0
    assert c.execute("SELECT COUNT(*) FROM activities WHERE duration_min <= 0").fetchone()[0] == 0


def test_unhappy_customers_churn_more(tmp_path):
    c = connect(tmp_path / "s.db")
    seed(c, "small", 5, TODAY)
    avg = dict(c.execute(
        "SELECT ct.lifecycle, AVG(f.score) FROM feedback f JOIN contacts ct ON ct.id = f.contact_id "
        "WHERE f.kind = 'nps' GROUP BY ct.lifecycle").fetchall())
    assert avg["churned"] < avg["customer"] - 1


def test_demo_phones_are_valid_and_stored_as_the_data_layer_stores_them(seeded_conn):
    """Demo data obeys the grid's rule, so exporting it and importing it back loses nothing."""
    import phonenumbers

    from db.crm.contacts import normalise_phone

    phones = [r[0] for r in seeded_conn.execute("SELECT phone FROM contacts WHERE phone IS NOT NULL AND phone != ''")]
    assert phones
    for phone in phones:
        assert phonenumbers.is_valid_number(phonenumbers.parse(phone)), phone
        assert normalise_phone(phone) == phone


def test_demo_times_fall_in_working_hours_spread_over_the_period(seeded_conn):
    """Deals close and activities happen 08:00-18:00 on weekdays (mostly), not at midnight; spread over the
    hours and the days of the week, not piled on one."""
    c = seeded_conn
    for what, sql in (
            ("closed deals", "SELECT closed_at FROM deals WHERE closed_at IS NOT NULL"),
            ("activities", "SELECT COALESCE(starts_at, due_at) FROM activities"),
            ("stage moves", "SELECT moved_at FROM deal_stage_history"),
            ("new contacts", "SELECT created_at FROM contacts")):
        stamps = [r[0] for r in c.execute(sql)]
        assert len(stamps) >= 20, what
        hours = [int(s[11:13]) for s in stamps]
        assert all(8 <= h < 18 for h in hours), (what, sorted(set(hours)))
        assert len(set(hours)) >= 6, (what, sorted(set(hours)))  # spread, not one hour of the day
        assert max(hours.count(h) for h in set(hours)) < 0.3 * len(hours), what
        weekdays = [datetime.fromisoformat(s).weekday() for s in stamps]
        assert sum(d >= 5 for d in weekdays) <= 0.12 * len(weekdays), what
        assert len({d for d in weekdays if d < 5}) == 5, what
        months = {s[:7] for s in stamps}
        assert len(months) >= 6, (what, months)  # spread over the period


def test_recruiting_deals_carry_salaries(seeded_conn):
    rows = seeded_conn.execute("SELECT d.amount FROM deals d JOIN pipelines p ON p.id = d.pipeline_id "
                               "WHERE p.kind = 'recruiting'").fetchall()
    assert rows and all(20_000 <= r[0] <= 100_000 for r in rows), [r[0] for r in rows]


def test_company_and_city_names_read_as_local_ones(tmp_path):
    """No English suffixes on Ukrainian companies, no transliterated Bulgarian legal forms, no invented
    "West Богtown" cities."""
    import re

    c = connect(tmp_path / "n.db")
    seed(c, "small", 3, TODAY)
    rows = c.execute("SELECT name, city, country FROM companies").fetchall()
    by = {}
    for name, city, country in rows:
        by.setdefault(country, []).append((name, city))
    assert {"UA", "BG", "RU"} <= set(by)
    for country in ("UA", "BG", "RU"):
        for name, city in by[country]:
            assert not re.search(r"[A-Za-z]", name + city), (country, name, city)
    assert all(re.match(r"(ТОВ|ПП|ПрАТ) «", name) for name, _ in by["UA"])
    assert all(re.search(r" (ЕООД|ООД|АД|ЕАД)$", name) for name, _ in by["BG"])


# columns the seed leaves to datetime('now') (or random: password hashes): they differ between any two runs
_CLOCK = {"created_at", "updated_at", "password_hash", "computed_at", "churned_at"}
_ROLLUP_KEYS = {"kpi_cube": 5, "serve_costs": 2, "customer_months": 7, "deal_cube": 6}


def _content(conn) -> dict:
    """Every table's rows (rollups: non-zero rows by key, rounded), without the clock's columns."""
    out = {}
    for (table,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT GLOB 'sqlite_*' "
                                 "AND name NOT GLOB '*_fts_*' AND name NOT GLOB '_*'").fetchall():
        cols = [r[1] for r in conn.execute(f"PRAGMA table_info({table})") if r[1] not in _CLOCK]
        got = [tuple(round(v, 6) if isinstance(v, float) else v for v in r)
               for r in conn.execute(f"SELECT {', '.join(cols)} FROM {table}")]
        key = _ROLLUP_KEYS.get(table)
        out[table] = ({r[:key]: r[key:] for r in got if any(r[key:])} if key else sorted(got, key=repr))
    for fts in ("contacts_fts", "companies_fts", "deals_fts"):
        out[fts] = sorted(tuple(r) for r in conn.execute(f"SELECT rowid, * FROM {fts}"))
    out["activities_fts"] = [tuple(r) for r in conn.execute("SELECT rowid FROM activities_fts WHERE activities_fts MATCH 'call OR demo' "
                                                           "ORDER BY rowid")]
    return out


def _schema(conn) -> set:
    return set(conn.execute("SELECT type, name, tbl_name, sql FROM sqlite_master WHERE type IN ('index', 'trigger')"))


def test_seeding_without_triggers_gives_what_seeding_through_them_gives(tmp_path, monkeypatch):
    """The seed loads rows with triggers and indexes aside and rebuilds rollups, segments' contact column,
    furthest stages and the search index at the end: the same database as inserting through every trigger."""
    from contextlib import contextmanager

    from db.io import seed as seed_module

    fast = connect(tmp_path / "fast.db")
    seed(fast, "tiny", 5, TODAY)

    @contextmanager
    def through_triggers(conn, tables):
        yield lambda: None

    monkeypatch.setattr(seed_module, "bulk_load", through_triggers)
    slow = connect(tmp_path / "slow.db")
    seed(slow, "tiny", 5, TODAY)
    assert _content(fast) == _content(slow)
    fresh = connect(tmp_path / "fresh.db")
    from db.core.migrations import migrate

    migrate(fresh)
    assert _schema(fast) == _schema(fresh), "every trigger and index is back after seeding"
