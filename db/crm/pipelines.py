"""Pipelines and their stages (admins): add, rename, reorder, probability and kind, with sanity rules."""

from __future__ import annotations

import sqlite3

from db.core import records
from db.core.connection import rows, scalar, write
from db.core.errors import ValidationError
from db.core.permissions import Actor
from db.core.text import clean_number, clean_text

KINDS = ("open", "won", "lost")


def _name(name, field: str = "pipeline_name", row: int | None = None) -> str:
    return " ".join((clean_text(name, field, 100, row=row) or "").split())


def create_pipeline(conn: sqlite3.Connection, name: str, kind: str, actor: Actor) -> int:
    """A new pipeline with a minimal, valid set of stages."""
    name = _name(name)
    if not name:
        raise ValidationError("A pipeline name is required.", field="name", key="pipelines.err_name")
    if kind not in ("sales", "recruiting"):
        raise ValidationError("Choose sales or recruiting.", field="kind", key="pipelines.err_kind")
    with write(conn):
        position = (scalar(conn, "SELECT MAX(position) FROM pipelines") or 0) + 1
        pid = records.create(conn, "pipelines", {"name": name, "kind": kind, "position": position}, actor)
        for pos, (stage, prob, skind) in enumerate((("New", 0.1, "open"), ("Won", 1.0, "won"), ("Lost", 0.0, "lost"))):
            records.create(conn, "stages", {"pipeline_id": pid, "name": stage, "position": pos, "probability": prob,
                                            "kind": skind}, actor)
    return pid


def update_pipeline(conn: sqlite3.Connection, pipeline_id: int, version: int, name: str, position: int,
                    actor: Actor) -> dict:
    """Rename a pipeline or change its place in the list (version-checked)."""
    name = _name(name)
    if not name:
        raise ValidationError("A pipeline name is required.", field="name", key="pipelines.err_name")
    position = int(clean_number(position, "position", low=0, high=10_000))
    return records.update(conn, "pipelines", pipeline_id, version, {"name": name, "position": position}, actor)


def save_stages(conn: sqlite3.Connection, pipeline_id: int, edits: list[tuple[dict, dict]], added: list[dict],
                removed: list[dict], actor: Actor) -> None:
    """Apply stage edits in one transaction; the pipeline must keep an open and a won stage."""
    with write(conn):
        for i, (original, diff) in enumerate(edits):
            records.update(conn, "stages", original["id"], original["version"], _clean(diff, i + 1), actor)
        for i, values in enumerate(added):
            records.create(conn, "stages", {"pipeline_id": pipeline_id, "kind": "open", "probability": 0.5,
                                            **_clean(values, len(edits) + i + 1)}, actor)
        for stage in removed:
            if scalar(conn, "SELECT COUNT(*) FROM deals WHERE stage_id = ? AND deleted_at IS NULL", (stage["id"],)):
                raise ValidationError("Stage '{value}' still has deals; move them first.", field="stage",
                                      key="pipelines.err_in_use", value=stage["name"])
            records.soft_delete(conn, "stages", stage["id"], actor, version=stage["version"])
        kinds = {r["kind"] for r in rows(conn, "SELECT kind FROM stages WHERE pipeline_id = ? AND deleted_at IS NULL",
                                         (pipeline_id,))}
        if not {"open", "won"} <= kinds:
            raise ValidationError("A pipeline needs at least one open and one won stage.", field="kind",
                                  key="pipelines.err_shape")


def _clean(values: dict, row: int) -> dict:
    out = {k: v for k, v in values.items() if k in ("name", "position", "probability", "kind")}
    if "name" in out:
        out["name"] = _name(out["name"], "stage_name", row)
        if not out["name"]:
            raise ValidationError("A stage name is required.", field="name", row=row, key="pipelines.err_stage_name")
    if "probability" in out:
        try:
            out["probability"] = float(out["probability"])
        except (TypeError, ValueError):
            raise ValidationError("Probability is a number from 0 to 1.", field="probability", row=row,
                                  key="pipelines.err_probability") from None
        if not 0 <= out["probability"] <= 1:
            raise ValidationError("Probability is a number from 0 to 1.", field="probability", row=row,
                                  key="pipelines.err_probability")
    if "kind" in out and out["kind"] not in KINDS:
        raise ValidationError("Kind is open, won or lost.", field="kind", row=row, key="pipelines.err_stage_kind")
    if "position" in out:
        out["position"] = int(clean_number(out["position"] or 0, "position", low=0, high=10_000, row=row))
    return out
