"""KPI achievement: each KPI across schools, and each school's scorecard.

A school owes a KPI in a round when it agreed a target for it in the round's
fiscal year and the KPI's frequency is due in the round (the same rule as
completeness, so both reports count the same items). Each item is judged by
its current value (latest version) against the school's target with
:func:`domain.values.achievement`, and scored with the KPI's scoring bands.

Across schools: *reported* counts schools with a value, *mean*, *min* and
*max* are over reported values (not for yes/no KPIs, where they mean
nothing; there the count of "yes" is the figure), *met* counts schools
meeting their target, and the met rate is met / reported.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import NamedTuple

from domain.errors import InvalidInput
from domain.values import ScoringBand, ValueType, achievement, parse_bands, score
from reports.figures import mean, rate
from storage.models import Kpi, Round, School


class KpiResult(NamedTuple):
    """One school's current result for one KPI it owes; ``value`` None when not reported.

    A named tuple: a district's round has tens of thousands of these.
    """

    school: School
    kpi: Kpi
    target: Decimal | None
    value: Decimal | None
    percent_of_target: Decimal | None
    met: bool | None
    score: int | None

    @property
    def reported(self) -> bool:
        return self.value is not None


@dataclass(frozen=True, slots=True)
class KpiAcross:
    """One KPI across the schools that owe it."""

    kpi: Kpi
    expected: int
    reported: int
    mean: Decimal | None
    minimum: Decimal | None
    maximum: Decimal | None
    met: int
    not_met: int

    @property
    def met_rate(self) -> Decimal | None:
        """Schools meeting the target, as a share of those judged (reported with a target)."""
        return rate(self.met, self.met + self.not_met)

    @property
    def reported_rate(self) -> Decimal | None:
        return rate(self.reported, self.expected)


@dataclass(frozen=True, slots=True)
class Scorecard:
    """One school's results for every KPI it owes."""

    school: School
    results: tuple[KpiResult, ...]

    @property
    def expected(self) -> int:
        return len(self.results)

    @property
    def reported(self) -> int:
        return sum(1 for result in self.results if result.reported)

    @property
    def met(self) -> int:
        return sum(1 for result in self.results if result.met is True)

    @property
    def judged(self) -> int:
        return sum(1 for result in self.results if result.met is not None)

    @property
    def met_rate(self) -> Decimal | None:
        return rate(self.met, self.judged)

    @property
    def mean_score(self) -> Decimal | None:
        """The mean of the scores of KPIs that have scoring bands and a value."""
        return mean([Decimal(r.score) for r in self.results if r.score is not None])


@dataclass(frozen=True, slots=True)
class AchievementReport:
    """KPI achievement in a scope: one round, or a fiscal year's latest values."""

    fiscal_year: int
    round: Round | None
    kpis: tuple[KpiAcross, ...]
    scorecards: tuple[Scorecard, ...]
    computed_at: dt.datetime

    def scorecard(self, school_id: int) -> Scorecard | None:
        """The scorecard of one school, if it owes any KPI."""
        return next((card for card in self.scorecards if card.school.id == school_id), None)

    @property
    def expected(self) -> int:
        return sum(row.expected for row in self.kpis)

    @property
    def reported(self) -> int:
        return sum(row.reported for row in self.kpis)

    @property
    def met(self) -> int:
        return sum(row.met for row in self.kpis)

    @property
    def judged(self) -> int:
        return sum(row.met + row.not_met for row in self.kpis)

    @property
    def met_rate(self) -> Decimal | None:
        return rate(self.met, self.judged)


def kpi_bands(kpi: Kpi) -> tuple[ScoringBand, ...]:
    """The KPI's scoring bands; none when it has none or they cannot be read.

    Bands are validated on import; a malformed text that slipped in earlier
    must not stop a report, it only leaves the score blank.
    """
    if not kpi.scoring_bands:
        return ()
    try:
        return parse_bands(kpi.scoring_bands)
    except InvalidInput:
        return ()


def judge(school: School, kpi: Kpi, *, value: Decimal | None, target: Decimal | None) -> KpiResult:
    """One school's result for one KPI."""
    return _judge(school, kpi, value=value, target=target, bands=kpi_bands(kpi))


def _judge(
    school: School,
    kpi: Kpi,
    *,
    value: Decimal | None,
    target: Decimal | None,
    bands: Sequence[ScoringBand],
) -> KpiResult:
    if value is None:
        return KpiResult(school, kpi, target, None, None, None, None)
    reached = achievement(value, target, value_type=kpi.value_type, direction=kpi.direction)
    return KpiResult(
        school,
        kpi,
        target,
        value,
        reached.percent_of_target,
        reached.met,
        score(value, bands) if bands else None,
    )


def compute_achievement(
    *,
    fiscal_year: int,
    round_: Round | None,
    schools: Iterable[School],
    kpis: Iterable[Kpi],
    expected: Iterable[tuple[int, int]],
    targets: Mapping[tuple[int, int], Decimal],
    values: Mapping[tuple[int, int], Decimal],
    now: dt.datetime,
) -> AchievementReport:
    """Judge every owed (school id, KPI id) item by its value and the school's target.

    Values of items not owed are ignored, like in completeness.
    """
    owed = set(expected)
    kpi_list = list(kpis)
    school_list = sorted(schools, key=lambda s: s.code)
    bands = {kpi.id: kpi_bands(kpi) for kpi in kpi_list}
    by_kpi: dict[int, list[KpiResult]] = {kpi.id: [] for kpi in kpi_list}
    cards = []
    for school in school_list:
        results = []
        for kpi in kpi_list:
            key = (school.id, kpi.id)
            if key not in owed:
                continue
            result = _judge(
                school, kpi, value=values.get(key), target=targets.get(key), bands=bands[kpi.id]
            )
            results.append(result)
            by_kpi[kpi.id].append(result)
        if results:
            cards.append(Scorecard(school, tuple(results)))
    across = tuple(_across(kpi, by_kpi[kpi.id]) for kpi in kpi_list if by_kpi[kpi.id])
    return AchievementReport(fiscal_year, round_, across, tuple(cards), now)


def _across(kpi: Kpi, results: Sequence[KpiResult]) -> KpiAcross:
    values = [r.value for r in results if r.value is not None]
    numeric = kpi.value_type is not ValueType.YES_NO
    return KpiAcross(
        kpi=kpi,
        expected=len(results),
        reported=len(values),
        mean=mean(values) if numeric else None,
        minimum=min(values) if numeric and values else None,
        maximum=max(values) if numeric and values else None,
        met=sum(1 for r in results if r.met is True),
        not_met=sum(1 for r in results if r.met is False),
    )
