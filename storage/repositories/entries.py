"""Entries schools submit: KPI values (progress reports follow the same pattern).

Entries are versioned. The current entry of an item is its highest version;
a correction inserts the next version. The unique key (item, version) makes a
lost race visible as an integrity error instead of a silent overwrite.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import func, insert, select

from storage.models import KpiValue
from storage.repositories.base import Repository
from storage.schema import kpi_values


class KpiValues(Repository):
    """KPI values by school, round and KPI, with every version kept."""

    async def current(self, *, school_id: int, round_id: int, kpi_id: int) -> KpiValue | None:
        """The latest version for one item, if any was submitted."""
        row = (
            await self.connection.execute(
                select(kpi_values)
                .where(
                    kpi_values.c.school_id == school_id,
                    kpi_values.c.round_id == round_id,
                    kpi_values.c.kpi_id == kpi_id,
                )
                .order_by(kpi_values.c.version.desc())
                .limit(1)
            )
        ).first()
        return None if row is None else KpiValue.from_row(row)

    async def add_version(
        self,
        *,
        school_id: int,
        round_id: int,
        kpi_id: int,
        value: Decimal,
        submitted_by_id: int,
        now: dt.datetime,
        note: str | None = None,
        reason: str | None = None,
    ) -> KpiValue:
        """Store the next version of an item and return it."""
        latest = await self.current(school_id=school_id, round_id=round_id, kpi_id=kpi_id)
        version = 1 if latest is None else latest.version + 1
        result = await self.connection.execute(
            insert(kpi_values).values(
                school_id=school_id,
                round_id=round_id,
                kpi_id=kpi_id,
                version=version,
                value=value,
                note=note,
                reason=reason,
                submitted_by_id=submitted_by_id,
                submitted_at=now,
            )
        )
        assert result.inserted_primary_key is not None
        row = (
            await self.connection.execute(
                select(kpi_values).where(kpi_values.c.id == result.inserted_primary_key[0])
            )
        ).one()
        return KpiValue.from_row(row)

    async def submitted_kpi_ids(self, *, school_id: int, round_id: int) -> set[int]:
        """KPIs with at least one version from a school in a round."""
        result = await self.connection.execute(
            select(kpi_values.c.kpi_id)
            .where(kpi_values.c.school_id == school_id, kpi_values.c.round_id == round_id)
            .distinct()
        )
        return {int(row.kpi_id) for row in result}

    async def first_submissions(self, round_id: int) -> dict[tuple[int, int], dt.datetime]:
        """When each (school, KPI) item was first submitted in a round."""
        result = await self.connection.execute(
            select(
                kpi_values.c.school_id,
                kpi_values.c.kpi_id,
                func.min(kpi_values.c.submitted_at).label("first_at"),
            )
            .where(kpi_values.c.round_id == round_id)
            .group_by(kpi_values.c.school_id, kpi_values.c.kpi_id)
        )
        out: dict[tuple[int, int], dt.datetime] = {}
        for row in result:
            first_at = row.first_at
            if isinstance(first_at, str):
                first_at = dt.datetime.fromisoformat(first_at)
            out[(int(row.school_id), int(row.kpi_id))] = first_at.replace(tzinfo=dt.UTC)
        return out
