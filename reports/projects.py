"""Projects: where they stand, how much of the budget is spent, which are behind.

Figures are *as of* a round: each project's current report in that round,
or, when it has not reported in it yet, its latest report in an earlier round
of the same fiscal year (progress and spending are to date, so the last
known figures still hold). A project that has never reported counts as
"not reported" and is left out of the averages.

Behind schedule: a project is behind when the share of its planned time
that has elapsed exceeds its reported percent complete by more than
:data:`BEHIND_SCHEDULE_POINTS` percentage points (e.g. 60 % of the time gone
and 30 % done). Completed and cancelled projects are never behind; projects
without planned dates or without a report are not judged.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Final

from domain.values import ProjectStatus
from reports.figures import ONE_DECIMAL, mean, rate
from storage.models import Project, Round, School
from storage.repositories.report_data import CurrentProgress

BEHIND_SCHEDULE_POINTS: Final = Decimal(25)
"""How many points progress may trail the elapsed share of planned time before it is behind."""

_SETTLED: Final = frozenset({ProjectStatus.COMPLETED, ProjectStatus.CANCELLED})


def elapsed_share(start: dt.date | None, end: dt.date | None, as_of: dt.date) -> Decimal | None:
    """Percent of the planned time gone by ``as_of`` (0–100, one decimal); None without dates."""
    if start is None or end is None:
        return None
    if as_of <= start:
        return Decimal(0).quantize(ONE_DECIMAL)
    if as_of >= end or end <= start:
        return Decimal(100).quantize(ONE_DECIMAL)
    share = Decimal((as_of - start).days) * 100 / Decimal((end - start).days)
    return share.quantize(ONE_DECIMAL, rounding=ROUND_HALF_UP)


@dataclass(frozen=True, slots=True)
class ProjectRow:
    """One project as of the report's moment."""

    project: Project
    school: School
    report: CurrentProgress | None
    reported_in_scope: bool
    elapsed: Decimal | None

    @property
    def status(self) -> ProjectStatus | None:
        return None if self.report is None else self.report.status

    @property
    def percent_complete(self) -> Decimal | None:
        return None if self.report is None else self.report.percent_complete

    @property
    def spent(self) -> Decimal:
        return Decimal(0) if self.report is None else self.report.budget_spent

    @property
    def disbursement_rate(self) -> Decimal | None:
        return rate(self.spent, self.project.budget_allocated)

    @property
    def gap(self) -> Decimal | None:
        """Points by which progress trails the elapsed share of time (negative: ahead)."""
        if self.elapsed is None or self.report is None:
            return None
        return self.elapsed - self.report.percent_complete

    @property
    def behind(self) -> bool:
        gap = self.gap
        return gap is not None and self.status not in _SETTLED and gap > BEHIND_SCHEDULE_POINTS


@dataclass(frozen=True, slots=True)
class ProjectTotals:
    """Counts and money over a set of projects (the district, or one school)."""

    count: int
    by_status: tuple[tuple[ProjectStatus | None, int], ...]
    reported: int
    average_progress: Decimal | None
    allocated: Decimal
    spent: Decimal
    behind: int

    @property
    def disbursement_rate(self) -> Decimal | None:
        return rate(self.spent, self.allocated)


def totals(rows: Sequence[ProjectRow]) -> ProjectTotals:
    """Counts by status (None = never reported), average progress, money and projects behind.

    The average progress leaves out cancelled projects, whose percent says
    nothing about the work done.
    """
    counts: dict[ProjectStatus | None, int] = {status: 0 for status in ProjectStatus}
    counts[None] = 0
    for row in rows:
        counts[row.status] += 1
    progress = [
        row.report.percent_complete
        for row in rows
        if row.report is not None and row.report.status is not ProjectStatus.CANCELLED
    ]
    return ProjectTotals(
        count=len(rows),
        by_status=tuple(counts.items()),
        reported=sum(1 for row in rows if row.report is not None),
        average_progress=mean(progress, places=ONE_DECIMAL),
        allocated=sum((row.project.budget_allocated for row in rows), Decimal(0)),
        spent=sum((row.spent for row in rows), Decimal(0)),
        behind=sum(1 for row in rows if row.behind),
    )


@dataclass(frozen=True, slots=True)
class SchoolProjects:
    """One school's projects and their totals."""

    school: School
    totals: ProjectTotals


@dataclass(frozen=True, slots=True)
class ProjectsReport:
    """Every active project of a fiscal year, as of a round or the year's end."""

    fiscal_year: int
    round: Round | None
    as_of: dt.date
    rows: tuple[ProjectRow, ...]
    district: ProjectTotals
    schools: tuple[SchoolProjects, ...]
    computed_at: dt.datetime

    @property
    def behind(self) -> tuple[ProjectRow, ...]:
        """Projects behind schedule, the furthest behind first."""
        late = [row for row in self.rows if row.behind]
        return tuple(sorted(late, key=lambda row: (-(row.gap or 0), row.project.code)))


def compute_projects(
    *,
    fiscal_year: int,
    round_: Round | None,
    rounds_in_order: Sequence[Round],
    projects: Iterable[Project],
    schools: Iterable[School],
    reports: Iterable[CurrentProgress],
    as_of: dt.date,
    now: dt.datetime,
) -> ProjectsReport:
    """Place every project as of the last of ``rounds_in_order`` (its reports carried forward).

    ``rounds_in_order`` are the rounds whose reports count, oldest first; the
    report of the latest round a project reported in is its current state.
    """
    school_by_id = {school.id: school for school in schools}
    scope_id = rounds_in_order[-1].id if rounds_in_order else None
    latest = latest_reports(reports, rounds_in_order)
    rows = []
    for project in sorted(projects, key=lambda p: p.code):
        school = school_by_id.get(project.school_id)
        if school is None:
            continue
        report = latest.get(project.id)
        rows.append(
            ProjectRow(
                project=project,
                school=school,
                report=report,
                reported_in_scope=report is not None
                and (round_ is None or report.round_id == scope_id),
                elapsed=elapsed_share(project.planned_start, project.planned_end, as_of),
            )
        )
    by_school: dict[int, list[ProjectRow]] = {}
    for row in rows:
        by_school.setdefault(row.school.id, []).append(row)
    schools_rows = tuple(
        SchoolProjects(school_by_id[school_id], totals(school_rows))
        for school_id, school_rows in sorted(
            by_school.items(), key=lambda item: school_by_id[item[0]].code
        )
    )
    return ProjectsReport(fiscal_year, round_, as_of, tuple(rows), totals(rows), schools_rows, now)


def latest_reports(
    reports: Iterable[CurrentProgress], rounds_in_order: Sequence[Round]
) -> Mapping[int, CurrentProgress]:
    """Each project's report from the latest of ``rounds_in_order`` it reported in."""
    position = {round_.id: index for index, round_ in enumerate(rounds_in_order)}
    latest: dict[int, CurrentProgress] = {}
    for report in reports:
        if report.round_id not in position:
            continue
        held = latest.get(report.project_id)
        if held is None or position[report.round_id] > position[held.round_id]:
            latest[report.project_id] = report
    return latest
