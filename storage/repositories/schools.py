"""Schools and the district office."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import insert, select, update

from storage.models import School
from storage.repositories.base import Repository
from storage.schema import schools


class Schools(Repository):
    """The schools of the district, and the office as a unit of its own."""

    async def get(self, school_id: int) -> School | None:
        """One school by id."""
        row = (
            await self.connection.execute(select(schools).where(schools.c.id == school_id))
        ).first()
        return None if row is None else School.from_row(row)

    async def by_code(self, code: str) -> School | None:
        """One school by its code."""
        row = (await self.connection.execute(select(schools).where(schools.c.code == code))).first()
        return None if row is None else School.from_row(row)

    async def list(self, *, kind: str | None = "school", active_only: bool = True) -> list[School]:
        """Schools ordered by code; ``kind=None`` includes the office."""
        query = select(schools).order_by(schools.c.code)
        if kind is not None:
            query = query.where(schools.c.kind == kind)
        if active_only:
            query = query.where(schools.c.active.is_(True))
        return [School.from_row(row) for row in await self.connection.execute(query)]

    async def office(self) -> School | None:
        """The district office's own unit."""
        row = (
            await self.connection.execute(
                select(schools).where(schools.c.kind == "office").order_by(schools.c.id).limit(1)
            )
        ).first()
        return None if row is None else School.from_row(row)

    async def upsert(
        self,
        *,
        code: str,
        name_th: str,
        now: dt.datetime,
        kind: str = "school",
        name_en: str | None = None,
        province: str | None = None,
        district: str | None = None,
        subdistrict: str | None = None,
        obec_code: str | None = None,
        active: bool = True,
    ) -> tuple[int, bool]:
        """Create or update a school by code; return (id, created)."""
        values = {
            "kind": kind,
            "name_th": name_th,
            "name_en": name_en,
            "province": province,
            "district": district,
            "subdistrict": subdistrict,
            "obec_code": obec_code,
            "active": active,
        }
        existing = await self.by_code(code)
        if existing is None:
            result = await self.connection.execute(
                insert(schools).values(code=code, created_at=now, updated_at=now, **values)
            )
            assert result.inserted_primary_key is not None
            return int(result.inserted_primary_key[0]), True
        await self.connection.execute(
            update(schools).where(schools.c.id == existing.id).values(updated_at=now, **values)
        )
        return existing.id, False
