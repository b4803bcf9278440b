"""Trend across the rounds of a fiscal year: of every KPI, and of one school.

Each point is the achievement report of that round (:mod:`reports.achievement`),
so a trend shows exactly the figures the round's own report shows.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from reports.achievement import AchievementReport, KpiAcross, KpiResult
from storage.models import Kpi, Round, School


@dataclass(frozen=True, slots=True)
class KpiTrend:
    """One KPI's district figures per round (None where the round did not ask for it)."""

    kpi: Kpi
    points: tuple[KpiAcross | None, ...]


@dataclass(frozen=True, slots=True)
class SchoolKpiTrend:
    """One school's result for one KPI per round (None where it was not owed)."""

    kpi: Kpi
    points: tuple[KpiResult | None, ...]


@dataclass(frozen=True, slots=True)
class TrendReport:
    """KPI trends across rounds, and one school's when a school was chosen."""

    fiscal_year: int
    rounds: tuple[Round, ...]
    kpis: tuple[KpiTrend, ...]
    school: School | None
    school_kpis: tuple[SchoolKpiTrend, ...]
    computed_at: dt.datetime


def compute_trend(
    *,
    fiscal_year: int,
    per_round: Sequence[AchievementReport],
    kpis: Sequence[Kpi],
    school: School | None,
    now: dt.datetime,
) -> TrendReport:
    """Line up each round's achievement by KPI (and for one school)."""
    rounds = tuple(report.round for report in per_round if report.round is not None)
    kpi_rows = []
    school_rows = []
    for kpi in kpis:
        points = tuple(
            next((row for row in report.kpis if row.kpi.id == kpi.id), None) for report in per_round
        )
        if any(point is not None for point in points):
            kpi_rows.append(KpiTrend(kpi, points))
        if school is not None:
            school_points = []
            for report in per_round:
                card = report.scorecard(school.id)
                found = None
                if card is not None:
                    found = next((r for r in card.results if r.kpi.id == kpi.id), None)
                school_points.append(found)
            if any(point is not None for point in school_points):
                school_rows.append(SchoolKpiTrend(kpi, tuple(school_points)))
    return TrendReport(fiscal_year, rounds, tuple(kpi_rows), school, tuple(school_rows), now)
