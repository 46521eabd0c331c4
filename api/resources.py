"""The API's resources: one definition each (api/schema.py), with limits and choices read from the db module
that enforces them, so the document and the data rules cannot drift apart."""

from __future__ import annotations

from api.schema import Prop, Resource, ref
from db.crm import activities, companies, contacts, feedback, pipelines

READ = frozenset({"list", "get"})
_C, _CO = contacts.LIMITS, companies.LIMITS


def _text(name: str, limit: int, **kw) -> Prop:
    return Prop(name, "string", max_length=limit, **kw)


CONTACTS = Resource(
    "contacts", "Contacts",
    (_text("first_name", _C["first_name"], nullable=False, required=True),
     _text("last_name", _C["last_name"], filter=False),
     _text("email", _C["email"], filter=True, description="Stored in lower case; must be a valid address."),
     _text("phone", _C["phone"], description="Stored as E.164; include the country code."),
     _text("title", _C["title"], description="Job title."),
     ref("company_id"), ref("owner_id", "The owner; a rep may not give a record away."), ref("campaign_id"),
     Prop("lifecycle", "string", nullable=False, enum=contacts.LIFECYCLES, filter=True),
     _text("channel", _C["channel"], filter=True),
     _text("tags", _C["tags"], nullable=False, description="Comma-separated, stored in lower case."),
     Prop("acquired_at", "string", format="date-time", read_only=True, description="Its first won deal.")),
    sorts=("id", "created_at", "updated_at", "last_name"), search=True, custom=True)

COMPANIES = Resource(
    "companies", "Companies",
    (_text("name", _CO["name"], nullable=False, required=True),
     _text("industry", _CO["industry"], filter=True), _text("website", _CO["website"]), _text("phone", _CO["phone"]),
     _text("city", _CO["city"]),
     _text("country", _CO["country"], filter=True, description="Two-letter code such as DE."),
     ref("owner_id"), Prop("lifecycle", "string", nullable=False, enum=contacts.LIFECYCLES, filter=True),
     _text("tags", _CO["tags"], nullable=False)),
    sorts=("id", "name", "created_at", "updated_at"), search=True, custom=True)

_MONEY = {"minimum": 0, "maximum": 1e12}
DEALS = Resource(
    "deals", "Deals",
    (_text("title", 200, nullable=False, required=True),
     ref("pipeline_id", "The stage's pipeline when left out.", create_only=True),
     ref("stage_id", "Set on create; later moves go through POST /deals/{id}/move (or /won, /lost).",
         required=True, create_only=True),
     ref("contact_id"), ref("company_id"), ref("owner_id"),
     Prop("amount", "number", nullable=False, **_MONEY), Prop("cost", "number", nullable=False, **_MONEY),
     Prop("expected_close", "string", format="date"),
     Prop("closed_at", "string", format="date-time", read_only=True),
     Prop("lost_reason", "string", read_only=True),
     Prop("stage_kind", "string", enum=pipelines.KINDS, read_only=True, filter=True,
          description="open, won or lost: the kind of its stage (a filter too).")),
    sorts=("id", "created_at", "updated_at", "amount"), search=True, custom=True,
    actions={"move": "Move to another stage of its pipeline", "won": "Mark won (the pipeline's won stage)",
             "lost": "Mark lost, with a reason"})

MOVE = Resource("move", "Stage move", (
    ref("stage_id", required=True, filter=False), Prop("amount", "number", **_MONEY),
    Prop("closed_at", "string", format="date-time"), Prop("lost_reason", "string", max_length=200)), stamps=False)
WON = Resource("won", "Won", (Prop("amount", "number", **_MONEY), Prop("closed_at", "string", format="date-time")),
               stamps=False)
LOST = Resource("lost", "Lost", (Prop("lost_reason", "string", nullable=False, max_length=200, required=True),
                                 Prop("closed_at", "string", format="date-time")), stamps=False)
ACTIONS = {"move": MOVE, "won": WON, "lost": LOST}

ACTIVITIES = Resource(
    "activities", "Activities (calls, meetings, emails, tasks, notes, complaints)",
    (Prop("kind", "string", nullable=False, enum=activities.KINDS, required=True, create_only=True, filter=True),
     _text("subject", 200, nullable=False, required=True), _text("notes", activities.NOTES_LIMIT, nullable=False),
     ref("contact_id", create_only=True), ref("company_id", create_only=True), ref("deal_id", create_only=True),
     ref("owner_id", create_only=True),
     Prop("starts_at", "string", format="date-time", description="Calls, meetings, emails; a note's defaults to now."),
     Prop("ends_at", "string", format="date-time"),
     Prop("due_at", "string", format="date-time", description="Tasks."),
     Prop("done", "boolean", nullable=False, filter=True),
     Prop("duration_min", "integer", nullable=False, read_only=True, minimum=0, maximum=14 * 24 * 60)),
    sorts=("id", "created_at", "updated_at"), search=True, custom=True)

FEEDBACK = Resource(
    "feedback", "Feedback (CSAT and NPS answers)",
    (ref("contact_id", required=True, create_only=True),
     Prop("kind", "string", nullable=False, enum=tuple(feedback.RANGES), required=True, create_only=True, filter=True),
     Prop("score", "integer", nullable=False, minimum=0, maximum=10, required=True, create_only=True,
          filter=True, description="CSAT 1-5, NPS 0-10."),
     Prop("responded_at", "string", nullable=False, format="date-time", required=True, create_only=True),
     _text("comment", 2000, nullable=False, create_only=True)),
    ops=frozenset({"list", "get", "create"}), sorts=("id", "responded_at", "created_at"))

USERS = Resource(
    "users", "Users (the team)",
    (Prop("name", "string", nullable=False, read_only=True), Prop("email", "string", nullable=False, read_only=True),
     Prop("role", "string", nullable=False, enum=("admin", "manager", "rep"), read_only=True),
     Prop("language", "string", nullable=False, read_only=True), Prop("active", "boolean", nullable=False,
                                                                      read_only=True)),
    ops=READ, stamps=False)

STAGE = {"type": "object", "required": ["id", "name", "position", "probability", "kind"], "properties": {
    "id": {"type": "integer"}, "name": {"type": "string"}, "position": {"type": "integer"},
    "probability": {"type": "number", "minimum": 0, "maximum": 1}, "kind": {"type": "string", "enum": list(pipelines.KINDS)}}}
PIPELINES = Resource(
    "pipelines", "Pipelines and their stages",
    (Prop("name", "string", nullable=False, read_only=True),
     Prop("kind", "string", nullable=False, enum=("sales", "recruiting"), read_only=True)),
    ops=READ, stamps=False, more={"stages": {"type": "array", "items": STAGE}})

VIEWS = Resource(
    "views", "Saved views (own and shared)",
    (Prop("name", "string", nullable=False, read_only=True), Prop("page", "string", nullable=False, read_only=True),
     Prop("shared", "boolean", nullable=False, read_only=True), Prop("pinned", "boolean", nullable=False,
                                                                     read_only=True),
     ref("owner_id", read_only=True, filter=False)),
    ops=READ, stamps=False, more={"definition": {"description": "The view's definition (on GET /views/{id})."}}, actions={"run": "Run a builder view: its grouped figures"})

RESOURCES = {r.name: r for r in (CONTACTS, COMPANIES, DEALS, ACTIVITIES, FEEDBACK, PIPELINES, USERS, VIEWS)}
