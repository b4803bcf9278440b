"""The composition root: settings → database → Application with every handler."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from typing import Any

from telegram import BotCommandScopeDefault, LinkPreviewOptions
from telegram.constants import ParseMode
from telegram.ext import AIORateLimiter, Application, ApplicationBuilder, ContextTypes, Defaults

import handlers
from bot.settings import Settings
from bot.telegram_http import bot_requests
from domain.calendar import utc_now
from domain.i18n import LANGUAGES
from handlers.common import PUBLIC_COMMANDS, command_list
from handlers.context import BotData, Ctx, Services, TidtamApplication, TidtamBot
from scheduler.evidence import register_archive_job
from scheduler.planner import ReminderConfig
from scheduler.runner import register_job
from storage.database import Database
from storage.persistence import DatabasePersistence

log = logging.getLogger(__name__)


def make_services(
    settings: Settings, database: Database, *, clock: Callable[[], dt.datetime] = utc_now
) -> Services:
    """The services handlers reach through ``context.services``."""
    return Services(
        database=database,
        clock=clock,
        timezone=settings.tz,
        default_language=settings.default_language,
        draft_ttl=settings.draft_ttl,
        invite_ttl=settings.invite_ttl,
        office_name_th=settings.office_name_th,
        office_name_en=settings.office_name_en,
        bot_username=settings.bot_username or "",
        reminder_time=settings.reminder_time,
        reminder_max_hold=settings.reminder_max_hold,
    )


async def _post_init(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Learn the bot's username and publish the command menus per language."""
    services: Services = application.bot_data.services
    me = await application.bot.get_me()
    services.bot_username = me.username or services.bot_username
    default_lang = services.default_language
    await application.bot.set_my_commands(
        command_list(PUBLIC_COMMANDS, default_lang), scope=BotCommandScopeDefault()
    )
    for lang in LANGUAGES:
        await application.bot.set_my_commands(
            command_list(PUBLIC_COMMANDS, lang), scope=BotCommandScopeDefault(), language_code=lang
        )
    log.info("bot @%s ready", services.bot_username)


async def _post_shutdown(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    services: Services = application.bot_data.services
    await services.database.dispose()


def build_application(
    settings: Settings,
    database: Database,
    *,
    clock: Callable[[], dt.datetime] = utc_now,
    token: str | None = None,
    rate_limit: bool = True,
) -> TidtamApplication:
    """Build the bot: Bot API URLs from settings, HTML and the office time zone
    by default, persistence in the database, and every handler."""
    services = make_services(settings, database, clock=clock)
    requests, polling = bot_requests()
    builder = (
        ApplicationBuilder()
        .bot(
            TidtamBot(
                token or settings.token(),
                base_url=settings.api_base_url,
                base_file_url=settings.api_file_url,
                request=requests,
                get_updates_request=polling,
                defaults=Defaults(
                    parse_mode=ParseMode.HTML,
                    tzinfo=settings.tz,
                    link_preview_options=LinkPreviewOptions(is_disabled=True),
                ),
                rate_limiter=AIORateLimiter(max_retries=5) if rate_limit else None,  # type: ignore[arg-type]
            )
        )
        .context_types(ContextTypes(context=Ctx, bot_data=BotData))
        .persistence(DatabasePersistence(database, clock=clock))
        .post_init(_post_init)
        .post_shutdown(_post_shutdown)
    )
    application: TidtamApplication = builder.build()
    application.bot_data.services = services
    handlers.register(application)
    if application.job_queue is not None:
        register_job(
            application.job_queue,
            database=database,
            clock=clock,
            config=reminder_config(services),
        )
        if settings.evidence_dir is not None:
            register_archive_job(
                application.job_queue, database=database, folder=settings.evidence_dir, clock=clock
            )
    return application


def reminder_config(services: Services) -> ReminderConfig:
    """How reminders are timed, from the running bot's settings."""
    return ReminderConfig(
        tz=services.timezone,
        reminder_time=services.reminder_time,
        max_hold=services.reminder_max_hold,
        default_language=services.default_language,
    )
