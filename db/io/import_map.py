"""Which column of another CRM's export (or a spreadsheet) is which field, and which of its values are which
of our choices: header names of HubSpot, Salesforce (contacts, leads), EspoCRM, Pipedrive, Zoho, Twenty,
this app's own export and ru/uk/bg spreadsheets; value synonyms for lifecycle and channel. Custom fields are
targets too (``cf:<key>``), matched by their label in any language or their key; for a column with no field,
``guess_type`` proposes the type of a new one from its values."""

from __future__ import annotations

import functools
import re
from datetime import date

NOTE = "note"  # kept in the record's import note (the table has no field for it)
SKIP = None  # dropped; only ever the user's explicit choice
MULTI = {"email", "phone", "company"}  # several columns may feed these: the first non-empty value wins
CHOICES = {"lifecycle", "channel"}  # a value-mapping step for values we do not know

# Targets per table, in the order the preview offers them. Link targets resolve names to ids.
TARGETS = {
    "contacts": ("first_name", "last_name", "full_name", "full_name_lf", "email", "phone", "title", "company",
                 "owner", "lifecycle", "channel", "campaign", "tags", "country", NOTE),
    "companies": ("name", "industry", "website", "phone", "city", "country", "owner", "lifecycle", "tags", NOTE),
}
REQUIRED = {"contacts": ("first_name", "full_name", "full_name_lf"), "companies": ("name",)}
CUSTOM = "cf:"  # a custom field target: "cf:" + the field's key (the column comes from db.core.fields only)

# Header names per target, best first (normalised: see key()). Earlier names win a contested target.
_COMMON = {
    "owner": ["owner", "owner email", "owner name", "contact owner", "lead owner", "account owner", "record owner",
              "assigned user name", "assigned user", "assigned to", "owner id", "sales owner",
              "ответственный", "менеджер", "владелец", "відповідальний", "власник", "отговорник",
              "собственик", "мениджър"],
    "lifecycle": ["lifecycle", "lifecycle stage", "stage", "status", "lead status", "contact status",
                  "стадия", "этап", "статус", "стадія", "етап", "статус"],
    "tags": ["tags", "tag", "labels", "label", "group membership", "теги", "метки", "мітки",
             "етикети", "тагове", "тегове"],
    "country": ["country", "mailing country", "country region", "address country", "billing country",
                "shipping country", "phones primary phone country code", "phones primary phone calling code",
                "страна", "країна", "държава"],
    "phone": ["phone", "phone number", "mobile", "mobile phone", "mobile phone number", "business phone",
              "work phone", "telephone", "tel", "phone 1 value", "phone work", "phone mobile", "phone home",
              "phone other", "home phone", "other phone", "phones primary phone number", "phone office",
              "телефон", "мобильный", "мобильный телефон", "моб телефон", "рабочий телефон", "мобільний",
              "мобільний телефон", "робочий телефон", "мобилен", "мобилен телефон", "служебен телефон"],
}
SYNONYMS = {
    "contacts": {
        "first_name": ["first name", "first_name", "firstname", "given name", "first", "vorname", "prénom",
                       "name first name", "имя", "ім я", "име", "собствено име"],
        "last_name": ["last name", "lastname", "surname", "family name", "last", "nachname", "name last name",
                      "фамилия", "прізвище"],
        "full_name": ["full name", "name", "contact name", "person name", "contact", "person", "display name"],
        "full_name_lf": ["фио", "ф и о", "піб", "п і б", "пиб", "три имена"],
        "email": ["email", "e mail", "email address", "e mail address", "e mail 1 value", "mail", "emails",
                  "emails primary email", "primary email", "work email", "email work", "email home", "email other",
                  "secondary email", "emails additional emails", "personal email", "эл почта", "электронная почта",
                  "почта", "емейл", "имейл", "ел пошта", "електронна пошта", "пошта", "ел поща", "електронна поща",
                  "e mail адрес", "имейл адрес"],
        "phone": _COMMON["phone"],
        "title": ["title", "job title", "position", "role", "jobtitle", "должность", "посада", "длъжност",
                  "позиция"],
        "company": ["company", "company name", "account name", "account", "organization", "organisation",
                    "organization name", "organisation name", "org name", "organization 1 name", "associated company",
                    "company name company", "employer", "компания", "организация", "компанія", "організація",
                    "фирма", "компания фирма"],
        "owner": _COMMON["owner"],
        "lifecycle": _COMMON["lifecycle"],
        "channel": ["channel", "lead source", "source", "original source", "original source type", "lead channel",
                    "канал", "источник", "джерело", "източник"],
        "campaign": ["campaign", "campaign name", "utm campaign", "кампания", "кампанія"],
        "tags": _COMMON["tags"],
        "country": _COMMON["country"],
    },
    "companies": {
        "name": ["name", "company", "company name", "account name", "account", "organization", "organisation",
                 "organization name", "organisation name", "name name", "компания", "название", "организация",
                 "компанія", "назва", "організація", "фирма", "име", "име на фирмата", "наименование"],
        "industry": ["industry", "sector", "отрасль", "галузь", "отрасъл", "индустрия"],
        "website": ["website", "website url", "web site", "domain", "company domain name", "domain name", "url",
                    "domain name primary link url", "сайт", "веб сайт", "уебсайт"],
        "phone": _COMMON["phone"],
        "city": ["city", "billing city", "address city", "town", "город", "місто", "град"],
        "country": _COMMON["country"],
        "owner": _COMMON["owner"],
        "lifecycle": _COMMON["lifecycle"] + ["type", "account type"],
        "tags": _COMMON["tags"],
    },
}
# Prefixes some CRMs put before every column ("Person - Email", "Contact Owner", "Account.Name").
_PREFIXES = {"contacts": ("person ", "contact ", "lead ", "people "), "companies": ("organization ", "organisation ",
                                                                                   "company ", "account ")}
_CAMEL = re.compile(r"(?<=[a-zа-яіїєґё])(?=[A-ZА-ЯІЇЄҐЁ])")


_QUOTES = re.compile(r"[’'ʼ`]")
_PUNCT = re.compile(r"[\W_]+")


@functools.lru_cache(maxsize=65_536)
def key(text: str, camel: bool = False) -> str:
    """A value (or, with ``camel``, a header) as a lookup key: case, apostrophes, punctuation and spacing
    ignored; headers also split at camelCase ("emailAddress", "Account.Name", "Ім'я" -> "email address",
    "account name", "ім я"); a company's "GmbH" stays one word."""
    text = (_CAMEL.sub(" ", text or "") if camel else text or "").lower().replace("ё", "е")
    return " ".join(_PUNCT.sub(" ", _QUOTES.sub(" ", text)).split())


def _lookup(table: str) -> dict[str, tuple[str, int]]:
    out: dict[str, tuple[str, int]] = {}
    for target, names in SYNONYMS[table].items():
        for rank, name in enumerate(names):
            out.setdefault(key(name), (target, rank))
    return out


def custom_lookup(fields) -> dict[str, str]:
    """{header key: "cf:<key>"} for custom fields: each label in every language, and the key itself."""
    out: dict[str, str] = {}
    for f in fields:
        for name in [*f.labels.values(), f.key]:
            out.setdefault(key(name, camel=True), CUSTOM + f.key)
    return out


def guess_mapping(headers: list[str], table: str = "contacts", fields=()) -> dict[str, str | None]:
    """Header -> target field, from the names other CRMs export. A column we have no field for is kept in
    the note (NOTE), never dropped; a contested single target goes to its best-named column. A header that
    names one of ``fields`` (custom fields: label in any language or key) goes to it, before any synonym:
    the admin made that field for this data."""
    mine = custom_lookup(fields)
    claimed: dict[str, str] = {}
    for h in headers:
        target = mine.get(key(h, camel=True))
        if target and target not in claimed.values():
            claimed[h] = target
    if claimed:
        rest = guess_mapping([h for h in headers if h not in claimed], table)
        return {h: claimed.get(h) or rest[h] for h in headers}
    lookup = _lookup(table)
    found: dict[str, tuple[str, int, int]] = {}
    for i, h in enumerate(headers):
        k = key(h, camel=True)
        hit = lookup.get(k)
        if hit is None:
            for prefix in _PREFIXES[table]:
                if k.startswith(prefix) and k[len(prefix):] in lookup:
                    hit = lookup[k[len(prefix):]]
                    break
        if hit:
            found[h] = (hit[0], hit[1], i)
    winners: dict[str, str] = {}
    for h, (target, _rank, _i) in sorted(found.items(), key=lambda kv: (kv[1][1], kv[1][2])):
        if target in MULTI or target not in winners:
            winners.setdefault(target, h)
    out = {}
    for h in headers:
        target = found.get(h, (None,))[0]
        out[h] = target if target and (target in MULTI or winners.get(target) == h) else NOTE
    if table == "contacts" and {"first_name", "last_name"} <= set(out.values()):
        # A whole-name column next to first and last name only repeats them: keep it, as the note.
        out = {h: (NOTE if f in ("full_name", "full_name_lf") else f) for h, f in out.items()}
    return out


# Values of choice columns: normalised value -> our value. Unknown lifecycles default to "lead" (shown).
LIFECYCLE = {
    "lead": "lead", "leads": "lead", "subscriber": "lead", "new": "lead", "open": "lead", "other": "lead",
    "marketingqualifiedlead": "lead", "mql": "lead", "open not contacted": "lead", "not contacted": "lead",
    "attempted to contact": "lead", "unqualified": "lead", "closed not converted": "lead", "junk lead": "lead",
    "not qualified": "lead", "recycled": "lead", "dead": "lead", "bad timing": "lead", "assigned": "lead",
    "prospect": "prospect", "salesqualifiedlead": "prospect", "sql": "prospect", "opportunity": "prospect",
    "working contacted": "prospect", "closed converted": "prospect", "in progress": "prospect",
    "in process": "prospect", "connected": "prospect", "contacted": "prospect", "pre qualified": "prospect",
    "open deal": "prospect", "qualified": "prospect", "converted": "prospect", "contact in future": "prospect",
    "customer": "customer", "client": "customer", "evangelist": "customer", "won": "customer",
    "active": "customer", "churned": "churned", "former customer": "churned", "lost": "churned",
    "inactive": "churned", "lost lead": "lead",
    "лид": "lead", "новый": "lead", "потенциальный клиент": "prospect", "потенциальный": "prospect",
    "клиент": "customer", "покупатель": "customer", "ушел": "churned", "бывший клиент": "churned",
    "лід": "lead", "новий": "lead", "потенційний клієнт": "prospect", "потенційний": "prospect",
    "клієнт": "customer", "пішов": "churned", "колишній клієнт": "churned",
    "лийд": "lead", "потенциален": "lead", "потенциален клиент": "prospect", "перспективен": "prospect",
    "отпаднал": "churned", "бивш клиент": "churned",
}
# HubSpot's internal values glue the words ("salesqualifiedlead"): compare without spaces too.
_LIFECYCLE_TIGHT = {k.replace(" ", ""): v for k, v in LIFECYCLE.items()}
CHANNEL = {
    "organic search": "organic search", "organic": "organic search", "seo": "organic search",
    "search": "organic search", "paid search": "paid search", "ppc": "paid search", "adwords": "paid search",
    "google ads": "paid search", "sem": "paid search", "social": "social", "social media": "social",
    "paid social": "social", "organic social": "social", "email": "email", "email marketing": "email",
    "newsletter": "email", "events": "events", "event": "events", "trade show": "events", "seminar": "events",
    "seminar internal": "events", "seminar partner": "events", "webinar": "events", "conference": "events",
    "referral": "referral", "referrals": "referral", "employee referral": "referral",
    "external referral": "referral", "word of mouth": "referral", "partner": "partners", "partners": "partners",
    "partner referral": "partners", "поиск": "organic search", "соцсети": "social", "рассылка": "email",
    "мероприятия": "events", "рекомендация": "referral", "партнеры": "partners", "пошук": "organic search",
    "соцмережі": "social", "розсилка": "email", "заходи": "events", "рекомендація": "referral",
    "партнери": "partners", "търсене": "organic search", "социални мрежи": "social", "бюлетин": "email",
    "събития": "events", "препоръка": "referral", "партньори": "partners",
}


def suggest(target: str, value: str, known: list[str] | None = None) -> tuple[str | None, bool]:
    """Our value for a file's value of a choice column and whether we recognised it. ``known`` are the
    values the column already allows (lifecycles, the admin's channel list)."""
    k = key(value)
    known = known or []
    for option in known:
        if key(option) == k:
            return option, True
    table = LIFECYCLE if target == "lifecycle" else CHANNEL
    hit = table.get(k) or (_LIFECYCLE_TIGHT.get(k.replace(" ", "")) if target == "lifecycle" else None)
    if hit and (not known or hit in known):
        return hit, True
    return ("lead" if target == "lifecycle" else value), False


def country_code(text: str) -> str | None:
    """An ISO country code from a code (DE), a calling code (+49) or a name in en/ru/uk/bg/de/fr/es."""
    import phonenumbers

    raw = (text or "").strip()
    if not raw:
        return None
    digits = raw.lstrip("+").strip()
    if digits.isdigit():
        region = phonenumbers.region_code_for_country_code(int(digits))
        return None if region == "ZZ" else region
    if len(raw) == 2 and raw.isalpha():
        return raw.upper()
    return _country_names().get(key(raw))


_NAMES: dict[str, str] = {}


def _country_names() -> dict[str, str]:
    """Country names (and ISO-3 codes) in the languages our users write them in, built on first use."""
    if not _NAMES:
        from babel import Locale

        for lang in ("en", "ru", "uk", "bg", "de", "fr", "es"):
            for code, name in Locale.parse(lang).territories.items():
                if len(code) == 2 and code.isalpha():
                    _NAMES.setdefault(key(name), code)
        _NAMES.update({"usa": "US", "united states of america": "US", "uk": "GB", "great britain": "GB",
                       "england": "GB", "россия": "RU", "рф": "RU", "сша": "US", "deutschland": "DE"})
    return _NAMES


# A new field's type from a column's values (the admin may change it before the field is created).
_NUMBER = re.compile(r"^[+-]?(\d{1,3}(,\d{3})+|\d+)(\.\d+)?$")
_PHONE = re.compile(r"^\+?[\d\s().-]{7,20}$")
_DOTTED = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})$")
_SLASHED = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
FEW = 12  # at most this many distinct values (each repeated) make a choice


def day_text(text: str) -> str | None:
    """A date cell as ISO text: ISO, 31.12.2026, and 31/12/2026 or 12/31/2026 when the order is plain (a day
    above 12); None for anything else, an ambiguous 03/04/2026 included (flagged, never guessed)."""
    text = text.strip()
    found = None
    if re.match(r"^\d{4}-\d{2}-\d{2}", text):
        found = (int(text[:4]), int(text[5:7]), int(text[8:10]))
    elif m := _DOTTED.match(text):
        found = (int(m[3]), int(m[2]), int(m[1]))
    elif m := _SLASHED.match(text):
        a, b = int(m[1]), int(m[2])
        if a > 12 >= b:
            found = (int(m[3]), b, a)
        elif b > 12 >= a:
            found = (int(m[3]), a, b)
    try:
        return date(*found).isoformat() if found else None
    except ValueError:
        return None


def guess_type(values: list[str]) -> tuple[str, list[str]]:
    """(type, choices) for a new field holding ``values`` (a column's non-empty cells): number, percent,
    date, email, url, phone when every value is one; a choice when a few distinct values repeat; else text
    (long text past 500 characters)."""
    from db.core.users import EMAIL_RE

    values = [v.strip() for v in values if v and v.strip()]
    if not values:
        return "text", []

    def every(test) -> bool:
        return all(test(v) for v in values)

    if every(lambda v: _NUMBER.match(v)):
        return "number", []
    if every(lambda v: v.endswith("%") and _NUMBER.match(v[:-1].strip())):
        return "percent", []
    if every(day_text):
        return "date", []
    if every(lambda v: EMAIL_RE.match(v.lower())):
        return "email", []
    if every(lambda v: re.match(r"^https?://\S+$", v, re.IGNORECASE)):
        return "url", []
    if every(lambda v: _PHONE.match(v) and sum(c.isdigit() for c in v) >= 7):
        return "phone", []
    distinct = list(dict.fromkeys(v for v in values))
    folded = list(dict.fromkeys(key(v) for v in distinct))
    if len(folded) <= FEW and len(values) > len(folded) and all(len(v) <= 100 for v in distinct):
        first = {}
        for v in distinct:
            first.setdefault(key(v), v)
        return "choice", list(first.values())
    return ("long_text" if any(len(v) > 500 or "\n" in v for v in values) else "text"), []
