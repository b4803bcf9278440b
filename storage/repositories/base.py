"""What every repository shares."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncConnection


class Repository:
    """A repository runs statements on the connection of the current transaction."""

    def __init__(self, connection: AsyncConnection) -> None:
        self.connection = connection
