"""The reminder commands: ``tidtam remind``, ``tidtam ladder`` and ``tidtam calendar``.

``tidtam remind --dry-run --at "2027-01-05 08:30"`` lists what a reminder
pass at that moment would send, to whom and why, and changes nothing;
``tidtam remind --now`` runs one real pass (the running bot does the same
every minute; both may run at once, the send log keeps every reminder to
one). ``tidtam ladder`` shows or changes a round's reminder steps, and
``tidtam calendar`` shows the office's working days and adds or removes the
office's own days off and working days.

Messages come from the catalogs in the operator's language (``--lang``).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, TypeVar

import typer
from rich.table import Table

from bot.cli_common import console, errors
from bot.cli_common import language as _lang
from bot.cli_common import load_settings as _settings
from bot.cli_common import with_database as _with_database
from bot.settings import Settings
from domain.calendar import format_date, format_datetime, parse_date, parse_local_datetime, utc_now
from domain.errors import UserError
from domain.i18n import Lang, plain
from scheduler.calendar import OFFICE_CLOSES, OfficeCalendar
from scheduler.ladder import ladder_json, ladder_text, parse_ladder, schedule
from scheduler.messages import item_codes
from scheduler.planner import Action, Plan, PlannedMessage, ReminderConfig, load_calendar
from scheduler.runner import dry_run, run_pass
from storage.database import Database
from storage.repositories import Repositories

calendar_app = typer.Typer(
    help="The office calendar: working days, Thai public holidays, the office's own days.",
    no_args_is_help=True,
)

LangOption = Annotated[
    str | None, typer.Option("--lang", help="language of messages: th or en (default: setting)")
]
T = TypeVar("T")


def config_of(settings: Settings) -> ReminderConfig:
    """Reminder timing from the settings."""
    return ReminderConfig(
        tz=settings.tz,
        reminder_time=settings.reminder_time,
        max_hold=settings.reminder_max_hold,
        default_language=settings.default_language,
    )


def _fail(lang: Lang, key: str, /, **params: object) -> typer.Exit:
    errors.print(f"[red]{plain(lang, 'reminders.cli.error')}[/red] {plain(lang, key, **params)}")
    return typer.Exit(code=1)


def why(message: PlannedMessage, lang: Lang, config: ReminderConfig) -> str:
    """Why a person gets this message: the step and its moment, what is missing."""
    if message.step.startswith("digest:"):
        return plain(lang, "reminders.why.digest", round=message.round_.code)
    missing = message.missing
    items = ", ".join(item_codes(missing)) if missing is not None else ""
    count = missing.count if missing is not None else 0
    if message.step.startswith("nudge:"):
        return plain(
            lang, "reminders.why.nudge", school=message.school.code, count=count, items=items
        )
    at = format_datetime(message.at, lang, tz=config.tz) if message.at else ""
    return plain(
        lang,
        "reminders.why.step",
        step=message.step,
        at=at,
        school=message.school.code,
        count=count,
        items=items,
    )


def action_text(message: PlannedMessage, lang: Lang, config: ReminderConfig) -> str:
    """What the pass does with the message."""
    if message.action is Action.RELEASE and message.held_since is not None:
        return plain(
            lang,
            "reminders.action.release",
            since=format_datetime(message.held_since, lang, tz=config.tz),
        )
    return plain(lang, f"reminders.action.{message.action.value}")


def plan_table(plan: Plan, lang: Lang, config: ReminderConfig) -> Table:
    """The plan as a table: one row per message."""
    table = Table(
        title=plain(lang, "reminders.cli.header", at=format_datetime(plan.now, lang, tz=config.tz)),
        show_lines=False,
    )
    for column in ("to", "role", "school", "round", "step", "action", "why"):
        table.add_column(plain(lang, f"reminders.cli.column.{column}"), overflow="fold")
    rows = [*plan.messages, *plan.waiting]
    for message in rows:
        person = message.recipient
        action = (
            plain(lang, "reminders.action.waiting")
            if message in plan.waiting
            else action_text(message, lang, config)
        )
        table.add_row(
            f"{person.full_name} ({person.telegram_user_id})",
            plain(lang, person.role.label_key),
            person.school_code,
            message.round_.code,
            message.step,
            action,
            why(message, lang, config),
        )
    return table


def outside_reason(moment: dt.datetime, lang: Lang, calendar: OfficeCalendar) -> str:
    """Why nothing is sent at a moment: the office's day off, a weekend, a holiday, the hour."""
    day = calendar.local_date(moment)
    if not calendar.is_working_day(day):
        override = calendar.overrides.get(day)
        if override is not None:
            return plain(lang, "reminders.cli.office_day_off", note=override.note or "-")
        if day.weekday() >= 5:
            return plain(lang, "reminders.cli.weekend")
        return plain(lang, "reminders.cli.holiday", name=calendar.holiday_name(day) or "-")
    return plain(
        lang,
        "reminders.cli.hours",
        start=f"{calendar.reminder_time:%H:%M}",
        end=f"{OFFICE_CLOSES:%H:%M}",
    )


def register(app: typer.Typer) -> None:
    """Add the reminder commands to the ``tidtam`` command line."""
    app.command()(remind)
    app.command()(ladder)
    app.add_typer(calendar_app, name="calendar")


def remind(
    dry: Annotated[
        bool, typer.Option("--dry-run", help="list what would be sent; send nothing")
    ] = False,
    now: Annotated[bool, typer.Option("--now", help="run one real reminder pass now")] = False,
    at: Annotated[
        str | None,
        typer.Option(
            "--at", help='moment on the office clock for --dry-run, e.g. "2027-01-05 08:30"'
        ),
    ] = None,
    lang: LangOption = None,
) -> None:
    """Reminders: what is due at a moment (--dry-run), or send what is due now (--now)."""
    settings = _settings()
    language = _lang(settings, lang)
    config = config_of(settings)
    if dry == now:
        raise _fail(language, "reminders.cli.choose_mode")
    if at is not None and not dry:
        raise _fail(language, "reminders.cli.at_needs_dry_run")
    try:
        moment = parse_local_datetime(at, settings.tz) if at is not None else utc_now()
    except UserError as error:
        raise _fail(language, error.key, **error.params) from None

    if dry:

        async def plan_at(database: Database) -> tuple[Plan, str]:
            plan = await dry_run(database, now=moment, config=config)
            async with database.read() as repos:
                calendar = await load_calendar(repos, config)
            return plan, outside_reason(moment, language, calendar)

        plan, reason = _with_database(settings, plan_at)
        _print_plan(plan, language, config, reason)
        return

    try:
        settings.token()
    except RuntimeError as error:
        errors.print(f"[red]{plain(language, 'reminders.cli.error')}[/red] {error}")
        raise typer.Exit(code=1) from None

    async def send_now(database: Database) -> tuple[int, int, int, int]:
        from telegram.ext import AIORateLimiter, ExtBot

        from bot.telegram_http import AiohttpRequest

        bot: ExtBot[None] = ExtBot(
            settings.token(),
            base_url=settings.api_base_url,
            base_file_url=settings.api_file_url,
            rate_limiter=AIORateLimiter(max_retries=5),  # type: ignore[arg-type]
            request=AiohttpRequest(connection_pool_size=64),
        )
        async with bot:
            report = await run_pass(bot, database, now=utc_now(), config=config)
        unreachable = len(report.delivery.unreachable)
        return len(report.sent), len(report.failed), len(report.held), unreachable

    sent, failed, held, unreachable = _with_database(settings, send_now)
    console.print(
        plain(
            language,
            "reminders.cli.pass_done",
            sent=sent,
            failed=failed,
            held=held,
            unreachable=unreachable,
        )
    )


def _print_plan(plan: Plan, lang: Lang, config: ReminderConfig, reason: str) -> None:
    if not plan.in_window:
        console.print(
            plain(
                lang,
                "reminders.cli.outside",
                at=format_datetime(plan.now, lang, tz=config.tz),
                reason=reason,
            )
        )
        return
    if not plan.messages and not plan.waiting:
        console.print(
            plain(lang, "reminders.cli.none", at=format_datetime(plan.now, lang, tz=config.tz))
        )
        return
    console.print(plan_table(plan, lang, config))
    counts = {action: 0 for action in Action}
    for message in plan.messages:
        counts[message.action] += 1
    skipped = sum(len(message.superseded) for message in plan.messages)
    console.print(
        plain(
            lang,
            "reminders.cli.summary",
            send=counts[Action.SEND] + counts[Action.RELEASE],
            hold=counts[Action.HOLD],
            waiting=len(plan.waiting),
            skipped=skipped,
        )
    )


def ladder(
    round_code: Annotated[str, typer.Argument(help="the round's code, e.g. FY2570-Q2")],
    steps: Annotated[
        str | None,
        typer.Option(
            "--steps", help='new steps, e.g. "open,-7,-3,-1,0,1,3,7" (days from the due date)'
        ),
    ] = None,
    default: Annotated[
        bool, typer.Option("--default", help="go back to the default ladder")
    ] = False,
    lang: LangOption = None,
) -> None:
    """Show a round's reminder steps and when each goes out; change them with --steps."""
    settings = _settings()
    language = _lang(settings, lang)
    config = config_of(settings)
    if steps is not None and default:
        raise _fail(language, "reminders.cli.steps_or_default")

    async def work(database: Database) -> list[tuple[str, dt.datetime]]:
        async with database.transaction() as repos:
            round_ = await repos.plan.round_by_code(round_code)
            if round_ is None:
                raise UserError("reminders.cli.unknown_round", code=round_code)
            if steps is not None or default:
                parsed = parse_ladder(steps) if steps is not None else None
                stored = None if parsed is None else ladder_json(parsed)
                before = await repos.reminders.round_ladder(round_.id)
                await repos.reminders.set_round_ladder(round_.id, stored, now=utc_now())
                await repos.audit.record(
                    at=utc_now(),
                    actor="cli",
                    action="set_reminder_ladder",
                    entity="round",
                    entity_id=round_.id,
                    before={"ladder": before},
                    after={"ladder": stored},
                )
            calendar = await load_calendar(repos, config)
            current = parse_ladder(await repos.reminders.round_ladder(round_.id))
            scheduled = schedule(
                current, opens_at=round_.opens_at, due_at=round_.due_at, calendar=calendar
            )
            console.print(plain(language, "reminders.cli.ladder", steps=ladder_text(current)))
            return [(item.step.key, item.at) for item in scheduled]

    try:
        moments = _with_database(settings, work)
    except UserError as error:
        raise _fail(language, error.key, **error.params) from None
    table = Table()
    table.add_column(plain(language, "reminders.cli.column.step"))
    table.add_column(plain(language, "reminders.cli.column.when"))
    for key, at in moments:
        table.add_row(key, format_datetime(at, language, tz=config.tz))
    console.print(table)


@calendar_app.command("list")
def calendar_list(
    year: Annotated[
        int | None, typer.Option(help="calendar year (CE or BE), default: this year")
    ] = None,
    lang: LangOption = None,
) -> None:
    """Days the office does not work on a weekday, and weekend days it works."""
    settings = _settings()
    language = _lang(settings, lang)
    config = config_of(settings)
    chosen = year or utc_now().astimezone(settings.tz).year
    if chosen >= 2400:
        chosen -= 543

    async def work(database: Database) -> list[tuple[dt.date, bool, str]]:
        async with database.read() as repos:
            calendar = await load_calendar(repos, config)
        days = calendar.days_off(dt.date(chosen, 1, 1), dt.date(chosen, 12, 31))
        return [(day, calendar.is_working_day(day), reason) for day, reason in days]

    days = _with_database(settings, work)
    table = Table(title=plain(language, "reminders.cli.calendar_title", year=chosen))
    for column in ("day", "status", "reason"):
        table.add_column(plain(language, f"reminders.cli.column.{column}"))
    for day, working, reason in days:
        table.add_row(
            format_date(day, language),
            plain(language, "reminders.cli.working" if working else "reminders.cli.off"),
            reason,
        )
    console.print(table)


@calendar_app.command("add")
def calendar_add(
    day: Annotated[str, typer.Argument(help="the day, e.g. 2027-01-04 or 4/1/2570")],
    off: Annotated[bool, typer.Option("--off", help="the office does not work that day")] = False,
    working: Annotated[
        bool, typer.Option("--working", help="the office works that day (e.g. a Saturday)")
    ] = False,
    note: Annotated[str | None, typer.Option("--note", help="why, e.g. the order's number")] = None,
    lang: LangOption = None,
) -> None:
    """Make a day a day off or a working day for the office (reminders follow)."""
    settings = _settings()
    language = _lang(settings, lang)
    if off == working:
        raise _fail(language, "reminders.cli.off_or_working")
    try:
        parsed = parse_date(day)
    except UserError as error:
        raise _fail(language, error.key, **error.params) from None

    async def work(database: Database) -> None:
        async with database.transaction() as repos:
            await _set_day(repos, parsed, working=working, note=note)

    _with_database(settings, work)
    key = "reminders.cli.added_working" if working else "reminders.cli.added_off"
    console.print(plain(language, key, day=format_date(parsed, language), note=note or "-"))


async def _set_day(repos: Repositories, day: dt.date, *, working: bool, note: str | None) -> None:
    before = await repos.reminders.calendar_day(day)
    await repos.reminders.set_calendar_day(day, working=working, note=note)
    await repos.audit.record(
        at=utc_now(),
        actor="cli",
        action="set_calendar_day",
        entity="calendar_day",
        entity_id=day.isoformat(),
        before=None if before is None else {"working": before.working, "note": before.note},
        after={"working": working, "note": note},
    )


@calendar_app.command("remove")
def calendar_remove(
    day: Annotated[str, typer.Argument(help="the day, e.g. 2027-01-04 or 4/1/2570")],
    lang: LangOption = None,
) -> None:
    """Forget the office's own setting for a day (public holidays and weekends apply again)."""
    settings = _settings()
    language = _lang(settings, lang)
    try:
        parsed = parse_date(day)
    except UserError as error:
        raise _fail(language, error.key, **error.params) from None

    async def work(database: Database) -> bool:
        async with database.transaction() as repos:
            before = await repos.reminders.calendar_day(parsed)
            removed = await repos.reminders.remove_calendar_day(parsed)
            if removed and before is not None:
                await repos.audit.record(
                    at=utc_now(),
                    actor="cli",
                    action="remove_calendar_day",
                    entity="calendar_day",
                    entity_id=parsed.isoformat(),
                    before={"working": before.working, "note": before.note},
                )
            return removed

    if not _with_database(settings, work):
        raise _fail(language, "reminders.cli.not_overridden", day=format_date(parsed, language))
    console.print(plain(language, "reminders.cli.removed", day=format_date(parsed, language)))
