"""Who may write what. Enforced in the shared write path, not only by hiding buttons.

admin: everything. manager: every record, but not users, pipelines, stages or settings.
rep: reads the team's records, writes records they own (and comments, feedback and
activities they log).
"""

from __future__ import annotations

from dataclasses import dataclass

from db.core.errors import PermissionDenied

ROLES = ("admin", "manager", "rep")
ADMIN_TABLES = {"users", "pipelines", "stages", "settings", "backups", "custom_fields"}
MANAGER_TABLES = {"campaigns"}
OWNED_TABLES = {"contacts", "companies", "deals", "activities", "saved_views"}


@dataclass(frozen=True)
class Actor:
    """The signed-in person a change is made by."""

    id: int | None
    role: str
    name: str = ""
    api_key_id: int | None = None  # the API key a request came through (the audit log names it)

    @property
    def is_manager(self) -> bool:
        return self.role in ("admin", "manager")


SYSTEM = Actor(id=None, role="admin", name="system")


def check_write(actor: Actor, table: str, row: dict | None, action: str) -> None:
    """Raise ``PermissionDenied`` unless ``actor`` may apply ``action`` to ``row`` of ``table``.

    The message is a sentence about who may (``area`` is translated through ``areas.<table>``); ``action``
    stays in ``params`` for logs and tests."""
    if actor.role == "admin":
        return
    if table in ADMIN_TABLES:
        raise PermissionDenied("Only an administrator may manage {area}.", key="errors.perm_admin", area=table,
                               action=action)
    if actor.role == "manager":
        return
    if table in MANAGER_TABLES:
        raise PermissionDenied("Only a manager or an administrator may manage {area}.", key="errors.perm_manager",
                               area=table, action=action)
    if table in OWNED_TABLES and row is not None:
        owner_field = "owner_id"
        if row.get(owner_field) not in (actor.id, None):
            raise PermissionDenied("You may change only the records you own; this one belongs to someone else.",
                                   key="errors.perm_owner", action=action)
    if table == "comments" and row is not None and row.get("author_id") not in (actor.id, None):
        raise PermissionDenied("You may change only your own comments.", key="errors.perm_comment", action=action)


def may_write(actor: Actor, table: str, row: dict | None) -> bool:
    """``check_write`` as a yes/no, so the UI can show what is locked with the very rule that enforces it."""
    try:
        check_write(actor, table, row, "edit")
    except PermissionDenied:
        return False
    return True
