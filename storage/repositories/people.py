"""People: reporters, school heads, officers and admins."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import insert, select, update

from domain.values import Role
from storage.models import Person
from storage.repositories.base import Repository
from storage.schema import people


class People(Repository):
    """Everyone who may use the bot, bound to a school or to the office."""

    async def get(self, person_id: int) -> Person | None:
        """One person by id."""
        row = (
            await self.connection.execute(select(people).where(people.c.id == person_id))
        ).first()
        return None if row is None else Person.from_row(row)

    async def by_telegram_id(self, telegram_user_id: int) -> Person | None:
        """The person behind a Telegram account, active or not."""
        row = (
            await self.connection.execute(
                select(people).where(people.c.telegram_user_id == telegram_user_id)
            )
        ).first()
        return None if row is None else Person.from_row(row)

    async def create(
        self,
        *,
        full_name: str,
        role: Role,
        school_id: int,
        now: dt.datetime,
        telegram_user_id: int | None = None,
        language: str | None = None,
        code: str | None = None,
    ) -> Person:
        """Add a person; ``joined_at`` is set when a Telegram account is bound."""
        result = await self.connection.execute(
            insert(people).values(
                code=code,
                telegram_user_id=telegram_user_id,
                full_name=full_name,
                role=role.value,
                school_id=school_id,
                language=language,
                active=True,
                joined_at=now if telegram_user_id is not None else None,
                created_at=now,
                updated_at=now,
            )
        )
        assert result.inserted_primary_key is not None
        person = await self.get(int(result.inserted_primary_key[0]))
        assert person is not None
        return person

    async def bind_account(
        self, person_id: int, *, telegram_user_id: int, language: str, now: dt.datetime
    ) -> Person | None:
        """Attach a Telegram account to a person listed in the plan; None if one is attached."""
        result = await self.connection.execute(
            update(people)
            .where(people.c.id == person_id, people.c.telegram_user_id.is_(None))
            .values(
                telegram_user_id=telegram_user_id, language=language, joined_at=now, updated_at=now
            )
        )
        return await self.get(person_id) if result.rowcount == 1 else None

    async def set_language(self, person_id: int, language: str, *, now: dt.datetime) -> None:
        """Remember the person's chosen language."""
        await self.connection.execute(
            update(people).where(people.c.id == person_id).values(language=language, updated_at=now)
        )

    async def set_unreachable(
        self, person_id: int, *, at: dt.datetime | None, now: dt.datetime
    ) -> None:
        """Record that messages to the person fail (None: they can be reached again)."""
        await self.connection.execute(
            update(people).where(people.c.id == person_id).values(unreachable_at=at, updated_at=now)
        )

    async def list(
        self,
        *,
        school_id: int | None = None,
        roles: tuple[Role, ...] | None = None,
        active_only: bool = True,
        joined_only: bool = False,
    ) -> list[Person]:
        """People, filtered by school, roles and state; ordered by school then name."""
        query = select(people).order_by(people.c.school_id, people.c.full_name, people.c.id)
        if school_id is not None:
            query = query.where(people.c.school_id == school_id)
        if roles:
            query = query.where(people.c.role.in_([role.value for role in roles]))
        if active_only:
            query = query.where(people.c.active.is_(True))
        if joined_only:
            query = query.where(people.c.telegram_user_id.is_not(None))
        return [Person.from_row(row) for row in await self.connection.execute(query)]
