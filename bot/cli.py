"""The ``tidtam`` command line."""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from bot.cli_common import console, errors
from bot.cli_common import load_settings as _settings
from bot.logs import configure_logging
from bot.settings import Settings
from domain import invite_codes
from domain.calendar import format_datetime, utc_now
from domain.errors import TidtamError, UserError
from domain.i18n import Lang, plain
from domain.values import Role
from storage.database import Database
from storage.repositories import Repositories
from storage.sample import load_sample
from storage.services import IssuedInvite, issue_invite

app = typer.Typer(
    name="tidtam",
    help="Tidtam (ติดตาม): school project and KPI reporting over Telegram.",
    no_args_is_help=True,
    add_completion=False,
    # a traceback with local variables could print the bot token
    pretty_exceptions_show_locals=False,
)


def _fail(message: str) -> typer.Exit:
    errors.print(f"[red]error:[/red] {message}")
    return typer.Exit(code=1)


@app.command()
def init(
    sample: Annotated[
        bool, typer.Option("--sample", help="load the sample district (51 real schools)")
    ] = False,
) -> None:
    """Create or upgrade the database; optionally load the sample district."""
    settings = _settings()

    async def go() -> None:
        database = Database(settings.database_url)
        try:
            revision = await database.migrate()
            console.print(f"database ready at schema revision [bold]{revision}[/bold]")
            if sample:
                async with database.transaction() as repos:
                    summary = await load_sample(repos, now=utc_now(), tz=settings.tz)
                if summary.created:
                    console.print(
                        f"sample district loaded: {summary.schools} schools, {summary.kpis} KPIs, "
                        f"open round {summary.round_code}"
                    )
                else:
                    console.print("sample district already present; nothing changed")
        finally:
            await database.dispose()

    try:
        asyncio.run(go())
    except TidtamError as error:
        raise _fail(str(error)) from None


@app.command()
def run() -> None:
    """Run the bot (long polling) until Ctrl+C."""
    from bot.runtime import serve

    settings = _settings()
    try:
        settings.token()
    except RuntimeError as error:
        raise _fail(str(error)) from None
    try:
        asyncio.run(serve(settings))
    except TidtamError as error:
        raise _fail(str(error)) from None


async def _bot_username(settings: Settings) -> str:
    if settings.bot_username:
        return settings.bot_username.lstrip("@")
    from telegram import Bot

    bot = Bot(settings.token(), base_url=settings.api_base_url, base_file_url=settings.api_file_url)
    async with bot:
        me = await bot.get_me()
    assert me.username is not None
    return me.username


@app.command()
def invites(
    role: Annotated[Role, typer.Option(help="role the invite grants")] = Role.REPORTER,
    school: Annotated[
        list[str] | None, typer.Option("--school", help="school code (repeat for several)")
    ] = None,
    all_schools: Annotated[bool, typer.Option("--all", help="every active school")] = False,
    csv_path: Annotated[Path | None, typer.Option("--csv", help="also write a CSV file")] = None,
    pdf_path: Annotated[
        Path | None, typer.Option("--pdf", help="also write a printable A4 sheet of QR cards")
    ] = None,
    days: Annotated[int, typer.Option(help="days until the codes expire", min=1, max=365)] = 14,
    uses: Annotated[int, typer.Option(help="people who may register with one code", min=1)] = 1,
    lang: Annotated[str, typer.Option(help="language of printed names: th or en")] = "th",
    planned: Annotated[
        bool,
        typer.Option(
            "--planned",
            help="one personal invite per person of the plan's people sheet who has not "
            "joined yet (in the chosen schools, or all), whatever their role",
        ),
    ] = False,
) -> None:
    """Create invite codes and deep links, one per school (officers: the office)."""
    settings = _settings()
    if not school and not all_schools and not role.is_district and not planned:
        raise _fail("name schools with --school CODE, or use --all")

    async def go() -> tuple[list[IssuedInvite], str]:
        username = await _bot_username(settings)
        database = Database(settings.database_url)
        try:
            await database.migrate()
            now = utc_now()
            async with database.transaction() as repos:
                if planned:
                    return await _personal_invites(repos, school, now, days), username
                if role.is_district:
                    office = await repos.schools.office()
                    if office is None:
                        raise UserError("cli.no_office")
                    targets = [office]
                elif all_schools:
                    targets = await repos.schools.list(kind="school")
                else:
                    targets = []
                    for code in school or []:
                        found = await repos.schools.by_code(code)
                        if found is None:
                            raise UserError("cli.unknown_school", code=code)
                        targets.append(found)
                issued = [
                    await issue_invite(
                        repos,
                        school=target,
                        role=role,
                        now=now,
                        ttl=dt.timedelta(days=days),
                        max_uses=uses,
                    )
                    for target in targets
                ]
            return issued, username
        finally:
            await database.dispose()

    try:
        issued, username = asyncio.run(go())
    except UserError as error:
        raise _fail(plain("th" if lang == "th" else "en", error.key, **error.params)) from None
    except RuntimeError as error:
        raise _fail(str(error)) from None
    language: Lang = "en" if lang == "en" else "th"
    title = "planned people" if planned else role.value
    table = Table(title=f"{len(issued)} invites · {title}")
    columns = ["school", "name", "code", "link", "expires"]
    if planned:
        columns[2:2] = ["person", "role"]
    for column in columns:
        # codes and links must print whole, whatever the terminal's width
        table.add_column(column, overflow="fold", no_wrap=column in ("code", "school"))
    for invite in issued:
        cells = [
            invite.school.code,
            invite.school.name(language),
            invite_codes.format_code(invite.code),
            invite.link(username),
            format_datetime(invite.expires_at, language, tz=settings.tz),
        ]
        if planned:
            assert invite.person is not None
            cells[2:2] = [invite.person.full_name, invite.role.value]
        table.add_row(*cells)
    console.print(table)
    if csv_path is not None:
        with csv_path.open("w", newline="", encoding="utf-8-sig") as handle:
            writer = csv.writer(handle)
            writer.writerow(
                [
                    "school_code",
                    "school_name",
                    "role",
                    "code",
                    "link",
                    "expires_at",
                    "person_code",
                    "person_name",
                ]
            )
            for invite in issued:
                writer.writerow(
                    [
                        invite.school.code,
                        invite.school.name_th,
                        invite.role.value,
                        invite_codes.format_code(invite.code),
                        invite.link(username),
                        invite.expires_at.isoformat(),
                        invite.person.code if invite.person else "",
                        invite.person.full_name if invite.person else "",
                    ]
                )
        console.print(f"written to {csv_path}")
    if pdf_path is not None:
        from onboarding.invite_sheet import invite_sheet_pdf

        pdf_path.write_bytes(
            invite_sheet_pdf(issued, bot_username=username, lang=language, tz=settings.tz)
        )
        console.print(f"written to {pdf_path}")


async def _personal_invites(
    repos: Repositories, school_codes: list[str] | None, now: dt.datetime, days: int
) -> list[IssuedInvite]:
    """A personal invite for every active planned person without an account."""
    wanted: set[int] | None = None
    if school_codes:
        wanted = set()
        for code in school_codes:
            found = await repos.schools.by_code(code)
            if found is None:
                raise UserError("cli.unknown_school", code=code)
            wanted.add(found.id)
    issued = []
    for person in await repos.people.list(active_only=True):
        if person.telegram_user_id is not None or person.code is None:
            continue
        if wanted is not None and person.school_id not in wanted:
            continue
        unit = await repos.schools.get(person.school_id)
        assert unit is not None
        issued.append(
            await issue_invite(
                repos,
                school=unit,
                role=person.role,
                now=now,
                ttl=dt.timedelta(days=days),
                person=person,
            )
        )
    return issued


@app.command()
def backup(
    out: Annotated[Path, typer.Argument(help="file to write the copy to")],
) -> None:
    """Copy the database consistently while the bot keeps running."""
    from storage.backup import backup_database

    settings = _settings()
    try:
        result = asyncio.run(backup_database(settings.database_url, out))
    except TidtamError as error:
        raise _fail(str(error)) from None
    console.print(f"backup written to {result.path} ({result.size_bytes:,} bytes)")


@app.command()
def demo(
    out: Annotated[
        Path | None, typer.Option(help="folder for the transcript (default: a new temp folder)")
    ] = None,
    chat: Annotated[
        bool, typer.Option("--chat", help="play a school reporter yourself, in the terminal")
    ] = False,
    lang: Annotated[str, typer.Option(help="language of the chat: th or en")] = "th",
) -> None:
    """Play a reporting round offline against a local Bot API emulator."""
    configure_logging("WARNING")
    if chat:
        from bot.chat import run_chat

        folder = asyncio.run(run_chat(console=console, out=out, lang=lang))
        console.print(f"\n[bold green]chat ended[/bold green]; database in {folder}")
        return
    from bot.demo import run_demo

    folder = asyncio.run(run_demo(out, console=console))
    console.print(f"\n[bold green]demo finished[/bold green]; transcript in {folder}")


def main() -> None:
    """Console-script entry point."""
    app()


from bot import cli_remind  # noqa: E402  (the reminder commands add themselves)

cli_remind.register(app)

from bot import cli_reports  # noqa: E402  (the report command adds itself)

cli_reports.register(app)


from bot import cli_plan  # noqa: E402  (the plan commands add themselves to the app above)

cli_plan.register(app)

from bot import cli_evidence  # noqa: E402  (the evidence commands add themselves)

cli_evidence.register(app)
