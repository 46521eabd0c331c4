"""Global search: contacts, companies, deals and activities in one ranked list (the sidebar box).

Each record type has its own FTS5 index (``contacts_fts``, migration 0010; ``companies_fts``, ``deals_fts``,
``activities_fts``, migration 0190). BM25 scores of different indexes are not comparable, so the list is
ordered by how the words were found first, and by score only within that:

0. the record's name is the query (ignoring case, accents and punctuation);
1. the name starts with the query;
2. every word is the start of a word of the name;
3. every word is in the name of the record it belongs to (a deal's company or contact, a contact's
   company): "a deal found by its company";
4. anything else the index holds (email, phone, website, city, tags, or the words spread over fields), and
   the custom fields' text (``<entity>_cf_fts``, db/core/fields) of contacts, companies and deals.

Within a tier: contacts, companies, deals, activities (deals first in tier 3, the reason to look there),
then BM25, then newest first.

Cost is bounded whatever the words: each index gives at most ``CANDIDATES`` matches, newest first (FTS5
walks its doclists in rowid order and stops at the LIMIT; BM25 is computed only for those rows; the
prefix query runs only when the whole words did not fill the candidates), then
one primary-key read per type for the rows' names and links. A word of one or two letters matches
whole words of activity subjects only: as a prefix it would expand to most of a million subjects. A query
that is one letter ("c") matches whole words only in every index, and reads only as many of them as it
shows: a lone letter as a prefix matched most of 100k contacts (~120 ms at the large scale), and its
ranking means little; ``needs_more`` tells the page to ask for a second letter.
"""

from __future__ import annotations

import re
import sqlite3
import unicodedata
from functools import lru_cache

KINDS = ("contact", "company", "deal", "activity")
CANDIDATES = 200  # matches read per index; more only happen for words found in thousands of records
MAX_WORDS = 8
MAX_WORD = 60
SHORT = 2  # activity subjects: words this short must match a whole word
MIN_PREFIX = 2  # a query of one shorter word matches whole words only, in every index
_WORD = re.compile(r"\w+", re.UNICODE)
_ORDER = {0: KINDS, 1: KINDS, 2: KINDS, 3: ("deal", "contact", "company", "activity"), 4: KINDS}

# Per type: the FTS query (BM25 weights name first) and the read of the live rows by id.
_MATCH = {
    "contact": "SELECT rowid, bm25(contacts_fts, 10.0, 3.0, 3.0, 2.0, 1.0) FROM contacts_fts "
               "WHERE contacts_fts MATCH ? ORDER BY rowid DESC LIMIT ?",
    "company": "SELECT rowid, bm25(companies_fts, 10.0, 2.0, 1.0, 1.0) FROM companies_fts "
               "WHERE companies_fts MATCH ? ORDER BY rowid DESC LIMIT ?",
    "deal": "SELECT rowid, bm25(deals_fts, 10.0, 4.0, 3.0) FROM deals_fts "
            "WHERE deals_fts MATCH ? ORDER BY rowid DESC LIMIT ?",
    "activity": "SELECT rowid, bm25(activities_fts) FROM activities_fts "
                "WHERE activities_fts MATCH ? ORDER BY rowid DESC LIMIT ?",
}
_READ = {
    "contact": """SELECT c.id, trim(c.first_name || ' ' || c.last_name) AS name, co.name AS related,
                         c.email, c.title, c.lifecycle
                  FROM contacts c LEFT JOIN companies co ON co.id = c.company_id AND co.deleted_at IS NULL
                  WHERE c.id IN ({ids}) AND c.deleted_at IS NULL""",
    "company": """SELECT co.id, co.name, NULL AS related, co.city, co.country, co.website, co.lifecycle
                  FROM companies co WHERE co.id IN ({ids}) AND co.deleted_at IS NULL""",
    "deal": """SELECT d.id, d.title AS name, co.name AS company, trim(c.first_name || ' ' || c.last_name) AS contact,
                      s.name AS stage, s.kind AS stage_kind, d.amount
               FROM deals d LEFT JOIN companies co ON co.id = d.company_id AND co.deleted_at IS NULL
               LEFT JOIN contacts c ON c.id = d.contact_id AND c.deleted_at IS NULL
               LEFT JOIN stages s ON s.id = d.stage_id
               WHERE d.id IN ({ids}) AND d.deleted_at IS NULL""",
    "activity": """SELECT a.id, a.subject AS name, a.kind AS activity_kind, COALESCE(a.starts_at, a.due_at) AS at,
                          a.done, trim(c.first_name || ' ' || c.last_name) AS contact, d.title AS deal,
                          co.name AS company,
                          CASE WHEN d.id IS NOT NULL THEN 'deal' WHEN c.id IS NOT NULL THEN 'contact'
                               WHEN co.id IS NOT NULL THEN 'company' END AS link_kind,
                          COALESCE(d.id, c.id, co.id) AS link_id
                   FROM activities a
                   LEFT JOIN contacts c ON c.id = a.contact_id AND c.deleted_at IS NULL
                   LEFT JOIN deals d ON d.id = a.deal_id AND d.deleted_at IS NULL
                   LEFT JOIN companies co ON co.id = a.company_id AND co.deleted_at IS NULL
                   WHERE a.id IN ({ids}) AND a.deleted_at IS NULL""",
}
_PAGE = {"contact": "contacts", "company": "companies", "deal": "deals"}
_CUSTOM = {"contact": "contacts", "company": "companies", "deal": "deals"}  # kinds with custom fields searched


def words(text: str | None) -> list[str]:
    """The user's words, as the indexes split text: at most ``MAX_WORDS`` of at most ``MAX_WORD`` letters.
    NFKC first, so full-width letters (an IME's ＡＣＭＥ) and decomposed accents read as the stored text."""
    return [w[:MAX_WORD] for w in _WORD.findall(unicodedata.normalize("NFKC", (text or "")[:2000]))[:MAX_WORDS]]


def match_query(found: list[str], *, whole: bool = False, short_whole: bool = False) -> str:
    """An FTS5 query from ``words``: every word required, each a quoted prefix (never an FTS5 operator or
    column filter, whatever the user typed); ``whole``: whole words only; ``short_whole``: words of at most
    ``SHORT`` letters whole, longer ones as prefixes."""
    parts = []
    for w in found:
        quoted = '"' + w.replace('"', '""') + '"'
        parts.append(quoted if whole or (short_whole and len(w) <= SHORT) else quoted + "*")
    return " AND ".join(parts)


def needs_more(text: str | None) -> bool:
    """True for a query of one word shorter than ``MIN_PREFIX`` (one letter): it finds only whole words
    ("c" finds "S.C.P" and initials, not "Carla"), so the page asks for another letter."""
    found = words(text)
    return len(found) == 1 and len(found[0]) < MIN_PREFIX


def search(conn: sqlite3.Connection, text: str | None, limit: int = 50,
           kinds: tuple[str, ...] | list[str] | None = None, actor=None) -> list[dict]:
    """Records matching ``text``, best first, at most ``limit``; soft-deleted ones never.

    Each result: ``kind`` (one of ``KINDS``), ``id``, ``name``, ``tier`` (see the module docstring),
    ``score`` (BM25, lower is better), the link to open it (``page``: a page key of
    components.layout.PAGES, ``link_id``: the ``?id=`` of that page or None) and the type's details
    (contact: related (company), email, title, lifecycle; company: city, country, website, lifecycle;
    deal: company, contact, stage, stage_kind, amount; activity: activity_kind, at, done, contact, deal,
    company). Custom text is searched too, but for a type where ``actor`` may not see every searchable custom
    field (the index holds them together), only the built-in one is."""
    query_words = words(text)
    if not query_words:
        return []
    folded = [_fold(w) for w in query_words]
    lone = needs_more(text)
    found: list[dict] = []
    for kind in kinds or KINDS:
        if kind not in _MATCH:
            raise ValueError(f"unknown kind {kind!r}")
        scores = _candidates(conn, kind, query_words, lone=lone, cap=min(limit, CANDIDATES) if lone else CANDIDATES)
        if kind in _CUSTOM and not lone and _custom_allowed(conn, _CUSTOM[kind], actor):
            for rowid, score in _custom_candidates(conn, _CUSTOM[kind], query_words).items():
                scores.setdefault(rowid, score)
        if not scores:
            continue
        ids = ", ".join(str(int(i)) for i in scores)  # integers from the index, not user text
        cur = conn.execute(_READ[kind].format(ids=ids))
        names = [d[0] for d in cur.description]
        for row in cur.fetchall():
            item = dict(zip(names, row, strict=True))
            item["kind"] = kind
            item["score"] = scores[item["id"]]
            related = [item.get("related")] if kind == "contact" else [item.get("company"), item.get("contact")]
            item["tier"], item["whole"] = _tier(folded, item["name"], related if kind in ("contact", "deal") else [])
            if kind == "activity":
                item["page"] = _PAGE.get(item.pop("link_kind") or "", "calendar")
            else:
                item["page"], item["link_id"] = _PAGE[kind], item["id"]
            found.append(item)
    found.sort(key=lambda r: (r["tier"], -r["whole"], _ORDER[r["tier"]].index(r["kind"]), r["score"], -r["id"]))
    return found[:limit]


def _candidates(conn: sqlite3.Connection, kind: str, query_words: list[str], *, lone: bool = False,
                cap: int = CANDIDATES) -> dict[int, float]:
    """Up to ``CANDIDATES`` newest matches of the words as whole words, then as many of them as prefixes:
    an exact name ("Ann", "Deal 3") among thousands of longer ones (Anna, Deal 3000) is still found.

    When the whole words alone fill the candidates, the prefix query is skipped: FTS5 gathers a prefix
    term's whole doclist before it can stop at the LIMIT (~50 ms for "call"* in a million subjects), and
    whole-word matches outrank prefix-only ones anyway. ``lone``: a one-letter query, whole words only."""
    short = kind == "activity"
    scores: dict[int, float] = {}
    whole = match_query(query_words, whole=True)
    for rowid, score in conn.execute(_MATCH[kind], (whole, cap)):
        scores[rowid] = score
    prefix = match_query(query_words, short_whole=short)
    if prefix != whole and len(scores) < cap and not lone:
        for rowid, score in conn.execute(_MATCH[kind], (prefix, cap)):
            scores[rowid] = min(score, scores.get(rowid, score))
    return scores


def _custom_allowed(conn: sqlite3.Connection, entity: str, actor) -> bool:
    from db.core import fields
    from db.crm.custom import SEARCHED

    searchable = [f for f in fields.active(conn, entity) if f.type in SEARCHED]
    return bool(searchable) and (actor is None or all(f.may_view(actor) for f in searchable))


def _custom_candidates(conn: sqlite3.Connection, entity: str, query_words: list[str]) -> dict[int, float]:
    """Records whose custom text holds every word (whole words first, then prefixes), newest first, bounded."""
    table = f"{entity}_cf_fts"  # entity from _CUSTOM, not user text
    sql = f"SELECT rowid, bm25({table}) FROM {table} WHERE {table} MATCH ? ORDER BY rowid DESC LIMIT ?"  # noqa: S608
    scores: dict[int, float] = {}
    for query in (match_query(query_words, whole=True), match_query(query_words)):
        if len(scores) >= CANDIDATES:
            break
        for rowid, score in conn.execute(sql, (query, CANDIDATES)):
            scores.setdefault(rowid, score)
    return scores


@lru_cache(maxsize=8192)
def _fold(text: str) -> str:
    """Lower case without accents: how the indexes compare (``remove_diacritics``), for the tiers. Cached:
    the same words (subjects, company names) come back in every search, and this ran ~4,000 times a query."""
    if text.isascii():
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _tier(query: list[str], name: str | None, related: list[str | None]) -> tuple[int, int]:
    """The tier (module docstring) and how many query words are whole words of the name (more is better:
    "Deal 3" before "Deal 317")."""
    name_words = list(_folded_words(name or ""))
    whole = sum(q in name_words for q in query)
    n = len(query)
    if name_words == query:
        return 0, whole
    if len(name_words) >= n and name_words[:n - 1] == query[:n - 1] and name_words[n - 1].startswith(query[-1]):
        return 1, whole
    if _all_prefixes(query, name_words):
        return 2, whole
    if any(_all_prefixes(query, _folded_words(r)) for r in related if r):
        return 3, whole
    return 4, whole


def words_all(text: str | None) -> list[str]:
    return _WORD.findall(text or "")


@lru_cache(maxsize=16384)
def _folded_words(text: str) -> tuple[str, ...]:
    """The folded words of a name; cached, as names (subjects, companies) repeat from search to search."""
    return tuple(_fold(w) for w in _WORD.findall(text))


def _all_prefixes(query: list[str], name_words: list[str]) -> bool:
    return all(any(w.startswith(q) for w in name_words) for q in query)
