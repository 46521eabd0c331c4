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
    """The database file cannot be opened or written.

    The user reads a plain message in their language (no server path, no setup advice: they cannot act on
    either); ``path`` and ``reason`` ride along for the server log and the command line, where ``str(err)``
    shows them."""

    key = "errors.db_unavailable"
    template = ("The database cannot be opened right now. Try again in a minute; if it keeps happening, tell "
                "your administrator.")

    def __init__(self, template: str | None = None, *, path: str = "", reason: str = "", **params):
        self.path = path
        self.reason = reason
        super().__init__(template, **params)

    def __str__(self) -> str:
        detail = ": ".join(p for p in (self.path, self.reason) if p)
        return f"{self.message} [{detail}]" if detail else self.message


class DatabaseBusy(DatabaseUnavailable):
    """Another change held the write lock for longer than a save waits (``connection.BUSY_TIMEOUT_MS``)."""

    key = "errors.db_busy"
    template = ("Another large change, such as an import, is still being saved. Nothing was saved; try again in "
                "a minute.")


class DatabaseFull(DatabaseUnavailable):
    """The disk (or the database's size limit) is full; SQLite has undone the change."""

    key = "errors.db_full"
    template = "The server has run out of disk space, so nothing was saved. Tell your administrator."


class DatabaseReadOnly(DatabaseUnavailable):
    key = "errors.db_read_only"
    template = "The database is read-only at the moment, so nothing was saved. Tell your administrator."


class DatabaseWriteFailed(DatabaseUnavailable):
    """Any other failure of the database while saving (I/O error, damaged file, transaction lost)."""

    key = "errors.db_write_failed"
    template = ("The database could not save the change, so nothing was saved. Try again; if it keeps "
                "happening, tell your administrator.")


class SchemaTooNew(DomainError):
    key = "errors.schema_too_new"
    template = (
        "The database at {path} was written by a newer version of this app (unknown migrations: {names}). "
        "Upgrade the app, or point CRM_DB at another database."
    )
