"""The office's plan: fiscal years, strategies, KPIs, targets, projects, rounds."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import and_, insert, select, update

from storage.models import Kpi, Project, Round
from storage.repositories.base import Repository
from storage.schema import fiscal_years, kpis, projects, rounds, schools, targets


class Plan(Repository):
    """Read and write the plan the office imports."""

    async def ensure_fiscal_year(self, year: int, *, starts_on: dt.date, ends_on: dt.date) -> None:
        """Create the fiscal year row if it is not there yet."""
        exists = (
            await self.connection.execute(
                select(fiscal_years.c.year).where(fiscal_years.c.year == year)
            )
        ).first()
        if exists is None:
            await self.connection.execute(
                insert(fiscal_years).values(year=year, starts_on=starts_on, ends_on=ends_on)
            )

    async def round(self, round_id: int) -> Round | None:
        """One round by id."""
        row = (await self.connection.execute(select(rounds).where(rounds.c.id == round_id))).first()
        return None if row is None else Round.from_row(row)

    async def round_by_code(self, code: str) -> Round | None:
        """One round by its code."""
        row = (await self.connection.execute(select(rounds).where(rounds.c.code == code))).first()
        return None if row is None else Round.from_row(row)

    async def rounds(self, *, fiscal_year: int | None = None) -> list[Round]:
        """Rounds in the order they open."""
        query = select(rounds).order_by(rounds.c.opens_at, rounds.c.id)
        if fiscal_year is not None:
            query = query.where(rounds.c.fiscal_year == fiscal_year)
        return [Round.from_row(row) for row in await self.connection.execute(query)]

    async def open_rounds(self, now: dt.datetime) -> list[Round]:
        """Rounds accepting entries now, the one due soonest first."""
        query = (
            select(rounds)
            .where(rounds.c.opens_at <= now, rounds.c.closed_at.is_(None))
            .order_by(rounds.c.due_at, rounds.c.id)
        )
        return [Round.from_row(row) for row in await self.connection.execute(query)]

    async def current_round(self, now: dt.datetime) -> Round | None:
        """The round people mean by "this round".

        The open round due soonest that is not yet overdue; when all open rounds
        are overdue, the one opened last.
        """
        open_rounds = await self.open_rounds(now)
        upcoming = [r for r in open_rounds if r.due_at >= now]
        if upcoming:
            return upcoming[0]
        return max(open_rounds, key=lambda r: (r.opens_at, r.id), default=None)

    async def create_round(
        self,
        *,
        code: str,
        fiscal_year: int,
        name_th: str,
        opens_at: dt.datetime,
        due_at: dt.datetime,
        now: dt.datetime,
        name_en: str | None = None,
        includes_progress: bool = True,
        kpi_frequencies: str = "each_round",
    ) -> int:
        """Add a round; return its id."""
        result = await self.connection.execute(
            insert(rounds).values(
                code=code,
                fiscal_year=fiscal_year,
                name_th=name_th,
                name_en=name_en,
                opens_at=opens_at,
                due_at=due_at,
                includes_progress=includes_progress,
                kpi_frequencies=kpi_frequencies,
                created_at=now,
                updated_at=now,
            )
        )
        assert result.inserted_primary_key is not None
        return int(result.inserted_primary_key[0])

    async def kpi(self, kpi_id: int) -> Kpi | None:
        """One KPI by id."""
        row = (await self.connection.execute(select(kpis).where(kpis.c.id == kpi_id))).first()
        return None if row is None else Kpi.from_row(row)

    async def create_kpi(
        self,
        *,
        code: str,
        name_th: str,
        unit_th: str,
        value_type: str,
        now: dt.datetime,
        name_en: str | None = None,
        unit_en: str | None = None,
        direction: str = "higher_better",
        frequency: str = "each_round",
        scoring_bands: str | None = None,
        sort_order: int = 0,
        strategy_id: int | None = None,
        csf_id: int | None = None,
    ) -> int:
        """Add a KPI; return its id."""
        result = await self.connection.execute(
            insert(kpis).values(
                code=code,
                name_th=name_th,
                name_en=name_en,
                unit_th=unit_th,
                unit_en=unit_en,
                value_type=value_type,
                direction=direction,
                frequency=frequency,
                scoring_bands=scoring_bands,
                sort_order=sort_order,
                strategy_id=strategy_id,
                csf_id=csf_id,
                created_at=now,
                updated_at=now,
            )
        )
        assert result.inserted_primary_key is not None
        return int(result.inserted_primary_key[0])

    async def set_target(
        self, *, school_id: int, kpi_id: int, fiscal_year: int, value: Decimal, now: dt.datetime
    ) -> None:
        """Create or change a school's target for a KPI in a fiscal year."""
        match = and_(
            targets.c.school_id == school_id,
            targets.c.kpi_id == kpi_id,
            targets.c.fiscal_year == fiscal_year,
        )
        result = await self.connection.execute(
            update(targets).where(match).values(target_value=value, updated_at=now)
        )
        if result.rowcount == 0:
            await self.connection.execute(
                insert(targets).values(
                    school_id=school_id,
                    kpi_id=kpi_id,
                    fiscal_year=fiscal_year,
                    target_value=value,
                    created_at=now,
                    updated_at=now,
                )
            )

    async def expected_kpis(self, *, school_id: int, round_: Round) -> list[tuple[Kpi, Decimal]]:
        """KPIs a school owes in a round, with its target.

        A school owes a KPI when the KPI's frequency is due in the round and the
        school has agreed a target for it in the round's fiscal year: the
        performance agreement is what assigns an indicator to a school.
        """
        query = (
            select(kpis, targets.c.target_value)
            .join(targets, targets.c.kpi_id == kpis.c.id)
            .where(
                targets.c.school_id == school_id,
                targets.c.fiscal_year == round_.fiscal_year,
                kpis.c.active.is_(True),
                kpis.c.frequency.in_([f.value for f in round_.frequencies]),
            )
            .order_by(kpis.c.sort_order, kpis.c.code)
        )
        return [
            (Kpi.from_row(row), row.target_value) for row in await self.connection.execute(query)
        ]

    async def expected_kpi_pairs(self, round_: Round) -> list[tuple[int, int]]:
        """(school id, KPI id) of every KPI owed in a round by an active school."""

        query = (
            select(targets.c.school_id, targets.c.kpi_id)
            .join(kpis, kpis.c.id == targets.c.kpi_id)
            .join(schools, schools.c.id == targets.c.school_id)
            .where(
                targets.c.fiscal_year == round_.fiscal_year,
                kpis.c.active.is_(True),
                schools.c.active.is_(True),
                schools.c.kind == "school",
                kpis.c.frequency.in_([f.value for f in round_.frequencies]),
            )
        )
        return [
            (int(row.school_id), int(row.kpi_id)) for row in await self.connection.execute(query)
        ]

    async def project(self, project_id: int) -> Project | None:
        """One project by id."""
        row = (
            await self.connection.execute(select(projects).where(projects.c.id == project_id))
        ).first()
        return None if row is None else Project.from_row(row)

    async def projects(
        self,
        *,
        school_id: int | None = None,
        fiscal_year: int | None = None,
        active_only: bool = True,
    ) -> list[Project]:
        """Projects ordered by code, filtered by owner and fiscal year."""
        query = select(projects).order_by(projects.c.code)
        if school_id is not None:
            query = query.where(projects.c.school_id == school_id)
        if fiscal_year is not None:
            query = query.where(projects.c.fiscal_year == fiscal_year)
        if active_only:
            query = query.where(projects.c.active.is_(True))
        return [Project.from_row(row) for row in await self.connection.execute(query)]

    async def create_project(
        self,
        *,
        code: str,
        fiscal_year: int,
        school_id: int,
        name: str,
        now: dt.datetime,
        budget_allocated: Decimal = Decimal(0),
        strategy_id: int | None = None,
        responsible_name: str | None = None,
        responsible_person_id: int | None = None,
        planned_start: dt.date | None = None,
        planned_end: dt.date | None = None,
    ) -> int:
        """Add a project; return its id."""
        result = await self.connection.execute(
            insert(projects).values(
                code=code,
                fiscal_year=fiscal_year,
                school_id=school_id,
                name=name,
                budget_allocated=budget_allocated,
                strategy_id=strategy_id,
                responsible_name=responsible_name,
                responsible_person_id=responsible_person_id,
                planned_start=planned_start,
                planned_end=planned_end,
                created_at=now,
                updated_at=now,
            )
        )
        assert result.inserted_primary_key is not None
        return int(result.inserted_primary_key[0])

    async def expected_projects(self, *, school_id: int, round_: Round) -> list[Project]:
        """Projects a school must report on in a round (none when the round asks no progress)."""
        if not round_.includes_progress:
            return []
        return await self.projects(school_id=school_id, fiscal_year=round_.fiscal_year)

    async def expected_project_pairs(self, round_: Round) -> list[tuple[int, int]]:
        """(school id, project id) of every project report owed in a round by an active school."""
        if not round_.includes_progress:
            return []
        query = (
            select(projects.c.school_id, projects.c.id)
            .join(schools, schools.c.id == projects.c.school_id)
            .where(
                projects.c.fiscal_year == round_.fiscal_year,
                projects.c.active.is_(True),
                schools.c.active.is_(True),
                schools.c.kind == "school",
            )
        )
        return [(int(row.school_id), int(row.id)) for row in await self.connection.execute(query)]
