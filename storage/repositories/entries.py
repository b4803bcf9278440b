"""Entries schools submit: KPI values and project progress reports.

Entries are versioned. The current entry of an item is its highest version;
a correction inserts the next version. The unique key (item, version) makes a
lost race visible as an integrity error instead of a silent overwrite.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import func, insert, select

from domain.values import ProjectStatus
from storage.models import KpiValue, ProgressReport, Round
from storage.repositories.base import Repository
from storage.schema import kpi_values, progress_reports, projects, rounds


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

    async def versions(self, *, school_id: int, round_id: int, kpi_id: int) -> list[KpiValue]:
        """Every version of one item, oldest first."""
        result = await self.connection.execute(
            select(kpi_values)
            .where(
                kpi_values.c.school_id == school_id,
                kpi_values.c.round_id == round_id,
                kpi_values.c.kpi_id == kpi_id,
            )
            .order_by(kpi_values.c.version)
        )
        return [KpiValue.from_row(row) for row in result]

    async def latest_before_each(self, *, school_id: int, round_: Round) -> dict[int, KpiValue]:
        """Each KPI's current value in the school's latest earlier round, by KPI id.

        Last round's values, for the /kpi questions and the soft checks. One
        query over the school's own earlier values: a question needs all of
        them, and a query per KPI filtered by KPI id would read that KPI's
        values of every school in the country.
        """
        result = await self.connection.execute(
            select(kpi_values)
            .join(rounds, rounds.c.id == kpi_values.c.round_id)
            .where(kpi_values.c.school_id == school_id, rounds.c.opens_at < round_.opens_at)
            .order_by(rounds.c.opens_at.desc(), kpi_values.c.version.desc())
        )
        latest: dict[int, KpiValue] = {}
        for row in result:
            if row.kpi_id not in latest:
                latest[row.kpi_id] = KpiValue.from_row(row)
        return latest

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
        return {(int(row.school_id), int(row.kpi_id)): _aware(row.first_at) for row in result}


class ProgressReports(Repository):
    """Project progress reports by project and round, with every version kept."""

    async def current(self, *, project_id: int, round_id: int) -> ProgressReport | None:
        """The latest version for one project in one round."""
        row = (
            await self.connection.execute(
                select(progress_reports)
                .where(
                    progress_reports.c.project_id == project_id,
                    progress_reports.c.round_id == round_id,
                )
                .order_by(progress_reports.c.version.desc())
                .limit(1)
            )
        ).first()
        return None if row is None else ProgressReport.from_row(row)

    async def versions(self, *, project_id: int, round_id: int) -> list[ProgressReport]:
        """Every version of one project's report in a round, oldest first."""
        result = await self.connection.execute(
            select(progress_reports)
            .where(
                progress_reports.c.project_id == project_id,
                progress_reports.c.round_id == round_id,
            )
            .order_by(progress_reports.c.version)
        )
        return [ProgressReport.from_row(row) for row in result]

    async def latest_before(self, *, project_id: int, round_: Round) -> ProgressReport | None:
        """The current report of the project in the latest earlier round (for soft checks)."""
        row = (
            await self.connection.execute(
                select(progress_reports)
                .join(rounds, rounds.c.id == progress_reports.c.round_id)
                .where(
                    progress_reports.c.project_id == project_id,
                    rounds.c.opens_at < round_.opens_at,
                )
                .order_by(rounds.c.opens_at.desc(), progress_reports.c.version.desc())
                .limit(1)
            )
        ).first()
        return None if row is None else ProgressReport.from_row(row)

    async def add_version(
        self,
        *,
        project_id: int,
        round_id: int,
        status: ProjectStatus,
        percent_complete: Decimal,
        budget_spent: Decimal,
        submitted_by_id: int,
        now: dt.datetime,
        outputs: str | None = None,
        problems: str | None = None,
        suggestions: str | None = None,
        reason: str | None = None,
    ) -> ProgressReport:
        """Store the next version of a project's report and return it."""
        latest = await self.current(project_id=project_id, round_id=round_id)
        version = 1 if latest is None else latest.version + 1
        result = await self.connection.execute(
            insert(progress_reports).values(
                project_id=project_id,
                round_id=round_id,
                version=version,
                status=status.value,
                percent_complete=percent_complete,
                budget_spent=budget_spent,
                outputs=outputs,
                problems=problems,
                suggestions=suggestions,
                reason=reason,
                submitted_by_id=submitted_by_id,
                submitted_at=now,
            )
        )
        assert result.inserted_primary_key is not None
        row = (
            await self.connection.execute(
                select(progress_reports).where(
                    progress_reports.c.id == result.inserted_primary_key[0]
                )
            )
        ).one()
        return ProgressReport.from_row(row)

    async def reported_project_ids(self, *, school_id: int, round_id: int) -> set[int]:
        """Projects of a school with at least one report version in a round."""
        result = await self.connection.execute(
            select(progress_reports.c.project_id)
            .join(projects, projects.c.id == progress_reports.c.project_id)
            .where(projects.c.school_id == school_id, progress_reports.c.round_id == round_id)
            .distinct()
        )
        return {int(row.project_id) for row in result}

    async def first_submissions(self, round_id: int) -> dict[tuple[int, int], dt.datetime]:
        """When each (school, project) item was first reported in a round."""
        result = await self.connection.execute(
            select(
                projects.c.school_id,
                progress_reports.c.project_id,
                func.min(progress_reports.c.submitted_at).label("first_at"),
            )
            .join(projects, projects.c.id == progress_reports.c.project_id)
            .where(progress_reports.c.round_id == round_id)
            .group_by(projects.c.school_id, progress_reports.c.project_id)
        )
        return {(int(row.school_id), int(row.project_id)): _aware(row.first_at) for row in result}


def _aware(value: dt.datetime | str) -> dt.datetime:
    """An aggregate over a UTC column, as an aware datetime on any backend."""
    moment = dt.datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)
