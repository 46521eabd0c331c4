"""Import contacts or companies from CSV or Excel: plan (validate every row, resolve companies, owners and
campaigns, map choice values, group repeats inside the file, find existing duplicates), then commit all
rows or none. Reading is in import_read, header and value names in import_map."""

from __future__ import annotations

import json
import re
import sqlite3
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from db.core import fields as custom
from db.core import records, settings
from db.core.connection import now, rows, write
from db.core.errors import DomainError, ValidationError
from db.core.permissions import Actor
from db.crm import companies, contacts
from db.io import bulk
from db.io.import_map import (
    CHOICES,
    CUSTOM,
    MULTI,
    NOTE,
    REQUIRED,
    TARGETS,
    country_code,
    day_text,
    guess_mapping,
    guess_type,
    key,
    suggest,
)
from db.io.import_read import EXCEL, MAX_BYTES, MAX_ROWS, Problem, Table, label, read

__all__ = ["EXCEL", "MAX_BYTES", "MAX_ROWS", "NOTE", "TARGETS", "POLICIES", "Plan", "Problem", "Row", "Table",
           "change_token", "choice_values", "commit", "field_from_column", "guess_field", "known_values", "guess_mapping",
           "label", "mappable_fields", "plan", "read"]

POLICIES = ("merge", "first", "all")  # rows that repeat an earlier row of the file: merge, keep the first, all
_CHUNK = 5000  # records per bulk statement (db/io/bulk.py)


@dataclass
class Row:
    line: int
    values: dict  # the record's cleaned fields (company_id None while its company is still to be created)
    company: str = ""  # the company name as the file has it (contacts)
    note: list[tuple[str, str]] = field(default_factory=list)  # (column, value) kept in the import note
    problems: list[Problem] = field(default_factory=list)
    duplicate_of: int | None = None  # an existing record it matches
    reason: str = ""  # what matched: email, phone, name
    same_as: int | None = None  # the earlier line of this file it repeats (not imported on its own)


@dataclass
class Plan:
    table: str
    rows: list[Row]
    policy: str
    new_companies: list[str] = field(default_factory=list)  # to be created (contacts import)
    kept: list[str] = field(default_factory=list)  # columns kept in the note
    skipped: list[str] = field(default_factory=list)  # columns the user chose to leave out
    unknown_owners: dict[str, int] = field(default_factory=dict)  # owner text matching no user: rows
    unknown_campaigns: dict[str, int] = field(default_factory=dict)
    custom: dict = field(default_factory=dict)  # "cf:<key>" -> the custom field a column goes to

    @property
    def bad(self) -> list[Row]:
        return [r for r in self.rows if r.problems]

    @property
    def repeats(self) -> list[Row]:
        return [r for r in self.rows if r.same_as is not None]

    @property
    def existing(self) -> list[Row]:
        return [r for r in self.rows if r.duplicate_of and not r.problems
                and (r.same_as is None or self.policy == "all")]

    def companies_to_create(self, choices: dict[int, str]) -> list[str]:
        """The new companies a commit with these duplicate choices creates (rows skipped create none)."""
        return list(dict.fromkeys(r.company for r in self.importable(skip_bad=True) if r.company in self.new_companies
                                  and (not r.duplicate_of or choices.get(r.line, "skip") != "skip")))

    def importable(self, skip_bad: bool = False) -> list[Row]:
        """The rows a commit writes (or offers to update); none when any row is bad, unless those are left out.
        A repeat of an earlier row is imported on its own only under the "all" policy."""
        if self.bad and not skip_bad:
            return []
        return [r for r in self.rows if not r.problems and (r.same_as is None or self.policy == "all")]


def _users(conn: sqlite3.Connection) -> dict[str, int]:
    out = {}
    for r in rows(conn, "SELECT id, name, email FROM users WHERE deleted_at IS NULL ORDER BY active DESC, id DESC"):
        out[key(r["name"])] = r["id"]
        out[r["email"].strip().lower()] = r["id"]
    return out


def _companies(conn: sqlite3.Connection) -> dict[str, dict]:
    """Existing companies by name, compared without case and extra spaces; the oldest wins a tie."""
    out: dict[str, dict] = {}
    for r in rows(conn, "SELECT id, name, country FROM companies WHERE deleted_at IS NULL ORDER BY id"):
        out.setdefault(key(r["name"]), r)
    return out


def _column_of(mapping: dict, target: str) -> str:
    names = (target, "full_name", "full_name_lf") if target == "first_name" else (target,)
    return next((h for t in names for h, f in mapping.items() if f == t), "")


def change_token(conn: sqlite3.Connection) -> int:
    """Moves on every audited write: a plan made before it may be stale (a preview re-checks then)."""
    return conn.execute("SELECT COALESCE(MAX(id), 0) FROM audit_log").fetchone()[0]


def choice_values(conn: sqlite3.Connection, table: Table, mapping: dict[str, str | None], target: str = "contacts"
                  ) -> dict[str, list[dict]]:
    """The distinct values of each mapped choice column with their row counts and our suggestion:
    {"lifecycle": [{"value": "opportunity", "rows": 12, "suggested": "prospect", "known": True}, ...]}."""
    out = {}
    for choice in sorted(CHOICES & set(mapping.values())):
        if target == "companies" and choice == "channel":
            continue
        known = known_values(conn, choice)
        counts: Counter = Counter()
        for h in [h for h, f in mapping.items() if f == choice]:
            i = table.headers.index(h)
            counts.update(c[i].strip() for c in table.rows if i < len(c) and c[i].strip())
        out[choice] = [{"value": v, "rows": n, "suggested": suggest(choice, v, known)[0],
                        "known": suggest(choice, v, known)[1]} for v, n in sorted(counts.items(), key=lambda x: -x[1])]
    return out


def known_values(conn: sqlite3.Connection, choice: str) -> list[str]:
    """The values a choice column allows: the lifecycles, or the admin's channel list."""
    return list(contacts.LIFECYCLES) if choice == "lifecycle" else list(settings.get(conn, "channels"))


def mappable_fields(conn: sqlite3.Connection, target: str, actor: Actor | None) -> list:
    """The custom fields a column may go to: active ones the person may edit."""
    return custom.active(conn, target) if actor is None else custom.editable(conn, target, actor)


def column_values(table: Table, header: str) -> list[str]:
    """The non-empty cells of one column of the file."""
    i = table.headers.index(header)
    return [c[i].strip() for c in table.rows if i < len(c) and c[i].strip()]


def guess_field(table: Table, header: str) -> tuple[str, list[str]]:
    """The type (and choices) a new field for column ``header`` would get, from its values."""
    return guess_type(column_values(table, header))


def field_from_column(conn: sqlite3.Connection, table: Table, header: str, target: str, kind: str,
                      actor: Actor) -> custom.Field:
    """One click in the preview: a new custom field of ``target`` named like the column, of type ``kind``
    (a choice gets the column's distinct values as its choices). Admins only (checked by fields.define)."""
    options = None
    if kind in ("choice", "multi_choice"):
        values = column_values(table, header)
        if kind == "multi_choice":
            values = [p.strip() for v in values for p in re.split(r"[;,|\n]", v) if p.strip()]
        options = list(dict.fromkeys(values))
    label = " ".join(header.split())[:80] or "Imported"
    return custom.define(conn, target, {"type": kind, "label": label, "options": options}, actor)


def _custom_targets(conn: sqlite3.Connection, target: str, mapping: dict, actor: Actor | None) -> dict:
    wanted = {f for f in mapping.values() if f and f.startswith(CUSTOM)}
    if not wanted:
        return {}
    found = {CUSTOM + f.key: f for f in mappable_fields(conn, target, actor)}
    for name in sorted(wanted - set(found)):
        raise ValidationError("A column goes to a field that is gone or that you may not change: '{value}'.",
                              field="mapping", key="import.err_custom_target", value=name[len(CUSTOM):][:40])
    return {name: found[name] for name in wanted}


def plan(conn: sqlite3.Connection, table: Table, mapping: dict[str, str | None], *, target: str = "contacts",
         values: dict[str, dict[str, str | None]] | None = None, policy: str = "merge",
         actor: Actor | None = None, lang: str = "en") -> Plan:
    """Validate every row and say what a commit would do. ``values`` maps a choice column's file values to
    ours (the preview's value step; missing ones get ``suggest``); ``policy`` handles rows repeating an
    earlier row of the file. Raises ValidationError only for a mapping that cannot work."""
    if target not in TARGETS:
        raise ValueError(target)
    if policy not in POLICIES:
        raise ValueError(policy)
    if not set(REQUIRED[target]) & set(mapping.values()):
        raise ValidationError("Map a column to First name.", field="mapping", key="import.err_first_name") \
            if target == "contacts" else ValidationError("Map a column to the company name.", field="mapping",
                                                          key="import.err_company_name")
    values = values or {}
    result = Plan(target, [], policy, custom=_custom_targets(conn, target, mapping, actor))
    result.kept = [h for h, f in mapping.items() if f == NOTE]
    result.skipped = [h for h, f in mapping.items() if f is None]
    ctx = {"users": _users(conn), "companies": _companies(conn) if target == "contacts" else {},
           "campaigns": {key(r["name"]): r["id"] for r in rows(conn, "SELECT id, name FROM campaigns "
                                                                      "WHERE deleted_at IS NULL ORDER BY id DESC")},
           "known": {c: known_values(conn, c) for c in CHOICES}, "new": {}, "suggested": {}, "conn": conn,
           "custom": result.custom, "lang": lang,
           "required": [f for f in custom.active(conn, target) if f.required and f.default is None],
           "firms": _companies(conn) if any(f.type == "company" for f in result.custom.values()) else {}}
    index = {h: table.headers.index(h) for h in mapping}
    by_line = {p.line: p for p in table.problems}
    for cells, line in zip(table.rows, table.lines, strict=True):
        row = _row(ctx, result, target, line, cells, mapping, index, values, actor)
        if line in by_line:
            row.problems.insert(0, by_line[line])
        if len(cells) > len(table.headers) and any(c.strip() for c in cells[len(table.headers):]):
            row.problems.append(Problem(line, "", ValidationError(
                "This line has {n} cells but the header has {columns}.", field="file", key="import.err_cells",
                n=len(cells), columns=len(table.headers))))
        result.rows.append(row)
    _repeats(result, mapping)
    result.new_companies = list(dict.fromkeys(r.company for r in result.importable(skip_bad=True)
                                              if r.company and key(r.company) in ctx["new"]))
    if target == "contacts":
        _existing_contacts(conn, result)
    else:
        _existing_companies(conn, result)
    return result


def _row(ctx: dict, result: Plan, target: str, line: int, cells: list[str], mapping: dict, index: dict,
         values: dict, actor: Actor | None) -> Row:
    row = Row(line, {})
    raw: dict[str, str] = {}
    columns: dict[str, str] = {}
    for h, f in mapping.items():
        cell = cells[index[h]].strip() if index[h] < len(cells) else ""
        if not cell or f is None:
            continue
        if f == NOTE:
            row.note.append((h, cell))
        elif f in raw:
            if f in MULTI and key(cell) != key(raw[f]):
                row.note.append((h, cell))  # a second email or phone: kept, not lost
            elif f not in MULTI:
                row.note.append((h, cell))
        else:
            raw[f], columns[f] = cell, h
    for choice in CHOICES & set(raw):
        chosen = values.get(choice, {})
        if raw[choice] in chosen:
            mapped = chosen[raw[choice]]
        else:
            mapped = ctx["suggested"].get((choice, raw[choice]))
            if mapped is None:
                mapped = suggest(choice, raw[choice], ctx["known"][choice])[0]
                ctx["suggested"][(choice, raw[choice])] = mapped
        if mapped != raw[choice] and key(mapped or "") != key(raw[choice]):
            row.note.append((columns[choice], raw[choice]))
        if mapped:
            raw[choice] = mapped
        else:
            raw.pop(choice)
    fields: dict = {}
    region = None
    mine = {f: raw.pop(f) for f in [f for f in raw if f.startswith(CUSTOM)]}
    if "country" in raw:
        region = country_code(raw["country"])
        if target == "companies" and region:
            fields["country"] = region
        if target == "contacts" or not region:
            row.note.append((columns["country"], raw["country"]))
    if "owner" in raw:
        owner = ctx["users"].get(raw["owner"].lower()) or ctx["users"].get(key(raw["owner"]))
        if owner is None or (actor and actor.role == "rep" and owner != actor.id):
            row.note.append((columns["owner"], raw["owner"]))
            result.unknown_owners[raw["owner"]] = result.unknown_owners.get(raw["owner"], 0) + 1
        else:
            fields["owner_id"] = owner
    if "tags" in raw:
        fields["tags"] = raw["tags"].replace(";", ",").replace("|", ",")
    for f in ("lifecycle", "phone", "title", "email", "first_name", "last_name", "channel", "name", "industry",
              "website", "city"):
        if f in raw and f in (contacts.EDITABLE if target == "contacts" else companies.EDITABLE):
            fields[f] = raw[f]
    _custom_values(ctx, row, mine, columns, region)
    if target == "contacts":
        _contact_fields(ctx, result, row, raw, columns, fields)
        if row.values.get("_region"):
            region = region or row.values.pop("_region")
        row.values.pop("_region", None)
        try:
            row.values.update(contacts.clean(fields, row=line, region=region))
        except ValidationError as err:
            row.problems.append(Problem(line, columns.get(err.field) or _column_of(mapping, err.field), err))
    else:
        try:
            row.values.update(companies.clean(fields, row=line))
        except ValidationError as err:
            row.problems.append(Problem(line, columns.get(err.field) or _column_of(mapping, err.field), err))
    return row


def _custom_values(ctx: dict, row: Row, given: dict, columns: dict, region: str | None) -> None:
    """Custom field cells converted by the field's rules (a person by name or email, a company by name, a
    date as 31.12.2026 too); a bad value is a problem at its line and column. A required field left empty is
    one too."""
    for name, cell in given.items():
        f = ctx["custom"][name]
        value = cell
        if f.type == "date":
            value = day_text(cell) or cell
        elif f.type == "user":
            value = ctx["users"].get(cell.lower()) or ctx["users"].get(key(cell)) or cell
        elif f.type == "company":
            value = (ctx["firms"].get(key(cell)) or {}).get("id", cell)
        elif f.type == "phone" and region and not cell.startswith("+"):
            try:
                value = custom.normalise_phone(cell, region)
            except ValidationError:
                value = cell
        try:
            row.values[f.column] = custom.clean_value(ctx["conn"], f, value, row=row.line, name=columns[name])
        except ValidationError as err:
            row.problems.append(Problem(row.line, columns[name], err))
    for f in ctx["required"]:
        if CUSTOM + f.key not in given:
            row.problems.append(Problem(row.line, columns.get(CUSTOM + f.key, ""), ValidationError(
                "{field} is required.", field=f.label(ctx["lang"]), row=row.line, key="errors.integrity_required")))


def _contact_fields(ctx: dict, result: Plan, row: Row, raw: dict, columns: dict, fields: dict) -> None:
    """Names from a whole-name column, the company (matched or to create), the campaign."""
    if not fields.get("first_name"):
        whole = raw.get("full_name") or raw.get("full_name_lf") or ""
        parts = whole.split()
        if parts and "full_name_lf" in raw and "full_name" not in raw:  # ФИО: last name first
            fields["last_name"] = fields.get("last_name") or parts[0]
            fields["first_name"] = " ".join(parts[1:]) or parts[0]
        elif parts:
            fields["first_name"] = parts[0]
            fields["last_name"] = fields.get("last_name") or " ".join(parts[1:])
        else:
            fields["first_name"] = ""
    if "company" in raw:
        name = " ".join(raw["company"].split())
        found = ctx["companies"].get(key(name))
        if found:
            row.company = found["name"]  # the name it links to, as spelled here
            fields["company_id"] = found["id"]
            if found["country"] and len(found["country"]) == 2:
                row.values["_region"] = found["country"]
        else:
            row.company = ctx["new"].setdefault(key(name), name)  # the file's first spelling
    if "campaign" in raw:
        campaign = ctx["campaigns"].get(key(raw["campaign"]))
        if campaign is None:
            row.note.append((columns["campaign"], raw["campaign"]))
            result.unknown_campaigns[raw["campaign"]] = result.unknown_campaigns.get(raw["campaign"], 0) + 1
        else:
            fields["campaign_id"] = campaign


def _identity(table: str, row: Row) -> list[str]:
    """What makes two rows of one file the same record, strongest first."""
    v = row.values
    if table == "companies":
        return [f"name:{key(v.get('name') or '')}"]
    out = []
    if v.get("email"):
        out.append(f"email:{v['email']}")
    if v.get("phone"):
        out.append(f"phone:{v['phone']}")
    name = f"{key(v.get('first_name') or '')}|{key(v.get('last_name') or '')}"
    if row.company:
        out.append(f"name:{name}|{key(row.company)}")
    if not out:
        out.append(f"row:{name}|{json.dumps(sorted(row.note))}")
    return out


def _repeats(result: Plan, mapping: dict) -> None:
    """Mark rows that repeat an earlier row of the file; under "merge" fill the first one from them."""
    seen: dict[str, Row] = {}
    for row in result.rows:
        if row.problems:
            continue
        ids = _identity(result.table, row)
        first = next((seen[i] for i in ids if i in seen), None)
        if first is None:
            for i in ids:
                seen[i] = row
            continue
        row.same_as = first.line
        if result.policy == "merge":
            _merge(first, row, mapping)
        for i in ids:
            seen.setdefault(i, first)


def _merge(into: Row, other: Row, mapping: dict) -> None:
    """Fill the first row's empty fields from a repeat; different values and notes are kept in the note."""
    column = {f: h for h, f in mapping.items() if f}
    for f, value in other.values.items():
        if value in (None, ""):
            continue
        if into.values.get(f) in (None, ""):
            into.values[f] = value
        elif f == "tags":
            into.values["tags"] = ",".join(dict.fromkeys(into.values["tags"].split(",") + value.split(",")))
        elif value != into.values[f] and f not in ("company_id", "owner_id", "campaign_id"):
            into.note.append((f"{column.get(f, f)} ({other.line})", str(value)))
    if not into.company and other.company:
        into.company = other.company
    into.note.extend(n for n in other.note if n not in into.note)


def _existing_contacts(conn: sqlite3.Connection, result: Plan) -> None:
    candidates = [r for r in result.rows if not r.problems and (r.same_as is None or result.policy == "all")]
    emails = [r.values["email"] for r in candidates if r.values.get("email")]
    phones = [r.values["phone"] for r in candidates if r.values.get("phone")]
    by_email = {r["email"].lower(): r["id"] for r in rows(
        conn, "SELECT id, email FROM contacts WHERE deleted_at IS NULL AND email IN (SELECT value FROM json_each(?))",
        (json.dumps(emails),))}
    by_phone = {r["phone"]: r["id"] for r in rows(
        conn, "SELECT id, phone FROM contacts WHERE deleted_at IS NULL AND phone IN (SELECT value FROM json_each(?))",
        (json.dumps(phones),))}
    firsts = sorted({(r.values.get("first_name") or "").lower() for r in candidates if r.values.get("company_id")})
    by_name = {}
    for r in rows(conn, "SELECT id, lower(first_name) AS f, lower(last_name) AS l, company_id FROM contacts "
                        "WHERE deleted_at IS NULL AND company_id IS NOT NULL AND lower(first_name) IN "
                        "(SELECT value FROM json_each(?))", (json.dumps(firsts),)):
        by_name.setdefault((r["f"], r["l"], r["company_id"]), r["id"])
    for r in candidates:
        v = r.values
        name = ((v.get("first_name") or "").lower(), (v.get("last_name") or "").lower(), v.get("company_id"))
        if v.get("email") and v["email"] in by_email:
            r.duplicate_of, r.reason = by_email[v["email"]], "email"
        elif v.get("phone") in by_phone:
            r.duplicate_of, r.reason = by_phone[v["phone"]], "phone"
        elif v.get("company_id") and name in by_name:
            r.duplicate_of, r.reason = by_name[name], "name"


def _existing_companies(conn: sqlite3.Connection, result: Plan) -> None:
    existing = _companies(conn)
    for r in result.rows:
        found = existing.get(key(r.values.get("name") or ""))
        if found and not r.problems and (r.same_as is None or result.policy == "all"):
            r.duplicate_of, r.reason = found["id"], "name"


def commit(conn: sqlite3.Connection, planned: Plan, choices: dict[int, str], actor: Actor, *,
           skip_bad: bool = False, note_subject: str = "Imported fields",
           progress: Callable[[float], None] | None = None) -> dict:
    """Write the plan in ONE transaction (any error: nothing written). ``choices`` says per line what to do
    with a row matching an existing record: "skip" (default), "update" or "create". Missing companies are
    created and linked; the columns kept in the note become one note activity per record."""
    if planned.bad and not skip_bad:
        raise ValidationError("{n} rows have problems; fix the file and try again.", field="file",
                              key="import.err_rows_bad", n=len(planned.bad))
    todo = planned.importable(skip_bad=True)
    done = {"created": 0, "updated": 0, "skipped": 0, "merged": 0, "companies": 0, "notes": 0,
            "left_out": len(planned.bad)}
    if planned.policy != "all":
        done["merged" if planned.policy == "merge" else "skipped"] += len(planned.repeats)
    table = planned.table
    stamp = now()
    creates, updates, notes = [], [], []
    for r in todo:
        choice = choices.get(r.line, "skip") if r.duplicate_of else "create"
        if choice == "skip":
            done["skipped"] += 1
        elif choice == "update":
            updates.append(r)
        else:
            creates.append(r)
    with write(conn):
        if table == "contacts":
            done["companies"] = _link_companies(conn, creates + updates, actor)
        base = {"lifecycle": "lead"}
        for start in range(0, len(creates), _CHUNK):
            chunk = creates[start:start + _CHUNK]
            ids = _guarded(lambda chunk=chunk: bulk.create_many(conn, table, [{**base, **r.values} for r in chunk],
                                                                actor), [r.line for r in chunk])
            notes += [(new_id, r) for new_id, r in zip(ids, chunk, strict=True) if r.note]
            done["created"] += len(ids)
            if progress:
                progress(0.9 * (start + len(chunk)) / max(len(todo), 1))
        for r in updates:
            current = records.get(conn, table, r.duplicate_of)
            changes = {k: v for k, v in r.values.items() if v not in (None, "")}
            _guarded(lambda r=r, current=current, changes=changes: records.update(
                conn, table, r.duplicate_of, current["version"], changes, actor), [r.line])
            done["updated"] += 1
            if r.note:
                notes.append((r.duplicate_of, r))
        link = "contact_id" if table == "contacts" else "company_id"
        activities = [{"kind": "note", "subject": note_subject[:200], link: record_id, "owner_id": actor.id,
                       "notes": "\n".join(f"{h}: {v}" for h, v in r.note)[:5000], "starts_at": stamp,
                       "ends_at": stamp, "done": 1, "done_at": stamp, "duration_min": 0} for record_id, r in notes]
        for start in range(0, len(activities), _CHUNK):
            done["notes"] += len(_guarded(lambda start=start: bulk.create_many(
                conn, "activities", activities[start:start + _CHUNK], actor),
                [r.line for _, r in notes[start:start + _CHUNK]]))
    if progress:
        progress(1.0)
    return done


def _guarded(action: Callable, lines: list[int]):
    """Run one write of the records from ``lines`` of the file; a domain error becomes a message at the line
    it concerns (a bulk write names the failing record by its position in the batch). Nothing is written."""
    try:
        return action()
    except DomainError as err:
        row = getattr(err, "row", None)
        line = lines[row - 1] if isinstance(err, ValidationError) and row and row <= len(lines) else lines[0]
        raise ValidationError("Line {line}: {detail}", field="file", key="import.err_line", line=line,
                              detail=err.message) from None


def _link_companies(conn: sqlite3.Connection, todo: list[Row], actor: Actor) -> int:
    """Match each row's company by name (case and spaces ignored) as it is now, inside the transaction;
    create the missing ones (the file's first spelling) and link them. Returns how many were created."""
    existing = {k: r["id"] for k, r in _companies(conn).items()}
    missing: dict[str, str] = {}
    for r in todo:
        if r.company and key(r.company) not in existing:
            missing.setdefault(key(r.company), r.company)
    if missing:
        made = bulk.create_many(conn, "companies", [companies.clean({"name": n, "lifecycle": "lead"})
                                                    for n in missing.values()], actor)
        existing.update(zip(missing, made, strict=True))
    for r in todo:
        if r.company:
            r.values["company_id"] = existing[key(r.company)]
    return len(missing)
