"""The plan and people commands: ``tidtam template``, ``import``, ``export-plan``, ``people``.

Messages come from the catalogs in the operator's language (``--lang``,
default ``TIDTAM_DEFAULT_LANGUAGE``). A command that finds problems exits
with status 1 so scripts can tell.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, TypeVar

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from bot.cli_common import console, errors
from bot.cli_common import language as _lang
from bot.cli_common import load_settings as _settings
from bot.cli_common import with_database as _with_database
from bot.settings import Settings
from domain.calendar import format_date, utc_now
from domain.errors import UserError
from domain.i18n import Lang, plain
from domain.values import Role
from onboarding.importer import import_plan
from onboarding.problems import PlanFileError
from onboarding.reader import read_plan_path
from onboarding.report import problem_text, report_lines
from storage.database import Database
from storage.people_admin import change_role, find_person, list_people, not_joined, set_active
from storage.repositories import Repositories
from storage.repositories.people_admin import PersonEntry

people_app = typer.Typer(
    help="People: list, deactivate, reactivate, change role, who has not joined.",
    no_args_is_help=True,
)

LangOption = Annotated[
    str | None, typer.Option("--lang", help="language of messages: th or en (default: setting)")
]
T = TypeVar("T")


def _print(message: str) -> None:
    # plain text from the catalogs: never interpret it as Rich markup
    console.print(message, markup=False, highlight=False)


def _fail(message: str) -> typer.Exit:
    errors.print(message, markup=False, highlight=False)
    return typer.Exit(code=1)


def template(
    out: Annotated[Path, typer.Option("--out", help="where to write the workbook (.xlsx)")],
    lang: LangOption = None,
) -> None:
    """Write the empty plan template: one sheet per kind, Thai and English headers."""
    language = _lang(_settings(), lang)
    from onboarding.workbook import template_bytes  # openpyxl loads with the command

    out.write_bytes(template_bytes())
    _print(plain(language, "onboarding.cli.written", path=out))


def import_command(
    source: Annotated[
        Path, typer.Argument(help="an .xlsx workbook, or a folder of CSV files named after sheets")
    ],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="check and count, change nothing")
    ] = False,
    lang: LangOption = None,
) -> None:
    """Import the office's plan; any problem and nothing is imported."""
    settings = _settings()
    language = _lang(settings, lang)
    try:
        with console.status(plain(language, "onboarding.cli.reading", name=source.name)):
            plan = read_plan_path(source)
    except PlanFileError as error:
        raise _fail(problem_text(error.problem, language, tz=settings.tz)) from None

    async def work(database: Database) -> tuple[list[str], bool]:
        with Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
            transient=True,
        ) as progress:
            task = progress.add_task(plain(language, "onboarding.cli.importing"), total=None)

            def advance(done: int, total: int) -> None:
                progress.update(task, completed=done, total=total)

            report = await import_plan(
                database,
                plan,
                now=utc_now(),
                tz=settings.tz,
                dry_run=dry_run,
                actor="cli",
                progress=advance,
            )
        return report_lines(report, language, tz=settings.tz), not report.ok

    lines, failed = _with_database(settings, work)
    for line in lines:
        _print(line)
    if failed:
        raise typer.Exit(code=1)


def export_command(
    out: Annotated[Path, typer.Option("--out", help="where to write the workbook (.xlsx)")],
    lang: LangOption = None,
) -> None:
    """Write the stored plan in the template; importing it back changes nothing."""
    from onboarding.exporter import export_plan  # openpyxl loads with the command

    settings = _settings()
    language = _lang(settings, lang)
    content = _with_database(settings, lambda database: export_plan(database, tz=settings.tz))
    out.write_bytes(content)
    _print(plain(language, "onboarding.cli.written", path=out))


def _people_table(entries: list[PersonEntry], language: Lang, title: str) -> Table:
    table = Table(title=title)
    for name in ("id", "code", "name", "role", "school", "state", "joined"):
        table.add_column(plain(language, f"onboarding.cli.col.{name}"), overflow="fold")
    for entry in entries:
        table.add_row(
            str(entry.id),
            entry.code or "",
            entry.full_name,
            plain(language, f"value.role.{entry.role.value}"),
            f"{entry.school_code} {entry.school_name(language)}",
            plain(language, f"onboarding.people.state.{'active' if entry.active else 'inactive'}"),
            format_date(entry.joined_at, language)
            if entry.joined_at
            else plain(language, "onboarding.people.not_joined_yet"),
        )
    return table


def _run_people(
    settings: Settings, language: Lang, work: Callable[[Repositories], Awaitable[T]]
) -> T:
    async def in_transaction(database: Database) -> T:
        async with database.transaction() as repos:
            return await work(repos)

    try:
        return _with_database(settings, in_transaction)
    except UserError as error:
        raise _fail(plain(language, error.key, **error.params)) from None


@people_app.command("list")
def people_list(
    school: Annotated[str | None, typer.Option(help="only this school (or office) code")] = None,
    role: Annotated[Role | None, typer.Option(help="only this role")] = None,
    active_only: Annotated[
        bool, typer.Option("--active-only", help="leave out deactivated people")
    ] = False,
    lang: LangOption = None,
) -> None:
    """List people by school and role."""
    settings = _settings()
    language = _lang(settings, lang)
    entries = _run_people(
        settings,
        language,
        lambda repos: list_people(
            repos, school_code=school, role=role, include_inactive=not active_only
        ),
    )
    title = plain(language, "onboarding.cli.people_title", count=len(entries))
    console.print(_people_table(entries, language, title))


@people_app.command("not-joined")
def people_not_joined(lang: LangOption = None) -> None:
    """Schools where nobody has joined yet, and plan people without a Telegram account."""
    settings = _settings()
    language = _lang(settings, lang)
    found = _run_people(settings, language, not_joined)
    if not found.schools and not found.people:
        _print(plain(language, "onboarding.people.everyone_joined"))
        return
    _print(plain(language, "onboarding.people.schools_header", count=len(found.schools)))
    for school in found.schools:
        _print(f"  {school.code}  {school.name(language)}")
    if found.people:
        title = plain(language, "onboarding.people.people_header", count=len(found.people))
        console.print(_people_table(list(found.people), language, title))


def _change_message(language: Lang, key: str, entry: PersonEntry, changed: bool) -> str:
    if not changed:
        return plain(language, "onboarding.people.unchanged", name=entry.full_name)
    return plain(
        language,
        key,
        name=entry.full_name,
        role=plain(language, f"value.role.{entry.role.value}"),
    )


@people_app.command("deactivate")
def people_deactivate(
    person: Annotated[str, typer.Argument(help="the person's id or plan code")],
    lang: LangOption = None,
) -> None:
    """Deactivate a person: they can do nothing but read a polite refusal."""
    _people_active(person, active=False, lang=lang)


@people_app.command("reactivate")
def people_reactivate(
    person: Annotated[str, typer.Argument(help="the person's id or plan code")],
    lang: LangOption = None,
) -> None:
    """Let a deactivated person use the bot again."""
    _people_active(person, active=True, lang=lang)


def _people_active(reference: str, *, active: bool, lang: str | None) -> None:
    settings = _settings()
    language = _lang(settings, lang)

    async def work(repos: Repositories) -> str:
        entry = await find_person(repos, reference)
        outcome = await set_active(repos, person_id=entry.id, active=active, now=utc_now())
        key = "onboarding.people.reactivated" if active else "onboarding.people.deactivated"
        return _change_message(language, key, outcome.person, outcome.changed)

    _print(_run_people(settings, language, work))


@people_app.command("set-role")
def people_set_role(
    person: Annotated[str, typer.Argument(help="the person's id or plan code")],
    role: Annotated[Role, typer.Argument(help="the new role")],
    lang: LangOption = None,
) -> None:
    """Give a person another role (reporter/head at a school, officer/admin at the office)."""
    settings = _settings()
    language = _lang(settings, lang)

    async def work(repos: Repositories) -> str:
        entry = await find_person(repos, person)
        outcome = await change_role(repos, person_id=entry.id, role=role, now=utc_now())
        return _change_message(
            language, "onboarding.people.role_changed", outcome.person, outcome.changed
        )

    _print(_run_people(settings, language, work))


def register(app: typer.Typer) -> None:
    """Add the plan and people commands to the ``tidtam`` application."""
    app.command("template")(template)
    app.command("import")(import_command)
    app.command("export-plan")(export_command)
    app.add_typer(people_app, name="people")
