"""/status (what the school still owes, with the deadline) and /history (every version)."""

from __future__ import annotations

from collections.abc import Sequence

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, filters

from domain.calendar import days_until, format_datetime
from domain.i18n import Html, Lang, plain, t
from domain.numbers import format_money, format_percent
from domain.values import format_kpi_value
from handlers.common import STAFF_ROLES, answer_query, keyboard, require_role, show
from handlers.context import Ctx
from handlers.flow import draft_rows, other_drafts
from storage.models import KpiValue, ProgressReport, Round
from storage.services import HistoryItem, SchoolRound, outstanding_items, school_round

MESSAGE_LIMIT = 3900  # below Telegram's 4096, leaving room for a closing line
BUTTON_NAME = 30


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def fit(lines: Sequence[str], lang: Lang, *, limit: int = MESSAGE_LIMIT) -> Html:
    """Join lines into one message, cutting whole lines when it would be too long."""
    kept: list[str] = []
    size = 0
    for number, line in enumerate(lines):
        if size + len(line) + 1 > limit:
            kept.append(t(lang, "reporting.status.more", count=len(lines) - number))
            break
        kept.append(line)
        size += len(line) + 1
    return Html("\n".join(kept))


def countdown(round_: Round, lang: Lang, context: Ctx) -> Html:
    """The deadline in the office's calendar (Buddhist Era in Thai) and the days left."""
    services = context.services
    days = days_until(round_.due_at, services.clock(), services.timezone)
    due = format_datetime(round_.due_at, lang, tz=services.timezone)
    if days > 0:
        return t(lang, "reporting.status.days_left", due=due, days=days)
    if days == 0:
        return t(lang, "reporting.status.due_today", due=due)
    return t(lang, "reporting.status.overdue", due=due, days=-days)


def version_value(item: HistoryItem, version: KpiValue | ProgressReport, lang: Lang) -> str:
    """One version's answer in a line: the KPI value, or status · percent · spent."""
    if isinstance(version, KpiValue):
        assert item.kpi is not None
        return format_kpi_value(item.kpi.value_type, version.value, lang)
    return " · ".join(
        (
            plain(lang, version.status.label_key),
            format_percent(version.percent_complete, decimals=None),
            format_money(version.budget_spent, lang),
        )
    )


def history_lines(view: SchoolRound, lang: Lang, context: Ctx) -> list[str]:
    """Every item of a school's round with its versions: who, when, why, returns."""
    tz = context.services.timezone
    lines: list[str] = []
    for number, item in enumerate(view.items, start=1):
        lines.append(t(lang, "reporting.history.item", n=number, name=item.name(lang)))
        if not item.versions:
            lines.append(t(lang, "reporting.history.not_yet"))
            continue
        for version in item.versions:
            line = t(
                lang,
                "reporting.history.version",
                version=version.version,
                value=version_value(item, version, lang),
                who=view.people.get(version.submitted_by_id, "—"),
                at=format_datetime(version.submitted_at, lang, tz=tz),
            )
            if version.reason:
                line = Html(line + t(lang, "reporting.history.reason", reason=version.reason))
            if view.after_certification(version):
                line = Html(line + t(lang, "reporting.history.after_certification"))
            lines.append(line)
            if version.returned_at is not None:
                lines.append(
                    t(
                        lang,
                        "reporting.history.returned",
                        who=view.people.get(version.returned_by_id or 0, "—"),
                        at=format_datetime(version.returned_at, lang, tz=tz),
                        comment=version.return_comment or "",
                    )
                )
    return lines


def correct_rows(
    view: SchoolRound, lang: Lang, *, only_returned: bool = False
) -> list[list[tuple[str, str]]]:
    """One ✏️ button per submitted item (or per returned item)."""
    rows = []
    for item in view.returned if only_returned else view.items:
        current = item.current
        if current is None:
            continue
        kind = "kv" if isinstance(current, KpiValue) else "pr"
        label = plain(lang, "reporting.correct.button", name=_short(item.name(lang), BUTTON_NAME))
        rows.append([(label, f"fix:{kind}:{current.id}")])
    return rows


async def status(update: Update, context: Ctx) -> None:
    """/status: for each open round, what is outstanding, the deadline and days left."""
    await answer_query(update)
    found = await require_role(update, context, STAFF_ROLES, "access.staff_only")
    if found is None:
        return
    who, person = found
    lang = who.lang
    services = context.services
    async with services.database.read() as repos:
        rounds = await repos.plan.open_rounds(services.clock())
        views = []
        for round_ in rounds:
            owed = await outstanding_items(repos, school_id=person.school_id, round_=round_)
            view = await school_round(repos, school_id=person.school_id, round_=round_)
            views.append((round_, owed, view))
    drafts = await other_drafts(context, person)
    if not views:
        await show(update, t(lang, "kpi.no_round"), markup=keyboard(draft_rows(drafts, lang)))
        return
    lines: list[str] = []
    rows: list[list[tuple[str, str]]] = []
    projects_owed = kpis_owed = False
    for round_, owed, view in views:
        lines.append(t(lang, "reporting.status.round", round=round_.name(lang)))
        lines.append(countdown(round_, lang, context))
        if owed:
            lines.append(t(lang, "reporting.status.owed", count=owed.count))
            if owed.projects:
                lines.append(t(lang, "reporting.status.projects", count=len(owed.projects)))
                lines += [t(lang, "reporting.status.line", name=p.name) for p in owed.projects]
            if owed.kpis:
                lines.append(t(lang, "reporting.status.kpis", count=len(owed.kpis)))
                lines += [
                    t(lang, "reporting.status.line", name=k.kpi.name(lang)) for k in owed.kpis
                ]
        else:
            lines.append(t(lang, "reporting.status.complete"))
        if view.returned:
            lines.append(t(lang, "reporting.status.returned", count=len(view.returned)))
            for item in view.returned:
                assert item.current is not None
                lines.append(
                    t(
                        lang,
                        "reporting.status.returned_line",
                        name=item.name(lang),
                        comment=item.current.return_comment or "",
                    )
                )
            rows += correct_rows(view, lang, only_returned=True)
        if view.certified is not None:
            lines.append(
                t(
                    lang,
                    "reporting.status.certified",
                    who=view.people.get(view.certified.certified_by_id, "—"),
                    at=format_datetime(view.certified.certified_at, lang, tz=services.timezone),
                )
            )
        lines.append("")
        projects_owed = projects_owed or bool(owed.projects)
        kpis_owed = kpis_owed or bool(owed.kpis)
    if drafts:
        lines.append(t(lang, "reporting.status.drafts"))
        rows = draft_rows(drafts, lang) + rows
    if projects_owed:
        rows.append([(plain(lang, "reporting.report.start"), "report:start")])
    if kpis_owed:
        rows.append([(plain(lang, "menu.kpi"), "kpi:start")])
    rows.append([(plain(lang, "menu.back"), "menu")])
    await show(update, fit(lines, lang), markup=keyboard(rows))


async def history(update: Update, context: Ctx) -> None:
    """/history: the school's entries of a round with every version (current round by default)."""
    await answer_query(update)
    found = await require_role(update, context, STAFF_ROLES, "access.staff_only")
    if found is None:
        return
    who, person = found
    lang = who.lang
    services = context.services
    query = update.callback_query
    async with services.database.read() as repos:
        all_rounds = await repos.plan.rounds()
        round_ = None
        if query is not None and query.data and query.data.startswith("hist:"):
            tail = query.data.rsplit(":", 1)[-1]
            round_ = await repos.plan.round(int(tail)) if tail.isdigit() else None
        if round_ is None:
            round_ = await repos.plan.current_round(services.clock())
        if round_ is None and all_rounds:
            round_ = all_rounds[-1]
        view = (
            None
            if round_ is None
            else await school_round(repos, school_id=person.school_id, round_=round_)
        )
    if round_ is None or view is None:
        await show(update, t(lang, "kpi.no_round"))
        return
    lines: list[str] = [t(lang, "reporting.history.title", round=round_.name(lang))]
    if view.certified is not None:
        lines.append(
            t(
                lang,
                "reporting.status.certified",
                who=view.people.get(view.certified.certified_by_id, "—"),
                at=format_datetime(view.certified.certified_at, lang, tz=services.timezone),
            )
        )
    lines.append("")
    lines += history_lines(view, lang, context)
    rows = correct_rows(view, lang) if round_.is_open(services.clock()) else []
    rows += [
        [(other.name(lang), f"hist:{other.id}")]
        for other in all_rounds[-6:]
        if other.id != round_.id
    ]
    rows.append([(plain(lang, "menu.back"), "menu")])
    await show(update, fit(lines, lang), markup=keyboard(rows))


def register_handlers(application: Application) -> None:  # type: ignore[type-arg]
    """/status and /history with their buttons."""
    private = filters.ChatType.PRIVATE
    application.add_handler(CommandHandler("status", status, filters=private))
    application.add_handler(CommandHandler("history", history, filters=private))
    application.add_handler(CallbackQueryHandler(status, pattern=r"^status$"))
    application.add_handler(CallbackQueryHandler(history, pattern=r"^(history|hist:\d+)$"))
