"""Load a report from the database: the bulk queries, then the pure computation.

Every kind of report is named by :class:`ReportKind`; :func:`load_report`
reads what the kind needs through :class:`storage.repositories.report_data.ReportData`
and returns the computed, frozen report object that every renderer reads.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from zoneinfo import ZoneInfo

from domain.calendar import BANGKOK, fiscal_year_bounds, to_local
from reports.achievement import AchievementReport, compute_achievement
from reports.annual import AnnualReport, PublicEdition, public_edition
from reports.completeness import Completeness, compute_completeness, load_completeness
from reports.digest import DigestReport, compute_digest
from reports.projects import ProjectsReport, compute_projects
from reports.trend import TrendReport, compute_trend
from storage.models import Kpi, Project, Round, School
from storage.repositories import Repositories
from storage.repositories.report_data import CurrentKpiValue, CurrentProgress


class ReportKind(StrEnum):
    """The reports the office can pull."""

    COMPLETENESS = "completeness"
    ACHIEVEMENT = "achievement"
    SCORECARD = "scorecard"
    TREND = "trend"
    PROJECTS = "projects"
    DIGEST = "digest"
    ANNUAL = "annual"
    PUBLIC = "public"

    @property
    def needs_round(self) -> bool:
        """Whether the report is about one round only (others take a round or a fiscal year)."""
        return self in _ROUND_KINDS

    @property
    def yearly(self) -> bool:
        """Whether the report is about a whole fiscal year."""
        return self in _YEAR_KINDS

    @property
    def label_key(self) -> str:
        """Catalog key of the report's name."""
        return f"reports.kind.{self.value}"


_ROUND_KINDS = frozenset(
    {
        ReportKind.COMPLETENESS,
        ReportKind.ACHIEVEMENT,
        ReportKind.SCORECARD,
    }
)
_YEAR_KINDS = frozenset({ReportKind.TREND, ReportKind.ANNUAL, ReportKind.PUBLIC})


@dataclass(frozen=True, slots=True)
class ScorecardReport:
    """One school's scorecard in a round, with the district's figures beside it."""

    school: School
    achievement: AchievementReport


Report = (
    Completeness
    | AchievementReport
    | ScorecardReport
    | TrendReport
    | ProjectsReport
    | DigestReport
    | AnnualReport
    | PublicEdition
)


class ReportScopeError(LookupError):
    """The report needs a round, a fiscal year or a school it was not given."""


@dataclass(frozen=True, slots=True)
class ReportRequest:
    """What to report on: a kind, and the round or fiscal year (and school) it is about."""

    kind: ReportKind
    round: Round | None = None
    fiscal_year: int | None = None
    school: School | None = None

    @property
    def year(self) -> int:
        """The fiscal year in scope."""
        if self.round is not None:
            return self.round.fiscal_year
        if self.fiscal_year is None:
            raise ReportScopeError("a fiscal year or a round is needed")
        return self.fiscal_year


def _latest_values(
    values: Sequence[CurrentKpiValue], rounds: Sequence[Round]
) -> dict[tuple[int, int], Decimal]:
    """Each (school, KPI) item's value from the latest round that has one."""
    position = {round_.id: index for index, round_ in enumerate(rounds)}
    chosen: dict[tuple[int, int], CurrentKpiValue] = {}
    for value in values:
        key = (value.school_id, value.kpi_id)
        held = chosen.get(key)
        if held is None or position[value.round_id] > position[held.round_id]:
            chosen[key] = value
    return {key: value.value for key, value in chosen.items()}


def _owed(
    targets: dict[tuple[int, int], Decimal],
    kpis: Sequence[Kpi],
    schools: Sequence[School],
    rounds: Sequence[Round],
) -> list[tuple[int, int]]:
    """Items owed in at least one of ``rounds``: a target, and a frequency a round asked for."""
    frequencies = {frequency for round_ in rounds for frequency in round_.frequencies}
    asked = {kpi.id for kpi in kpis if kpi.frequency in frequencies}
    active = {school.id for school in schools}
    return [key for key in targets if key[1] in asked and key[0] in active]


async def load_achievement(
    repos: Repositories, round_: Round, *, now: dt.datetime
) -> AchievementReport:
    """KPI achievement of one round."""
    data = repos.report_data
    schools = await data.schools()
    kpis = await data.kpis()
    targets = await data.targets(round_.fiscal_year)
    values = await data.current_kpi_values([round_.id])
    return compute_achievement(
        fiscal_year=round_.fiscal_year,
        round_=round_,
        schools=schools,
        kpis=kpis,
        expected=_owed(targets, kpis, schools, [round_]),
        targets=targets,
        values={(v.school_id, v.kpi_id): v.value for v in values},
        now=now,
    )


def _rounds_up_to(rounds: Sequence[Round], round_: Round) -> list[Round]:
    return [r for r in rounds if (r.opens_at, r.id) <= (round_.opens_at, round_.id)]


def _as_of(round_: Round | None, fiscal_year: int, now: dt.datetime, tz: ZoneInfo) -> dt.date:
    """The day a projects report describes: the round's due day or the year's last, if passed."""
    today = to_local(now, tz).date()
    if round_ is not None:
        return min(today, to_local(round_.due_at, tz).date())
    return min(today, fiscal_year_bounds(fiscal_year)[1])


async def load_projects(
    repos: Repositories,
    *,
    fiscal_year: int,
    round_: Round | None,
    now: dt.datetime,
    tz: ZoneInfo = BANGKOK,
) -> ProjectsReport:
    """Projects as of a round (or of the fiscal year's latest reports)."""
    data = repos.report_data
    rounds = await data.rounds(fiscal_year)
    in_scope = rounds if round_ is None else _rounds_up_to(rounds, round_)
    return compute_projects(
        fiscal_year=fiscal_year,
        round_=round_,
        rounds_in_order=in_scope,
        projects=await data.projects(fiscal_year),
        schools=await data.schools(),
        reports=await data.latest_progress([r.id for r in in_scope]),
        as_of=_as_of(round_, fiscal_year, now, tz),
        now=now,
    )


async def load_digest(
    repos: Repositories, *, fiscal_year: int, round_: Round | None, now: dt.datetime
) -> DigestReport:
    """Problems and suggestions of a round, or of every round of a fiscal year."""
    data = repos.report_data
    rounds = await data.rounds(fiscal_year) if round_ is None else [round_]
    return compute_digest(
        fiscal_year=fiscal_year,
        round_=round_,
        rounds_in_order=rounds,
        projects=await data.projects(fiscal_year),
        schools=await data.schools(),
        reports=await data.current_progress([r.id for r in rounds]),
        now=now,
    )


@dataclass(frozen=True, slots=True)
class _YearData:
    """Everything a fiscal year's reports read, loaded once."""

    schools: list[School]
    kpis: list[Kpi]
    targets: dict[tuple[int, int], Decimal]
    values: list[CurrentKpiValue]
    projects: list[Project]
    progress: list[CurrentProgress]


async def _year_data(
    repos: Repositories, fiscal_year: int, rounds: Sequence[Round], *, with_projects: bool
) -> _YearData:
    data = repos.report_data
    round_ids = [r.id for r in rounds]
    return _YearData(
        schools=await data.schools(),
        kpis=await data.kpis(),
        targets=await data.targets(fiscal_year),
        values=await data.current_kpi_values(round_ids),
        projects=await data.projects(fiscal_year) if with_projects else [],
        progress=await data.current_progress(round_ids) if with_projects else [],
    )


def _yearly_achievements(
    fiscal_year: int, rounds: Sequence[Round], data: _YearData, *, now: dt.datetime
) -> tuple[list[AchievementReport], AchievementReport]:
    """Each round's achievement and the year's (latest values), from one read of the values."""
    per_round_values: dict[int, dict[tuple[int, int], Decimal]] = {r.id: {} for r in rounds}
    for value in data.values:
        per_round_values[value.round_id][(value.school_id, value.kpi_id)] = value.value
    per_round = [
        compute_achievement(
            fiscal_year=fiscal_year,
            round_=round_,
            schools=data.schools,
            kpis=data.kpis,
            expected=_owed(data.targets, data.kpis, data.schools, [round_]),
            targets=data.targets,
            values=per_round_values[round_.id],
            now=now,
        )
        for round_ in rounds
    ]
    year = compute_achievement(
        fiscal_year=fiscal_year,
        round_=None,
        schools=data.schools,
        kpis=data.kpis,
        expected=_owed(data.targets, data.kpis, data.schools, rounds),
        targets=data.targets,
        values=_latest_values(data.values, rounds),
        now=now,
    )
    return per_round, year


def _round_completeness(round_: Round, data: _YearData, *, now: dt.datetime) -> Completeness:
    """A round's completeness from the year's data, by the rules of :func:`load_completeness`.

    Items are keyed ("kpi", id) and ("project", id), as there; owed KPIs come
    from the targets and owed projects from the active projects of the year
    when the round asks for progress.
    """
    expected: list[tuple[int, Hashable]] = [
        (school_id, ("kpi", kpi_id))
        for school_id, kpi_id in _owed(data.targets, data.kpis, data.schools, [round_])
    ]
    project_school = {project.id: project.school_id for project in data.projects}
    if round_.includes_progress:
        expected += [(school_id, ("project", pid)) for pid, school_id in project_school.items()]
    first: dict[tuple[int, Hashable], dt.datetime] = {
        (v.school_id, ("kpi", v.kpi_id)): v.first_submitted_at
        for v in data.values
        if v.round_id == round_.id
    }
    first |= {
        (project_school[p.project_id], ("project", p.project_id)): p.first_submitted_at
        for p in data.progress
        if p.round_id == round_.id and p.project_id in project_school
    }
    return compute_completeness(
        round_, schools=data.schools, expected=expected, first_submitted=first, now=now
    )


async def opened_rounds(repos: Repositories, fiscal_year: int, now: dt.datetime) -> list[Round]:
    """A fiscal year's rounds that have opened by ``now``, in order."""
    return [r for r in await repos.report_data.rounds(fiscal_year) if r.opens_at <= now]


async def load_trend(
    repos: Repositories, *, fiscal_year: int, school: School | None, now: dt.datetime
) -> TrendReport:
    """Every KPI across the opened rounds of a fiscal year (and one school's, if given)."""
    rounds = await opened_rounds(repos, fiscal_year, now)
    data = await _year_data(repos, fiscal_year, rounds, with_projects=False)
    per_round, _ = _yearly_achievements(fiscal_year, rounds, data, now=now)
    return compute_trend(
        fiscal_year=fiscal_year, per_round=per_round, kpis=data.kpis, school=school, now=now
    )


async def load_annual(
    repos: Repositories, *, fiscal_year: int, now: dt.datetime, tz: ZoneInfo = BANGKOK
) -> AnnualReport:
    """The annual report of a fiscal year, over the rounds opened so far."""
    rounds = await opened_rounds(repos, fiscal_year, now)
    data = await _year_data(repos, fiscal_year, rounds, with_projects=True)
    per_round, year = _yearly_achievements(fiscal_year, rounds, data, now=now)
    kpis, schools, projects, progress = data.kpis, data.schools, data.projects, data.progress
    return AnnualReport(
        fiscal_year=fiscal_year,
        rounds=tuple(_round_completeness(r, data, now=now) for r in rounds),
        achievement=year,
        trend=compute_trend(
            fiscal_year=fiscal_year, per_round=per_round, kpis=kpis, school=None, now=now
        ),
        projects=compute_projects(
            fiscal_year=fiscal_year,
            round_=None,
            rounds_in_order=rounds,
            projects=projects,
            schools=schools,
            reports=progress,
            as_of=_as_of(None, fiscal_year, now, tz),
            now=now,
        ),
        digest=compute_digest(
            fiscal_year=fiscal_year,
            round_=None,
            rounds_in_order=rounds,
            projects=projects,
            schools=schools,
            reports=progress,
            now=now,
        ),
        schools=len(schools),
        computed_at=now,
    )


async def load_report(
    repos: Repositories, request: ReportRequest, *, now: dt.datetime, tz: ZoneInfo = BANGKOK
) -> Report:
    """Compute the requested report from the database."""
    kind = request.kind
    if kind.needs_round and request.round is None:
        raise ReportScopeError(f"{kind.value} is a report of one round")
    round_ = request.round
    match kind:
        case ReportKind.COMPLETENESS:
            assert round_ is not None
            return await load_completeness(repos, round_, now=now)
        case ReportKind.ACHIEVEMENT:
            assert round_ is not None
            return await load_achievement(repos, round_, now=now)
        case ReportKind.SCORECARD:
            assert round_ is not None
            if request.school is None:
                raise ReportScopeError("a scorecard is of one school")
            return ScorecardReport(request.school, await load_achievement(repos, round_, now=now))
        case ReportKind.PROJECTS:
            return await load_projects(
                repos,
                fiscal_year=request.year,
                round_=round_,
                now=now,
                tz=tz,
            )
        case ReportKind.DIGEST:
            return await load_digest(repos, fiscal_year=request.year, round_=round_, now=now)
        case ReportKind.TREND:
            return await load_trend(repos, fiscal_year=request.year, school=request.school, now=now)
        case ReportKind.ANNUAL:
            return await load_annual(repos, fiscal_year=request.year, now=now, tz=tz)
        case ReportKind.PUBLIC:
            return public_edition(
                await load_annual(repos, fiscal_year=request.year, now=now, tz=tz)
            )
