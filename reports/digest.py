"""Problems and suggestions from progress reports, by school and project.

The basis of the office's proposals to the area committee: every current
progress report in scope that names a problem or a suggestion. Over a fiscal
year a project that repeats the same text in a later round is listed once,
at the latest round that said it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from domain.values import ProjectStatus
from storage.models import Project, Round, School
from storage.repositories.report_data import CurrentProgress


@dataclass(frozen=True, slots=True)
class DigestEntry:
    """What one project's report said in one round."""

    school: School
    project: Project
    round: Round
    status: ProjectStatus
    problems: str | None
    suggestions: str | None


@dataclass(frozen=True, slots=True)
class SchoolDigest:
    """One school's entries, by project code then round."""

    school: School
    entries: tuple[DigestEntry, ...]


@dataclass(frozen=True, slots=True)
class DigestReport:
    """Problems and suggestions of a round or a fiscal year."""

    fiscal_year: int
    round: Round | None
    schools: tuple[SchoolDigest, ...]
    computed_at: dt.datetime

    @property
    def entries(self) -> tuple[DigestEntry, ...]:
        return tuple(entry for school in self.schools for entry in school.entries)

    @property
    def problems(self) -> int:
        return sum(1 for entry in self.entries if entry.problems)

    @property
    def suggestions(self) -> int:
        return sum(1 for entry in self.entries if entry.suggestions)


def _said(text: str | None) -> str | None:
    stripped = (text or "").strip()
    return stripped or None


def compute_digest(
    *,
    fiscal_year: int,
    round_: Round | None,
    rounds_in_order: Sequence[Round],
    projects: Iterable[Project],
    schools: Iterable[School],
    reports: Iterable[CurrentProgress],
    now: dt.datetime,
) -> DigestReport:
    """Collect the texts of the reports in ``rounds_in_order``, grouped by school and project."""
    position = {r.id: index for index, r in enumerate(rounds_in_order)}
    project_by_id = {project.id: project for project in projects}
    school_by_id = {school.id: school for school in schools}
    by_project: dict[int, list[CurrentProgress]] = {}
    for report in reports:
        if report.round_id in position and report.project_id in project_by_id:
            by_project.setdefault(report.project_id, []).append(report)
    by_school: dict[int, list[DigestEntry]] = {}
    for project_id, project_reports in by_project.items():
        project = project_by_id[project_id]
        school = school_by_id.get(project.school_id)
        if school is None:
            continue
        kept: list[DigestEntry] = []
        for report in sorted(project_reports, key=lambda r: position[r.round_id], reverse=True):
            problems, suggestions = _said(report.problems), _said(report.suggestions)
            if problems is None and suggestions is None:
                continue
            if any(e.problems == problems and e.suggestions == suggestions for e in kept):
                continue  # the same words again: keep only the latest round's
            kept.append(
                DigestEntry(
                    school,
                    project,
                    rounds_in_order[position[report.round_id]],
                    report.status,
                    problems,
                    suggestions,
                )
            )
        by_school.setdefault(school.id, []).extend(reversed(kept))
    schools_out = tuple(
        SchoolDigest(
            school_by_id[school_id],
            tuple(sorted(entries, key=lambda e: (e.project.code, position[e.round.id]))),
        )
        for school_id, entries in sorted(
            by_school.items(), key=lambda item: school_by_id[item[0]].code
        )
    )
    return DigestReport(fiscal_year, round_, schools_out, now)
