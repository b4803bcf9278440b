"""What every repository shares."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection


class Repository:
    """A repository runs statements on the connection of the current transaction."""

    def __init__(self, connection: AsyncConnection) -> None:
        self.connection = connection


def upsert_insert(dialect: str) -> Callable[..., Any] | None:
    """The ``insert`` with ON CONFLICT clauses of a dialect; None when it has none.

    The PostgreSQL dialect is imported only on PostgreSQL: loading it takes
    a good part of the bot's start-up time on SQLite.
    """
    if dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        return sqlite_insert
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as postgresql_insert

        return postgresql_insert
    return None
