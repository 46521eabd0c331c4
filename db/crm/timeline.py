"""One customer's history in time order: activities, feedback, deals, comments and field changes."""

from __future__ import annotations

import json
import sqlite3

from db.core import records
from db.core.connection import rows, write
from db.core.errors import ValidationError
from db.core.permissions import Actor
from db.core.text import clean_text
from db.crm import notifications

KINDS = ("call", "meeting", "email", "task", "note", "complaint", "feedback", "deal", "comment", "change")
ADDABLE = ("note", "call", "meeting", "complaint", "comment")
COMPANY_KINDS = ("call", "meeting", "email", "task", "note", "complaint", "deal", "comment", "change")
PAGE = 50
MAX_TEXT = 5000


def timeline(conn: sqlite3.Connection, contact_id: int, kinds: list[str] | None = None,
             limit: int = 200) -> list[dict]:
    """Newest first, at most ``limit`` entries, optionally only some kinds."""
    wanted = [k for k in (kinds or KINDS) if k in KINDS]
    # The first (empty) select names the columns for every part of the union.
    parts = ["SELECT NULL AS at, NULL AS kind, NULL AS title, NULL AS body, NULL AS who, NULL AS done, "
             "NULL AS amount WHERE 0"]
    params: list = []
    activity_kinds = [k for k in wanted if k in ("call", "meeting", "email", "task", "note", "complaint")]
    if activity_kinds:
        marks = ",".join("?" for _ in activity_kinds)
        parts.append("SELECT COALESCE(a.starts_at, a.due_at, a.created_at) AS at, a.kind AS kind, a.subject AS title, "
                     "a.notes AS body, u.name AS who, a.done AS done, NULL AS amount FROM activities a LEFT JOIN users u "
                     f"ON u.id = a.owner_id WHERE a.contact_id = ? AND a.deleted_at IS NULL AND a.kind IN ({marks})")
        params += [contact_id, *activity_kinds]
    if "feedback" in wanted:
        parts.append("SELECT responded_at, 'feedback', upper(kind) || ' ' || score, comment, NULL, 1, NULL "
                     "FROM feedback WHERE contact_id = ? AND deleted_at IS NULL")
        params.append(contact_id)
    if "deal" in wanted:
        parts.append("SELECT COALESCE(d.closed_at, d.created_at), 'deal', d.title, s.name, u.name, "
                     "s.kind = 'won', d.amount FROM deals d JOIN stages s ON s.id = d.stage_id LEFT JOIN users u "
                     "ON u.id = d.owner_id WHERE d.contact_id = ? AND d.deleted_at IS NULL")
        params.append(contact_id)
    if "comment" in wanted:
        parts.append("SELECT cm.created_at, 'comment', '', cm.body, u.name, 1, NULL FROM comments cm LEFT JOIN users u "
                     "ON u.id = cm.author_id WHERE cm.entity = 'contacts' AND cm.entity_id = ? AND cm.deleted_at IS NULL")
        params.append(contact_id)
    if "change" in wanted:
        parts.append("SELECT a.at, 'change', a.action, a.after, COALESCE(u.name, 'system'), 1, NULL FROM audit_log a "
                     "LEFT JOIN users u ON u.id = a.user_id WHERE a.entity = 'contacts' AND a.entity_id = ?")
        params.append(contact_id)
    out = rows(conn, " UNION ALL ".join(parts) + " ORDER BY at DESC LIMIT ?", [*params, limit])
    for item in out:
        if item["kind"] == "change" and item["body"]:
            changed = {k: v for k, v in json.loads(item["body"]).items() if k != "version"}
            item["changed"] = changed  # the page names the fields (custom ones by label, hidden ones left out)
            item["body"] = ", ".join(f"{k}: {v}" for k, v in list(changed.items())[:6] if not k.startswith("cf_"))
    return out


def company_timeline(conn: sqlite3.Connection, company_id: int, kinds: list[str] | None = None,
                     limit: int = PAGE, offset: int = 0) -> tuple[list[dict], bool]:
    """A company's one timeline, newest first: activities on the company, on its contacts and on its deals; its
    deals; comments and field changes on the company. One page of ``limit`` entries from ``offset``, and whether
    more follow (so the page never reads more than limit + 1 rows)."""
    wanted = [k for k in (kinds or COMPANY_KINDS) if k in COMPANY_KINDS]
    parts = ["SELECT NULL AS at, NULL AS kind, NULL AS title, NULL AS body, NULL AS who, NULL AS done, "
             "NULL AS amount, NULL AS contact_id, NULL AS contact WHERE 0"]
    params: list = []
    activity_kinds = [k for k in wanted if k in ("call", "meeting", "email", "task", "note", "complaint")]
    if activity_kinds:
        marks = ",".join("?" for _ in activity_kinds)
        # Three indexed lookups joined by UNION (not one OR), so each uses its own index.
        parts.append(
            "SELECT COALESCE(a.starts_at, a.due_at, a.created_at), a.kind, a.subject, a.notes, u.name, a.done, NULL, "
            "a.contact_id, c.first_name || ' ' || c.last_name FROM activities a LEFT JOIN users u ON u.id = a.owner_id "
            "LEFT JOIN contacts c ON c.id = a.contact_id WHERE a.deleted_at IS NULL AND a.kind IN (" + marks + ") "
            "AND a.id IN (SELECT id FROM activities WHERE company_id = ? UNION SELECT a2.id FROM activities a2 "
            "JOIN contacts c2 ON c2.id = a2.contact_id WHERE c2.company_id = ? UNION SELECT a3.id FROM activities a3 "
            "JOIN deals d3 ON d3.id = a3.deal_id WHERE d3.company_id = ?)")
        params += [*activity_kinds, company_id, company_id, company_id]
    if "deal" in wanted:
        parts.append("SELECT COALESCE(d.closed_at, d.created_at), 'deal', d.title, s.name, u.name, s.kind = 'won', "
                     "d.amount, NULL, NULL FROM deals d JOIN stages s ON s.id = d.stage_id LEFT JOIN users u "
                     "ON u.id = d.owner_id WHERE d.company_id = ? AND d.deleted_at IS NULL")
        params.append(company_id)
    if "comment" in wanted:
        parts.append("SELECT cm.created_at, 'comment', '', cm.body, u.name, 1, NULL, NULL, NULL FROM comments cm "
                     "LEFT JOIN users u ON u.id = cm.author_id WHERE cm.entity = 'companies' AND cm.entity_id = ? "
                     "AND cm.deleted_at IS NULL")
        params.append(company_id)
    if "change" in wanted:
        parts.append("SELECT a.at, 'change', a.action, a.after, COALESCE(u.name, 'system'), 1, NULL, NULL, NULL "
                     "FROM audit_log a LEFT JOIN users u ON u.id = a.user_id WHERE a.entity = 'companies' "
                     "AND a.entity_id = ?")
        params.append(company_id)
    limit = max(1, min(int(limit), 500))
    out = rows(conn, " UNION ALL ".join(parts) + " ORDER BY at DESC LIMIT ? OFFSET ?",
               [*params, limit + 1, max(0, int(offset))])
    more = len(out) > limit
    out = out[:limit]
    for item in out:
        if item["kind"] == "change" and item["body"]:
            changed = {k: v for k, v in json.loads(item["body"]).items() if k != "version"}
            item["changed"] = changed  # the page names the fields (custom ones by label, hidden ones left out)
            item["body"] = ", ".join(f"{k}: {v}" for k, v in list(changed.items())[:6] if not k.startswith("cf_"))
    return out, more


def add(conn: sqlite3.Connection, contact_id: int | None, kind: str, text: str, actor: Actor, subject: str = "",
        *, company_id: int | None = None) -> int:
    """Log a note, call, meeting or complaint (a done activity) or a comment on a contact, or on a company
    (``contact_id=None, company_id=N``)."""
    if kind not in ADDABLE:
        raise ValidationError("Choose note, call, complaint or comment.", field="kind", key="record.err_kind")
    text = clean_text(text, "notes", MAX_TEXT, multiline=True)
    if not text:
        raise ValidationError("Write something first.", field="text", key="record.err_empty")
    entity, entity_id = ("contacts", contact_id) if contact_id is not None else ("companies", company_id)
    if entity_id is None:
        raise ValidationError("Write something first.", field="record", key="followup.err_link")
    records.get(conn, entity, entity_id)
    if kind == "comment":
        with write(conn):  # the comment and the notifications of the people it @mentions, or neither
            comment_id = records.create(conn, "comments", {"entity": entity, "entity_id": entity_id, "body": text,
                                                           "author_id": actor.id}, actor)
            notifications.mention(conn, entity, entity_id, comment_id, text, actor)
        return comment_id
    from db.core.connection import now

    title = (clean_text(subject, "subject", 200) or clean_text(text.splitlines()[0], "subject", 10**9))[:120]
    link = {"contact_id": contact_id} if entity == "contacts" else {"company_id": company_id}
    return records.create(conn, "activities", {"kind": kind, "subject": title, "notes": text, **link,
                                               "owner_id": actor.id, "starts_at": now(), "done": 1, "done_at": now(),
                                               "duration_min": 5 if kind == "note" else 15}, actor)
