"""Create many records at once, inside the caller's open ``with write(conn):`` block."""

from __future__ import annotations

import sqlite3

from db.core import records
from db.core.permissions import Actor


def create_many(conn: sqlite3.Connection, table: str, values: list[dict], actor: Actor) -> list[int]:
    """The same as ``records.create`` for each dict (audit, permissions, versions); a placeholder loop that
    the fast version from the bulk branch replaces."""
    return [records.create(conn, table, v, actor) for v in values]
