"""/summary: the current round's completeness, for officers and admins."""

from __future__ import annotations

from telegram import Update
from telegram.constants import ChatAction
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, filters

from domain.i18n import t
from handlers.common import DISTRICT_ROLES, answer_query, require_role, send
from handlers.context import Ctx
from reports.completeness import load_completeness
from reports.text import completeness_html


async def summary(update: Update, context: Ctx) -> None:
    """Compute and show the completeness of the current round."""
    await answer_query(update)
    found = await require_role(update, context, DISTRICT_ROLES, "access.officers_only")
    if found is None:
        return
    who, _ = found
    chat = update.effective_chat
    if chat is not None:
        await chat.send_action(ChatAction.TYPING)
    services = context.services
    now = services.clock()
    async with services.database.read() as repos:
        round_ = await repos.plan.current_round(now)
        report = None if round_ is None else await load_completeness(repos, round_, now=now)
    if report is None:
        await send(update, t(who.lang, "summary.no_round"))
        return
    await send(update, completeness_html(report, who.lang))


def register_handlers(application: Application) -> None:  # type: ignore[type-arg]
    """Add /summary and its menu button."""
    application.add_handler(CommandHandler("summary", summary, filters=filters.ChatType.PRIVATE))
    application.add_handler(CallbackQueryHandler(summary, pattern=r"^summary:start$"))
