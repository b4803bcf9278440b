"""Reports as concise Telegram HTML, split into pages that fit one message each.

Every report gets a head (what it is, its scope and headline figures) and a
list (schools, KPIs, projects…). The list is packed into pages under
:data:`PAGE_LIMIT` characters; each page repeats the report's title line and
ends with the data time and ``page i/n``. Figures are the report objects'
own, formatted like the files (:func:`reports.document.shown`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from typing import Final

from domain.calendar import format_date, format_datetime, format_fiscal_year
from domain.i18n import Html, Lang, escape, plain, t
from domain.values import format_kpi_value
from reports.achievement import AchievementReport, KpiResult, Scorecard
from reports.annual import AnnualReport, PublicEdition, RoundTotals, round_totals
from reports.completeness import Completeness
from reports.digest import DigestReport
from reports.document import shown
from reports.engine import Report, ScorecardReport
from reports.figures import rate
from reports.projects import ProjectsReport, ProjectTotals
from reports.trend import TrendReport
from storage.models import Kpi, Round

PAGE_LIMIT: Final = 3500
"""Characters of HTML per page: Telegram allows 4096 visible ones, and tags only add."""
NAME_LIMIT: Final = 70
CHAT_BEHIND: Final = 30
"""Projects behind schedule listed in chat, the furthest behind first; the files list all."""
TEXT_LIMIT: Final = 280
"""Characters of a problem or suggestion shown in chat; the files carry the whole text."""


def _pct(value: Decimal | None) -> str:
    return "–" if value is None else f"{shown(value)}%"


def _num(value: Decimal | None) -> str:
    return "–" if value is None else shown(value)


def _cut(text: str, limit: int = NAME_LIMIT) -> str:
    one_line = " ".join(text.split())
    return one_line if len(one_line) <= limit else one_line[: limit - 1] + "…"


def _money(lang: Lang, value: Decimal) -> str:
    return plain(lang, "money.amount", amount=shown(value.quantize(Decimal("0.01"))))


def paginate(
    lang: Lang, head: Sequence[str], items: Sequence[str], *, title: str, at: str
) -> list[Html]:
    """Pack ``items`` after ``head`` into pages; each repeats ``title`` and ends with ``at``."""
    footer_room = len(at) + 40
    pages: list[list[str]] = [list(head)]
    size = sum(len(line) + 1 for line in head)
    for item in items:
        if size + len(item) + 1 + footer_room > PAGE_LIMIT and len(pages[-1]) > 1:
            pages.append([title, ""])
            size = len(title) + 2
        pages[-1].append(item)
        size += len(item) + 1
    out = []
    for number, lines in enumerate(pages, start=1):
        tail = ["", at]
        if len(pages) > 1:
            tail.append(t(lang, "reports.chat.page", page=number, pages=len(pages)))
        out.append(Html("\n".join([*lines, *tail])))
    return out


def _at(lang: Lang, report_time: dt.datetime) -> str:
    return t(lang, "summary.generated", at=format_datetime(report_time, lang))


def _round_head(lang: Lang, round_: Round) -> list[str]:
    return [
        escape(round_.name(lang)),
        t(lang, "summary.due", due=format_datetime(round_.due_at, lang)),
    ]


def _title(lang: Lang, kind: str) -> str:
    return t(lang, f"reports.chat.title.{kind}")


# ---------------------------------------------------------------- completeness


def completeness_pages(report: Completeness, lang: Lang) -> list[Html]:
    """Counts and rates, then every school still missing items."""
    totals = round_totals(report)
    title = t(lang, "summary.title", round=report.round.name(lang))
    head = [
        title,
        t(lang, "summary.due", due=format_datetime(report.round.due_at, lang)),
        "",
        t(
            lang,
            "summary.schools_complete",
            complete=totals.schools_complete,
            expected=totals.schools_expecting,
            rate=_pct(totals.school_rate),
        ),
        t(
            lang,
            "summary.items",
            submitted=totals.submitted,
            expected=totals.expected,
            rate=_pct(totals.item_rate),
            on_time=totals.on_time,
            late=totals.late,
        ),
    ]
    incomplete = report.incomplete_schools
    items: list[str] = []
    if incomplete:
        head += ["", t(lang, "summary.missing_header", count=len(incomplete))]
        items = [
            t(
                lang,
                "summary.missing_line",
                school=row.school.name(lang),
                missing=row.missing,
                expected=row.expected,
            )
            for row in incomplete
        ]
    elif report.expecting:
        head += ["", t(lang, "summary.all_complete")]
    return paginate(lang, head, items, title=title, at=_at(lang, report.computed_at))


# ---------------------------------------------------------------- achievement


def _kpi_line(lang: Lang, kpi: Kpi) -> str:
    return t(lang, "reports.chat.kpi_name", code=kpi.code, name=_cut(kpi.name(lang)))


def achievement_pages(report: AchievementReport, lang: Lang) -> list[Html]:
    """District figures, then one line per KPI: reported, mean, min, max, met."""
    title = _title(lang, "achievement")
    head: list[str] = [title]
    if report.round is not None:
        head += _round_head(lang, report.round)
    head += [
        "",
        t(
            lang,
            "reports.chat.items_reported",
            count=report.reported,
            total=report.expected,
            rate=_pct(rate(report.reported, report.expected)),
        ),
        t(
            lang,
            "reports.chat.items_met",
            count=report.met,
            total=report.judged,
            rate=_pct(report.met_rate),
        ),
        "",
    ]
    items = [
        _kpi_line(lang, row.kpi)
        + "\n"
        + t(
            lang,
            "reports.chat.kpi_figures",
            reported=row.reported,
            expected=row.expected,
            mean=_num(row.mean),
            minimum=_num(row.minimum),
            maximum=_num(row.maximum),
            met=row.met,
            rate=_pct(row.met_rate),
        )
        for row in report.kpis
    ]
    if not items:
        items = [t(lang, "reports.chat.nothing")]
    return paginate(lang, head, items, title=title, at=_at(lang, report.computed_at))


def _result_line(lang: Lang, result: KpiResult, district_mean: Decimal | None) -> str:
    kpi = result.kpi
    target = "–" if result.target is None else format_kpi_value(kpi.value_type, result.target, lang)
    if result.value is None:
        verdict = t(lang, "reports.chat.not_reported", target=target)
    else:
        verdict = t(
            lang,
            "reports.chat.result",
            value=format_kpi_value(kpi.value_type, result.value, lang),
            target=target,
            percent=_pct(result.percent_of_target),
            met=plain(lang, f"reports.chat.met.{_met_key(result.met)}"),
            score="–" if result.score is None else result.score,
        )
    mean = t(lang, "reports.chat.district_mean", mean=_num(district_mean))
    return f"{_kpi_line(lang, kpi)}\n{verdict}\n{mean}"


def _met_key(met: bool | None) -> str:
    return "unknown" if met is None else ("yes" if met else "no")


def scorecard_pages(report: ScorecardReport, lang: Lang) -> list[Html]:
    """One school's results KPI by KPI, with the district mean beside each."""
    achievement = report.achievement
    card = achievement.scorecard(report.school.id) or Scorecard(report.school, ())
    title = t(lang, "reports.chat.title.scorecard", school=report.school.name(lang))
    head: list[str] = [title]
    if achievement.round is not None:
        head += _round_head(lang, achievement.round)
    head += [
        "",
        t(
            lang,
            "reports.chat.items_met",
            count=card.met,
            total=card.judged,
            rate=_pct(card.met_rate),
        ),
        t(lang, "reports.chat.mean_score", score=_num(card.mean_score)),
        "",
    ]
    means = {row.kpi.id: row.mean for row in achievement.kpis}
    items = [_result_line(lang, result, means.get(result.kpi.id)) for result in card.results]
    if not items:
        items = [t(lang, "reports.chat.nothing")]
    return paginate(lang, head, items, title=title, at=_at(lang, achievement.computed_at))


# ---------------------------------------------------------------- trend


def trend_pages(report: TrendReport, lang: Lang) -> list[Html]:
    """Each KPI's mean and met rate round by round (and one school's values)."""
    title = _title(lang, "trend")
    head = [title, escape(format_fiscal_year(report.fiscal_year, lang)), ""]
    items = []
    for trend in report.kpis:
        steps = " → ".join(
            t(
                lang,
                "reports.chat.trend_point",
                round=round_.code,
                mean=_num(None if point is None else point.mean),
                rate=_pct(None if point is None else point.met_rate),
            )
            for round_, point in zip(report.rounds, trend.points, strict=True)
        )
        items.append(f"{_kpi_line(lang, trend.kpi)}\n{steps}")
    if report.school is not None:
        items.append(t(lang, "reports.chat.school_trend", school=report.school.name(lang)))
        for school_trend in report.school_kpis:
            steps = " → ".join(
                f"{escape(round_.code)} "
                + (
                    "–"
                    if point is None or point.value is None
                    else escape(format_kpi_value(school_trend.kpi.value_type, point.value, lang))
                )
                for round_, point in zip(report.rounds, school_trend.points, strict=True)
            )
            items.append(f"{_kpi_line(lang, school_trend.kpi)}\n{steps}")
    if not items:
        items = [t(lang, "reports.chat.nothing")]
    return paginate(lang, head, items, title=title, at=_at(lang, report.computed_at))


# ---------------------------------------------------------------- projects


def _project_totals_lines(lang: Lang, totals: ProjectTotals) -> list[str]:
    statuses = " · ".join(
        t(
            lang,
            "reports.chat.status_count",
            status=plain(lang, "reports.status_none")
            if status is None
            else plain(lang, status.label_key),
            count=count,
        )
        for status, count in totals.by_status
        if count
    )
    return [
        t(
            lang,
            "reports.chat.projects_reported",
            count=totals.reported,
            total=totals.count,
            rate=_pct(rate(totals.reported, totals.count)),
        ),
        statuses or t(lang, "reports.chat.nothing"),
        t(lang, "reports.chat.average_progress", progress=_pct(totals.average_progress)),
        t(
            lang,
            "reports.chat.budget",
            allocated=_money(lang, totals.allocated),
            spent=_money(lang, totals.spent),
            rate=_pct(totals.disbursement_rate),
        ),
        t(lang, "reports.chat.behind_count", count=totals.behind),
    ]


def projects_pages(report: ProjectsReport, lang: Lang) -> list[Html]:
    """Status counts, progress and budget, then the projects behind schedule."""
    title = _title(lang, "projects")
    head: list[str] = [title]
    if report.round is not None:
        head += _round_head(lang, report.round)
    else:
        head.append(escape(format_fiscal_year(report.fiscal_year, lang)))
    head += [t(lang, "reports.chat.as_of", date=format_date(report.as_of, lang)), ""]
    head += _project_totals_lines(lang, report.district)
    behind = report.behind
    items = [
        t(
            lang,
            "reports.chat.behind_line",
            code=row.project.code,
            project=_cut(row.project.name),
            school=row.school.name(lang),
            progress=_pct(row.percent_complete),
            elapsed=_pct(row.elapsed),
        )
        for row in behind[:CHAT_BEHIND]
    ]
    if len(behind) > CHAT_BEHIND:
        items.append(t(lang, "reports.chat.behind_more", count=len(behind) - CHAT_BEHIND))
    if items:
        head += ["", t(lang, "reports.chat.behind_header")]
    return paginate(lang, head, items, title=title, at=_at(lang, report.computed_at))


# ---------------------------------------------------------------- digest


def digest_pages(report: DigestReport, lang: Lang) -> list[Html]:
    """Each school's problems and suggestions, project by project."""
    title = _title(lang, "digest")
    head: list[str] = [title]
    if report.round is not None:
        head += _round_head(lang, report.round)
    else:
        head.append(escape(format_fiscal_year(report.fiscal_year, lang)))
    head += [
        "",
        t(
            lang,
            "reports.chat.digest_counts",
            schools=len(report.schools),
            problems=report.problems,
            suggestions=report.suggestions,
        ),
        "",
    ]
    items: list[str] = []
    for school in report.schools:
        for index, entry in enumerate(school.entries):
            lines = []
            if index == 0:
                lines.append(t(lang, "reports.chat.digest_school", school=school.school.name(lang)))
            lines.append(
                t(
                    lang,
                    "reports.chat.digest_project",
                    code=entry.project.code,
                    project=_cut(entry.project.name),
                    round=entry.round.code,
                    status=plain(lang, entry.status.label_key),
                )
            )
            if entry.problems:
                lines.append(
                    t(lang, "reports.chat.problems", text=_cut(entry.problems, TEXT_LIMIT))
                )
            if entry.suggestions:
                lines.append(
                    t(lang, "reports.chat.suggestions", text=_cut(entry.suggestions, TEXT_LIMIT))
                )
            items.append("\n".join(lines))
    if not items:
        items = [t(lang, "reports.chat.nothing")]
    return paginate(lang, head, items, title=title, at=_at(lang, report.computed_at))


# ---------------------------------------------------------------- annual and public


def _round_totals_line(lang: Lang, totals: RoundTotals) -> str:
    return t(
        lang,
        "reports.chat.round_line",
        round=totals.round.name(lang),
        complete=totals.schools_complete,
        expecting=totals.schools_expecting,
        school_rate=_pct(totals.school_rate),
        submitted=totals.submitted,
        expected=totals.expected,
        item_rate=_pct(totals.item_rate),
        timeliness=_pct(totals.timeliness_rate),
    )


def _yearly_pages(
    lang: Lang,
    *,
    kind: str,
    fiscal_year: int,
    schools: int,
    rounds: Sequence[RoundTotals],
    achievement_lines: Sequence[str],
    projects: ProjectTotals,
    at: str,
    extra: Sequence[str] = (),
) -> list[Html]:
    title = _title(lang, kind)
    head = [
        title,
        escape(format_fiscal_year(fiscal_year, lang)),
        "",
        t(lang, "reports.chat.year_counts", schools=schools, rounds=len(rounds)),
        "",
        t(lang, "reports.chat.section.rounds"),
        *(_round_totals_line(lang, totals) for totals in rounds),
        "",
        t(lang, "reports.chat.section.kpis"),
        *achievement_lines,
        "",
        t(lang, "reports.chat.section.projects"),
        *_project_totals_lines(lang, projects),
        *extra,
    ]
    return paginate(lang, head, [], title=title, at=at)


def annual_pages(report: AnnualReport, lang: Lang) -> list[Html]:
    """The year at a glance: rounds, KPIs, projects; the files carry the detail."""
    achievement = report.achievement
    return _yearly_pages(
        lang,
        kind="annual",
        fiscal_year=report.fiscal_year,
        schools=report.schools,
        rounds=[round_totals(c) for c in report.rounds],
        achievement_lines=[
            t(
                lang,
                "reports.chat.items_met",
                count=achievement.met,
                total=achievement.judged,
                rate=_pct(achievement.met_rate),
            ),
        ],
        projects=report.projects.district,
        at=_at(lang, report.computed_at),
        extra=[
            "",
            t(lang, "reports.chat.section.digest"),
            t(
                lang,
                "reports.chat.digest_counts",
                schools=len(report.digest.schools),
                problems=report.digest.problems,
                suggestions=report.digest.suggestions,
            ),
        ],
    )


def public_pages(report: PublicEdition, lang: Lang) -> list[Html]:
    """The public edition at a glance: district aggregates only."""
    met = sum(row.met for row in report.kpis)
    judged = sum(row.met + row.not_met for row in report.kpis)
    return _yearly_pages(
        lang,
        kind="public",
        fiscal_year=report.fiscal_year,
        schools=report.schools,
        rounds=report.rounds,
        achievement_lines=[
            t(lang, "reports.chat.items_met", count=met, total=judged, rate=_pct(rate(met, judged)))
        ],
        projects=report.projects,
        at=_at(lang, report.computed_at),
    )


def chat_pages(report: Report, lang: Lang) -> list[Html]:
    """The chat pages of any report."""
    match report:
        case Completeness():
            return completeness_pages(report, lang)
        case AchievementReport():
            return achievement_pages(report, lang)
        case ScorecardReport():
            return scorecard_pages(report, lang)
        case TrendReport():
            return trend_pages(report, lang)
        case ProjectsReport():
            return projects_pages(report, lang)
        case DigestReport():
            return digest_pages(report, lang)
        case AnnualReport():
            return annual_pages(report, lang)
        case PublicEdition():
            return public_pages(report, lang)
