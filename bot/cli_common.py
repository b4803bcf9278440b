"""What every ``tidtam`` command shares: settings with safe logging, language,
output consoles, and a database opened (and migrated) for one command."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

import typer
from rich.console import Console

from bot.logs import configure_logging
from bot.settings import Settings
from domain.i18n import Lang
from storage.database import Database

T = TypeVar("T")

console = Console()
errors = Console(stderr=True)


def load_settings() -> Settings:
    """Settings from the environment, with logging that redacts the bot token."""
    settings = Settings()
    secrets = (settings.bot_token.get_secret_value(),) if settings.bot_token else ()
    configure_logging(settings.log_level, secrets=secrets)
    return settings


def language(settings: Settings, lang: str | None) -> Lang:
    """The language of a command's messages: ``--lang``, else the configured default."""
    chosen = lang or settings.default_language
    if chosen not in ("th", "en"):
        raise typer.BadParameter("th or en", param_hint="--lang")
    return "en" if chosen == "en" else "th"


def with_database(settings: Settings, work: Callable[[Database], Awaitable[T]]) -> T:
    """Run ``work`` on the migrated database, then close it."""

    async def go() -> T:
        database = Database(settings.database_url)
        try:
            await database.migrate()
            return await work(database)
        finally:
            await database.dispose()

    return asyncio.run(go())
