"""Completeness and timeliness of a round: who submitted what, on time or late."""

from __future__ import annotations

import datetime as dt
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from reports.figures import rate
from storage.models import Round, School
from storage.repositories import Repositories


@dataclass(frozen=True, slots=True)
class SchoolCompleteness:
    """One school's items in a round."""

    school: School
    expected: int
    on_time: int
    late: int

    @property
    def submitted(self) -> int:
        return self.on_time + self.late

    @property
    def missing(self) -> int:
        return self.expected - self.submitted

    @property
    def complete(self) -> bool:
        """Every expected item is in (a school owing nothing counts as complete)."""
        return self.missing == 0

    @property
    def rate(self) -> Decimal | None:
        return rate(self.submitted, self.expected)


@dataclass(frozen=True, slots=True)
class Completeness:
    """A round's completeness for every school that owes something, and totals."""

    round: Round
    schools: tuple[SchoolCompleteness, ...]
    computed_at: dt.datetime

    @property
    def expecting(self) -> tuple[SchoolCompleteness, ...]:
        """Schools that owe at least one item."""
        return tuple(row for row in self.schools if row.expected > 0)

    @property
    def complete_schools(self) -> tuple[SchoolCompleteness, ...]:
        return tuple(row for row in self.expecting if row.complete)

    @property
    def incomplete_schools(self) -> tuple[SchoolCompleteness, ...]:
        return tuple(row for row in self.expecting if not row.complete)

    @property
    def expected(self) -> int:
        return sum(row.expected for row in self.schools)

    @property
    def submitted(self) -> int:
        return sum(row.submitted for row in self.schools)

    @property
    def on_time(self) -> int:
        return sum(row.on_time for row in self.schools)

    @property
    def late(self) -> int:
        return sum(row.late for row in self.schools)

    @property
    def missing(self) -> int:
        return self.expected - self.submitted

    @property
    def item_rate(self) -> Decimal | None:
        return rate(self.submitted, self.expected)

    @property
    def school_rate(self) -> Decimal | None:
        return rate(len(self.complete_schools), len(self.expecting))

    @property
    def timeliness_rate(self) -> Decimal | None:
        """Share of submitted items that came in by the due time."""
        return rate(self.on_time, self.submitted)


def compute_completeness(
    round_: Round,
    *,
    schools: Iterable[School],
    expected: Iterable[tuple[int, Hashable]],
    first_submitted: Mapping[tuple[int, Hashable], dt.datetime],
    now: dt.datetime,
) -> Completeness:
    """Count, per school, expected items and those submitted on time or late.

    ``expected`` holds (school id, item id) pairs; ``first_submitted`` maps the
    same pairs to when the item's first version arrived. Later corrections do
    not make an on-time item late. Submissions of items no longer expected
    are ignored.
    """
    expected_by_school: dict[int, set[Hashable]] = {}
    for school_id, item_id in expected:
        expected_by_school.setdefault(school_id, set()).add(item_id)
    rows = []
    for school in sorted(schools, key=lambda s: s.code):
        items = expected_by_school.get(school.id, set())
        on_time = late = 0
        for item_id in items:
            first = first_submitted.get((school.id, item_id))
            if first is None:
                continue
            if first <= round_.due_at:
                on_time += 1
            else:
                late += 1
        rows.append(SchoolCompleteness(school, len(items), on_time, late))
    return Completeness(round_, tuple(rows), now)


async def load_completeness(
    repos: Repositories, round_: Round, *, now: dt.datetime
) -> Completeness:
    """Completeness of a round from the database: KPI values and project reports.

    Items are keyed ("kpi", id) and ("project", id) so the two kinds never collide.
    """
    schools = await repos.schools.list(kind="school")
    expected: list[tuple[int, Hashable]] = [
        (school_id, ("kpi", kpi_id))
        for school_id, kpi_id in await repos.plan.expected_kpi_pairs(round_)
    ]
    expected += [
        (school_id, ("project", project_id))
        for school_id, project_id in await repos.plan.expected_project_pairs(round_)
    ]
    kpi_firsts = await repos.kpi_values.first_submissions(round_.id)
    project_firsts = await repos.progress.first_submissions(round_.id)
    first: dict[tuple[int, Hashable], dt.datetime] = {
        (school_id, ("kpi", kpi_id)): at for (school_id, kpi_id), at in kpi_firsts.items()
    }
    first |= {
        (school_id, ("project", project_id)): at
        for (school_id, project_id), at in project_firsts.items()
    }
    return compute_completeness(
        round_, schools=schools, expected=expected, first_submitted=first, now=now
    )
