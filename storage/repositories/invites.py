"""Invite codes and the record of failed attempts to use them."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, insert, select, update

from domain.values import Role
from storage.models import Invite
from storage.repositories.base import Repository
from storage.schema import invite_attempts, invite_redemptions, invites


class Invites(Repository):
    """Invites are stored by the hash of their code only."""

    async def create(
        self,
        *,
        code_hash: str,
        school_id: int,
        role: Role,
        expires_at: dt.datetime,
        now: dt.datetime,
        max_uses: int = 1,
        created_by_id: int | None = None,
        person_id: int | None = None,
    ) -> int:
        """Store a new invite (personal when ``person_id`` is given); return its id."""
        result = await self.connection.execute(
            insert(invites).values(
                code_hash=code_hash,
                school_id=school_id,
                role=role.value,
                person_id=person_id,
                max_uses=max_uses,
                use_count=0,
                expires_at=expires_at,
                created_by_id=created_by_id,
                created_at=now,
            )
        )
        assert result.inserted_primary_key is not None
        return int(result.inserted_primary_key[0])

    async def by_hash(self, code_hash: str) -> Invite | None:
        """The invite whose code hashes to ``code_hash``."""
        row = (
            await self.connection.execute(select(invites).where(invites.c.code_hash == code_hash))
        ).first()
        return None if row is None else Invite.from_row(row)

    async def use(self, invite_id: int, person_id: int, *, now: dt.datetime) -> bool:
        """Count one use; False when the invite was used up in the meantime."""
        result = await self.connection.execute(
            update(invites)
            .where(invites.c.id == invite_id, invites.c.use_count < invites.c.max_uses)
            .values(use_count=invites.c.use_count + 1)
        )
        if result.rowcount != 1:
            return False
        await self.connection.execute(
            insert(invite_redemptions).values(
                invite_id=invite_id, person_id=person_id, redeemed_at=now
            )
        )
        return True

    async def attempts(
        self, telegram_user_id: int
    ) -> tuple[int, dt.datetime, dt.datetime | None] | None:
        """(failures, window start, locked until) for one account, if it has failed before."""
        row = (
            await self.connection.execute(
                select(invite_attempts).where(
                    invite_attempts.c.telegram_user_id == telegram_user_id
                )
            )
        ).first()
        if row is None:
            return None
        return int(row.failures), row.window_started_at, row.locked_until

    async def set_attempts(
        self,
        telegram_user_id: int,
        *,
        failures: int,
        window_started_at: dt.datetime,
        locked_until: dt.datetime | None,
    ) -> None:
        """Replace the failure record of one account."""
        await self.clear_attempts(telegram_user_id)
        await self.connection.execute(
            insert(invite_attempts).values(
                telegram_user_id=telegram_user_id,
                failures=failures,
                window_started_at=window_started_at,
                locked_until=locked_until,
            )
        )

    async def clear_attempts(self, telegram_user_id: int) -> None:
        """Forget failures after a successful registration."""
        await self.connection.execute(
            delete(invite_attempts).where(invite_attempts.c.telegram_user_id == telegram_user_id)
        )
