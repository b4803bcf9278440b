"""People as an administrator manages them: listings with their school, state changes."""

from __future__ import annotations

import dataclasses
import datetime as dt

from sqlalchemy import and_, exists, select, update

from domain.values import Role
from storage.models import School
from storage.repositories.base import Repository
from storage.schema import people, schools


@dataclasses.dataclass(frozen=True, slots=True)
class PersonEntry:
    """A person with their school, as a listing shows them."""

    id: int
    code: str | None
    full_name: str
    role: Role
    language: str | None
    active: bool
    joined_at: dt.datetime | None
    school_id: int
    school_code: str
    school_name_th: str
    school_name_en: str | None

    @property
    def joined(self) -> bool:
        """Whether a Telegram account is bound to this person."""
        return self.joined_at is not None

    def school_name(self, lang: str) -> str:
        """The school's name in a language (Thai when no English name is kept)."""
        return self.school_name_en if lang == "en" and self.school_name_en else self.school_name_th


_COLUMNS = (
    people.c.id,
    people.c.code,
    people.c.full_name,
    people.c.role,
    people.c.language,
    people.c.active,
    people.c.joined_at,
    people.c.school_id,
    schools.c.code.label("school_code"),
    schools.c.name_th.label("school_name_th"),
    schools.c.name_en.label("school_name_en"),
)


class PeopleAdmin(Repository):
    """Listings and changes for people management; never deletes anyone."""

    async def entries(
        self,
        *,
        school_id: int | None = None,
        roles: tuple[Role, ...] | None = None,
        active: bool | None = None,
        joined: bool | None = None,
        person_ids: tuple[int, ...] | None = None,
    ) -> list[PersonEntry]:
        """People with their school, ordered by school code, role and name."""
        query = (
            select(*_COLUMNS)
            .join(schools, schools.c.id == people.c.school_id)
            .order_by(schools.c.code, people.c.role, people.c.full_name, people.c.id)
        )
        if school_id is not None:
            query = query.where(people.c.school_id == school_id)
        if roles:
            query = query.where(people.c.role.in_([role.value for role in roles]))
        if active is not None:
            query = query.where(people.c.active.is_(active))
        if joined is not None:
            joined_column = people.c.telegram_user_id
            query = query.where(joined_column.is_not(None) if joined else joined_column.is_(None))
        if person_ids is not None:
            query = query.where(people.c.id.in_(person_ids))
        result = await self.connection.execute(query)
        return [PersonEntry(**{**row._mapping, "role": Role(row.role)}) for row in result]

    async def entry(self, person_id: int) -> PersonEntry | None:
        """One person with their school."""
        found = await self.entries(person_ids=(person_id,))
        return found[0] if found else None

    async def id_by_code(self, code: str) -> int | None:
        """The person a plan code names."""
        result = await self.connection.execute(select(people.c.id).where(people.c.code == code))
        found = result.scalar_one_or_none()
        return None if found is None else int(found)

    async def set_active(self, person_id: int, active: bool, *, now: dt.datetime) -> None:
        """Deactivate or reactivate a person."""
        await self.connection.execute(
            update(people).where(people.c.id == person_id).values(active=active, updated_at=now)
        )

    async def set_role(self, person_id: int, role: Role, *, now: dt.datetime) -> None:
        """Give a person another role."""
        await self.connection.execute(
            update(people).where(people.c.id == person_id).values(role=role.value, updated_at=now)
        )

    async def schools_without_members(self) -> list[School]:
        """Active schools where no active person has joined yet."""
        member = exists().where(
            and_(
                people.c.school_id == schools.c.id,
                people.c.active.is_(True),
                people.c.telegram_user_id.is_not(None),
            )
        )
        query = (
            select(schools)
            .where(schools.c.kind == "school", schools.c.active.is_(True), ~member)
            .order_by(schools.c.code)
        )
        return [School.from_row(row) for row in await self.connection.execute(query)]
