"""Deterministic demo data: ``python -m db.io.seed --scale small|large --seed N [--path P]``.

Same seed and same ``--today`` give the same database. Dates are laid out around ``today`` so
the demo always has tasks due today, meetings this week and a fresh pipeline. Demo users get
random passwords that are printed once and never stored in clear.
"""

from __future__ import annotations

import argparse
import random
import secrets
import sqlite3
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

from faker import Faker

from db.analytics import segments
from db.core.connection import connect, db_path, write
from db.core.migrations import migrate
from db.core.users import hash_password
from db.io import seed_words
from db.io.bulk import bulk_load, deferred_search_index

# The tables the seed fills: their triggers and indexes stand aside meanwhile (db.io.bulk.bulk_load).
LOADED = ("users", "campaigns", "companies", "contacts", "pipelines", "stages", "deals", "deal_stage_history",
          "activities", "feedback", "comments", "contact_segments")
CACHE_KIB = 400_000  # page cache while seeding: the index builds and the rollup rebuild stay in memory
LOCALES = ("en_US", "de_DE", "fr_FR", "es_ES", "ru_RU", "uk_UA", "bg_BG")
CHANNELS = ("organic search", "paid search", "social", "email", "events", "referral", "partners")
INDUSTRIES = ("Software", "Retail", "Manufacturing", "Logistics", "Healthcare", "Finance", "Education", "Media")
LOST_REASONS = ("Price", "Chose a competitor", "No budget", "No decision", "Timing")
POSITIONS = ("Account Executive", "Support Engineer", "Data Analyst", "Office Manager")
# yearly gross salary offered for each position (the recruiting pipeline's amount), low and high
SALARIES = {"Account Executive": (42_000, 62_000), "Support Engineer": (38_000, 55_000),
            "Data Analyst": (45_000, 70_000), "Office Manager": (28_000, 38_000)}
SALES_STAGES = [("Lead", 0.1, "open"), ("Qualified", 0.25, "open"), ("Proposal", 0.5, "open"),
                ("Negotiation", 0.75, "open"), ("Won", 1.0, "won"), ("Lost", 0.0, "lost")]
RECRUITING_STAGES = [("Applied", 0.1, "open"), ("Screening", 0.25, "open"), ("Interview", 0.5, "open"),
                     ("Offer", 0.8, "open"), ("Hired", 1.0, "won"), ("Rejected", 0.0, "lost")]


@dataclass(frozen=True)
class Scale:
    users: int
    companies: int
    contacts: int
    deals: int
    activities: int
    feedback: int
    candidates: int


SCALES = {
    "tiny": Scale(users=4, companies=12, contacts=40, deals=30, activities=200, feedback=60, candidates=8),
    "small": Scale(users=8, companies=120, contacts=500, deals=320, activities=4000, feedback=700, candidates=30),
    "large": Scale(users=40, companies=20_000, contacts=100_000, deals=50_000, activities=1_000_000,
                   feedback=200_000, candidates=2_000),
}


def _ts(d: datetime) -> str:
    return d.isoformat(" ", "seconds")  # what strftime("%Y-%m-%d %H:%M:%S") gives, in a fifth of the time


# Working hours in the team's zone (demo users keep the default UTC): 08:00-18:00, busiest mid-morning and
# mid-afternoon, a dip at lunch; a few things happen on a weekend.
HOUR_BAG = tuple(h for h, weight in zip(range(8, 18), (4, 9, 10, 9, 5, 7, 9, 8, 6, 3), strict=True)
                 for _ in range(weight))  # drawn by index: random.choices costs ~1 µs a call on a million rows
WEEKEND_KEPT = 0.06


def _work(rnd: random.Random, d: datetime, minutes: tuple[int, ...] | None = None) -> datetime:
    """``d``'s day (a weekday of its week, mostly, for a weekend day) at a working-hours time: deals close and
    calls happen in office hours, not at midnight. ``minutes``: the choices for the minute (meetings start on
    the quarter)."""
    r = rnd.random
    weekday = d.weekday()
    if weekday >= 5 and r() >= WEEKEND_KEPT:  # to a weekday of the same week, so no Monday pile-up
        d -= timedelta(days=weekday - int(r() * 5))
    hour = HOUR_BAG[int(r() * len(HOUR_BAG))]
    if minutes:
        return d.replace(hour=hour, minute=minutes[int(r() * len(minutes))], second=0, microsecond=0)
    return d.replace(hour=hour, minute=int(r() * 60), second=int(r() * 60), microsecond=0)


def _past_work(rnd: random.Random, d: datetime, now: datetime, minutes: tuple[int, ...] | None = None) -> datetime:
    """``_work`` for something that already happened: never after ``now`` (earlier that day, or the last
    working moment before it)."""
    moment = _work(rnd, d, minutes)
    return moment if moment <= now else (now - timedelta(minutes=rnd.randint(1, 4) * 15)).replace(second=0)


class Progress:
    """A one-line text progress bar on stderr (quiet when asked)."""

    def __init__(self, quiet: bool):
        self.quiet = quiet

    def __call__(self, label: str, done: int, total: int) -> None:
        if self.quiet:
            return
        width = 30
        filled = int(width * done / max(total, 1))
        sys.stderr.write(f"\r{label:<12} [{'#' * filled}{'.' * (width - filled)}] {done:>9,}/{total:,}")
        if done >= total:
            sys.stderr.write("\n")
        sys.stderr.flush()


# Faker's cities are invented (and for bg_BG English-Bulgarian hybrids like "West Богtown"): real ones here.
CITIES = {
    "en_US": ("New York", "Chicago", "Austin", "Seattle", "Denver", "Boston", "San Francisco", "Atlanta", "Portland",
              "Minneapolis"),
    "fr_FR": ("Paris", "Lyon", "Marseille", "Toulouse", "Nantes", "Bordeaux", "Lille", "Strasbourg", "Rennes",
              "Montpellier"),
    "ru_RU": ("Москва", "Санкт-Петербург", "Казань", "Новосибирск", "Екатеринбург", "Нижний Новгород", "Самара",
              "Краснодар", "Воронеж", "Пермь"),
    "uk_UA": ("Київ", "Львів", "Харків", "Одеса", "Дніпро", "Вінниця", "Запоріжжя", "Івано-Франківськ", "Чернівці",
              "Полтава"),
    "bg_BG": ("София", "Пловдив", "Варна", "Бургас", "Русе", "Стара Загора", "Плевен", "Велико Търново",
              "Благоевград", "Шумен"),
}
# Faker's uk_UA companies carry English suffixes ("Гузій Inc"), bg_BG ones transliterated forms ("ADSITz"),
# ru_RU ones Soviet-era forms and brands ("ЗАО", "En +"):
# local legal forms and trade names instead.
TRADE_NAMES = {
    "ru_RU": ("Вектор", "СеверСтрой", "ТехноПарк", "Волга Логистик", "Уральские Машины", "Сибирь Агро",
              "Невский Софт", "Кама Трейд", "Балтика Сервис", "Ока Энерго", "Дон Текстиль", "Алтай Продукт"),
    "uk_UA": ("Дніпро Логістик", "Карпати Агро", "Полісся Деревина", "Слобожанська Техніка", "Південний Порт",
              "Подільські Ферми", "Київ Софт", "Львівська Кава", "Таврія Трейд", "Волинь Буд", "Черкаси Енерго",
              "Буковина Текстиль"),
    "bg_BG": ("Балкан Трейд", "Родопи Софт", "Витоша Консулт", "Тракия Агро", "Черноморие Логистик", "Пирин Строй",
              "Дунав Транс", "Стара планина Фуудс", "Искър Инженеринг", "Марица Текстил", "Странджа Мед",
              "Рила Енерджи"),
}


def _company(fk: Faker, loc: str) -> str:
    """A company name as it reads in ``loc`` (Faker's own for the locales where it reads right)."""
    if loc in ("ru_RU", "uk_UA"):
        ru = loc == "ru_RU"
        form = fk.random.choice(("ООО", "ООО", "АО", "ПАО") if ru else ("ТОВ", "ТОВ", "ПП", "ПрАТ"))
        name = fk.random.choice((fk.random.choice(TRADE_NAMES[loc]),
                                 f"{fk.last_name_male()} {'и партнёры' if ru else 'і партнери'}", fk.last_name_male()))
        return f"{form} «{name}»"
    if loc == "bg_BG":
        form = fk.random.choice(("ЕООД", "ООД", "ООД", "АД", "ЕАД"))
        name = fk.random.choice((fk.random.choice(TRADE_NAMES[loc]), f"{fk.last_name_male()} и сие",
                                 fk.last_name_male()))
        return f"{name} {form}"
    return fk.company()


class Names:
    """Gender-consistent name pools per locale, drawn once from Faker so large scales stay fast."""

    def __init__(self, rnd: random.Random, pool: int = 300):
        self.rnd = rnd
        self.pools = {}
        for i, loc in enumerate(LOCALES):
            fk = Faker(loc)
            fk.seed_instance(1000 + i)
            male = ([fk.first_name_male() for _ in range(pool)], [fk.last_name_male() for _ in range(pool)])
            female = ([fk.first_name_female() for _ in range(pool)], [fk.last_name_female() for _ in range(pool)])
            companies = [_company(fk, loc) for _ in range(pool)]
            cities = list(CITIES[loc]) if loc in CITIES else [fk.city() for _ in range(pool // 3)]
            self.pools[loc] = (male, female, companies, cities)

    def locale(self) -> str:
        return self.rnd.choices(LOCALES, weights=(40, 12, 10, 8, 12, 10, 8))[0]

    def person(self, loc: str) -> tuple[str, str]:
        male, female, _, _ = self.pools[loc]
        firsts, lasts = male if self.rnd.random() < 0.5 else female
        return self.rnd.choice(firsts), self.rnd.choice(lasts)

    def company(self, loc: str) -> str:
        return self.rnd.choice(self.pools[loc][2])

    def city(self, loc: str) -> str:
        return self.rnd.choice(self.pools[loc][3])


COUNTRY = {"en_US": "US", "de_DE": "DE", "fr_FR": "FR", "es_ES": "ES", "ru_RU": "RU", "uk_UA": "UA", "bg_BG": "BG"}
PHONE_PREFIX = {"en_US": "+1 415", "de_DE": "+49 30", "fr_FR": "+33 1", "es_ES": "+34 91", "ru_RU": "+7 495",
                "uk_UA": "+380 44", "bg_BG": "+359 2"}
TRANSLIT = str.maketrans({c: "" for c in " '’.,-«»"})


def _phone(rnd: random.Random, loc: str) -> str:
    """A valid number in E.164, as the data layer stores phones (French numbers have nine digits after +33)."""
    rest = f"{rnd.randint(10, 99)}{rnd.randint(10, 99)}{rnd.randint(10, 99)}{rnd.randint(10, 99)}" \
        if loc == "fr_FR" else f"{rnd.randint(200, 999)}{rnd.randint(1000, 9999)}"
    return (PHONE_PREFIX[loc] + rest).replace(" ", "")


def _email_local(first: str, last: str, n: int) -> str:
    import unicodedata
    base = f"{first}.{last}".lower().translate(TRANSLIT)
    ascii_base = unicodedata.normalize("NFKD", base).encode("ascii", "ignore").decode() or "user"
    return f"{ascii_base[:30]}{n}"


def seed(conn: sqlite3.Connection, scale: str = "small", seed_value: int = 7, today: date | None = None,
         quiet: bool = True, language: str = "en") -> dict[str, str]:
    """Fill an empty, migrated database. Returns {email: password} of the demo users. ``language``: the
    words of the demo data (pipelines, stages, deal titles, subjects; db/io/seed_words.py)."""
    if language not in seed_words.LANGUAGES:
        raise ValueError(f"language must be one of {', '.join(seed_words.LANGUAGES)}")
    migrate(conn)
    if conn.execute("SELECT COUNT(*) FROM users").fetchone()[0]:
        raise SystemExit("The database already has users; seed only builds a new database.")
    size = SCALES[scale]
    rnd = random.Random(seed_value)
    clock = random.Random(seed_value + 104_729)  # times of day on a stream of their own: the rest stays as it was
    today = today or date.today()
    now = datetime.combine(today, datetime.min.time()).replace(hour=9)
    start = now - timedelta(days=730)
    progress = Progress(quiet)
    names = Names(rnd)
    # rows go in without triggers and secondary indexes; indexes, rollups and the search index are built once
    conn.execute(f"PRAGMA cache_size = {-CACHE_KIB}")
    # the demo passwords are hashed on another thread while the data is generated (argon2 leaves the GIL;
    # 40 hashes took 7-27 s of the large seed); the hashes replace placeholders before the commit
    with write(conn), deferred_search_index(conn), bulk_load(conn, LOADED) as indexes_back, \
            ThreadPoolExecutor(max_workers=1) as hasher:
        creds = _users(conn, rnd, size, names)
        hashes = {email: hasher.submit(hash_password, password) for email, password in creds.items()}
        user_ids = [r[0] for r in conn.execute("SELECT id FROM users ORDER BY id")]
        rep_ids = [r[0] for r in conn.execute("SELECT id FROM users WHERE role = 'rep' ORDER BY id")] or user_ids
        campaigns = _campaigns(conn, rnd, start, now, size.contacts)
        company_ids = _companies(conn, rnd, size, names, rep_ids, progress)
        contacts = _contacts(conn, rnd, clock, size, names, rep_ids, company_ids, campaigns, start, now, progress)
        sales, recruiting = _pipelines(conn)
        _deals(conn, rnd, clock, size, contacts, sales, rep_ids, start, now, progress)
        _candidates(conn, rnd, clock, size, names, recruiting, rep_ids, start, now)
        _activities(conn, rnd, clock, size, contacts, rep_ids, start, now, progress)
        _feedback(conn, rnd, clock, size, contacts, now, progress)
        _comments(conn, rnd, contacts, rep_ids, now)
        conn.execute("INSERT OR REPLACE INTO settings (key, value) VALUES ('currency', 'EUR')")
        conn.execute("INSERT OR REPLACE INTO settings (key, value) VALUES ('company_name', 'Demo Ltd')")
        indexes_back()  # the segment figures read through indexes
        segments.refresh(conn, today, sources=True)  # plain inserts here; the rollups are rebuilt with them
        conn.executemany("UPDATE users SET password_hash = ? WHERE email = ?",
                         [(done.result(), email) for email, done in hashes.items()])
    with write(conn):  # after the block above: the search indexes and triggers are back for the renames
        seed_words.localise(conn, language)
    conn.execute("PRAGMA cache_size = -2000")  # SQLite's default again for whoever uses the connection next
    conn.execute("ANALYZE")
    return creds


def _users(conn, rnd, size: Scale, names: Names) -> dict[str, str]:
    creds = {}
    roles = ["admin", "manager", "manager"] + ["rep"] * (size.users - 3)
    for i, role in enumerate(roles):
        first, last = names.person("en_US")
        email = "admin@demo.example" if i == 0 else f"{role}{i}@demo.example"
        password = secrets.token_urlsafe(9)
        creds[email] = password
        lang = ("en", "ru", "uk", "bg")[(i - 3) % 4] if role == "rep" else "en"
        conn.execute(  # password_hash: a placeholder until the hash is ready (seed())
            "INSERT INTO users (email, name, role, password_hash, hourly_cost, language) VALUES (?, ?, ?, '', ?, ?)",
            (email, f"{first} {last}", role, rnd.choice((35, 45, 55, 70, 90)), lang),
        )
    return creds


def _campaigns(conn, rnd, start: datetime, now: datetime, contacts: int) -> list[tuple[int, str, str, str]]:
    """Back-to-back quarterly campaigns per paid channel; spend grows with the size of the demo."""
    out = []
    scale = max(contacts / 500, 1)
    for channel in CHANNELS:
        begin = start
        while begin < now + timedelta(days=30):
            end = begin + timedelta(days=90)
            base = {"organic search": 300, "referral": 200}.get(channel, rnd.choice((3000, 5000, 8000, 12000)))
            budget = round(base * scale, -1)
            spend = round(budget * rnd.uniform(0.6, 1.05), 2) if begin < now else 0.0
            cur = conn.execute(
                "INSERT INTO campaigns (name, channel, starts_on, ends_on, budget, spend) VALUES (?, ?, ?, ?, ?, ?)",
                (f"{channel.title()} Q{(begin.month - 1) // 3 + 1} {begin:%Y}", channel, begin.date().isoformat(),
                 (end - timedelta(days=1)).date().isoformat(), budget, spend))
            out.append((cur.lastrowid, channel, begin.date().isoformat(), end.date().isoformat()))
            begin = end
    return out


def _companies(conn, rnd, size: Scale, names: Names, rep_ids, progress) -> list[int]:
    batch = []
    for i in range(size.companies):
        loc = names.locale()
        batch.append((names.company(loc), rnd.choice(INDUSTRIES), f"https://example.com/c{i}",
                      names.city(loc), COUNTRY[loc], rnd.choice(rep_ids)))
    conn.executemany("INSERT INTO companies (name, industry, website, city, country, owner_id) VALUES (?,?,?,?,?,?)",
                     batch)
    progress("companies", size.companies, size.companies)
    return [r[0] for r in conn.execute("SELECT id FROM companies ORDER BY id")]


def _contacts(conn, rnd, clock, size: Scale, names: Names, rep_ids, company_ids, campaigns, start, now, progress):
    """Contacts with channel/campaign; lifecycle is settled later by their deals."""
    batch = []
    for i in range(size.contacts):
        loc = names.locale()
        first, last = names.person(loc)
        created = _work(clock, start + timedelta(days=rnd.randint(0, 700), minutes=rnd.randint(0, 600)))
        channel = rnd.choices(CHANNELS, weights=(20, 20, 15, 12, 8, 15, 10))[0]
        day = created.date().isoformat()
        camp_id = next((c[0] for c in campaigns if c[1] == channel and c[2] <= day < c[3]), None)
        phone = _phone(rnd, loc)
        tags = ",".join(rnd.sample(("vip", "newsletter", "webinar", "trial", "partner"), rnd.choice((0, 0, 1, 2))))
        batch.append((first, last, f"{_email_local(first, last, i)}@example.com", phone,
                      rnd.choice(("CEO", "CTO", "Buyer", "Head of Sales", "Office Manager", "Engineer")),
                      rnd.choice(company_ids) if rnd.random() < 0.85 else None, rnd.choice(rep_ids),
                      channel, camp_id, tags, _ts(created), _ts(created)))
        if len(batch) == 10_000:
            _insert_contacts(conn, batch)
            batch = []
            progress("contacts", i + 1, size.contacts)
    _insert_contacts(conn, batch)
    progress("contacts", size.contacts, size.contacts)
    return [tuple(r) for r in conn.execute("SELECT id, owner_id, company_id, created_at FROM contacts ORDER BY id")]


def _insert_contacts(conn, batch):
    conn.executemany(
        "INSERT INTO contacts (first_name, last_name, email, phone, title, company_id, owner_id, channel, "
        "campaign_id, tags, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)", batch)


def _pipelines(conn) -> tuple[list[tuple], list[tuple]]:
    out = []
    for pos, (name, kind, stages) in enumerate((("Sales", "sales", SALES_STAGES),
                                                ("Recruiting", "recruiting", RECRUITING_STAGES))):
        pid = conn.execute("INSERT INTO pipelines (name, kind, position) VALUES (?, ?, ?)",
                           (name, kind, pos)).lastrowid
        ids = []
        for spos, (sname, prob, skind) in enumerate(stages):
            sid = conn.execute(
                "INSERT INTO stages (pipeline_id, name, position, probability, kind) VALUES (?, ?, ?, ?, ?)",
                (pid, sname, spos, prob, skind)).lastrowid
            ids.append((pid, sid, prob, skind))
        out.append(ids)
    return out[0], out[1]


def _walk(conn, rnd, clock, deal_id: int, stages, created: datetime, now: datetime, owner: int, outcome: str):
    """Move a deal stage by stage, writing history; return (stage_id, entered_at, closed_at)."""
    open_stages = [s for s in stages if s[3] == "open"]
    won = next(s for s in stages if s[3] == "won")
    lost = next(s for s in stages if s[3] == "lost")
    if outcome == "won":
        path = open_stages + [won]
    elif outcome == "lost":
        path = open_stages[: rnd.randint(1, len(open_stages))] + [lost]
    else:
        path = open_stages[: rnd.randint(1, len(open_stages))]
    moment, prev, hist = created, None, []
    for stage in path:
        if prev is not None:
            target = moment + timedelta(days=rnd.randint(2, 25), hours=rnd.randint(0, 8))
            if target > now:  # the walk runs into today: its last moves fall between the previous one and now
                target = moment + (now - moment) * clock.random()
            moment = max(_past_work(clock, target, now), moment)
        hist.append((deal_id, prev, stage[1], _ts(moment), owner))
        prev = stage[1]
    conn.executemany(
        "INSERT INTO deal_stage_history (deal_id, from_stage_id, to_stage_id, moved_at, moved_by) VALUES (?,?,?,?,?)",
        hist)
    closed = _ts(moment) if outcome in ("won", "lost") else None
    return path[-1][1], _ts(moment), closed


def _deals(conn, rnd, clock, size: Scale, contacts, stages, rep_ids, start, now, progress) -> None:
    pipeline_id = stages[0][0]
    first_win: dict[int, str] = {}
    for i in range(size.deals):
        cid, owner, company_id, c_created = rnd.choice(contacts)
        created = max(datetime.fromisoformat(c_created) + timedelta(days=rnd.randint(0, 40)),
                      start + timedelta(days=rnd.randint(0, 700)))
        created = _past_work(clock, min(created, now - timedelta(days=1)), now)
        age = (now - created).days
        outcome = rnd.choices(("won", "lost", "open"), weights=(40, 35, 25 + (60 if age < 90 else 0)))[0]
        amount = round(rnd.lognormvariate(8.3, 0.7), -1)
        cost = round(amount * rnd.uniform(0.35, 0.7), 2)
        expected = (now + timedelta(days=rnd.randint(-10, 120))).date().isoformat()
        deal_id = conn.execute(
            "INSERT INTO deals (pipeline_id, stage_id, title, contact_id, company_id, owner_id, amount, cost, "
            "expected_close, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            (pipeline_id, stages[0][1], f"Deal {i + 1}: {rnd.choice(('Licences', 'Renewal', 'Upgrade', 'Services', 'Hardware', 'Training'))}",
             cid, company_id, owner, amount, cost, expected, _ts(created), _ts(created))).lastrowid
        stage_id, entered, closed = _walk(conn, rnd, clock, deal_id, stages, created, now, owner, outcome)
        conn.execute("UPDATE deals SET stage_id = ?, stage_entered_at = ?, closed_at = ?, lost_reason = ?, "
                     "updated_at = ? WHERE id = ?",
                     (stage_id, entered, closed, rnd.choice(LOST_REASONS) if outcome == "lost" else None,
                      entered, deal_id))
        if outcome == "won" and (cid not in first_win or closed < first_win[cid]):
            first_win[cid] = closed
        if (i + 1) % 5000 == 0:
            progress("deals", i + 1, size.deals)
    progress("deals", size.deals, size.deals)
    conn.executemany("UPDATE contacts SET lifecycle = 'customer', acquired_at = ? WHERE id = ?",
                     [(d, c) for c, d in first_win.items()])
    conn.execute("UPDATE contacts SET lifecycle = 'prospect' WHERE lifecycle = 'lead' AND id IN "
                 "(SELECT contact_id FROM deals)")
    conn.execute("UPDATE companies SET lifecycle = 'customer', acquired_at = w.first FROM (SELECT company_id, "
                 "MIN(acquired_at) AS first FROM contacts WHERE lifecycle = 'customer' AND company_id IS NOT NULL "
                 "GROUP BY company_id) AS w WHERE w.company_id = companies.id")


def _candidates(conn, rnd, clock, size: Scale, names: Names, stages, rep_ids, start, now) -> None:
    pipeline_id = stages[0][0]
    for i in range(size.candidates):
        loc = names.locale()
        first, last = names.person(loc)
        created = _past_work(clock, now - timedelta(days=rnd.randint(1, 120)), now)
        cid = conn.execute(
            "INSERT INTO contacts (first_name, last_name, email, title, owner_id, channel, tags, created_at, "
            "updated_at) VALUES (?,?,?,?,?,?,?,?,?)",
            (first, last, f"{_email_local(first, last, i)}@candidates.example", "Candidate", rnd.choice(rep_ids),
             rnd.choice(("referral", "social", "events")), "candidate", _ts(created), _ts(created))).lastrowid
        outcome = rnd.choices(("won", "lost", "open"), weights=(15, 35, 50))[0]
        position = rnd.choice(POSITIONS)
        salary = round(clock.uniform(*SALARIES[position]), -3)
        deal_id = conn.execute(
            "INSERT INTO deals (pipeline_id, stage_id, title, contact_id, owner_id, amount, expected_close, "
            "created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?)",
            (pipeline_id, stages[0][1], f"{first} {last} — {position}", cid, rnd.choice(rep_ids),
             salary, (now + timedelta(days=rnd.randint(5, 60))).date().isoformat(), _ts(created), _ts(created))).lastrowid
        stage_id, entered, closed = _walk(conn, rnd, clock, deal_id, stages, created, now, rnd.choice(rep_ids), outcome)
        conn.execute("UPDATE deals SET stage_id = ?, stage_entered_at = ?, closed_at = ?, lost_reason = ? WHERE id = ?",
                     (stage_id, entered, closed, "Not a fit" if outcome == "lost" else None, deal_id))


SUBJECTS = {
    "call": ("Discovery call", "Follow-up call", "Pricing call", "Check-in call"),
    "meeting": ("Demo", "Quarterly review", "Onboarding session", "Contract meeting"),
    "email": ("Sent proposal", "Sent invoice", "Answered question", "Newsletter reply"),
    "task": ("Send quote", "Prepare contract", "Update CRM record", "Book a demo", "Call back"),
    "note": ("Budget approved next quarter", "Prefers email", "Decision maker is the CFO"),
    "complaint": ("Late delivery", "Invoice error", "Product defect", "Slow support answer"),
}
DURATION = {"call": (10, 45), "meeting": (30, 90), "email": (5, 15), "task": (10, 60), "note": (2, 5),
            "complaint": (20, 90)}


def _activities(conn, rnd, clock, size: Scale, contacts, rep_ids, start, now, progress) -> None:
    """Past activities around each contact, plus upcoming calls, meetings and tasks for the demo."""
    kinds = ("call", "meeting", "email", "task", "note", "complaint")
    weights = (30, 15, 30, 12, 10, 3)
    deal_of = dict(conn.execute("SELECT contact_id, MAX(id) FROM deals GROUP BY contact_id").fetchall())
    rate = dict(conn.execute("SELECT id, hourly_cost FROM users").fetchall())
    batch = []
    upcoming = max(60, size.activities // 50)
    now_text = _ts(now)
    for i in range(size.activities):
        cid, owner, company_id, c_created = rnd.choice(contacts)
        kind = rnd.choices(kinds, weights)[0]
        future = i < upcoming
        if future:
            kind = rnd.choice(("call", "meeting", "task"))
            when = _work(clock, now + timedelta(days=rnd.randint(-3, 14), hours=rnd.randint(0, 8),
                                                minutes=rnd.choice((0, 30))), (0, 30))
        else:
            base = datetime.fromisoformat(c_created)
            span = max((now - base).days, 1)
            when = _past_work(clock, base + timedelta(days=rnd.randint(0, span), hours=rnd.randint(0, 8),
                                                      minutes=rnd.choice((0, 15, 30))), now, (0, 15, 30, 45))
        duration = rnd.randint(*DURATION[kind])
        done = 0 if future and (when >= now or rnd.random() < 0.6) else 1
        starts = ends = due = None
        at = _ts(when)  # formatted once: strftime is the loop's dearest call on a million rows
        if kind == "task":
            due = at
        else:
            starts, ends = at, _ts(when + timedelta(minutes=duration))
        who = owner if rnd.random() < 0.8 else rnd.choice(rep_ids)
        created = at if when <= now else now_text
        batch.append((kind, rnd.choice(SUBJECTS[kind]), cid, company_id, deal_of.get(cid) if rnd.random() < 0.4 else None,
                      who, starts, ends, due, duration, round(duration / 60 * rate[who], 4), done,
                      at if done else None, created, created))
        if len(batch) == 50_000:
            _insert_activities(conn, batch)
            batch = []
            progress("activities", i + 1, size.activities)
    _insert_activities(conn, batch)
    progress("activities", size.activities, size.activities)


def _insert_activities(conn, batch):
    conn.executemany(
        "INSERT INTO activities (kind, subject, contact_id, company_id, deal_id, owner_id, starts_at, ends_at, due_at, "
        "duration_min, cost, done, done_at, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", batch)


def _feedback(conn, rnd, clock, size: Scale, contacts, now, progress) -> None:
    """CSAT/NPS answers from customers; unhappy customers are far more likely to churn."""
    customers = conn.execute("SELECT id, acquired_at FROM contacts WHERE lifecycle = 'customer'").fetchall()
    if not customers:
        return
    mood = {cid: rnd.gauss(0.6, 0.25) for cid, _ in customers}
    batch = []
    for i in range(size.feedback):
        cid, acquired = rnd.choice(customers)
        base = datetime.fromisoformat(acquired)
        when = _past_work(clock, base + timedelta(days=rnd.randint(0, max((now - base).days, 1))), now)
        m = min(max(mood[cid] + rnd.gauss(0, 0.15), 0), 1)
        if rnd.random() < 0.5:
            kind, score = "csat", 1 + round(m * 4)
        else:
            kind, score = "nps", round(m * 10)
        comment = rnd.choice(("", "", "Great support", "Too expensive", "Works well", "Slow delivery"))
        batch.append((cid, kind, score, comment, _ts(when), _ts(when), _ts(when)))
        if len(batch) == 50_000:
            _insert_feedback(conn, batch)
            batch = []
            progress("feedback", i + 1, size.feedback)
    _insert_feedback(conn, batch)
    progress("feedback", size.feedback, size.feedback)
    churn = []
    for cid, acquired in customers:
        if rnd.random() < (0.55 if mood[cid] < 0.45 else 0.08):
            base = datetime.fromisoformat(acquired)
            churn.append((_ts(base + timedelta(days=rnd.randint(30, max((now - base).days, 31)))), cid))
    conn.executemany("UPDATE contacts SET lifecycle = 'churned', churned_at = MIN(?, datetime('now')) WHERE id = ?",
                     churn)


def _insert_feedback(conn, batch):
    conn.executemany("INSERT INTO feedback (contact_id, kind, score, comment, responded_at, created_at, updated_at) "
                     "VALUES (?,?,?,?,?,?,?)", batch)


def _comments(conn, rnd, contacts, rep_ids, now) -> None:
    texts = ("Spoke with the buyer, positive.", "Waiting for the signed order.", "Asked for a discount.",
             "Introduced to the new IT lead.")
    batch = [("contacts", c[0], rnd.choice(texts), rnd.choice(rep_ids), _ts(now - timedelta(days=rnd.randint(0, 90))))
             for c in rnd.sample(contacts, min(len(contacts), 200))]
    conn.executemany("INSERT INTO comments (entity, entity_id, body, author_id, created_at) VALUES (?,?,?,?,?)", batch)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Build a demo CRM database.")
    parser.add_argument("--scale", choices=sorted(SCALES), default="small")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--path", type=Path, default=None, help="database file (default: CRM_DB or data/crm.db)")
    parser.add_argument("--today", type=date.fromisoformat, default=None, help="anchor date, YYYY-MM-DD")
    parser.add_argument("--if-missing", action="store_true", help="do nothing when the database already exists")
    parser.add_argument("--quiet", action="store_true")
    parser.add_argument("--language", choices=seed_words.LANGUAGES, default="en",
                        help="language of the demo data's pipelines, stages, deal titles and subjects (default: en)")
    args = parser.parse_args(argv)
    path = args.path or db_path()
    if path.exists():
        if args.if_missing:
            print(f"Using the existing database {path}.")
            return 0
        print(f"{path} already exists; remove it or choose another --path.", file=sys.stderr)
        return 2
    started = time.perf_counter()
    conn = connect(path)
    try:
        creds = seed(conn, args.scale, args.seed, args.today, quiet=args.quiet, language=args.language)
    except BaseException:
        conn.close()
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        raise
    conn.close()
    print(f"Built the {args.scale} demo database at {path} in {time.perf_counter() - started:.1f} s.")
    print("Demo sign-ins (shown once; change them on the Account page):")
    for email, password in creds.items():
        print(f"  {email:<28} {password}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
