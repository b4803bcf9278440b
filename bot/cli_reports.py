"""``tidtam report``: any report, in any format, from the server's command line.

    tidtam report completeness --round FY2570-Q2 --format xlsx --out q2.xlsx
    tidtam report annual --fiscal-year 2570 --format pdf --out annual.pdf
    tidtam report public --fiscal-year 2570 --format html --out index.html
    tidtam report scorecard --round FY2570-Q2 --school CB05 --format text

Reports of one round need ``--round``; the yearly ones (trend, annual,
public) take ``--fiscal-year`` (or the round's year); projects and the
digest take either. Without ``--out`` text goes to the terminal and files
get a name of their own in the current folder. The office's name comes from
the settings (``TIDTAM_OFFICE_NAME_TH`` / ``_EN``).
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Annotated

import typer

from bot.cli_common import console, errors, load_settings
from bot.settings import Settings
from domain.calendar import utc_now
from domain.errors import UserError
from domain.i18n import Lang, plain
from reports.engine import ReportKind, ReportRequest, load_report
from reports.render import Format, NoChart, RenderedFile, render
from storage.database import Database


async def _produce(
    settings: Settings,
    kind: ReportKind,
    *,
    round_code: str | None,
    fiscal_year: int | None,
    school_code: str | None,
    fmt: Format,
    lang: Lang,
) -> RenderedFile:
    database = Database(settings.database_url)
    try:
        await database.migrate()
        async with database.read() as repos:
            round_ = None
            if round_code is not None:
                round_ = await repos.plan.round_by_code(round_code)
                if round_ is None:
                    raise UserError("reports.cli.unknown_round", code=round_code)
            if kind.needs_round and round_ is None:
                raise UserError("reports.cli.need_round", kind=kind.value)
            if round_ is None and fiscal_year is None:
                raise UserError("reports.cli.need_scope")
            school = None
            if school_code is not None:
                school = await repos.schools.by_code(school_code)
                if school is None:
                    raise UserError("cli.unknown_school", code=school_code)
            if kind is ReportKind.SCORECARD and school is None:
                raise UserError("reports.cli.need_school")
            request = ReportRequest(kind, round=round_, fiscal_year=fiscal_year, school=school)
            report = await load_report(repos, request, now=utc_now(), tz=settings.tz)
        office = settings.office_name_en if lang == "en" else settings.office_name_th
        scope = round_.code if round_ is not None else f"FY{request.year}"
        if school is not None:
            scope = f"{scope}-{school.code}"
        try:
            return await asyncio.to_thread(
                render, report, fmt, lang, office=office, kind=kind, scope=scope
            )
        except NoChart:
            raise UserError("reports.cli.no_chart") from None
    finally:
        await database.dispose()


def report(
    kind: Annotated[ReportKind, typer.Argument(help="which report")],
    round_code: Annotated[
        str | None, typer.Option("--round", help="round code, e.g. FY2570-Q2")
    ] = None,
    fiscal_year: Annotated[
        int | None,
        typer.Option("--fiscal-year", help="Buddhist Era fiscal year, e.g. 2570", min=2500),
    ] = None,
    school_code: Annotated[
        str | None, typer.Option("--school", help="school code (scorecard, trend)")
    ] = None,
    fmt: Annotated[Format, typer.Option("--format", help="output format")] = Format.TEXT,
    out: Annotated[Path | None, typer.Option("--out", help="file to write")] = None,
    lang: Annotated[str, typer.Option("--lang", help="th or en")] = "th",
) -> None:
    """Compute a report and write it as text, XLSX, PDF, CSV, PNG or HTML."""
    settings = load_settings()
    language: Lang = "en" if lang == "en" else "th"
    try:
        rendered = asyncio.run(
            _produce(
                settings,
                kind,
                round_code=round_code,
                fiscal_year=fiscal_year,
                school_code=school_code,
                fmt=fmt,
                lang=language,
            )
        )
    except UserError as error:
        errors.print(f"[red]error:[/red] {plain(language, error.key, **error.params)}")
        raise typer.Exit(code=1) from None
    if out is None and fmt is Format.TEXT:
        sys.stdout.write(rendered.content.decode("utf-8"))
        return
    target = out if out is not None else Path(rendered.name)
    target.write_bytes(rendered.content)
    console.print(plain(language, "reports.cli.written", path=target, size=len(rendered.content)))


def register(app: typer.Typer) -> None:
    """Add ``tidtam report`` to the command line."""
    app.command(name="report")(report)
