"""Reading an import file: detect what it is and its encoding, parse CSV or Excel into rows that remember
their line in the file, and flag what parsing cannot be trusted with (an unclosed quote)."""

from __future__ import annotations

import codecs
import csv
import io
import logging
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime, time

from db.core.errors import ValidationError
from db.io.export import restore

MAX_ROWS = 100_000
MAX_MB = 50  # as .streamlit/config.toml's server.maxUploadSize
MAX_BYTES = MAX_MB * 1024 * 1024
EXCEL = "Excel"
log = logging.getLogger(__name__)
# Offered when the user overrides the detected encoding (Python codec names; LABELS says how they show).
ENCODINGS = ("utf-8", "utf-16", "cp1252", "cp1251", "cp1250", "iso8859-1", "iso8859-2", "iso8859-5", "koi8-r",
             "koi8-u", "cp866", "mac-roman", "utf-32")
LABELS = {"utf-8": "UTF-8", "utf-8-sig": "UTF-8 (BOM)", "utf-16": "UTF-16", "utf-16-le": "UTF-16 LE",
          "utf-16-be": "UTF-16 BE", "utf-32": "UTF-32", "cp1252": "Windows-1252", "cp1251": "Windows-1251",
          "cp1250": "Windows-1250", "iso8859-1": "ISO-8859-1", "iso8859-2": "ISO-8859-2", "iso8859-5": "ISO-8859-5",
          "koi8-r": "KOI8-R", "koi8-u": "KOI8-U", "cp866": "CP866", "mac-roman": "Mac Roman", "ascii": "ASCII",
          EXCEL: "Excel"}
# Among candidates the detector finds equally likely, the ones our users' files are most often in.
_PREFERRED = ("utf-8", "cp1252", "cp1251", "utf-16", "cp1250", "iso8859-1", "koi8-r", "koi8-u", "iso8859-5")
_DELIMITERS = (",", ";", "\t", "|")
_BOMS = ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"), (codecs.BOM_UTF8, "utf-8-sig"),
         (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))
# OWASP CSV-injection guard our export applies: a quote before a cell starting with one of these.


@dataclass
class Problem:
    """Something wrong at a line (and column) of the file, as a translatable error."""

    line: int
    column: str
    error: ValidationError


@dataclass
class Table:
    headers: list[str]
    rows: list[list[str]]
    lines: list[int]  # the file line each row starts on (the header is line 1)
    encoding: str  # the codec used, or "Excel"
    detected: str  # what detection said (the same as encoding unless the user chose another)
    delimiter: str = ","
    problems: list[Problem] = field(default_factory=list)


def label(encoding: str) -> str:
    """A codec's everyday name (Windows-1252, UTF-16)."""
    return LABELS.get(_canonical(encoding), encoding)


def _canonical(encoding: str) -> str:
    try:
        name = codecs.lookup(encoding).name
    except LookupError:
        return encoding
    return {"utf-16-le": "utf-16", "utf-16-be": "utf-16", "latin-1": "iso8859-1", "iso8859_1": "iso8859-1",
            "mac-roman": "mac-roman", "utf_8": "utf-8"}.get(name, name.replace("_", "-"))


def read(raw: bytes, filename: str = "", encoding: str | None = None) -> Table:
    """Parse an uploaded file. ``encoding`` overrides detection for text files. Raises ValidationError with
    a message for people (never an exception's text or a path): the file is hostile input, so anything a
    parser trips over becomes "cannot be read" and is logged for us."""
    try:
        return _read(raw, filename, encoding)
    except ValidationError:
        raise
    except Exception:  # noqa: BLE001 - see the docstring; the details go to the log, not the page
        log.exception("import: unreadable file %r", filename[:100])
        raise ValidationError("This file cannot be read as CSV or Excel.", field="file",
                              key="import.err_unreadable") from None


def _read(raw: bytes, filename: str, encoding: str | None) -> Table:
    if len(raw) > MAX_BYTES:
        raise ValidationError("The file is larger than {mb} MB.", field="file", key="import.err_size", mb=MAX_MB)
    if not raw.strip():
        raise ValidationError("The file is empty.", field="file", key="import.err_empty")
    if raw[:4] == b"PK\x03\x04" or filename.lower().endswith((".xlsx", ".xlsm")):
        return _excel(raw)
    if raw[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise ValidationError("This is an old Excel (.xls) file: save it as .xlsx or CSV and upload that.",
                              field="file", key="import.err_xls")
    detected = detect(raw) if not encoding else _detect_quietly(raw, encoding)
    chosen = encoding or detected
    try:
        text = raw.decode(chosen)
    except UnicodeDecodeError as exc:
        line = raw[:exc.start].count(b"\n") + 1
        raise ValidationError("This file is not {encoding} (line {line}): choose another encoding.", field="file",
                              key="import.err_decode", encoding=label(chosen), line=line) from None
    except LookupError:
        raise ValidationError("Unknown encoding {encoding}.", field="file", key="import.err_encoding",
                              encoding=str(chosen)[:40]) from None
    if text.startswith("\ufeff"):
        text = text[1:]
    if "\x00" in text:
        raise ValidationError("This is not a CSV or Excel file.", field="file", key="import.err_binary")
    return _csv(text, _canonical(chosen), detected)


def detect(raw: bytes) -> str:
    """The file's encoding: a byte-order mark, else valid UTF-8, else charset-normalizer's most plausible
    candidate (a word of accented Latin letters only, such as 'Čâŕí', is how Cyrillic read as Latin looks)."""
    for bom, name in _BOMS:
        if raw.startswith(bom):
            return name
    try:
        raw.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    matches = list(from_bytes(raw[:200_000]))
    if not matches:
        raise ValidationError("This is not a CSV or Excel file.", field="file", key="import.err_binary")
    best = min(m.chaos for m in matches)
    scored = []
    for m in matches:
        if m.chaos > best + 0.1:
            continue
        for codec in dict.fromkeys([m.encoding, *m.could_be_from_charset]):  # same text, other names
            name = _canonical(codec)
            if name.startswith("utf-16") or name.startswith("utf-32"):
                if b"\x00" not in raw[:4096]:  # text in UTF-16 without a BOM has NUL bytes in every ASCII char
                    continue
            try:
                sample = raw[:200_000].decode(name, errors="ignore")
            except LookupError:
                continue
            preferred = name in _PREFERRED
            rank = _PREFERRED.index(name) if preferred else len(_PREFERRED)
            scored.append((-(_plausible(sample) + (0.5 if preferred else 0)), m.chaos > best, rank, name))
    if not scored:
        raise ValidationError("This is not a CSV or Excel file.", field="file", key="import.err_binary")
    # With only a word or two of non-ASCII text the detector may not even propose the Windows code pages our
    # users write in: judge those by the same plausibility, as second choices on equal footing.
    for name in ("cp1252", "cp1251"):
        if name not in {s[3] for s in scored}:
            try:
                sample = raw[:200_000].decode(name)
            except UnicodeDecodeError:
                continue
            scored.append((-(_plausible(sample) + 0.5), True, _PREFERRED.index(name), name))
    return min(scored)[3]


def _detect_quietly(raw: bytes, fallback: str) -> str:
    try:
        return detect(raw)
    except ValidationError:
        return fallback


def _plausible(text: str) -> float:
    """The share of words that look like a real language (-1..1): Latin words are mostly ASCII letters;
    other scripts are not mixed with Latin inside a word."""
    score, words = 0, 0
    for word in re.findall(r"[^\W\d_]+", text):
        wide = sum(ord(c) > 127 for c in word)
        if not wide:
            continue
        words += 1
        scripts = {unicodedata.name(c, "?").split(" ")[0] for c in word}
        if scripts == {"LATIN"}:
            score += 1 if wide * 2 <= len(word) else -1
        else:
            score += 1 if len(scripts) == 1 else -1
    return score / max(words, 1)


def _delimiter(text: str) -> str:
    """The delimiter most used in the header line (outside quotes)."""
    first = re.sub(r'"[^"]*"', "", text.split("\n", 1)[0])
    counts = {d: first.count(d) for d in _DELIMITERS}
    best = max(counts, key=counts.get)
    return best if counts[best] else ","


def _csv(text: str, encoding: str, detected: str) -> Table:
    delimiter = _delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=False)
    records, starts = [], []
    previous = 0
    try:
        for record in reader:
            starts.append(previous + 1)
            records.append(record)
            previous = reader.line_num
            if len(records) > MAX_ROWS + 1:
                raise ValidationError("At most {n} rows per import.", field="file", key="import.err_rows",
                                      n=MAX_ROWS)
    except csv.Error:
        raise ValidationError("Line {line} cannot be read as CSV.", field="file", key="import.err_csv",
                              line=previous + 1) from None
    table = _split(records, starts, encoding, detected)
    table.delimiter = delimiter
    table.rows = [[restore(c) for c in r] for r in table.rows]  # the export's formula guard, undone
    _flag_open_quotes(table, text)
    return table


def _flag_open_quotes(table: Table, text: str) -> None:
    """A cell holding line breaks and the delimiters of whole following rows is an unclosed quote that
    swallowed them: flag it at its line instead of importing those rows as one name."""
    needed = max(1, len(table.headers) - 1)
    odd_quotes = text.count('"') % 2 == 1
    for i, (cells, line) in enumerate(zip(table.rows, table.lines, strict=True)):
        for col, cell in enumerate(cells):
            if "\n" not in cell and "\r" not in cell:
                continue
            inner = [part for part in cell.splitlines()[1:] if part.strip()]
            last = i == len(table.rows) - 1
            if not inner:
                continue  # a line break inside a cell, nothing swallowed
            if any(part.count(table.delimiter) >= needed for part in inner) or (last and odd_quotes):
                column = table.headers[col] if col < len(table.headers) else f"#{col + 1}"
                table.problems.append(Problem(line, column, ValidationError(
                    "A quote opened in this cell is never closed, so lines {first}-{end} were read into it. "
                    "Close the quote in the file and upload it again.", field="file", key="import.err_quote",
                    first=line + 1, end=line + len(cell.splitlines()) - 1)))
                break


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S") if value.time() != time() else value.date().isoformat()
    if isinstance(value, (date, time)):
        return value.isoformat()
    return str(value)


def _excel(raw: bytes) -> Table:
    """The first sheet. A formula cell gives its calculated value; a formula never calculated (no cached
    value, as written by a program) gives its formula text rather than an empty cell."""
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(raw), read_only=True, data_only=False)
        sheet = book.worksheets[0]
        table, formulas = [], []
        for r, row in enumerate(sheet.iter_rows(max_row=MAX_ROWS + 1)):
            cells = []
            for c, cell in enumerate(row):
                value = getattr(cell, "value", None)
                if getattr(cell, "data_type", None) == "f":
                    formulas.append((r, c))
                cells.append(_cell(value))
            table.append(cells)
        book.close()
        if formulas:
            cached = load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
            values = [[getattr(cell, "value", None) for cell in row]
                      for row in cached.worksheets[0].iter_rows(max_row=MAX_ROWS + 1)]
            cached.close()
            for r, c in formulas:
                value = values[r][c] if r < len(values) and c < len(values[r]) else None
                if value is not None:
                    table[r][c] = _cell(value)
    except Exception:  # noqa: BLE001 - any unreadable workbook gets the same clear message, no internals
        raise ValidationError("This is not a readable Excel file.", field="file", key="import.err_excel") from None
    return _split(table, list(range(1, len(table) + 1)), EXCEL, EXCEL)


def _split(records: list[list[str]], starts: list[int], encoding: str, detected: str) -> Table:
    """Header and data rows; blank rows dropped; repeated or empty header names made unique."""
    while records and not any(c.strip() for c in records[0]):
        records, starts = records[1:], starts[1:]
    if not records:
        raise ValidationError("The file is empty.", field="file", key="import.err_empty")
    headers, seen = [], {}
    raw_headers = [c.strip() for c in records[0]]
    while raw_headers and not raw_headers[-1]:
        raw_headers.pop()
    for i, h in enumerate(raw_headers):
        name = h or f"#{i + 1}"
        seen[name.lower()] = seen.get(name.lower(), 0) + 1
        headers.append(name if seen[name.lower()] == 1 else f"{name} ({seen[name.lower()]})")
    body, lines = [], []
    for cells, line in zip(records[1:], starts[1:], strict=True):
        if any(c.strip() for c in cells):
            body.append(cells)
            lines.append(line)
    if len(body) > MAX_ROWS:
        raise ValidationError("At most {n} rows per import.", field="file", key="import.err_rows", n=MAX_ROWS)
    if not body:
        raise ValidationError("The file has a header row but no data rows: there is nothing to import.",
                              field="file", key="import.err_no_rows")
    return Table(headers, body, lines, encoding, detected)
