"""Deals on a pipeline board: columns with counts and sums, bounded cards, moves with history, edits."""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass, replace
from datetime import date

from db.core import records
from db.core.connection import now, one, rows, write
from db.core.errors import ValidationError
from db.core.permissions import Actor
from db.core.text import clean_day, clean_moment, clean_number, clean_text, like
from db.crm import custom
from db.crm.contacts import fts_query
from db.io.export import EXPORT_CAP

PER_COLUMN = 30
CLOSED_DAYS = 30


@dataclass(frozen=True)
class BoardQuery:
    pipeline_id: int
    owner_id: int | None = None
    min_amount: float | None = None
    max_amount: float | None = None
    close_from: str | None = None
    close_to: str | None = None
    search: str = ""
    closed_days: int | None = CLOSED_DAYS  # won/lost columns show recent closes only; None: all
    custom: tuple[custom.Condition, ...] = ()  # conditions on custom fields (db/crm/custom.py)
    sort: str = "amount"  # the list's order: a key of SORTS or "cf:<key>[:desc]"


SORTS = {"amount": "d.amount DESC", "title": "d.title COLLATE NOCASE", "close": "d.expected_close",
         "created": "d.created_at DESC", "stage": "s.position"}
EDITABLE = ("title", "amount", "cost", "expected_close")  # the list's inline edits; stage moves go through move()


def pipelines(conn: sqlite3.Connection) -> list[dict]:
    return rows(conn, "SELECT id, name, kind FROM pipelines WHERE deleted_at IS NULL ORDER BY position, id")


def stages(conn: sqlite3.Connection, pipeline_id: int) -> list[dict]:
    return rows(conn, "SELECT id, name, position, probability, kind, version FROM stages WHERE pipeline_id = ? "
                      "AND deleted_at IS NULL ORDER BY position, id", (pipeline_id,))


def stage(conn: sqlite3.Connection, stage_id: int) -> dict | None:
    """One live stage (id, name, kind, pipeline), or None."""
    return one(conn, "SELECT id, name, kind, pipeline_id FROM stages WHERE id = ? AND deleted_at IS NULL", (stage_id,))


def _filters(q: BoardQuery, conn: sqlite3.Connection | None = None, found: list | None = None
             ) -> tuple[list[str], list]:
    """The person's filters (owner, amount, expected close, search), as clauses over ``d`` (and ``c``/``co``
    when searching); with ``conn``, the search also looks in custom text and the custom conditions apply, on
    the fields ``found`` (those the person may see)."""
    where, params = [], []
    for clause, value in (("d.owner_id = ?", q.owner_id), ("d.amount >= ?", q.min_amount),
                          ("d.amount <= ?", q.max_amount), ("d.expected_close >= ?", q.close_from),
                          ("d.expected_close <= ?", q.close_to)):
        if value not in (None, ""):
            where.append(clause)
            params.append(value)
    if q.search.strip():
        pattern = like(q.search)
        text = ("d.title LIKE ? ESCAPE '\\' OR c.first_name || ' ' || c.last_name LIKE ? ESCAPE '\\' "
                "OR co.name LIKE ? ESCAPE '\\'")
        params += [pattern, pattern, pattern]
        if conn is not None:
            from db.crm.contacts import _words

            extra, more = custom.search(conn, "deals", "d", fts_query(q.search), _words(q.search), found or [])
            if extra:
                text += f" OR {extra}"
                params += more
        where.append(f"({text})")
    if conn is not None and q.custom:
        sql, values = custom.where(found or [], "d", q.custom)
        where += sql
        params += values
    return where, params


def _where(q: BoardQuery, conn: sqlite3.Connection | None = None, found: list | None = None) -> tuple[str, list]:
    where, params = _filters(q, conn, found)
    where, params = ["d.pipeline_id = ?", "d.deleted_at IS NULL", *where], [q.pipeline_id, *params]
    if q.closed_days is not None:
        where.append("(s.kind = 'open' OR d.closed_at >= date('now', ?))")
        params.append(f"-{int(q.closed_days)} days")
    return " AND ".join(where), params


_JOINS = ("FROM deals d JOIN stages s ON s.id = d.stage_id LEFT JOIN contacts c ON c.id = d.contact_id "
          "LEFT JOIN companies co ON co.id = d.company_id ")


def _order(q: BoardQuery, found: list) -> str:
    return custom.order(found, "d", q.sort) or SORTS.get(q.sort, SORTS["amount"]) + ", d.id"


def list_page(conn: sqlite3.Connection, q: BoardQuery, limit: int = 25, offset: int = 0, *,
              actor: Actor | None = None, total: int | None = None) -> tuple[list[dict], int]:
    """One page of the pipeline's deals as a list (the board's filters, plus sort), and the total; the custom
    fields ``actor`` may see come as ``cf_<id>`` columns (only those). ``total`` already counted (the pager
    needed it first) is not counted again."""
    found = custom.shown(conn, "deals", actor)
    where, params = _where(q, conn, found)
    if total is None:
        total = conn.execute(f"SELECT COUNT(*) {_JOINS}WHERE {where}", params).fetchone()[0]
    if limit <= 0:
        return [], total
    items = rows(conn, f"SELECT d.id, d.version, d.title, s.name AS stage, d.amount, d.cost, d.expected_close, "
                       f"d.owner_id, COALESCE(co.name, trim(c.first_name || ' ' || c.last_name)) AS customer"
                       f"{custom.select(found if actor is not None else [], 'd')} {_JOINS}WHERE {where} "
                       f"ORDER BY {_order(q, found)} LIMIT ? OFFSET ?", [*params, min(limit, 500), max(offset, 0)])
    return items, total


def save_grid(conn: sqlite3.Connection, edits: list[tuple[dict, dict]], deleted: list[dict], actor: Actor) -> dict:
    """The list's edits and deletions in one transaction (a row's number goes with its error)."""
    with write(conn):
        for i, (original, diff) in enumerate(edits):
            changes = {k: v for k, v in diff.items() if k in EDITABLE or k.startswith("cf_")}
            try:
                records.update(conn, "deals", original["id"], original["version"], _row_clean(changes, i + 1),
                               actor)
            except ValidationError as err:
                err.row = err.row or i + 1
                raise
        for original in deleted:
            records.soft_delete(conn, "deals", original["id"], actor, version=original["version"])
    return {"updated": len(edits), "created": [], "deleted": [d["id"] for d in deleted]}


def _row_clean(changes: dict, row: int) -> dict:
    try:
        return clean(changes)
    except ValidationError as err:
        err.row = row
        raise


def export_rows(conn: sqlite3.Connection, q: BoardQuery, cap: int = EXPORT_CAP, *, actor: Actor | None = None,
                lang: str = "en") -> list[dict]:
    """The board's deals (same filters) for export, names instead of ids, in stage order, capped; the custom
    fields ``actor`` may see follow under their labels."""
    found = custom.shown(conn, "deals", actor)
    where, params = _where(q, conn, found)
    extra, _ = custom.export_columns(found, "d")
    return custom.relabel(rows(conn, f"SELECT d.id, p.name AS pipeline, s.name AS stage, d.title, "
                      f"c.first_name || ' ' || c.last_name AS contact, co.name AS company, u.name AS owner, "
                      f"d.amount, d.cost, d.expected_close, d.closed_at, d.lost_reason, d.created_at{extra} "
                      f"FROM deals d JOIN stages s ON s.id = d.stage_id JOIN pipelines p ON p.id = d.pipeline_id "
                      f"LEFT JOIN contacts c ON c.id = d.contact_id LEFT JOIN companies co ON co.id = d.company_id "
                      f"LEFT JOIN users u ON u.id = d.owner_id WHERE {where} ORDER BY s.position, d.amount DESC, d.id "
                      f"LIMIT ?", [*params, cap]), found, lang)


def board(conn: sqlite3.Connection, q: BoardQuery, per_column: int = PER_COLUMN, extra: dict | None = None, *,
          actor: Actor | None = None) -> list[dict]:
    """Stages in order, each with count, sum, weighted sum (over all matching deals) and its first cards.

    ``extra`` maps stage id -> how many more cards "show more" asked for. One stage at a time: its count and
    sum, then its top cards by amount, each read from ``ix_deals_board`` alone (stage, amount, and the
    filtered columns), so a board of a 50,000-deal pipeline reads a few thousand index entries, not the table;
    names are joined for the shown cards only.
    """
    extra = extra or {}
    out, picked = [], []
    columns = stages(conn, q.pipeline_id)
    shown = custom.shown(conn, "deals", actor)
    found = _searched(conn, q, per_column, extra, shown) if q.search.strip() else None
    for stage in columns:
        if found is not None:
            n, total, ids = found.get(stage["id"], (0, 0.0, []))
        else:
            limit = _card_limit(per_column, extra, stage["id"])
            where, params = _stage_where(q, stage, conn, shown)
            n, total = conn.execute(f"SELECT COUNT(*), SUM(d.amount) FROM deals d WHERE {where}", params).fetchone()
            ids = [r[0] for r in conn.execute(
                f"SELECT d.id FROM deals d WHERE {where} ORDER BY d.amount DESC, d.id LIMIT ?", [*params, limit])] if n else []
        picked += ids
        out.append({**stage, "count": n, "sum": total or 0.0, "weighted": (total or 0.0) * stage["probability"],
                    "ids": ids})
    cards = {c["id"]: c for c in rows(
        conn, "SELECT d.id, d.version, d.title, d.amount, d.stage_id, d.stage_entered_at, d.expected_close, "
              "d.owner_id, COALESCE(co.name, c.first_name || ' ' || c.last_name) AS who, u.name AS owner "
              "FROM deals d LEFT JOIN contacts c ON c.id = d.contact_id LEFT JOIN companies co "
              "ON co.id = d.company_id LEFT JOIN users u ON u.id = d.owner_id "
              "WHERE d.id IN (SELECT value FROM json_each(?))", (_json_list(picked),))} if picked else {}
    upcoming = _next_activities(conn, picked)
    for column in out:
        column["cards"] = [dict(cards[i], rn=rank, next=upcoming.get(i))
                           for rank, i in enumerate(column.pop("ids"), start=1) if i in cards]
    return out


def _searched(conn: sqlite3.Connection, q: BoardQuery, per_column: int,
              extra: dict, shown: list | None = None) -> dict[int, tuple[int, float, list[int]]]:
    """With a search: each stage's count, sum and top card ids in one pass over the deals whose title, contact
    or company has a word starting with each searched word (the full-text index, as the global search)."""
    match = fts_query(q.search)
    if not match:
        return {}
    where, params = _where(replace(q, search=""), conn, shown)
    extra_sql, extra_params = custom.search(conn, "deals", "d", match, re.findall(r"\w+", q.search)[:8], shown or [])
    text = "d.id IN (SELECT rowid FROM deals_fts WHERE deals_fts MATCH ?)"  # and the deal's custom text
    found: dict[int, list[tuple[float, int]]] = {}
    for deal_id, stage_id, amount in conn.execute(
            f"SELECT d.id, d.stage_id, d.amount FROM deals d JOIN stages s ON s.id = d.stage_id WHERE {where} "
            f"AND ({text}{' OR ' + extra_sql if extra_sql else ''})", [*params, match, *extra_params]):
        found.setdefault(stage_id, []).append((amount or 0.0, deal_id))
    out = {}
    for stage_id, deals_ in found.items():
        limit = _card_limit(per_column, extra, stage_id)
        ranked = sorted(deals_, key=lambda d: (-d[0], d[1]))
        out[stage_id] = (len(deals_), sum(a for a, _ in deals_), [i for _, i in ranked[:limit]])
    return out


def _card_limit(per_column: int, extra: dict, stage_id: int) -> int:
    """How many cards a column shows: the default plus what "show more" asked for (keys may be ids or text)."""
    return per_column + max(int(extra.get(stage_id, extra.get(str(stage_id), 0)) or 0), 0)


def _stage_where(q: BoardQuery, stage: dict, conn: sqlite3.Connection | None = None,
                 found: list | None = None) -> tuple[str, list]:
    """``_where`` for one stage: the stage pins the pipeline, and its kind decides the closed-deals window."""
    where, params = _filters(q, conn, found)
    where, params = ["d.stage_id = ?", "d.deleted_at IS NULL", *where], [stage["id"], *params]
    if q.closed_days is not None and stage["kind"] != "open":
        where.append("d.closed_at >= date('now', ?)")
        params.append(f"-{int(q.closed_days)} days")
    return " AND ".join(where), params


def _json(value) -> str:
    import json

    return json.dumps({str(k): v for k, v in value.items()})


def _next_activities(conn: sqlite3.Connection, deal_ids: list[int]) -> dict[int, dict]:
    """Each deal's earliest planned (not done) call, meeting or task."""
    if not deal_ids:
        return {}
    found = rows(conn, "SELECT deal_id, kind, subject, MIN(COALESCE(starts_at, due_at)) AS at FROM activities "
                       "WHERE deal_id IN (SELECT value FROM json_each(?)) AND done = 0 AND deleted_at IS NULL "
                       "GROUP BY deal_id", (_json_list(deal_ids),))
    return {r["deal_id"]: r for r in found}


def _json_list(values: list) -> str:
    import json

    return json.dumps(values)


def move(conn: sqlite3.Connection, deal_id: int, to_stage_id: int, version: int, actor: Actor, *,
         amount: float | None = None, closed_at: str | None = None, lost_reason: str | None = None) -> dict:
    """Move a deal to another stage of its pipeline: version-checked update, history row, audit, one transaction.

    A won stage sets the close date (and may confirm the amount); a lost stage needs a reason; moving
    back to an open stage clears both.
    """
    if closed_at:
        moment = clean_moment(closed_at, "closed_at")
        if not 2000 <= moment.year <= date.today().year + 20:
            raise ValidationError("Choose a realistic date.", field="closed_at", key="deals.err_date")
        closed_at = moment.strftime("%Y-%m-%d %H:%M:%S")
    with write(conn):
        deal = records.get(conn, "deals", deal_id)
        target = one(conn, "SELECT * FROM stages WHERE id = ? AND deleted_at IS NULL", (to_stage_id,))
        if target is None or target["pipeline_id"] != deal["pipeline_id"]:
            raise ValidationError("That stage is not in this deal's pipeline.", field="stage_id",
                                  key="deals.err_stage")
        stamp = now()
        changes: dict = {"stage_id": to_stage_id, "stage_entered_at": stamp}
        if target["kind"] == "won":
            changes["closed_at"] = closed_at or stamp
            changes["lost_reason"] = None
            if amount is not None:
                changes["amount"] = _money(amount, "amount")
        elif target["kind"] == "lost":
            reason = clean_text(lost_reason, "lost_reason", 200)
            if not reason:
                raise ValidationError("Say why the deal was lost.", field="lost_reason", key="deals.err_reason")
            changes.update(closed_at=closed_at or stamp, lost_reason=reason)
        else:
            changes.update(closed_at=None, lost_reason=None)
        saved = records.update(conn, "deals", deal_id, version, changes, actor)
        audit_id = one(conn, "SELECT MAX(id) AS id FROM audit_log WHERE entity = 'deals' AND entity_id = ? "
                             "AND action = 'update'", (deal_id,))["id"]
        conn.execute("INSERT INTO deal_stage_history (deal_id, from_stage_id, to_stage_id, moved_at, moved_by) "
                     "VALUES (?, ?, ?, ?, ?)", (deal_id, deal["stage_id"], to_stage_id, stamp, actor.id))
        if deal["contact_id"] is not None and (target["kind"] == "won" or deal["closed_at"]):
            _sync_first_win(conn, deal, actor)
        return {**saved, "audit_id": audit_id}


def undo_move(conn: sqlite3.Connection, audit_id: int, actor: Actor) -> dict:
    """Put a moved deal back where it was (stage, close date, reason, amount) through the audit log's
    revert, which refuses when someone changed the deal since; the stage history records the way back."""
    from db.core import audit

    with write(conn):
        entry = one(conn, "SELECT entity, entity_id, before, after FROM audit_log WHERE id = ?", (audit_id,))
        if entry is None or entry["entity"] != "deals" or "stage_id" not in (entry["after"] or ""):
            raise ValidationError("Only a stage move can be undone here.", field="audit_id", key="deals.err_undo")
        before = records.get(conn, "deals", entry["entity_id"])
        saved = audit.revert(conn, audit_id, actor)
        conn.execute("INSERT INTO deal_stage_history (deal_id, from_stage_id, to_stage_id, moved_at, moved_by) "
                     "VALUES (?, ?, ?, ?, ?)", (saved["id"], before["stage_id"], saved["stage_id"], now(), actor.id))
        return saved


def lookalikes(conn: sqlite3.Connection, title: str, contact_id: int | None, company_id: int | None,
               limit: int = 5) -> list[dict]:
    """Open deals with the same title (any case, outer spaces ignored; compared in Python because SQLite's
    lower() knows only ASCII) for the same contact or company: the likely duplicates of a new deal."""
    wanted = " ".join((title or "").split()).casefold()
    if not wanted or (contact_id is None and company_id is None):
        return []
    found = rows(conn, "SELECT d.id, d.title, s.name AS stage, p.name AS pipeline FROM deals d "
                       "JOIN stages s ON s.id = d.stage_id JOIN pipelines p ON p.id = d.pipeline_id "
                       "WHERE d.deleted_at IS NULL AND s.kind = 'open' AND (d.contact_id = ? OR d.company_id = ?) "
                       "ORDER BY d.id DESC LIMIT 1000", (contact_id, company_id))
    return [d for d in found if " ".join(d["title"].split()).casefold() == wanted][:limit]


WIN_FIELDS = ("stage_id", "closed_at", "contact_id", "pipeline_id")  # a deal's part in its customer's first win


def resync_first_win(conn: sqlite3.Connection, before: dict, after: dict, actor: Actor) -> None:
    """After a deal changed other than by ``move`` (an audit revert): if its stage, close date, pipeline or
    customer moved, re-derive the first win of the customer it had and of the one it has."""
    if all(before[k] == after[k] for k in WIN_FIELDS):
        return
    for deal in (before, after):
        if deal["contact_id"] is not None:
            _sync_first_win(conn, deal, actor)


def _sync_first_win(conn: sqlite3.Connection, deal: dict, actor: Actor) -> None:
    """A customer is a contact with a won sales deal; its first win (``acquired_at``) drives new-customer
    counts, CAC and cost to serve. Winning sets it (and makes a lead or prospect a customer); moving the
    deal that set it out of won falls back to the next-earliest win, or to a prospect with none."""
    if one(conn, "SELECT kind FROM pipelines WHERE id = ?", (deal["pipeline_id"],))["kind"] != "sales":
        return
    contact = one(conn, "SELECT * FROM contacts WHERE id = ? AND deleted_at IS NULL", (deal["contact_id"],))
    if contact is None:
        return
    first = one(conn, "SELECT MIN(d.closed_at) AS at FROM deals d JOIN stages s ON s.id = d.stage_id "
                      "JOIN pipelines p ON p.id = d.pipeline_id WHERE d.contact_id = ? AND s.kind = 'won' "
                      "AND d.deleted_at IS NULL AND p.kind = 'sales'", (deal["contact_id"],))
    changes: dict = {}
    if first["at"] and (contact["acquired_at"] is None or first["at"] < contact["acquired_at"]):
        changes["acquired_at"] = first["at"]
        if contact["lifecycle"] in ("lead", "prospect"):
            changes["lifecycle"] = "customer"
    elif contact["acquired_at"] is not None and contact["acquired_at"] == deal["closed_at"] \
            and first["at"] != contact["acquired_at"]:
        changes["acquired_at"] = first["at"]
        if first["at"] is None and contact["lifecycle"] == "customer":
            changes["lifecycle"] = "prospect"
    records.derive(conn, "contacts", contact["id"], changes, actor)


def _money(value, field: str) -> float:
    """Finite, 0..10^12 (NaN and infinity refused), rounded to cents."""
    return round(clean_number(value, field, low=0, high=1e12), 2)


def clean(values: dict) -> dict:
    out = dict(values)
    if "title" in out:
        out["title"] = clean_text(out["title"], "deal_title", 200)
        if not out["title"]:
            raise ValidationError("Title is required.", field="title", key="deals.err_title")
    for field in ("amount", "cost"):
        if field in out and out[field] is not None:
            out[field] = _money(out[field], field)
    if out.get("expected_close"):
        day = clean_day(out["expected_close"], "expected_close")
        if not 2000 <= day.year <= date.today().year + 20:
            raise ValidationError("Choose a realistic date.", field="expected_close", key="deals.err_date")
        out["expected_close"] = day.isoformat()
    return out


def create(conn: sqlite3.Connection, values: dict, actor: Actor) -> int:
    """A new deal in a stage of its pipeline (the pipeline is the stage's when not given)."""
    data = clean(values)
    target = stage(conn, data["stage_id"]) if isinstance(data.get("stage_id"), int) else None
    if target is None or data.setdefault("pipeline_id", target["pipeline_id"]) != target["pipeline_id"]:
        raise ValidationError("That stage is not in this deal's pipeline.", field="stage_id", key="deals.err_stage")
    with write(conn):
        deal_id = records.create(conn, "deals", {**data, "stage_entered_at": now()}, actor)
        conn.execute("INSERT INTO deal_stage_history (deal_id, from_stage_id, to_stage_id, moved_at, moved_by) "
                     "VALUES (?, NULL, ?, ?, ?)", (deal_id, data["stage_id"], now(), actor.id))
    return deal_id


def update(conn: sqlite3.Connection, deal_id: int, version: int, changes: dict, actor: Actor) -> dict:
    return records.update(conn, "deals", deal_id, version, clean(changes), actor)


def detail(conn: sqlite3.Connection, deal_id: int) -> dict:
    records.get(conn, "deals", deal_id)
    deal = one(conn, "SELECT d.*, s.name AS stage, s.kind AS stage_kind, p.name AS pipeline, u.name AS owner, "
                     "c.first_name || ' ' || c.last_name AS contact, co.name AS company FROM deals d "
                     "JOIN stages s ON s.id = d.stage_id JOIN pipelines p ON p.id = d.pipeline_id "
                     "LEFT JOIN users u ON u.id = d.owner_id LEFT JOIN contacts c ON c.id = d.contact_id "
                     "LEFT JOIN companies co ON co.id = d.company_id WHERE d.id = ?", (deal_id,))
    deal["history"] = rows(conn, "SELECT h.moved_at, f.name AS from_stage, s.name AS to_stage, u.name AS who "
                                 "FROM deal_stage_history h LEFT JOIN stages f ON f.id = h.from_stage_id "
                                 "JOIN stages s ON s.id = h.to_stage_id LEFT JOIN users u ON u.id = h.moved_by "
                                 "WHERE h.deal_id = ? ORDER BY h.moved_at DESC, h.id DESC", (deal_id,))
    deal["activities"] = rows(conn, "SELECT kind, subject, COALESCE(starts_at, due_at) AS at, done FROM activities "
                                    "WHERE deal_id = ? AND deleted_at IS NULL ORDER BY at DESC LIMIT 50", (deal_id,))
    return deal


def find(conn: sqlite3.Connection, text: str, limit: int = 1) -> list[dict]:
    """Deals whose title matches ``text`` (open ones first), for linking an activity to a deal."""
    if not (text or "").strip():
        return []
    return rows(conn, "SELECT d.id, d.title, d.contact_id FROM deals d JOIN stages s ON s.id = d.stage_id "
                      "WHERE d.deleted_at IS NULL AND d.title LIKE ? ESCAPE '\\' ORDER BY s.kind != 'open', d.id DESC "
                      "LIMIT ?", (like(text), limit))


def forecast(conn: sqlite3.Connection, pipeline_id: int, owner_id: int | None = None) -> list[dict]:
    """Weighted open pipeline by expected-close month and owner (open stages only, from ``ix_deals_board``)."""
    where, params = ["d.stage_id IN (SELECT id FROM stages WHERE pipeline_id = ? AND kind = 'open')",
                     "d.deleted_at IS NULL"], [pipeline_id]
    if owner_id is not None:
        where.append("d.owner_id = ?")
        params.append(owner_id)
    return rows(conn, "SELECT COALESCE(substr(d.expected_close, 1, 7), '—') AS month, COALESCE(u.name, '—') AS owner, "
                      "SUM(d.amount * s.probability) AS weighted, COUNT(*) AS deals FROM deals d JOIN stages s "
                      "ON s.id = d.stage_id LEFT JOIN users u ON u.id = d.owner_id WHERE " + " AND ".join(where) +
                " GROUP BY 1, 2 ORDER BY 1, 2", params)
