"""An import's outcome in words: every problem located, or the counts per sheet.

The command line prints these lines, the chat sends them (escaped as HTML,
with the full list as a text file when it is long). Every text comes from
the catalogs, so an operator reads the report in Thai or English.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Final
from zoneinfo import ZoneInfo

from domain.calendar import BANGKOK, BE_OFFSET, format_date, format_datetime
from domain.i18n import Html, Lang, escape, plain
from onboarding.importer import ImportReport
from onboarding.problems import Problem
from onboarding.sheets import SHEETS, SHEETS_BY_KEY, Column, Kind

CHAT_PROBLEMS: Final = 15
"""Problems listed in a chat message; the rest go into the attached file."""


def example_text(column: Column, lang: Lang) -> str:
    """The template's example for a column, as a person would type it."""
    value = column.example
    if isinstance(value, dt.date):
        # Thai offices write day/month/Buddhist Era year; English readers the Common Era
        year = value.year + BE_OFFSET if lang == "th" else value.year
        day = f"{value.day}/{value.month}/{year}"
        return f"{day} {value:%H:%M}" if isinstance(value, dt.datetime) else day
    return "" if value is None else str(value)


def expected_text(column: Column, lang: Lang) -> str:
    """What a column accepts, in words."""
    choices = ", ".join(column.choices)
    return plain(
        lang,
        f"onboarding.expect.{column.kind.value}",
        limit=column.limit,
        choices=choices,
        example=example_text(column, lang),
    )


def _param(value: Any, lang: Lang, tz: ZoneInfo) -> Any:
    if isinstance(value, dt.datetime):
        return format_datetime(value, lang, tz=tz)
    if isinstance(value, dt.date):
        return format_date(value, lang)
    return value


def _column(problem: Problem) -> Column | None:
    sheet = SHEETS_BY_KEY.get(problem.sheet or "")
    if sheet is None or problem.column is None:
        return None
    try:
        return sheet.column(problem.column)
    except KeyError:
        return None


def problem_text(problem: Problem, lang: Lang, *, tz: ZoneInfo = BANGKOK) -> str:
    """One problem as a line: where it is, the value found, and what was expected."""
    column = _column(problem)
    params: dict[str, Any] = {name: _param(v, lang, tz) for name, v in problem.params.items()}
    params.setdefault("expected", expected_text(column, lang) if column else "")
    if column is not None and column.kind is Kind.TARGET and "type" in params:
        params["type"] = plain(lang, f"onboarding.choice.value_type.{params['type']}")
    message = plain(lang, problem.key, **params)
    if problem.sheet is None:
        return message
    if problem.row is None:
        where = plain(lang, "onboarding.report.at_sheet", sheet=problem.sheet)
    elif problem.column is None:
        where = plain(lang, "onboarding.report.at_row", sheet=problem.sheet, row=problem.row)
    else:
        where = plain(
            lang,
            "onboarding.report.at_cell",
            sheet=problem.sheet,
            row=problem.row,
            column=problem.column,
            label=plain(lang, f"onboarding.column.{problem.column}"),
        )
    if problem.value is None:
        return plain(lang, "onboarding.report.line", where=where, message=message)
    return plain(
        lang, "onboarding.report.line_value", where=where, value=problem.value, message=message
    )


def sheet_name(key: str, lang: Lang) -> str:
    """A sheet as the summary names it: its label and its tab name."""
    return plain(
        lang, "onboarding.report.sheet_name", label=plain(lang, f"onboarding.sheet.{key}"), key=key
    )


def title(report: ImportReport, lang: Lang) -> str:
    """The first line of a report: failed, checked (dry run) or imported."""
    if report.problems:
        return plain(
            lang, "onboarding.report.failed", name=report.source, count=len(report.problems)
        )
    if report.dry_run or not report.applied:
        return plain(lang, "onboarding.report.checked", name=report.source)
    return plain(lang, "onboarding.report.applied", name=report.source)


def outcome_lines(report: ImportReport, lang: Lang) -> list[str]:
    """One line per sheet in the file: created, updated, unchanged."""
    lines = []
    order = [sheet.key for sheet in SHEETS]
    for key in sorted(report.outcomes, key=order.index):
        outcome = report.outcomes[key]
        lines.append(
            plain(
                lang,
                "onboarding.report.sheet_line",
                sheet=sheet_name(key, lang),
                created=outcome.created,
                updated=outcome.updated,
                unchanged=outcome.unchanged,
            )
        )
    if report.outcomes and not report.changed:
        lines.append(plain(lang, "onboarding.report.nothing_changed"))
    return lines


def report_lines(report: ImportReport, lang: Lang, *, tz: ZoneInfo = BANGKOK) -> list[str]:
    """The whole report as plain lines (the command line, and the attached file)."""
    lines = [title(report, lang)]
    if report.problems:
        lines += [
            f"{index}. {problem_text(problem, lang, tz=tz)}"
            for index, problem in enumerate(report.problems, start=1)
        ]
    else:
        lines += outcome_lines(report, lang)
    return lines


def report_html(
    report: ImportReport, lang: Lang, *, tz: ZoneInfo = BANGKOK, limit: int = CHAT_PROBLEMS
) -> tuple[Html, bool]:
    """The report for a chat message, and whether problems were left out of it."""
    parts = [f"<b>{escape(title(report, lang))}</b>"]
    shown = report.problems[:limit]
    for index, problem in enumerate(shown, start=1):
        parts.append(f"{index}. {escape(problem_text(problem, lang, tz=tz))}")
    cut = len(report.problems) > len(shown)
    if cut:
        parts.append(
            escape(plain(lang, "onboarding.report.more", count=len(report.problems) - len(shown)))
        )
    if not report.problems:
        parts += [f"• {escape(line)}" for line in outcome_lines(report, lang)]
    return Html("\n".join(parts)), cut
