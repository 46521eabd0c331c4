"""One definition per resource (its fields, types, required ones, enums, limits), and the JSON Schemas built
from it: the same schemas check each request body and make the OpenAPI document (api/openapi.py).

The schemas check shape only (types, enums, lengths, unknown fields); the rules of the data (a valid
email, a stage of the deal's pipeline, who may edit) stay in db/, which every request goes through.
Custom fields are added per request from ``fields.visible``/``fields.editable`` (api/custom.py) under
``"custom"``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

from jsonschema import Draft202012Validator

from db.core.errors import ValidationError

MAX_ID = 2**63 - 1


@dataclass(frozen=True)
class Prop:
    """One field of a resource as the API shows and takes it."""

    name: str
    type: str  # string | integer | number | boolean
    nullable: bool = True
    enum: tuple | None = None
    max_length: int | None = None
    minimum: float | None = None
    maximum: float | None = None
    format: str | None = None  # date | date-time | email
    read_only: bool = False  # shown, never taken
    create_only: bool = False  # taken on create, not by PATCH (a deal's stage moves through /move)
    required: bool = False  # on create
    filter: bool = False  # usable as ?name=value on the list
    description: str = ""

    def schema(self) -> dict:
        out: dict = {"type": [self.type, "null"] if self.nullable else self.type}
        if self.enum:
            out["enum"] = [*self.enum, None] if self.nullable else list(self.enum)
        for key, value in (("maxLength", self.max_length), ("minimum", self.minimum), ("maximum", self.maximum),
                           ("format", self.format), ("description", self.description or None)):
            if value is not None:
                out[key] = value
        if self.type == "integer" and self.name.endswith("_id") and self.minimum is None:
            out.update(minimum=1, maximum=MAX_ID)
        return out


def ref(name: str, description: str = "", *, required: bool = False, create_only: bool = False,
        read_only: bool = False, filter: bool = True) -> Prop:
    """A link to another record by id."""
    return Prop(name, "integer", nullable=not required, required=required, create_only=create_only,
                read_only=read_only, filter=filter, description=description)


STAMPS = (Prop("id", "integer", nullable=False, read_only=True, minimum=1, maximum=MAX_ID),
          Prop("version", "integer", nullable=False, read_only=True, minimum=1, maximum=MAX_ID,
               description="Send it back as If-Match (the ETag) to update or delete."),
          Prop("created_at", "string", nullable=False, format="date-time", read_only=True),
          Prop("updated_at", "string", nullable=False, format="date-time", read_only=True))


@dataclass(frozen=True)
class Resource:
    name: str  # the URL segment and the table
    title: str
    props: tuple[Prop, ...]
    ops: frozenset = frozenset({"list", "get", "create", "update", "delete"})
    sorts: tuple[str, ...] = ("id",)
    search: bool = False
    custom: bool = False  # carries custom fields (db/core/fields.py)
    stamps: bool = True
    actions: dict = field(default_factory=dict)  # extra /{id}/<name> endpoints: name -> summary
    more: dict = field(default_factory=dict)  # extra output properties: name -> JSON Schema

    @property
    def all_props(self) -> tuple[Prop, ...]:
        return (STAMPS if self.stamps else STAMPS[:1]) + self.props

    def prop(self, name: str) -> Prop | None:
        return next((p for p in self.all_props if p.name == name), None)


def _custom_schema(fields: list, *, out: bool) -> dict:
    from api import custom

    required = [] if out else [f.key for f in fields if f.required and f.default is None]
    return {"type": "object", "additionalProperties": False,
            "properties": {f.key: custom.field_schema(f) for f in fields}, **({"required": required} if required else {})}


def record_schema(res: Resource, fields: list = ()) -> dict:
    """A record as the API answers it."""
    props = {**{p.name: p.schema() for p in res.all_props}, **res.more}
    if res.custom:
        props["custom"] = _custom_schema(list(fields), out=True)
    return {"type": "object", "properties": props, "required": [p.name for p in res.all_props if not p.nullable]}


def create_schema(res: Resource, fields: list = ()) -> dict:
    """The body of a create: the writable fields, the required ones required, nothing else."""
    props = {p.name: p.schema() for p in res.props if not p.read_only}
    if res.custom:
        props["custom"] = _custom_schema(list(fields), out=False)
    required = [p.name for p in res.props if p.required and not p.read_only]
    return {"type": "object", "additionalProperties": False, "properties": props, "required": required}


def patch_schema(res: Resource, fields: list = ()) -> dict:
    """The body of a partial update: any writable field, none required."""
    props = {p.name: p.schema() for p in res.props if not (p.read_only or p.create_only)}
    if res.custom:
        custom = _custom_schema(list(fields), out=False)
        custom.pop("required", None)
        props["custom"] = custom
    return {"type": "object", "additionalProperties": False, "properties": props}


@lru_cache(maxsize=256)
def _validator(schema_json: str) -> Draft202012Validator:
    import json

    return Draft202012Validator(json.loads(schema_json))


def check(schema: dict, body) -> dict:
    """``body`` if it fits ``schema``; else a ``ValidationError`` naming the first field that does not."""
    import json

    text = json.dumps(schema, sort_keys=True)
    error = next(_validator(text).iter_errors(body), None)
    if error is None:
        return body
    path = [str(p) for p in error.absolute_path]
    name = ".".join(path) or "body"
    if error.validator == "required":
        missing = error.message.split("'")[1] if "'" in error.message else name
        name = ".".join([*path, missing])
        raise ValidationError("{field} is required.", field=name, key="errors.integrity_required")
    if error.validator == "additionalProperties":
        extra = sorted(set(error.instance) - set(error.schema.get("properties", {})))
        name = ".".join([*path, extra[0]]) if extra else name
        raise ValidationError("Unknown field(s): {names}", field=name, key="errors.unknown_fields",
                              names=", ".join(extra)[:200])
    if error.validator == "maxLength":
        raise ValidationError("{field} is too long ({n} characters at most).", field=name, key="errors.too_long",
                              n=error.validator_value)
    if error.validator == "enum":
        allowed = ", ".join(str(v) for v in error.validator_value if v is not None)
        raise ValidationError("{field} must be one of: {allowed}.", field=name, key="api.err_enum", allowed=allowed)
    if error.validator in ("minimum", "maximum"):
        low, high = error.schema.get("minimum", "-"), error.schema.get("maximum", "-")
        raise ValidationError("{field} must be between {low} and {high}.", field=name, key="errors.range",
                              low=f"{low:,g}" if isinstance(low, int | float) else low,
                              high=f"{high:,.0f}" if isinstance(high, int | float) else high)
    expected = error.schema.get("type", "value")
    expected = " or ".join(t for t in ([expected] if isinstance(expected, str) else expected) if t != "null")
    raise ValidationError("{field} must be of type {type}.", field=name, key="api.err_type", type=expected)
