"""Reports as Telegram HTML for the chat."""

from __future__ import annotations

from decimal import Decimal

from domain.calendar import format_datetime
from domain.i18n import Html, Lang, t
from domain.numbers import format_percent
from reports.completeness import Completeness

MAX_LISTED_SCHOOLS = 40  # keeps the message well inside Telegram's 4096 characters


def _percent(value: Decimal | None) -> str:
    return "–" if value is None else format_percent(value)


def completeness_html(report: Completeness, lang: Lang) -> Html:
    """A concise completeness summary: counts, rates and the schools still missing items."""
    round_ = report.round
    lines = [
        t(lang, "summary.title", round=round_.name(lang)),
        t(lang, "summary.due", due=format_datetime(round_.due_at, lang)),
        "",
        t(
            lang,
            "summary.schools_complete",
            complete=len(report.complete_schools),
            expected=len(report.expecting),
            rate=_percent(report.school_rate),
        ),
        t(
            lang,
            "summary.items",
            submitted=report.submitted,
            expected=report.expected,
            rate=_percent(report.item_rate),
            on_time=report.on_time,
            late=report.late,
        ),
    ]
    incomplete = report.incomplete_schools
    if incomplete:
        lines += ["", t(lang, "summary.missing_header", count=len(incomplete))]
        for row in incomplete[:MAX_LISTED_SCHOOLS]:
            lines.append(
                t(
                    lang,
                    "summary.missing_line",
                    school=row.school.name(lang),
                    missing=row.missing,
                    expected=row.expected,
                )
            )
        if len(incomplete) > MAX_LISTED_SCHOOLS:
            lines.append(t(lang, "summary.more", count=len(incomplete) - MAX_LISTED_SCHOOLS))
    elif report.expecting:
        lines += ["", t(lang, "summary.all_complete")]
    lines += ["", t(lang, "summary.generated", at=format_datetime(report.computed_at, lang))]
    return Html("\n".join(lines))
