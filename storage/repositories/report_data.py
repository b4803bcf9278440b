"""The read model of the reports: bulk queries over the plan and the current entries.

Reports read whole rounds or fiscal years at once, so these queries return
every row they need in one statement each instead of one item at a time.
"Current" always means the highest version of an item (a correction adds a
version, see :mod:`storage.repositories.entries`); the time an item was first
submitted comes along, because timeliness is judged by the first version.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, fields
from decimal import Decimal
from typing import Any, NamedTuple

from sqlalchemy import and_, func, select

from domain.values import ProjectStatus
from storage.models import Kpi, Project, Round, School
from storage.repositories.base import Repository
from storage.schema import (
    fiscal_years,
    kpi_values,
    kpis,
    progress_reports,
    projects,
    rounds,
    schools,
    strategies,
    targets,
)


class CurrentKpiValue(NamedTuple):
    """The latest version of one KPI value (school, round, KPI).

    A named tuple, not a dataclass: a district's year has a few hundred
    thousand of these, and tuples are built several times faster.
    """

    school_id: int
    kpi_id: int
    round_id: int
    value: Decimal
    version: int
    first_submitted_at: dt.datetime


class CurrentProgress(NamedTuple):
    """The latest version of one project's progress report in one round."""

    project_id: int
    round_id: int
    status: ProjectStatus
    percent_complete: Decimal
    budget_spent: Decimal
    outputs: str | None
    problems: str | None
    suggestions: str | None
    version: int
    first_submitted_at: dt.datetime


@dataclass(frozen=True, slots=True)
class StrategyName:
    """A strategy of the plan, for grouping projects and KPIs."""

    id: int
    code: str
    name_th: str
    name_en: str | None

    def name(self, lang: str) -> str:
        """The strategy's name in a language (Thai when no English is kept)."""
        return self.name_en if lang == "en" and self.name_en else self.name_th


_PROGRESS_COLUMNS = (
    progress_reports.c.project_id,
    progress_reports.c.round_id,
    progress_reports.c.status,
    progress_reports.c.percent_complete,
    progress_reports.c.budget_spent,
    progress_reports.c.outputs,
    progress_reports.c.problems,
    progress_reports.c.suggestions,
    progress_reports.c.version,
)


def _aware(value: dt.datetime | str) -> dt.datetime:
    """An aggregate over a UTC column, as an aware datetime on any backend."""
    moment = dt.datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)


class ReportData(Repository):
    """Everything the report engine reads, in bulk."""

    async def fiscal_years(self) -> list[int]:
        """Fiscal years known to the plan, latest first."""
        result = await self.connection.execute(
            select(fiscal_years.c.year).order_by(fiscal_years.c.year.desc())
        )
        return [int(row.year) for row in result]

    async def schools(self) -> list[School]:
        """Active schools (not the office), by code."""
        result = await self.connection.execute(
            select(schools)
            .where(schools.c.kind == "school", schools.c.active.is_(True))
            .order_by(schools.c.code)
        )
        return [School.from_row(row) for row in result]

    async def kpis(self) -> list[Kpi]:
        """Active KPIs in the plan's order."""
        result = await self.connection.execute(
            select(kpis).where(kpis.c.active.is_(True)).order_by(kpis.c.sort_order, kpis.c.code)
        )
        return [Kpi.from_row(row) for row in result]

    async def strategies(self) -> list[StrategyName]:
        """Strategies in the plan's order."""
        result = await self.connection.execute(
            select(strategies).order_by(strategies.c.sort_order, strategies.c.code)
        )
        return [StrategyName(row.id, row.code, row.name_th, row.name_en) for row in result]

    async def rounds(self, fiscal_year: int) -> list[Round]:
        """A fiscal year's rounds in the order they open."""
        result = await self.connection.execute(
            select(rounds)
            .where(rounds.c.fiscal_year == fiscal_year)
            .order_by(rounds.c.opens_at, rounds.c.id)
        )
        return [Round.from_row(row) for row in result]

    async def targets(self, fiscal_year: int) -> dict[tuple[int, int], Decimal]:
        """Every agreed target of a fiscal year, by (school id, KPI id)."""
        result = await self.connection.execute(
            select(targets.c.school_id, targets.c.kpi_id, targets.c.target_value).where(
                targets.c.fiscal_year == fiscal_year
            )
        )
        return {(int(row.school_id), int(row.kpi_id)): row.target_value for row in result}

    async def projects(self, fiscal_year: int) -> list[Project]:
        """Active projects of a fiscal year owned by active schools, in no particular order."""
        columns = [projects.c[field.name] for field in fields(Project)]
        result = await self.connection.execute(
            select(*columns)
            .join(schools, schools.c.id == projects.c.school_id)
            .where(
                projects.c.fiscal_year == fiscal_year,
                projects.c.active.is_(True),
                schools.c.active.is_(True),
                schools.c.kind == "school",
            )
        )
        # positional construction: twenty thousand projects, no per-row field lookup
        return [Project(*row) for row in result]

    async def current_kpi_values(self, round_ids: Sequence[int]) -> list[CurrentKpiValue]:
        """The current version of every KPI value submitted in the given rounds."""
        if not round_ids:
            return []
        latest = (
            select(
                kpi_values.c.school_id,
                kpi_values.c.round_id,
                kpi_values.c.kpi_id,
                func.max(kpi_values.c.version).label("version"),
                func.min(kpi_values.c.submitted_at).label("first_at"),
            )
            .where(kpi_values.c.round_id.in_(round_ids))
            .group_by(kpi_values.c.school_id, kpi_values.c.round_id, kpi_values.c.kpi_id)
            .subquery()
        )
        query = select(
            kpi_values.c.school_id,
            kpi_values.c.kpi_id,
            kpi_values.c.round_id,
            kpi_values.c.value,
            kpi_values.c.version,
            latest.c.first_at,
        ).join(
            latest,
            and_(
                kpi_values.c.school_id == latest.c.school_id,
                kpi_values.c.round_id == latest.c.round_id,
                kpi_values.c.kpi_id == latest.c.kpi_id,
                kpi_values.c.version == latest.c.version,
            ),
        )
        result = await self.connection.execute(query)
        return [
            CurrentKpiValue(
                row.school_id,
                row.kpi_id,
                row.round_id,
                row.value,
                row.version,
                _aware(row.first_at),
            )
            for row in result
        ]

    async def latest_progress(self, round_ids: Sequence[int]) -> list[CurrentProgress]:
        """Per project, its current report from the latest of the given rounds it reported in.

        "Latest" is by the rounds' opening; one row per project, so a report
        as of the year's fourth round reads a project once, not four times
        (two rounds opening at the same moment may both come back; the report
        engine keeps the later one).
        """
        if not round_ids:
            return []
        # the opening of the latest round each project reported in…
        reported_rounds = rounds.alias("reported_rounds")
        latest_round = (
            select(
                progress_reports.c.project_id,
                func.max(reported_rounds.c.opens_at).label("opens_at"),
            )
            .join(reported_rounds, reported_rounds.c.id == progress_reports.c.round_id)
            .where(progress_reports.c.round_id.in_(round_ids))
            .group_by(progress_reports.c.project_id)
            .subquery()
        )
        # …and the current version of each (project, round)
        current = (
            select(
                progress_reports.c.project_id,
                progress_reports.c.round_id,
                func.max(progress_reports.c.version).label("version"),
                func.min(progress_reports.c.submitted_at).label("first_at"),
            )
            .where(progress_reports.c.round_id.in_(round_ids))
            .group_by(progress_reports.c.project_id, progress_reports.c.round_id)
            .subquery()
        )
        # (GROUP BY beats a window function here: it walks the unique index)
        query = (
            select(*_PROGRESS_COLUMNS, current.c.first_at)
            .join(rounds, rounds.c.id == progress_reports.c.round_id)
            .join(
                latest_round,
                and_(
                    latest_round.c.project_id == progress_reports.c.project_id,
                    latest_round.c.opens_at == rounds.c.opens_at,
                ),
            )
            .join(
                current,
                and_(
                    current.c.project_id == progress_reports.c.project_id,
                    current.c.round_id == progress_reports.c.round_id,
                    current.c.version == progress_reports.c.version,
                ),
            )
            .where(progress_reports.c.round_id.in_(round_ids))
        )
        result = await self.connection.execute(query)
        return [_progress(row) for row in result]

    async def current_progress(self, round_ids: Sequence[int]) -> list[CurrentProgress]:
        """The current version of every progress report submitted in the given rounds."""
        if not round_ids:
            return []
        latest = (
            select(
                progress_reports.c.project_id,
                progress_reports.c.round_id,
                func.max(progress_reports.c.version).label("version"),
                func.min(progress_reports.c.submitted_at).label("first_at"),
            )
            .where(progress_reports.c.round_id.in_(round_ids))
            .group_by(progress_reports.c.project_id, progress_reports.c.round_id)
            .subquery()
        )
        query = select(
            progress_reports.c.project_id,
            progress_reports.c.round_id,
            progress_reports.c.status,
            progress_reports.c.percent_complete,
            progress_reports.c.budget_spent,
            progress_reports.c.outputs,
            progress_reports.c.problems,
            progress_reports.c.suggestions,
            progress_reports.c.version,
            latest.c.first_at,
        ).join(
            latest,
            and_(
                progress_reports.c.project_id == latest.c.project_id,
                progress_reports.c.round_id == latest.c.round_id,
                progress_reports.c.version == latest.c.version,
            ),
        )
        result = await self.connection.execute(query)
        return [_progress(row) for row in result]


def _progress(row: Any) -> CurrentProgress:
    return CurrentProgress(
        row.project_id,
        row.round_id,
        ProjectStatus(row.status),
        row.percent_complete,
        row.budget_spent,
        row.outputs,
        row.problems,
        row.suggestions,
        row.version,
        _aware(row.first_at),
    )
