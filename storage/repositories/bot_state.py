"""Key/value JSON documents for python-telegram-bot's persistence."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import delete, select

from storage.repositories.base import Repository, upsert_insert
from storage.schema import bot_state


class BotState(Repository):
    """Documents by (kind, key); kind is "conversation:<name>", "user_data", …"""

    async def load(self, kind: str) -> dict[str, Any]:
        """Every document of one kind, by key."""
        result = await self.connection.execute(
            select(bot_state.c.key, bot_state.c.data).where(bot_state.c.kind == kind)
        )
        return {row.key: row.data for row in result}

    async def load_kinds(self, prefix: str) -> dict[str, dict[str, Any]]:
        """Every document whose kind starts with ``prefix``, by kind and key."""
        result = await self.connection.execute(
            select(bot_state).where(bot_state.c.kind.startswith(prefix))
        )
        out: dict[str, dict[str, Any]] = {}
        for row in result:
            out.setdefault(row.kind, {})[row.key] = row.data
        return out

    async def save(self, kind: str, key: str, data: Any, *, now: dt.datetime) -> None:
        """Insert or replace one document."""
        values = {"kind": kind, "key": key, "data": data, "updated_at": now}
        insert = upsert_insert(self.connection.dialect.name)
        if insert is not None:
            stmt = insert(bot_state).values(values)
            await self.connection.execute(
                stmt.on_conflict_do_update(
                    index_elements=["kind", "key"],
                    set_={"data": stmt.excluded.data, "updated_at": now},
                )
            )
        else:
            await self.drop(kind, key)
            await self.connection.execute(bot_state.insert().values(values))

    async def drop(self, kind: str, key: str) -> None:
        """Remove one document (no error when absent)."""
        await self.connection.execute(
            delete(bot_state).where(bot_state.c.kind == kind, bot_state.c.key == key)
        )
