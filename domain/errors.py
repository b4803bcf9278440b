"""The exception tree of Tidtam.

::

    TidtamError                     base of everything the product raises on purpose
     ├── UserError                  the person can fix it; carries a catalog key + params
     │    ├── InvalidInput          a typed answer that cannot be accepted (not a number, …)
     │    ├── NotAllowed            the person's role or school does not permit this
     │    ├── NotFound              an id (often from callback data) that does not exist
     │    │                         or is outside the person's scope
     │    ├── Conflict              the item changed since the person started
     │    └── InviteProblem         wrong, expired, used or throttled invite code
     ├── PlanError                  an imported plan is invalid (lists row-level problems)
     └── StorageError               the database cannot be used as it is
          └── SchemaTooNew          the database was migrated by a newer Tidtam

A :class:`UserError` never holds text: it names a catalog key and the values
for its placeholders, so the same error reads correctly in Thai and English.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class TidtamError(Exception):
    """Base class of every error the product raises on purpose."""


class UserError(TidtamError):
    """An error the person can act on; rendered from the catalogs."""

    def __init__(self, key: str, /, **params: Any) -> None:
        super().__init__(key)
        self.key = key
        self.params: Mapping[str, Any] = params

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.key!r}, **{dict(self.params)!r})"


class InvalidInput(UserError):
    """A typed answer that cannot be accepted as it is."""


class NotAllowed(UserError):
    """The person's role, school or state does not permit the action."""


class NotFound(UserError):
    """The thing asked for does not exist or is outside the person's scope."""


class Conflict(UserError):
    """The item changed since the person started editing it."""


class InviteProblem(UserError):
    """An invite code that is wrong, expired, used up, or tried too often."""


class PlanError(TidtamError):
    """An imported plan is invalid."""


class StorageError(TidtamError):
    """The database cannot be used as it is."""


class SchemaTooNew(StorageError):
    """The database carries a schema revision this version does not know."""
