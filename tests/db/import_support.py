"""One way for tests to run a whole contact import (read a CSV, plan, commit), used in-process and by the
subprocess workers of test_import_lock.py."""

from __future__ import annotations

from db.core.permissions import Actor
from db.io import importer


def people_csv(n: int, prefix: str = "Imp") -> bytes:
    """``n`` new contacts, each with a unique email and phone."""
    lines = ["First Name,Last Name,Email,Mobile Phone,Job Title"]
    lines += [f"{prefix}{i},Bulk,{prefix.lower()}{i}@bulk.example,+49 30 {5_000_000 + i},{'t' * 40}"
              for i in range(n)]
    return "\n".join(lines).encode()


def import_csv(conn, raw: bytes, actor: Actor, progress=None) -> dict:
    """Read, plan and commit ``raw`` as contacts with every row created. Works with the importer's API both
    before and after its rework (read() returning a tuple, or a table object with ``headers``)."""
    got = importer.read(raw, "people.csv")
    if isinstance(got, tuple):
        headers, body, _ = got
        planned = importer.plan(conn, headers, body, importer.guess_mapping(headers))
    else:
        planned = importer.plan(conn, got, importer.guess_mapping(got.headers, "contacts"), target="contacts")
    return importer.commit(conn, planned, {}, actor, progress=progress)
