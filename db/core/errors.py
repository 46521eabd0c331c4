"""Domain errors whose messages a user can read.

Each error carries a translation key and parameters so pages can show it in the user's
language; ``str(err)`` is the English text, which is also the fallback.
"""

from __future__ import annotations


class DomainError(Exception):
    """Base for every error a page may show to a user."""

    key = "errors.generic"
    template = "Something went wrong: {detail}"

    def __init__(self, template: str | None = None, *, key: str | None = None, **params):
        self.template = template or self.template
        self.key = key or self.key
        self.params = params
        super().__init__(self.message)

    @property
    def message(self) -> str:
        """English text (logs, CLI); raw names read as words ("first_name" -> "First name"), nested errors as
        their own message. Pages use ``components.i18n.error_text`` for the user's language."""
        params = {k: (v.message if isinstance(v, DomainError) else
                      str(v).replace("_", " ").capitalize() if k in ("field", "entity", "area") and v else v)
                  for k, v in self.params.items()}
        try:
            return self.template.format(**params)
        except (KeyError, IndexError, ValueError):
            return self.template


class ValidationError(DomainError):
    """Bad input; ``field`` names the field (and ``row`` the row) it concerns."""

    key = "errors.invalid"
    template = "{field}: invalid value"

    def __init__(self, template=None, *, field: str = "", row: int | None = None, key=None, **params):
        self.field = field
        self.row = row
        super().__init__(template, key=key, field=field, **params)


class ConflictError(DomainError):
    """Someone else saved the record first; ``current`` is the row as it is now."""

    key = "errors.conflict"
    template = "{who} changed this record at {when} ({fields}). Your input is kept: review and save again."

    def __init__(self, *, current: dict | None = None, changed: list[str] | None = None, **params):
        self.current = current or {}
        self.changed = changed or []
        super().__init__(**params)


class NotFoundError(DomainError):
    """``entity`` is a table name (translated through ``entities.<table>``), ``id`` the record id."""

    key = "errors.not_found_record"
    template = "No such {entity} #{id}: it does not exist or was deleted."


class PermissionDenied(DomainError):
    key = "errors.permission"
    template = "You may not {action}."


class AuthError(DomainError):
    key = "errors.auth"
    template = "Wrong email or password."


class DatabaseUnavailable(DomainError):
    """The database file cannot be opened or written; the message says what to do."""

    key = "errors.db_unavailable"
    template = "Cannot open the database at {path}: {reason}. Set CRM_DB to a writable file path and restart."


class SchemaTooNew(DomainError):
    key = "errors.schema_too_new"
    template = (
        "The database at {path} was written by a newer version of this app (unknown migrations: {names}). "
        "Upgrade the app, or point CRM_DB at another database."
    )
