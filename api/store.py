"""What each resource does, as calls into db/: the same functions, rules and write path as the pages.

No SQL here. A record is read with ``records.get`` (so soft-deleted ones are 404) and answered through
``render``; writes go through the entity modules, which validate, check permissions and audit.
"""

from __future__ import annotations

import sqlite3
from datetime import datetime

from api import custom
from api.resources import RESOURCES
from api.schema import Resource
from db.core import records, users
from db.core.errors import NotFoundError, ValidationError
from db.core.permissions import Actor
from db.crm import activities, companies, contacts, deals, feedback, listing, views


def iso(value: str | None) -> str | None:
    """Stored UTC text (``YYYY-MM-DD HH:MM:SS``) as RFC 3339 (``...T...Z``)."""
    if not value:
        return None
    try:
        return datetime.fromisoformat(str(value)[:19]).isoformat(timespec="seconds") + "Z"
    except ValueError:
        return None


def render(conn: sqlite3.Connection, res: Resource, row: dict, fields: list, stages: dict | None = None) -> dict:
    """A row as the API shows it: its declared fields, typed, and its custom fields by key."""
    out = {}
    for p in res.all_props:
        value = row.get(p.name)
        if p.type == "boolean" and value is not None:
            value = bool(value)
        elif p.format == "date-time":
            value = iso(value)
        elif p.format == "date" and value:
            value = str(value)[:10]
        out[p.name] = value
    if res.name == "deals":
        stages = {} if stages is None else stages
        if row["stage_id"] not in stages:
            stages[row["stage_id"]] = (deals.stage(conn, row["stage_id"]) or {}).get("kind")
        out["stage_kind"] = stages[row["stage_id"]]
    if res.custom:
        out["custom"] = custom.values(row, fields)
    return out


def get_row(conn: sqlite3.Connection, res: Resource, record_id: int, actor: Actor) -> dict:
    """The raw row of one record (NotFoundError when missing, deleted or not visible to ``actor``)."""
    if res.name == "users":
        found = next((u for u in users.list_users(conn, include_inactive=True) if u["id"] == record_id), None)
    elif res.name == "pipelines":
        found = next((p for p in deals.pipelines(conn) if p["id"] == record_id), None)
        if found:
            found = {**found, "stages": [{k: s[k] for k in ("id", "name", "position", "probability", "kind")}
                                         for s in deals.stages(conn, record_id)]}
    elif res.name == "views":
        found = views.get(conn, record_id, actor.id)
    else:
        found = records.get(conn, res.name, record_id)
    if found is None:
        raise NotFoundError(entity=res.name, id=record_id)
    return found


def get(conn: sqlite3.Connection, res: Resource, record_id: int, actor: Actor) -> dict:
    row = get_row(conn, res, record_id, actor)
    out = render(conn, res, row, custom.visible(conn, res.name, actor) if res.custom else [])
    for name in res.more:
        if name in row:
            out[name] = row[name]
    return out


def list_page(conn: sqlite3.Connection, res: Resource, q: listing.Page | None, actor: Actor) -> tuple[list, tuple | None]:
    """One page of rendered records and the ``after`` of the next (lists of a few rows come whole)."""
    if res.name == "users":
        found, after = users.list_users(conn, include_inactive=True), None
    elif res.name == "pipelines":
        found, after = [get_row(conn, res, p["id"], actor) for p in deals.pipelines(conn)], None
    elif res.name == "views":
        found, after = views.visible(conn, actor.id), None
    else:
        found, after = listing.page(conn, res.name, q)
    fields = custom.visible(conn, res.name, actor) if res.custom else []
    stages: dict = {}
    out = []
    for row in found:
        item = render(conn, res, row, fields, stages)
        item.update({k: row[k] for k in res.more if k in row})
        out.append(item)
    return out, after


def _values(conn, res: Resource, body: dict, actor: Actor) -> dict:
    values = {k: v for k, v in body.items() if k != "custom"}
    if res.custom and body.get("custom"):
        values.update(custom.columns(body["custom"], custom.visible(conn, res.name, actor)))
    return values


def create(conn: sqlite3.Connection, res: Resource, body: dict, actor: Actor) -> int:
    values = _values(conn, res, body, actor)
    if res.name == "contacts":
        return contacts.create(conn, values, actor)
    if res.name == "companies":
        return companies.create(conn, values, actor)
    if res.name == "deals":
        return deals.create(conn, values, actor)
    if res.name == "activities":
        return activities.create_record(conn, values, actor)
    if res.name == "feedback":
        return feedback.record(conn, values["contact_id"], values["kind"], values["score"], values["responded_at"],
                               values.get("comment") or "", actor)
    raise NotFoundError(entity=res.name, id="")


def update(conn: sqlite3.Connection, res: Resource, record_id: int, version: int, body: dict, actor: Actor) -> None:
    values = _values(conn, res, body, actor)
    if res.name == "contacts":
        contacts.update(conn, record_id, version, values, actor)
    elif res.name == "companies":
        companies.update(conn, record_id, version, values, actor)
    elif res.name == "deals":
        deals.update(conn, record_id, version, values, actor)
    elif res.name == "activities":
        activities.update(conn, record_id, version, values, actor)
    else:
        raise NotFoundError(entity=res.name, id=record_id)


def delete(conn: sqlite3.Connection, res: Resource, record_id: int, version: int | None, actor: Actor) -> None:
    records.soft_delete(conn, res.name, record_id, actor, version=version)


def _stage_of_kind(conn, deal: dict, kind: str) -> int:
    found = [s for s in deals.stages(conn, deal["pipeline_id"]) if s["kind"] == kind]
    if not found:
        raise ValidationError("That stage is not in this deal's pipeline.", field="stage_id", key="deals.err_stage")
    return found[-1]["id"]


def act(conn: sqlite3.Connection, name: str, record_id: int, version: int, body: dict, actor: Actor) -> None:
    """A deal's stage move: to a given stage, or to its pipeline's won or lost stage."""
    deal = records.get(conn, "deals", record_id)
    stage_id = body.get("stage_id") if name == "move" else _stage_of_kind(conn, deal, name)
    deals.move(conn, record_id, stage_id, version, actor, amount=body.get("amount"),
               closed_at=body.get("closed_at"), lost_reason=body.get("lost_reason"))


def run_view(conn: sqlite3.Connection, view_id: int, actor: Actor) -> list[dict]:
    """A builder view's grouped figures (grid views are filters of a page, not figures)."""
    view = views.get(conn, view_id, actor.id)
    if view["page"] != "views":
        raise ValidationError("Only views made in the view builder can be run.", field="page", key="api.err_run")
    return views.run(conn, view["definition"])


__all__ = ["RESOURCES", "act", "create", "delete", "get", "list_page", "render", "run_view", "update"]
