"""Running the bot: prepare the database, then poll until told to stop."""

from __future__ import annotations

import asyncio
import logging
import signal
from contextlib import suppress

from telegram import Update

from bot.app import build_application
from bot.settings import Settings
from handlers.context import TidtamApplication
from storage.database import Database

log = logging.getLogger(__name__)


async def open_database(settings: Settings) -> Database:
    """Connect and bring the schema up to date (migrations run on every start)."""
    database = Database(settings.database_url)
    await database.migrate()
    return database


async def start_polling(application: TidtamApplication, *, poll_timeout: int = 30) -> None:
    """Initialise, start and begin long polling."""
    await application.initialize()
    if application.post_init is not None:
        await application.post_init(application)
    await application.start()
    assert application.updater is not None
    await application.updater.start_polling(
        poll_interval=0.0,
        timeout=poll_timeout,
        allowed_updates=Update.ALL_TYPES,
        drop_pending_updates=False,
    )


async def stop_polling(application: TidtamApplication) -> None:
    """Stop polling, let running handlers finish, flush persistence, close."""
    assert application.updater is not None
    if application.updater.running:
        await application.updater.stop()
    if application.running:
        await application.stop()
    await application.shutdown()
    if application.post_shutdown is not None:
        await application.post_shutdown(application)


async def serve(settings: Settings) -> None:
    """``tidtam run``: poll Telegram until SIGINT or SIGTERM."""
    database = await open_database(settings)
    application = build_application(settings, database)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    await start_polling(application)
    log.info("polling for updates; press Ctrl+C to stop")
    try:
        await stop.wait()
    finally:
        await stop_polling(application)
