"""Each report as a :class:`~reports.document.Document`: headings, tables and charts.

Headings come from the catalogs (``reports.*``) in the reader's language;
figures are the report objects' own, untouched. Long detail tables go to the
spreadsheet only, and charts over many schools show the lowest or largest
few, so a district of a thousand schools still gets a PDF one can read.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from typing import Final

from domain.calendar import format_date, format_datetime, format_fiscal_year
from domain.i18n import Lang, plain
from domain.values import ProjectStatus
from reports.achievement import AchievementReport, KpiAcross, Scorecard
from reports.annual import AnnualReport, PublicEdition, RoundTotals, round_totals
from reports.completeness import Completeness
from reports.digest import DigestReport
from reports.document import Cell, Chart, Column, ColumnKind, Document, Series, Sheet, shown
from reports.engine import Report, ScorecardReport
from reports.figures import rate
from reports.projects import BEHIND_SCHEDULE_POINTS, ProjectsReport, ProjectTotals
from reports.trend import TrendReport
from storage.models import Round

CHART_SCHOOLS: Final = 30
"""Schools a chart shows at most (the lowest completeness, the largest budgets)."""
PDF_LONG_LIST: Final = 200
"""Rows of a long list (projects behind, problems) the PDF prints; the rest is in XLSX."""

TEXT, INT, DEC, PCT, MONEY, FLAG = (
    ColumnKind.TEXT,
    ColumnKind.INTEGER,
    ColumnKind.DECIMAL,
    ColumnKind.PERCENT,
    ColumnKind.MONEY,
    ColumnKind.FLAG,
)


class _Words:
    """Catalog texts of the reports in one language."""

    def __init__(self, lang: Lang) -> None:
        self.lang = lang

    def __call__(self, key: str, /, **params: object) -> str:
        return plain(self.lang, f"reports.{key}", **params)

    def col(self, key: str, kind: ColumnKind = TEXT, width: float = 1.0) -> Column:
        if kind is FLAG:
            return Column(
                self(f"col.{key}"), kind, width, self(f"flag.{key}.yes"), self(f"flag.{key}.no")
            )
        return Column(self(f"col.{key}"), kind, width)

    def status(self, status: ProjectStatus | None) -> str:
        if status is None:
            return self("status_none")
        return plain(self.lang, status.label_key)

    def percent(self, value: Decimal | None) -> str:
        return "–" if value is None else f"{shown(value)}%"

    def money(self, value: Decimal) -> str:
        return plain(self.lang, "money.amount", amount=shown(value.quantize(Decimal("0.01"))))


def _round_line(words: _Words, round_: Round) -> str:
    return words(
        "scope.round", round=round_.name(words.lang), due=format_datetime(round_.due_at, words.lang)
    )


def _document(
    words: _Words,
    *,
    kind: str,
    office: str,
    fiscal_year: int,
    scope: Sequence[str],
    now: dt.datetime,
    highlights: Sequence[tuple[str, str]],
    sheets: Sequence[Sheet],
    charts: Sequence[Chart] = (),
    public: bool = False,
) -> Document:
    lang = words.lang
    return Document(
        kind=kind,
        lang=lang,
        title=words(f"title.{kind}"),
        office=office,
        scope=(format_fiscal_year(fiscal_year, lang, span=True), *scope),
        generated_at=now,
        generated_label=words("scope.generated", at=format_datetime(now, lang)),
        highlights=tuple(highlights),
        sheets=tuple(sheets),
        charts=tuple(charts),
        public=public,
    )


# ---------------------------------------------------------------- completeness


def _completeness_highlights(words: _Words, totals: RoundTotals) -> list[tuple[str, str]]:
    return [
        (
            words("figure.schools_complete"),
            words(
                "figure.count_of",
                count=totals.schools_complete,
                total=totals.schools_expecting,
                rate=words.percent(totals.school_rate),
            ),
        ),
        (
            words("figure.items_submitted"),
            words(
                "figure.count_of",
                count=totals.submitted,
                total=totals.expected,
                rate=words.percent(totals.item_rate),
            ),
        ),
        (
            words("figure.on_time"),
            words(
                "figure.count_of",
                count=totals.on_time,
                total=totals.submitted,
                rate=words.percent(totals.timeliness_rate),
            ),
        ),
        (words("figure.late"), str(totals.late)),
        (words("figure.missing"), str(totals.missing)),
    ]


def _round_totals_columns(words: _Words) -> tuple[Column, ...]:
    return (
        words.col("schools_expecting", INT),
        words.col("schools_complete", INT),
        words.col("school_rate", PCT),
        words.col("expected", INT),
        words.col("submitted", INT),
        words.col("on_time", INT),
        words.col("late", INT),
        words.col("missing", INT),
        words.col("item_rate", PCT),
        words.col("timeliness_rate", PCT),
    )


def _round_totals_cells(totals: RoundTotals) -> tuple[Cell, ...]:
    return (
        totals.schools_expecting,
        totals.schools_complete,
        totals.school_rate,
        totals.expected,
        totals.submitted,
        totals.on_time,
        totals.late,
        totals.missing,
        totals.item_rate,
        totals.timeliness_rate,
    )


def _completeness_chart(words: _Words, report: Completeness) -> Chart:
    rows = sorted(report.expecting, key=lambda r: (r.rate or Decimal(0), r.school.code))
    shown_rows = rows[:CHART_SCHOOLS]
    note = (
        words("chart.lowest_note", shown=len(shown_rows), total=len(rows))
        if len(rows) > len(shown_rows)
        else ""
    )
    return Chart(
        key="completeness",
        title=words("chart.completeness"),
        labels=tuple(r.school.name(words.lang) for r in shown_rows),
        series=(Series(words("col.rate"), tuple(r.rate for r in shown_rows)),),
        reference=report.item_rate,
        reference_label=words("chart.district"),
        note=note,
    )


def completeness_document(report: Completeness, lang: Lang, office: str) -> Document:
    """Completeness and timeliness of a round: totals, schools, and the lowest schools' chart."""
    words = _Words(lang)
    totals = round_totals(report)
    schools = Sheet(
        key="schools",
        name=words("sheet.schools"),
        title=words("sheet.completeness_schools"),
        columns=(
            words.col("code", TEXT, 0.6),
            words.col("school", TEXT, 2.6),
            words.col("expected", INT),
            words.col("submitted", INT),
            words.col("on_time", INT),
            words.col("late", INT),
            words.col("missing", INT),
            words.col("rate", PCT),
            words.col("complete", FLAG),
        ),
        rows=tuple(
            (
                row.school.code,
                row.school.name(lang),
                row.expected,
                row.submitted,
                row.on_time,
                row.late,
                row.missing,
                row.rate,
                row.complete,
            )
            for row in report.expecting
        ),
    )
    return _document(
        words,
        kind="completeness",
        office=office,
        fiscal_year=report.round.fiscal_year,
        scope=[_round_line(words, report.round)],
        now=report.computed_at,
        highlights=_completeness_highlights(words, totals),
        sheets=[
            Sheet(
                key="totals",
                name=words("sheet.totals"),
                title=words("sheet.district_totals"),
                columns=_round_totals_columns(words),
                rows=(_round_totals_cells(totals),),
            ),
            schools,
        ],
        charts=[_completeness_chart(words, report)],
    )


# ---------------------------------------------------------------- achievement


def _achievement_highlights(words: _Words, report: AchievementReport) -> list[tuple[str, str]]:
    return [
        (words("figure.kpis"), str(len(report.kpis))),
        (
            words("figure.items_reported"),
            words(
                "figure.count_of",
                count=report.reported,
                total=report.expected,
                rate=words.percent(rate(report.reported, report.expected)),
            ),
        ),
        (
            words("figure.items_met"),
            words(
                "figure.count_of",
                count=report.met,
                total=report.judged,
                rate=words.percent(report.met_rate),
            ),
        ),
    ]


def _kpi_sheet(words: _Words, rows: Sequence[KpiAcross], *, key: str = "kpis") -> Sheet:
    lang = words.lang
    return Sheet(
        key=key,
        name=words("sheet.kpis"),
        title=words("sheet.kpis_title"),
        columns=(
            words.col("kpi_code", TEXT, 0.6),
            words.col("kpi", TEXT, 3.2),
            words.col("unit", TEXT, 0.7),
            words.col("expected", INT, 0.7),
            words.col("reported", INT, 0.7),
            words.col("mean", DEC, 0.8),
            words.col("minimum", DEC, 0.7),
            words.col("maximum", DEC, 0.7),
            words.col("met", INT, 0.7),
            words.col("not_met", INT, 0.7),
            words.col("met_rate", PCT, 0.8),
        ),
        rows=tuple(
            (
                row.kpi.code,
                row.kpi.name(lang),
                row.kpi.unit(lang),
                row.expected,
                row.reported,
                row.mean,
                row.minimum,
                row.maximum,
                row.met,
                row.not_met,
                row.met_rate,
            )
            for row in rows
        ),
    )


def _school_summary_sheet(words: _Words, cards: Sequence[Scorecard]) -> Sheet:
    lang = words.lang
    return Sheet(
        key="schools",
        name=words("sheet.schools"),
        title=words("sheet.achievement_schools"),
        columns=(
            words.col("code", TEXT, 0.6),
            words.col("school", TEXT, 2.6),
            words.col("expected", INT),
            words.col("reported", INT),
            words.col("met", INT),
            words.col("met_rate", PCT),
            words.col("mean_score", DEC),
        ),
        rows=tuple(
            (
                card.school.code,
                card.school.name(lang),
                card.expected,
                card.reported,
                card.met,
                card.met_rate,
                card.mean_score,
            )
            for card in cards
        ),
    )


def _scorecard_columns(words: _Words, *, with_school: bool) -> tuple[Column, ...]:
    school = (words.col("code", TEXT, 0.6), words.col("school", TEXT, 2.0)) if with_school else ()
    return (
        *school,
        words.col("kpi_code", TEXT, 0.6),
        *(() if with_school else (words.col("kpi", TEXT, 3.0),)),
        words.col("value", DEC, 0.8),
        words.col("target", DEC, 0.8),
        words.col("percent_of_target", PCT, 0.9),
        words.col("met", FLAG, 0.8),
        words.col("score", INT, 0.6),
    )


def _scorecard_rows(
    words: _Words, cards: Sequence[Scorecard], *, with_school: bool
) -> tuple[tuple[Cell, ...], ...]:
    lang = words.lang
    rows: list[tuple[Cell, ...]] = []
    for card in cards:
        for r in card.results:
            school: tuple[Cell, ...] = (
                (card.school.code, card.school.name(lang)) if with_school else ()
            )
            kpi: tuple[Cell, ...] = () if with_school else (r.kpi.name(lang),)
            rows.append(
                (*school, r.kpi.code, *kpi, r.value, r.target, r.percent_of_target, r.met, r.score)
            )
    return tuple(rows)


def _achievement_chart(words: _Words, rows: Sequence[KpiAcross]) -> Chart:
    return Chart(
        key="achievement",
        title=words("chart.achievement"),
        labels=tuple(row.kpi.code for row in rows),
        series=(Series(words("col.met_rate"), tuple(row.met_rate for row in rows)),),
    )


def achievement_document(report: AchievementReport, lang: Lang, office: str) -> Document:
    """KPI achievement: per KPI across schools, per school, and every school's scorecard."""
    words = _Words(lang)
    scope = [] if report.round is None else [_round_line(words, report.round)]
    return _document(
        words,
        kind="achievement",
        office=office,
        fiscal_year=report.fiscal_year,
        scope=scope,
        now=report.computed_at,
        highlights=_achievement_highlights(words, report),
        sheets=[
            _kpi_sheet(words, report.kpis),
            _school_summary_sheet(words, report.scorecards),
            Sheet(
                key="scorecards",
                name=words("sheet.scorecards"),
                title=words("sheet.scorecards_title"),
                columns=_scorecard_columns(words, with_school=True),
                rows=_scorecard_rows(words, report.scorecards, with_school=True),
                in_pdf=False,
            ),
        ],
        charts=[_achievement_chart(words, report.kpis)],
    )


def scorecard_document(report: ScorecardReport, lang: Lang, office: str) -> Document:
    """One school's scorecard (only that school's figures, and the district means)."""
    words = _Words(lang)
    achievement = report.achievement
    card = achievement.scorecard(report.school.id) or Scorecard(report.school, ())
    means = {row.kpi.id: row.mean for row in achievement.kpis}
    columns = (*_scorecard_columns(words, with_school=False), words.col("district_mean", DEC, 0.9))
    rows = tuple(
        (*row, means.get(result.kpi.id))
        for row, result in zip(
            _scorecard_rows(words, [card], with_school=False), card.results, strict=True
        )
    )
    scope = [words("scope.school", school=report.school.name(lang))]
    if achievement.round is not None:
        scope.append(_round_line(words, achievement.round))
    return _document(
        words,
        kind="scorecard",
        office=office,
        fiscal_year=achievement.fiscal_year,
        scope=scope,
        now=achievement.computed_at,
        highlights=[
            (
                words("figure.items_reported"),
                words(
                    "figure.count_of",
                    count=card.reported,
                    total=card.expected,
                    rate=words.percent(rate(card.reported, card.expected)),
                ),
            ),
            (
                words("figure.items_met"),
                words(
                    "figure.count_of",
                    count=card.met,
                    total=card.judged,
                    rate=words.percent(card.met_rate),
                ),
            ),
            (
                words("figure.mean_score"),
                "–" if card.mean_score is None else shown(card.mean_score),
            ),
        ],
        sheets=[
            Sheet(
                key="scorecard",
                name=words("sheet.scorecard"),
                title=words("sheet.scorecard_title", school=report.school.name(lang)),
                columns=columns,
                rows=rows,
            )
        ],
        charts=[
            Chart(
                key="scorecard",
                title=words("chart.scorecard"),
                labels=tuple(r.kpi.code for r in card.results),
                series=(
                    Series(
                        words("col.percent_of_target"),
                        tuple(r.percent_of_target for r in card.results),
                    ),
                ),
                reference=Decimal(100),
                reference_label=words("chart.target"),
            )
        ],
    )


# ---------------------------------------------------------------- trend


def trend_document(report: TrendReport, lang: Lang, office: str) -> Document:
    """Every KPI's mean and met rate per round, and one school's values when chosen."""
    words = _Words(lang)
    round_columns: list[Column] = []
    for round_ in report.rounds:
        round_columns.append(Column(words("col.mean_in", round=round_.code), DEC, 0.8))
        round_columns.append(Column(words("col.met_rate_in", round=round_.code), PCT, 0.8))
    rows: list[tuple[Cell, ...]] = []
    for trend in report.kpis:
        cells: list[Cell] = [trend.kpi.code, trend.kpi.name(lang)]
        for point in trend.points:
            cells += [None, None] if point is None else [point.mean, point.met_rate]
        rows.append(tuple(cells))
    sheets = [
        Sheet(
            key="trend",
            name=words("sheet.trend"),
            title=words("sheet.trend_title"),
            columns=(words.col("kpi_code", TEXT, 0.6), words.col("kpi", TEXT, 3.0), *round_columns),
            rows=tuple(rows),
        )
    ]
    scope: list[str] = []
    if report.school is not None:
        scope.append(words("scope.school", school=report.school.name(lang)))
        school_rows: list[tuple[Cell, ...]] = []
        for school_trend in report.school_kpis:
            target = next((p.target for p in school_trend.points if p is not None), None)
            values = [None if p is None else p.value for p in school_trend.points]
            school_rows.append(
                (school_trend.kpi.code, school_trend.kpi.name(lang), target, *values)
            )
        sheets.append(
            Sheet(
                key="school_trend",
                name=words("sheet.school_trend"),
                title=words("sheet.school_trend_title", school=report.school.name(lang)),
                columns=(
                    words.col("kpi_code", TEXT, 0.6),
                    words.col("kpi", TEXT, 3.0),
                    words.col("target", DEC),
                    *(Column(round_.code, DEC) for round_ in report.rounds),
                ),
                rows=tuple(school_rows),
            )
        )
    series = tuple(
        Series(trend.kpi.code, tuple(None if p is None else p.met_rate for p in trend.points))
        for trend in report.kpis[:8]
    )
    note = (
        words("chart.first_note", shown=len(series), total=len(report.kpis))
        if len(report.kpis) > len(series)
        else ""
    )
    return _document(
        words,
        kind="trend",
        office=office,
        fiscal_year=report.fiscal_year,
        scope=scope,
        now=report.computed_at,
        highlights=[
            (words("figure.rounds"), str(len(report.rounds))),
            (words("figure.kpis"), str(len(report.kpis))),
        ],
        sheets=sheets,
        charts=[
            Chart(
                key="trend",
                title=words("chart.trend"),
                labels=tuple(round_.code for round_ in report.rounds),
                series=series,
                horizontal=False,
                line=True,
                note=note,
            )
        ],
    )


# ---------------------------------------------------------------- projects


def _project_totals_sheet(words: _Words, totals: ProjectTotals) -> Sheet:
    return Sheet(
        key="project_totals",
        name=words("sheet.project_totals"),
        title=words("sheet.project_totals_title"),
        columns=(
            words.col("projects", INT),
            words.col("reported", INT),
            words.col("average_progress", PCT),
            words.col("allocated", MONEY, 1.4),
            words.col("spent", MONEY, 1.4),
            words.col("disbursement_rate", PCT),
            words.col("behind", INT),
        ),
        rows=(
            (
                totals.count,
                totals.reported,
                totals.average_progress,
                totals.allocated,
                totals.spent,
                totals.disbursement_rate,
                totals.behind,
            ),
        ),
    )


def _status_sheet(words: _Words, totals: ProjectTotals) -> Sheet:
    return Sheet(
        key="status",
        name=words("sheet.status"),
        title=words("sheet.status_title"),
        columns=(
            words.col("status", TEXT, 2.0),
            words.col("projects", INT),
            words.col("share", PCT),
        ),
        rows=tuple(
            (words.status(status), count, rate(count, totals.count))
            for status, count in totals.by_status
        ),
    )


def _project_highlights(words: _Words, totals: ProjectTotals) -> list[tuple[str, str]]:
    return [
        (
            words("figure.projects_reported"),
            words(
                "figure.count_of",
                count=totals.reported,
                total=totals.count,
                rate=words.percent(rate(totals.reported, totals.count)),
            ),
        ),
        (words("figure.average_progress"), words.percent(totals.average_progress)),
        (words("figure.allocated"), words.money(totals.allocated)),
        (
            words("figure.spent"),
            words(
                "figure.money_rate",
                amount=words.money(totals.spent),
                rate=words.percent(totals.disbursement_rate),
            ),
        ),
        (words("figure.behind"), str(totals.behind)),
    ]


def _project_sheets(
    words: _Words, report: ProjectsReport, *, every_project: bool = True
) -> list[Sheet]:
    lang = words.lang
    behind = report.behind
    sheets = [
        _project_totals_sheet(words, report.district),
        _status_sheet(words, report.district),
        Sheet(
            key="project_schools",
            name=words("sheet.project_schools"),
            title=words("sheet.project_schools_title"),
            columns=(
                words.col("code", TEXT, 0.6),
                words.col("school", TEXT, 2.4),
                words.col("projects", INT, 0.7),
                words.col("reported", INT, 0.7),
                words.col("average_progress", PCT, 0.9),
                words.col("allocated", MONEY, 1.3),
                words.col("spent", MONEY, 1.3),
                words.col("disbursement_rate", PCT, 0.9),
                words.col("behind", INT, 0.7),
            ),
            rows=tuple(
                (
                    s.school.code,
                    s.school.name(lang),
                    s.totals.count,
                    s.totals.reported,
                    s.totals.average_progress,
                    s.totals.allocated,
                    s.totals.spent,
                    s.totals.disbursement_rate,
                    s.totals.behind,
                )
                for s in report.schools
            ),
        ),
        Sheet(
            key="behind",
            name=words("sheet.behind"),
            title=words("sheet.behind_title", points=shown(BEHIND_SCHEDULE_POINTS)),
            columns=(
                words.col("project_code", TEXT, 0.8),
                words.col("project", TEXT, 2.4),
                words.col("school", TEXT, 1.8),
                words.col("status", TEXT, 1.1),
                words.col("percent_complete", PCT, 0.8),
                words.col("elapsed", PCT, 0.8),
                words.col("gap", DEC, 0.7),
            ),
            rows=tuple(
                (
                    row.project.code,
                    row.project.name,
                    row.school.name(lang),
                    words.status(row.status),
                    row.percent_complete,
                    row.elapsed,
                    row.gap,
                )
                for row in behind
            ),
            pdf_limit=PDF_LONG_LIST,
        ),
        Sheet(
            key="projects",
            name=words("sheet.projects"),
            title=words("sheet.projects_title"),
            columns=(
                words.col("project_code", TEXT, 0.8),
                words.col("project", TEXT, 2.4),
                words.col("code", TEXT, 0.6),
                words.col("school", TEXT, 1.8),
                words.col("status", TEXT, 1.1),
                words.col("percent_complete", PCT),
                words.col("elapsed", PCT),
                words.col("allocated", MONEY),
                words.col("spent", MONEY),
                words.col("disbursement_rate", PCT),
                words.col("behind", FLAG),
                words.col("reported_in_round", FLAG),
            ),
            rows=tuple(
                (
                    row.project.code,
                    row.project.name,
                    row.school.code,
                    row.school.name(lang),
                    words.status(row.status),
                    row.percent_complete,
                    row.elapsed,
                    row.project.budget_allocated,
                    row.spent,
                    row.disbursement_rate,
                    row.behind,
                    row.reported_in_scope,
                )
                for row in report.rows
            ),
            in_pdf=False,
        ),
    ]
    return sheets if every_project else sheets[:-1]


def _budget_chart(words: _Words, report: ProjectsReport) -> Chart:
    largest = sorted(report.schools, key=lambda s: (-s.totals.allocated, s.school.code))
    chosen = largest[:CHART_SCHOOLS]
    note = (
        words("chart.largest_note", shown=len(chosen), total=len(largest))
        if len(largest) > len(chosen)
        else ""
    )
    return Chart(
        key="budget",
        title=words("chart.budget"),
        labels=tuple(s.school.name(words.lang) for s in chosen),
        series=(
            Series(
                words("col.disbursement_rate"),
                tuple(s.totals.disbursement_rate for s in chosen),
            ),
        ),
        reference=report.district.disbursement_rate,
        reference_label=words("chart.district"),
        note=note,
    )


def _status_chart(words: _Words, totals: ProjectTotals) -> Chart:
    return Chart(
        key="status",
        title=words("chart.status"),
        labels=tuple(words.status(status) for status, _ in totals.by_status),
        series=(
            Series(words("col.projects"), tuple(Decimal(count) for _, count in totals.by_status)),
        ),
        percent=False,
    )


def projects_document(report: ProjectsReport, lang: Lang, office: str) -> Document:
    """Projects: totals, status counts, schools, projects behind schedule and every project."""
    words = _Words(lang)
    scope = [] if report.round is None else [_round_line(words, report.round)]
    scope.append(words("scope.as_of", date=format_date(report.as_of, lang)))
    return _document(
        words,
        kind="projects",
        office=office,
        fiscal_year=report.fiscal_year,
        scope=scope,
        now=report.computed_at,
        highlights=_project_highlights(words, report.district),
        sheets=_project_sheets(words, report),
        charts=[_budget_chart(words, report), _status_chart(words, report.district)],
    )


# ---------------------------------------------------------------- digest


def _digest_sheet(words: _Words, report: DigestReport) -> Sheet:
    lang = words.lang
    return Sheet(
        key="digest",
        name=words("sheet.digest"),
        title=words("sheet.digest_title"),
        columns=(
            words.col("school", TEXT, 1.5),
            words.col("project_code", TEXT, 0.7),
            words.col("project", TEXT, 1.6),
            words.col("round", TEXT, 0.7),
            words.col("problems", TEXT, 2.6),
            words.col("suggestions", TEXT, 2.6),
        ),
        rows=tuple(
            (
                entry.school.name(lang),
                entry.project.code,
                entry.project.name,
                entry.round.code,
                entry.problems,
                entry.suggestions,
            )
            for entry in report.entries
        ),
        pdf_limit=PDF_LONG_LIST,
    )


def digest_document(report: DigestReport, lang: Lang, office: str) -> Document:
    """Problems and suggestions by school and project."""
    words = _Words(lang)
    scope = [] if report.round is None else [_round_line(words, report.round)]
    return _document(
        words,
        kind="digest",
        office=office,
        fiscal_year=report.fiscal_year,
        scope=scope,
        now=report.computed_at,
        highlights=[
            (words("figure.digest_schools"), str(len(report.schools))),
            (words("figure.problems"), str(report.problems)),
            (words("figure.suggestions"), str(report.suggestions)),
        ],
        sheets=[_digest_sheet(words, report)],
    )


# ---------------------------------------------------------------- annual and public


def _rounds_sheet(words: _Words, rounds: Sequence[RoundTotals]) -> Sheet:
    return Sheet(
        key="rounds",
        name=words("sheet.rounds"),
        title=words("sheet.rounds_title"),
        columns=(
            words.col("round", TEXT, 2.2),
            *(Column(c.title, c.kind, 0.8, c.yes, c.no) for c in _round_totals_columns(words)),
        ),
        rows=tuple((t.round.name(words.lang), *_round_totals_cells(t)) for t in rounds),
    )


def _rounds_chart(words: _Words, rounds: Sequence[RoundTotals]) -> Chart:
    return Chart(
        key="rounds",
        title=words("chart.rounds"),
        labels=tuple(t.round.code for t in rounds),
        series=(
            Series(words("col.item_rate"), tuple(t.item_rate for t in rounds)),
            Series(words("col.timeliness_rate"), tuple(t.timeliness_rate for t in rounds)),
        ),
        horizontal=False,
    )


def annual_document(report: AnnualReport, lang: Lang, office: str) -> Document:
    """The fiscal year: rounds, KPI achievement and trend, projects and the digest."""
    words = _Words(lang)
    rounds = [round_totals(c) for c in report.rounds]
    trend = trend_document(report.trend, lang, office)
    projects = projects_document(report.projects, lang, office)
    return _document(
        words,
        kind="annual",
        office=office,
        fiscal_year=report.fiscal_year,
        scope=[words("scope.as_of", date=format_date(report.projects.as_of, lang))],
        now=report.computed_at,
        highlights=[
            (words("figure.schools"), str(report.schools)),
            (words("figure.rounds"), str(len(rounds))),
            *_achievement_highlights(words, report.achievement)[1:],
            *_project_highlights(words, report.projects.district),
        ],
        sheets=[
            _rounds_sheet(words, rounds),
            _kpi_sheet(words, report.achievement.kpis),
            _school_summary_sheet(words, report.achievement.scorecards),
            trend.sheet("trend"),
            # every project, one by one, is the projects report's; the year keeps the totals
            *_project_sheets(words, report.projects, every_project=False),
            _digest_sheet(words, report.digest),
        ],
        charts=[
            _rounds_chart(words, rounds),
            _achievement_chart(words, report.achievement.kpis),
            *projects.charts,
        ],
    )


def public_document(report: PublicEdition, lang: Lang, office: str) -> Document:
    """The public edition: district aggregates only (see :mod:`reports.annual`)."""
    words = _Words(lang)
    return _document(
        words,
        kind="public",
        office=office,
        fiscal_year=report.fiscal_year,
        scope=[words("scope.public")],
        now=report.computed_at,
        highlights=[
            (words("figure.schools"), str(report.schools)),
            (words("figure.rounds"), str(len(report.rounds))),
            *_project_highlights(words, report.projects),
        ],
        sheets=[
            _rounds_sheet(words, report.rounds),
            _kpi_sheet(words, report.kpis),
            _project_totals_sheet(words, report.projects),
            _status_sheet(words, report.projects),
        ],
        charts=[
            _rounds_chart(words, report.rounds),
            _achievement_chart(words, report.kpis),
            _status_chart(words, report.projects),
        ],
        public=True,
    )


def document_of(report: Report, lang: Lang, office: str) -> Document:
    """The document of any report."""
    match report:
        case Completeness():
            return completeness_document(report, lang, office)
        case AchievementReport():
            return achievement_document(report, lang, office)
        case ScorecardReport():
            return scorecard_document(report, lang, office)
        case TrendReport():
            return trend_document(report, lang, office)
        case ProjectsReport():
            return projects_document(report, lang, office)
        case DigestReport():
            return digest_document(report, lang, office)
        case AnnualReport():
            return annual_document(report, lang, office)
        case PublicEdition():
            return public_document(report, lang, office)
