"""The one translation helper, plus locale-aware dates and money (Babel).

Catalogues live in ``locales/<lang>/<namespace>.json``; a key is ``namespace.name``. One file per
feature keeps catalogues small and lets features be added without touching each other's files.
Missing keys fall back to English, then to the key itself, so a gap shows up instead of crashing.

A message with a count is a plural object, ``{"one": "{n} contact", "other": "{n} contacts"}``, with the CLDR
categories of its language (ru/uk: one, few, many, other); ``n`` picks the category and is shown in the
language's number format. A message with two counts is built from two plural messages.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale
from babel.dates import format_date, format_time
from babel.numbers import format_currency, format_decimal, format_percent, get_group_symbol

LOCALES_DIR = Path(__file__).resolve().parent.parent / "locales"
LANGUAGES = {"en": "English", "ru": "Русский", "uk": "Українська", "bg": "Български"}
BABEL_LOCALE = {"en": "en_GB", "ru": "ru_RU", "uk": "uk_UA", "bg": "bg_BG"}
DEFAULT = "en"


@lru_cache(maxsize=8)
def catalogue(lang: str) -> dict[str, str | dict[str, str]]:
    """All keys of one language, merged from its namespace files."""
    out: dict[str, str] = {}
    folder = LOCALES_DIR / lang
    for path in sorted(folder.glob("*.json")):
        for key, text in json.loads(path.read_text(encoding="utf-8")).items():
            out[f"{path.stem}.{key}"] = text
    return out


def plural_category(lang: str, n) -> str:
    """CLDR plural category of ``n`` in ``lang`` ('one', 'few', 'many', 'other')."""
    if not isinstance(n, int | float):
        try:
            n = float(str(n).replace(",", "").replace("\xa0", "").replace(" ", ""))
        except ValueError:
            return "other"
    if isinstance(n, int) and -1000 < n < 1000:
        return _small_plural(lang, abs(n))
    return _plural_rule(lang)(abs(n))


@lru_cache(maxsize=4096)
def _small_plural(lang: str, n: int) -> str:
    return _plural_rule(lang)(n)


@lru_cache(maxsize=8)
def _plural_rule(lang: str):
    return Locale.parse(BABEL_LOCALE.get(lang, "en_GB")).plural_form


def plural_categories(lang: str) -> set[str]:
    """The categories a plural message in ``lang`` must have (its rules' tags plus 'other')."""
    return set(_plural_rule(lang).tags) | {"other"}


def translate(lang: str, key: str, default: str | None = None, **params) -> str:
    """Text for ``key`` in ``lang`` (English, then ``default``, then the key as fallback)."""
    found = catalogue(lang).get(key)
    if not found:
        lang, found = DEFAULT, catalogue(DEFAULT).get(key)
    text = found or default or key
    if isinstance(text, dict):  # a plural message: the count picks the form and is shown as a number
        n = params.get("n", 0)
        text = text.get(plural_category(lang, n)) or text["other"]
        if isinstance(n, int | float):
            params["n"] = number(n, lang, 0 if float(n).is_integer() else 1)
    if params:
        try:
            return text.format(**params)
        except (KeyError, IndexError, ValueError):
            return text
    return text


def current_language() -> str:
    import streamlit as st

    lang = st.session_state.get("lang", DEFAULT)
    return lang if lang in LANGUAGES else DEFAULT


def t(key: str, default: str | None = None, **params) -> str:
    """Translate for the signed-in user's language."""
    return translate(current_language(), key, default, **params)


def channel_label(value, lang: str | None = None) -> str:
    """A contact's or campaign's channel as shown: the built-in channels (stored as codes such as
    "paid search") in the user's language; a channel the team added is their own text, shown as it is."""
    from db.core.settings import DEFAULTS

    if value in DEFAULTS["channels"]:
        return translate(lang or current_language(), "choices.channel_" + value.replace(" ", "_"), value)
    return "" if value is None else str(value)


def error_text(err, lang: str | None = None, *, plain: bool = False) -> str:
    """A domain error in the user's language (its English text is the fallback), ready for markdown
    (st.error): its parameters can carry user text (a name, a value), so each goes through ``esc``.
    ``plain=True`` for places that show text as it is (table cells)."""
    from components.text import esc

    lang = lang or current_language()
    params = {k: v for k, v in getattr(err, "params", {}).items()}
    nested = {name: error_text(value, lang, plain=plain) for name, value in params.items()
              if hasattr(value, "key") and hasattr(value, "params")}  # an import row's problem: already escaped
    changed = getattr(err, "changed", None)
    if changed and "fields" in params:  # a conflict names the changed fields by their labels, not column names
        params["fields"] = ", ".join(field_name(name, lang) for name in changed)
    if params.get("field"):
        params["field"] = field_name(params["field"], lang)
    for name, namespace in (("entity", "entities"), ("area", "areas"),
                            ("type_from", "field_types"), ("type_to", "field_types")):
        if params.get(name):  # raw names (first_name, contacts) become the field's or record's label
            params[name] = translate(lang, f"{namespace}.{params[name]}", str(params[name]))
    params = {k: v if isinstance(v, int | float) or plain else esc(v, limit=300) for k, v in params.items()
              if k not in nested}
    params.update(nested)
    return translate(lang, getattr(err, "key", "errors.generic"), getattr(err, "template", str(err)), **params)


def field_name(name, lang: str | None = None) -> str:
    """A column as people call it: ``first_name`` through ``fields.first_name``; a custom one (``cf_12``) by
    the label its admin gave, from the labels ``page_setup`` keeps for the run; the custom-field editor's own
    inputs (``labels``, ``options``) through ``custom_ui.field_*``."""
    lang = lang or current_language()
    name = str(name)
    if name.startswith("cf_"):
        labels = custom_labels().get(name)
        if labels:
            return labels.get(lang) or labels.get("en") or next(iter(labels.values()))
    return translate(lang, f"fields.{name}", translate(lang, f"custom_ui.field_{name}", name))


CUSTOM_LABELS = "custom_labels"  # session key: {"cf_12": {"en": "Seats", ...}} once read in this run
LABEL_SOURCE = "custom_labels_source"  # session key: page_setup's reader of those labels for this run


def custom_labels() -> dict[str, dict[str, str]]:
    """The custom fields' labels, read at most once per run and only when a message names a custom column
    (``page_setup`` leaves a reader on this run's connection; a run that names none pays nothing)."""
    try:
        import streamlit as st

        state = st.session_state
        if CUSTOM_LABELS not in state:
            source = state.get(LABEL_SOURCE)
            state[CUSTOM_LABELS] = source() if source else {}
        return state[CUSTOM_LABELS]
    except Exception:  # noqa: BLE001 - no script run context (tests, CLI) or no database at hand
        return {}


def current_currency() -> str:
    """The company currency set by an admin (page_setup keeps it in the session); EUR outside a session."""
    try:
        import streamlit as st

        return st.session_state.get("currency", "EUR")
    except Exception:  # noqa: BLE001 - no script run context (tests, CLI)
        return "EUR"


def money(value: float | None, lang: str = DEFAULT, currency: str | None = None, cents: bool = False) -> str:
    """Money in the language's format; whole units unless ``cents`` (dashboards do not need cents). Whole units
    are laid out from the language's shape found once (Babel per value costs ~0.2 ms: a board has 200)."""
    if value is None:
        return "—"
    currency = currency or current_currency()
    if not cents:
        whole = round(value)
        prefix, group, suffix = _money_shape(lang, currency)
        return ("-" if whole < 0 else "") + prefix + f"{abs(whole):,}".replace(",", group) + suffix
    return format_currency(value, currency, locale=BABEL_LOCALE.get(lang, "en_GB"), currency_digits=True)


@lru_cache(maxsize=32)
def _money_shape(lang: str, currency: str) -> tuple[str, str, str]:
    """(text before the digits, the digit group separator, text after) of whole ``currency`` in ``lang``."""
    locale = BABEL_LOCALE.get(lang, "en_GB")
    sample = format_currency(1234567, currency, format=_whole_pattern(locale), locale=locale, currency_digits=False)
    digits = re.search(r"\d[\d\s\u00a0\u202f.,’']*\d", sample)
    return sample[:digits.start()], get_group_symbol(locale), sample[digits.end():]


@lru_cache(maxsize=8)
def _whole_pattern(locale: str) -> str:
    return Locale.parse(locale).currency_formats["standard"].pattern.split(";")[0].replace(".00", "")


def money_column_format(lang: str | None = None, currency: str | None = None) -> str:
    """The printf ``format`` of a grid's money column (st.column_config.NumberColumn), matching ``money()``: the
    currency sign where the language puts it and the language's digit grouping, whole units. Streamlit's own
    "euro"/"localized" follow the browser's language and fix the currency, so they would differ from the page."""
    prefix, group, suffix = (part.replace("%", "%%") for part in _money_shape(lang or current_language(),
                                                                              currency or current_currency()))
    return f"{prefix}%'{group},.0f{suffix}"


def number(value: float | None, lang: str = DEFAULT, digits: int = 0) -> str:
    """A number in the language's format; whole numbers from the language's group sign found once (Babel per
    value costs ~0.1 ms, and a board shows hundreds of counts)."""
    if value is None:
        return "—"
    rounded = round(value, digits)
    if float(rounded).is_integer() and abs(rounded) < 1e15:
        whole = int(rounded)
        return ("-" if whole < 0 else "") + f"{abs(whole):,}".replace(",", _group(lang))
    return format_decimal(rounded, locale=BABEL_LOCALE.get(lang, "en_GB"))


@lru_cache(maxsize=8)
def _group(lang: str) -> str:
    return get_group_symbol(BABEL_LOCALE.get(lang, "en_GB"))


def percent(value: float | None, lang: str = DEFAULT) -> str:
    """``value`` is a fraction (0.42 -> 42 %)."""
    if value is None:
        return "—"
    return format_percent(value, locale=BABEL_LOCALE.get(lang, "en_GB"), format="#,##0.#%")


DATE_INPUT_FORMAT = {"en": "DD/MM/YYYY", "ru": "DD.MM.YYYY", "uk": "DD.MM.YYYY", "bg": "DD.MM.YYYY"}


def date_format(lang: str | None = None) -> str:
    """The ``format`` of ``st.date_input`` in the user's language (Streamlit's default is YYYY/MM/DD)."""
    return DATE_INPUT_FORMAT.get(lang or current_language(), "DD/MM/YYYY")


def day(value: str | date | datetime | None, lang: str = DEFAULT) -> str:
    if not value:
        return "—"
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if isinstance(value, datetime):
        value = value.date()
    return format_date(value, format="medium", locale=BABEL_LOCALE.get(lang, "en_GB"))


def moment(value: str | datetime | None, lang: str = DEFAULT, tz: str | None = None) -> str:
    """A date and time to the minute in the language's format ("1 Dec 2026, 09:05"; Babel's "medium" has
    seconds). With ``tz``, ``value`` is UTC (as stored) and is shown in that time zone."""
    if not value:
        return "—"
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if tz:
        try:
            zone = ZoneInfo(tz)
        except (ZoneInfoNotFoundError, ValueError):
            zone = ZoneInfo("UTC")
        value = (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(zone).replace(tzinfo=None)
    locale = BABEL_LOCALE.get(lang, "en_GB")
    return _datetime_pattern(locale).format(format_time(value, "short", locale=locale),
                                            format_date(value, "medium", locale=locale))


@lru_cache(maxsize=8)
def _datetime_pattern(locale: str) -> str:
    return str(Locale.parse(locale).datetime_formats["medium"])


def current_timezone() -> str:
    """The signed-in user's time zone (page_setup keeps it in the session); UTC outside a session."""
    try:
        import streamlit as st

        return st.session_state.get("timezone") or "UTC"
    except Exception:  # noqa: BLE001 - no script run context (tests, CLI)
        return "UTC"


def stamp(value: str | datetime | None, lang: str | None = None) -> str:
    """A stored (UTC) timestamp as the user reads it: their language and time zone, to the minute."""
    return moment(value, lang or current_language(), current_timezone())
