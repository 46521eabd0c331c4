"""Catalogues: same keys in every language; every key the code asks for exists in English."""

import json
import re
from pathlib import Path

import pytest

from components.i18n import (
    LANGUAGES,
    LOCALES_DIR,
    catalogue,
    error_text,
    money,
    percent,
    plural_categories,
    translate,
)
from db.core.errors import ConflictError, ValidationError

ROOT = Path(__file__).resolve().parent.parent.parent


def test_every_language_has_the_same_keys():
    english = set(catalogue("en"))
    assert english
    for lang in LANGUAGES:
        assert set(catalogue(lang)) == english, lang


def test_every_language_has_the_same_namespace_files():
    names = {lang: sorted(p.name for p in (LOCALES_DIR / lang).glob("*.json")) for lang in LANGUAGES}
    assert len({tuple(v) for v in names.values()}) == 1, names


def _variants(value) -> list[str]:
    """A message's texts: one string, or every form of a plural message."""
    return list(value.values()) if isinstance(value, dict) else [value]


def _placeholders(text: str) -> set[str]:
    return set(re.findall(r"{(\w+)[^}]*}", text))


@pytest.mark.parametrize("lang", list(LANGUAGES))
def test_placeholders_match_english(lang):
    english = catalogue("en")
    for key, value in catalogue(lang).items():
        wanted = _placeholders(_variants(english[key])[-1])
        for text in _variants(value):
            assert _placeholders(text) == wanted, (lang, key, text)


@pytest.mark.parametrize("lang", list(LANGUAGES))
def test_plural_messages_have_the_forms_the_language_needs(lang):
    """A plural message has exactly its language's CLDR categories (ru/uk: one, few, many, other; en/bg: one,
    other), and is one in every language or in none."""
    english = catalogue("en")
    for key, value in catalogue(lang).items():
        assert isinstance(value, dict) == isinstance(english[key], dict), (lang, key)
        if isinstance(value, dict):
            assert set(value) == plural_categories(lang), (lang, key, sorted(value))


# Names a count might be given instead of {n}; a count is always {n}, so the form can follow it.
COUNT_NAMES = {"count", "total_count", "keep", "seconds", "cells", "rows", "created", "updated", "deleted",
               "activities", "deals", "feedback", "comments", "days", "items", "entries"}


@pytest.mark.parametrize("lang", list(LANGUAGES))
def test_every_count_message_is_a_plural_message(lang):
    """Walks every catalogue: a message showing a count {n} picks its form from the count (no "Save 1 changes",
    no "5 контакта"), and no count hides under another name. Ordinals use their own names ({row_no}, {line},
    {page}); two counts in one sentence are two plural messages joined by the code."""
    for key, value in catalogue(lang).items():
        for text in _variants(value):
            names = _placeholders(text)
            assert not names & COUNT_NAMES, (lang, key, names & COUNT_NAMES)
            if "n" in names:
                assert isinstance(value, dict), (lang, key, text)
            assert not re.search(r"{n:", text), (lang, key)  # the count is formatted by translate


@pytest.mark.parametrize("lang,n,expected", [
    ("en", 1, "Save 1 change"), ("en", 3, "Save 3 changes"), ("en", 0, "Save 0 changes"),
    ("ru", 1, "Сохранить 1 изменение"), ("ru", 3, "Сохранить 3 изменения"), ("ru", 5, "Сохранить 5 изменений"),
    ("ru", 11, "Сохранить 11 изменений"), ("ru", 21, "Сохранить 21 изменение"), ("ru", 22, "Сохранить 22 изменения"),
    ("uk", 1, "Зберегти 1 зміну"), ("uk", 4, "Зберегти 4 зміни"), ("uk", 12, "Зберегти 12 змін"),
    ("bg", 1, "Запази 1 промяна"), ("bg", 2, "Запази 2 промени"),
])
def test_the_count_picks_the_form(lang, n, expected):
    assert translate(lang, "contacts.save", n=n) == expected


def test_the_count_is_shown_in_the_language_number_format():
    assert translate("en", "export.capped", n=10_000).startswith("Only the first 10,000 rows")
    assert translate("ru", "export.capped", n=10_000) == "Экспортируются первые 10\xa0000 строк; сузьте фильтры."
    assert translate("ru", "dashboard.days", n=1.5) == "1,5 дня"
    assert translate("en", "dashboard.days", n=1) == "1 day"
    assert translate("xx", "contacts.save", n=1) == "Save 1 change"  # unknown language: English forms


def test_keys_used_in_code_exist():
    used = set()
    pattern = re.compile(r"""\bt\(\s*["']([a-z_]+\.[a-z0-9_]+)["']""")
    for folder in ("app.py", "pages", "components"):
        for path in ([ROOT / folder] if folder.endswith(".py") else (ROOT / folder).rglob("*.py")):
            used |= set(pattern.findall(path.read_text(encoding="utf-8")))
    key_pattern = re.compile(r"""key=["']([a-z_]+\.[a-z0-9_]+)["']""")
    for path in (ROOT / "db").rglob("*.py"):
        used |= set(key_pattern.findall(path.read_text(encoding="utf-8")))
    used = {k for k in used if not k.endswith("_")}  # prefixes of keys built at run time
    missing = sorted(used - set(catalogue("en")))
    assert not missing, missing


def test_catalogue_files_are_valid_flat_json():
    for path in LOCALES_DIR.rglob("*.json"):
        data = json.loads(path.read_text(encoding="utf-8"))
        assert all(isinstance(t, str) and t.strip() for v in data.values() for t in _variants(v)), path


def test_fallbacks_and_parameters():
    assert translate("bg", "nav.contacts") == "Контакти"
    assert translate("xx", "nav.contacts") == "Contacts"
    assert translate("en", "no.such_key", "Default {n}", n=3) == "Default 3"
    assert translate("en", "no.such_key") == "no.such_key"
    assert translate("en", "layout.forbidden") == "This page is not available to the {role} role."


def test_errors_are_translated_with_their_field():
    err = ValidationError("'{value}' is not a valid email address.", field="email", key="errors.email_invalid",
                          value="x@")
    assert error_text(err, "en") == "'x\\@' is not a valid email address."  # markdown-ready: x@ escaped
    assert "некорректный" in error_text(err, "ru")


@pytest.mark.parametrize("lang,expected", [("en", "€1,235"), ("ru", "1\xa0235\xa0€"), ("bg", "1\xa0235\xa0€")])
def test_money_is_formatted_for_the_language(lang, expected):
    assert money(1234.6, lang) == expected


def test_percent_and_missing_values():
    assert percent(0.425, "en") == "42.5%"
    assert money(None) == percent(None) == "—"


def test_every_date_input_shows_the_language_date_order():
    """Streamlit's default YYYY/MM/DD is nobody's format: every date input passes date_format()."""
    import re

    from components.i18n import date_format

    root = Path(__file__).resolve().parents[2]
    calls = []
    for path in [*root.joinpath("components").rglob("*.py"), *root.joinpath("pages").rglob("*.py"), root / "app.py"]:
        text = path.read_text()
        for m in re.finditer(r"date_input\(", text):
            depth, i = 1, m.end()
            while depth:
                depth += {"(": 1, ")": -1}.get(text[i], 0)
                i += 1
            calls.append((path.name, text[m.end():i]))
    assert calls
    assert [name for name, args in calls if "format=date_format()" not in args] == []
    assert date_format("ru") == "DD.MM.YYYY" and date_format("en") == "DD/MM/YYYY"


def test_percentage_point_changes_use_the_language_number_format():
    from components.dashboard import delta

    assert delta(0.5, 0.186, "pct", "en") == "+31.4 pp"
    assert delta(0.5, 0.186, "pct", "ru") == "+31,4 п.п."
    assert delta(0.1, 0.2, "pct", "uk") == "−10 в.п."


def test_error_parameters_are_shown_as_text():
    """error_text feeds st.error (markdown): a hostile name in a conflict is escaped, numbers stay numbers."""
    err = ConflictError(who="![x](http://127.0.0.1:9/p.png) **B**", when="2026-11-23 10:00:00", fields="name")
    text = error_text(err, "en")
    assert r"\!\[x\]\(http\:" in text and r"\*\*B\*\*" in text and "![x]" not in text
    assert error_text(ValidationError("At most {n:,} characters.", key="no.such", n=20_000), "en") == \
        "At most 20,000 characters."


def test_error_text_for_table_cells_is_plain():
    """Table cells show text as it is: the plain form carries the value without markdown escapes."""
    err = ValidationError("'{value}' is not a valid email address.", key="errors.email_invalid", value="a*b@x")
    assert error_text(err, "en", plain=True) == "'a*b@x' is not a valid email address."
    assert "\\*" in error_text(err, "en")


@pytest.mark.parametrize("lang", ["en", "ru", "uk", "bg"])
def test_money_fast_path_matches_babel(lang):
    """``money`` lays whole units out from a shape found once; it must read exactly as Babel's own formatting."""
    from babel.numbers import format_currency

    from components.i18n import BABEL_LOCALE, _whole_pattern, money

    locale = BABEL_LOCALE[lang]
    for currency in ("EUR", "USD", "UAH", "BGN", "GBP"):
        for value in (0, 1, -1, 999.5, 1000, -1234.6, 1234567.49, 12.5, 13.5, 1e9, -98765432.1):
            assert money(value, lang, currency) == format_currency(
                round(value), currency, format=_whole_pattern(locale), locale=locale, currency_digits=False)


@pytest.mark.parametrize("lang", ["en", "ru", "uk", "bg"])
def test_number_fast_path_matches_babel(lang):
    from babel.numbers import format_decimal

    from components.i18n import BABEL_LOCALE, number, plural_category

    for value, digits in ((0, 0), (7, 0), (-7, 0), (1234, 0), (1234567, 0), (12.0, 1), (12.34, 1), (-1.5, 0),
                          (2.5, 0), (999999.95, 1), (1e12, 0)):
        assert number(value, lang, digits) == format_decimal(round(value, digits), locale=BABEL_LOCALE[lang])
    assert number(-0.4, lang) == "0"  # Babel would say "-0"
    from babel import Locale

    rule = Locale.parse(BABEL_LOCALE[lang]).plural_form
    assert [plural_category(lang, n) for n in range(0, 130)] == [rule(n) for n in range(0, 130)]
