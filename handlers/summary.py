"""/summary: reports in chat for officers, and a school head's own scorecard.

Officers and admins start on the current round's completeness (the report
pulled most), then pick another report or another round with buttons:
round → report → a concise summary, paged when long, with buttons for the
XLSX, the PDF and the chart. A school head gets the school's own scorecard
and its files, nothing of other schools. Computing and rendering run off the
event loop while the chat shows that the bot is working.

Callback data (all under 64 bytes):
``sum:rounds`` pick a round · ``sum:r:<round id>`` pick a report ·
``sum:v:<kind>:<scope>:<page>`` show a page · ``sum:f:<format>:<kind>:<scope>``
send a file; a scope is ``r<round id>``, ``y<fiscal year>`` or, for a
scorecard, ``r<round id>s<school id>``.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Final

from telegram import Chat, Update
from telegram.constants import ChatAction
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, filters

from domain.calendar import format_fiscal_year
from domain.i18n import Html, Lang, plain, t
from domain.values import Role
from handlers.common import Caller, answer_query, keyboard, refuse, require_person, send, show
from handlers.context import Ctx
from reports.chat import chat_pages
from reports.engine import Report, ReportKind, ReportRequest, load_report, opened_rounds
from reports.render import Format, NoChart, RenderedFile, render
from storage.models import Person, Round, School

ROUND_BUTTONS: Final = 8
ROUND_KINDS: Final = (
    ReportKind.COMPLETENESS,
    ReportKind.ACHIEVEMENT,
    ReportKind.PROJECTS,
    ReportKind.DIGEST,
)
YEAR_KINDS: Final = (ReportKind.TREND, ReportKind.ANNUAL, ReportKind.PUBLIC)
FILE_FORMATS: Final = (Format.XLSX, Format.PDF, Format.PNG)
_SCOPE = re.compile(r"^(?:r(?P<round>\d{1,9})(?:s(?P<school>\d{1,9}))?|y(?P<year>\d{4}))$")
_ACTION_REPEAT: Final = 4.5  # seconds; Telegram shows a chat action for about five


@dataclass(frozen=True, slots=True)
class Scope:
    """What a report button points at."""

    kind: ReportKind
    code: str  # as in the callback data
    round: Round | None
    fiscal_year: int
    school: School | None

    @property
    def request(self) -> ReportRequest:
        return ReportRequest(
            self.kind, round=self.round, fiscal_year=self.fiscal_year, school=self.school
        )

    @property
    def name(self) -> str:
        """The round code or fiscal year, for file names."""
        return self.round.code if self.round is not None else f"FY{self.fiscal_year}"


def _scope_code(
    round_: Round | None, *, year: int | None = None, school: School | None = None
) -> str:
    if round_ is None:
        return f"y{year}"
    return f"r{round_.id}" + (f"s{school.id}" if school is not None else "")


@contextlib.asynccontextmanager
async def _working(chat: Chat | None, action: str) -> AsyncIterator[None]:
    """Keep the chat's "typing…"/"sending a file…" on while a long report is made."""
    if chat is None:
        yield
        return

    async def repeat() -> None:
        while True:
            await chat.send_action(action)
            await asyncio.sleep(_ACTION_REPEAT)

    task = asyncio.create_task(repeat())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def _officer_or_head(update: Update, context: Ctx) -> tuple[Caller, Person] | None:
    """Officers, admins and school heads may ask; everyone else is refused politely."""
    found = await require_person(update, context)
    if found is None:
        return None
    who, person = found
    if person.role.is_district or person.role is Role.HEAD:
        return found
    await refuse(update, who, "access.officers_only")
    return None


def _allowed(person: Person, scope: Scope) -> bool:
    """Officers see everything; a school head only the own school's scorecard."""
    if person.role.is_district:
        return True
    return (
        person.role is Role.HEAD
        and scope.kind is ReportKind.SCORECARD
        and scope.school is not None
        and scope.school.id == person.school_id
    )


async def _resolve(context: Ctx, kind_text: str, code: str) -> Scope | None:
    """The scope a button names, or None when it no longer exists (or never did)."""
    try:
        kind = ReportKind(kind_text)
    except ValueError:
        return None
    match = _SCOPE.match(code)
    if match is None:
        return None
    async with context.services.database.read() as repos:
        round_ = school = None
        if match["round"]:
            round_ = await repos.plan.round(int(match["round"]))
            if round_ is None:
                return None
        if match["school"]:
            school = await repos.schools.get(int(match["school"]))
            if school is None:
                return None
    if kind.needs_round and round_ is None:
        return None
    if kind is ReportKind.SCORECARD and school is None:
        return None
    year = round_.fiscal_year if round_ is not None else int(match["year"])
    return Scope(kind, code, round_, year, school)


async def _compute(context: Ctx, scope: Scope) -> Report:
    services = context.services
    async with services.database.read() as repos:
        return await load_report(repos, scope.request, now=services.clock(), tz=services.timezone)


def _file_buttons(lang: Lang, scope: Scope) -> list[tuple[str, str]]:
    formats = list(FILE_FORMATS)
    if scope.kind is ReportKind.DIGEST:
        formats.remove(Format.PNG)  # the digest is words, it has no chart
    if scope.kind is ReportKind.PUBLIC:
        formats.append(Format.HTML)
    labels = {Format.XLSX: "xlsx", Format.PDF: "pdf", Format.PNG: "chart", Format.HTML: "html"}
    return [
        (
            plain(lang, f"reports.button.{labels[fmt]}"),
            f"sum:f:{fmt.value}:{scope.kind.value}:{scope.code}",
        )
        for fmt in formats
    ]


def _markup_rows(
    lang: Lang, person: Person, scope: Scope, page: int, pages: int
) -> list[list[tuple[str, str]]]:
    rows = [_file_buttons(lang, scope)]
    if pages > 1:
        nav = []
        if page > 0:
            nav.append(
                (
                    plain(lang, "reports.button.prev"),
                    f"sum:v:{scope.kind.value}:{scope.code}:{page - 1}",
                )
            )
        if page < pages - 1:
            nav.append(
                (
                    plain(lang, "reports.button.next"),
                    f"sum:v:{scope.kind.value}:{scope.code}:{page + 1}",
                )
            )
        rows.append(nav)
    if person.role.is_district:
        back = (
            [(plain(lang, "reports.button.reports"), f"sum:r:{scope.round.id}")]
            if scope.round is not None
            else []
        )
        rows.append([*back, (plain(lang, "reports.button.rounds"), "sum:rounds")])
    return rows


async def _show_report(
    update: Update, context: Ctx, who: Caller, person: Person, scope: Scope, page: int
) -> None:
    async with _working(update.effective_chat, ChatAction.TYPING):
        report = await _compute(context, scope)
        pages = await asyncio.to_thread(chat_pages, report, who.lang)
    page = min(max(page, 0), len(pages) - 1)
    markup = keyboard(_markup_rows(who.lang, person, scope, page, len(pages)))
    await show(update, pages[page], markup=markup)


async def summary(update: Update, context: Ctx) -> None:
    """/summary: the current round's completeness (officers) or own scorecard (heads)."""
    found = await _officer_or_head(update, context)
    if found is None:
        return
    await answer_query(update)
    who, person = found
    services = context.services
    async with services.database.read() as repos:
        round_ = await repos.plan.current_round(services.clock())
        school = await repos.schools.get(person.school_id)
    if round_ is None:
        if person.role.is_district:
            await pick_round(update, context)
        else:
            await send(update, t(who.lang, "summary.no_round"))
        return
    if person.role.is_district:
        scope = Scope(
            ReportKind.COMPLETENESS, _scope_code(round_), round_, round_.fiscal_year, None
        )
    else:
        assert school is not None
        scope = Scope(
            ReportKind.SCORECARD,
            _scope_code(round_, school=school),
            round_,
            round_.fiscal_year,
            school,
        )
    await _show_report(update, context, who, person, scope, 0)


async def pick_round(update: Update, context: Ctx) -> None:
    """The rounds opened so far (latest first), and the latest year's annual reports."""
    found = await require_person(update, context)
    if found is None:
        return
    who, person = found
    if not person.role.is_district:
        await refuse(update, who, "access.officers_only")
        return
    await answer_query(update)
    now = context.services.clock()
    async with context.services.database.read() as repos:
        rounds: list[Round] = []
        for year in await repos.report_data.fiscal_years():
            rounds += reversed(await opened_rounds(repos, year, now))
    if not rounds:
        await show(update, t(who.lang, "reports.bot.no_rounds"))
        return
    rows = [[(r.name(who.lang), f"sum:r:{r.id}")] for r in rounds[:ROUND_BUTTONS]]
    year = rounds[0].fiscal_year
    rows.append(
        [
            (plain(who.lang, "reports.button.annual", year=year), f"sum:v:annual:y{year}:0"),
            (plain(who.lang, "reports.button.public", year=year), f"sum:v:public:y{year}:0"),
        ]
    )
    await show(update, t(who.lang, "reports.bot.choose_round"), markup=keyboard(rows))


async def pick_report(update: Update, context: Ctx) -> None:
    """The reports of one round, and the yearly ones of its fiscal year."""
    found = await require_person(update, context)
    query = update.callback_query
    if found is None or query is None or query.data is None:
        return
    who, person = found
    if not person.role.is_district:
        await refuse(update, who, "access.officers_only")
        return
    await answer_query(update)
    async with context.services.database.read() as repos:
        round_ = await repos.plan.round(int(query.data.rsplit(":", 1)[1]))
    if round_ is None:
        await show(update, t(who.lang, "reports.bot.gone"))
        return
    lang = who.lang
    code = _scope_code(round_)
    year_code = _scope_code(None, year=round_.fiscal_year)
    rows = [[(plain(lang, kind.label_key), f"sum:v:{kind.value}:{code}:0")] for kind in ROUND_KINDS]
    rows += [
        [(plain(lang, kind.label_key), f"sum:v:{kind.value}:{year_code}:0")] for kind in YEAR_KINDS
    ]
    rows.append([(plain(lang, "reports.button.rounds"), "sum:rounds")])
    text = t(lang, "reports.bot.choose_report", round=round_.name(lang))
    await show(update, text, markup=keyboard(rows))


async def view(update: Update, context: Ctx) -> None:
    """One page of a report's chat summary."""
    query = update.callback_query
    found = await _officer_or_head(update, context)
    if found is None or query is None or query.data is None:
        return
    who, person = found
    _, _, kind_text, code, page_text = query.data.split(":", 4)
    scope = await _resolve(context, kind_text, code)
    if scope is not None and not _allowed(person, scope):
        await refuse(update, who, "reports.bot.own_school_only")
        return
    await answer_query(update)
    if scope is None:
        await show(update, t(who.lang, "reports.bot.gone"))
        return
    await _show_report(update, context, who, person, scope, int(page_text))


def _caption(lang: Lang, scope: Scope, office: str) -> Html:
    scope_line = (
        scope.round.name(lang)
        if scope.round is not None
        else format_fiscal_year(scope.fiscal_year, lang)
    )
    if scope.school is not None:
        scope_line = f"{scope.school.name(lang)} · {scope_line}"
    title = plain(lang, f"reports.title.{scope.kind.value}")
    return t(lang, "reports.bot.caption", title=title, scope=f"{office} · {scope_line}")


async def send_file(update: Update, context: Ctx) -> None:
    """The report as XLSX, PDF, chart (PNG) or HTML."""
    query = update.callback_query
    found = await _officer_or_head(update, context)
    if found is None or query is None or query.data is None:
        return
    who, person = found
    _, _, format_text, kind_text, code = query.data.split(":", 4)
    scope = await _resolve(context, kind_text, code)
    fmt = Format(format_text) if format_text in set(Format) else None
    if scope is not None and not _allowed(person, scope):
        await refuse(update, who, "reports.bot.own_school_only")
        return
    await answer_query(update)
    if scope is None or fmt is None:
        await send(update, t(who.lang, "reports.bot.gone"))
        return
    chat = update.effective_chat
    if chat is None:
        return
    office = context.services.office_name(who.lang)
    action = ChatAction.UPLOAD_PHOTO if fmt is Format.PNG else ChatAction.UPLOAD_DOCUMENT
    async with _working(chat, action):
        report = await _compute(context, scope)
        try:
            rendered: RenderedFile = await asyncio.to_thread(
                render, report, fmt, who.lang, office=office, kind=scope.kind, scope=scope.name
            )
        except NoChart:
            await send(update, t(who.lang, "reports.bot.no_chart"))
            return
    caption = _caption(who.lang, scope, office)
    if fmt is Format.PNG:
        await chat.send_photo(photo=rendered.content, caption=caption)
    else:
        await chat.send_document(
            document=io.BytesIO(rendered.content), filename=rendered.name, caption=caption
        )


def register_handlers(application: Application) -> None:  # type: ignore[type-arg]
    """Add /summary, its menu button and the report buttons."""
    application.add_handler(CommandHandler("summary", summary, filters=filters.ChatType.PRIVATE))
    application.add_handler(CallbackQueryHandler(summary, pattern=r"^summary:start$"))
    application.add_handler(CallbackQueryHandler(pick_round, pattern=r"^sum:rounds$"))
    application.add_handler(CallbackQueryHandler(pick_report, pattern=r"^sum:r:\d{1,9}$"))
    application.add_handler(
        CallbackQueryHandler(view, pattern=r"^sum:v:[a-z]{1,16}:[rsy0-9]{1,24}:\d{1,4}$")
    )
    application.add_handler(
        CallbackQueryHandler(send_file, pattern=r"^sum:f:[a-z]{1,8}:[a-z]{1,16}:[rsy0-9]{1,24}$")
    )
