"""The fiscal-year annual report, and its public edition.

The annual report gathers the year: completeness of every round that has
opened, KPI achievement on each item's latest value in the year, the trend
of every KPI across the rounds, projects as of the year's last report, and
the problems and suggestions digest.

The public edition is for anyone to read. It carries aggregates only: the
district's totals per round, per KPI and for projects. It holds no school
rows, no project names, no free text (problems, suggestions and notes may
name people), and nothing about people: no names and no Telegram ids. The
types below make that structural: a :class:`PublicEdition` has no field
that could hold a person, a school or a project.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from reports.achievement import AchievementReport, KpiAcross
from reports.completeness import Completeness
from reports.digest import DigestReport
from reports.figures import rate
from reports.projects import ProjectsReport, ProjectTotals
from reports.trend import TrendReport
from storage.models import Round


@dataclass(frozen=True, slots=True)
class AnnualReport:
    """Everything the office reports about one fiscal year."""

    fiscal_year: int
    rounds: tuple[Completeness, ...]
    achievement: AchievementReport
    trend: TrendReport
    projects: ProjectsReport
    digest: DigestReport
    schools: int
    computed_at: dt.datetime


@dataclass(frozen=True, slots=True)
class RoundTotals:
    """A round's district totals, without any school's row."""

    round: Round
    schools_expecting: int
    schools_complete: int
    expected: int
    submitted: int
    on_time: int
    late: int

    @property
    def missing(self) -> int:
        return self.expected - self.submitted

    @property
    def item_rate(self) -> Decimal | None:
        return rate(self.submitted, self.expected)

    @property
    def school_rate(self) -> Decimal | None:
        return rate(self.schools_complete, self.schools_expecting)

    @property
    def timeliness_rate(self) -> Decimal | None:
        return rate(self.on_time, self.submitted)


@dataclass(frozen=True, slots=True)
class PublicEdition:
    """The annual report for the public: district aggregates only."""

    fiscal_year: int
    schools: int
    rounds: tuple[RoundTotals, ...]
    kpis: tuple[KpiAcross, ...]
    projects: ProjectTotals
    computed_at: dt.datetime


def round_totals(report: Completeness) -> RoundTotals:
    """A round's completeness reduced to district totals."""
    return RoundTotals(
        round=report.round,
        schools_expecting=len(report.expecting),
        schools_complete=len(report.complete_schools),
        expected=report.expected,
        submitted=report.submitted,
        on_time=report.on_time,
        late=report.late,
    )


def public_edition(annual: AnnualReport) -> PublicEdition:
    """The public edition of an annual report: the same figures, aggregated."""
    return PublicEdition(
        fiscal_year=annual.fiscal_year,
        schools=annual.schools,
        rounds=tuple(round_totals(report) for report in annual.rounds),
        kpis=annual.achievement.kpis,
        projects=annual.projects.district,
        computed_at=annual.computed_at,
    )
