"""The audit log: who changed what, when, with the values before and after."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import insert, select

from storage.repositories.base import Repository
from storage.schema import audit_log


class AuditLog(Repository):
    """Append-only record of every change."""

    async def record(
        self,
        *,
        at: dt.datetime,
        action: str,
        entity: str,
        entity_id: object | None,
        actor: str = "person",
        actor_person_id: int | None = None,
        before: Any = None,
        after: Any = None,
    ) -> None:
        """Append one change."""
        await self.connection.execute(
            insert(audit_log).values(
                at=at,
                actor=actor,
                actor_person_id=actor_person_id,
                action=action,
                entity=entity,
                entity_id=None if entity_id is None else str(entity_id),
                before=before,
                after=after,
            )
        )

    async def entries(
        self, *, entity: str | None = None, limit: int = 1000
    ) -> list[dict[str, Any]]:
        """The newest entries first, optionally for one kind of entity."""
        query = select(audit_log).order_by(audit_log.c.id.desc()).limit(limit)
        if entity is not None:
            query = query.where(audit_log.c.entity == entity)
        result = await self.connection.execute(query)
        return [dict(row._mapping) for row in result]
