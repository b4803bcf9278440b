"""The real bot wired to the local Bot API emulator, on a database of its own.

Serves ``tidtam demo`` and the end-to-end tests: everything below the HTTP
layer is the production code path (python-telegram-bot's Updater, handlers,
persistence, database); only Telegram is replaced by :mod:`emulator`.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable
from pathlib import Path

from pydantic import SecretStr

from bot.app import build_application
from bot.runtime import open_database, start_polling, stop_polling
from bot.settings import Settings
from domain.calendar import utc_now
from domain.values import Role
from emulator import BotApiEmulator
from handlers.context import TidtamApplication
from storage.database import Database
from storage.sample import load_sample
from storage.services import issue_invite

LOCAL_TOKEN = "7000000001:AAH-local-emulator-token-0123456789ab"
LOCAL_USERNAME = "tidtam_demo_bot"


class LocalBot:
    """Start, restart and stop the bot against an emulator; issue invites; wait for quiet."""

    def __init__(
        self,
        database_path: Path,
        *,
        clock: Callable[[], dt.datetime] = utc_now,
        strict: bool = True,
        rate_limit: bool = False,
    ) -> None:
        self.database_path = database_path
        self.clock = clock
        self.emulator = BotApiEmulator(
            token=LOCAL_TOKEN, bot_username=LOCAL_USERNAME, bot_first_name="Tidtam", strict=strict
        )
        self.rate_limit = rate_limit
        self.application: TidtamApplication | None = None
        self.database: Database | None = None
        self.emulator_started = False
        self._settings: Settings | None = None

    @property
    def settings(self) -> Settings:
        """Settings pointing at the emulator and the local database."""
        if self._settings is None:
            self._settings = Settings(
                bot_token=SecretStr(LOCAL_TOKEN),
                bot_username=LOCAL_USERNAME,
                api_base_url=self.emulator.base_url,
                api_file_url=self.emulator.file_url,
                database_url=f"sqlite+aiosqlite:///{self.database_path}",
                _env_file=None,
            )
        return self._settings

    async def start(self) -> None:
        """Start the emulator (once) and the bot."""
        if not self.emulator_started:
            await self.emulator.start()
            self.emulator_started = True
        self.database = await open_database(self.settings)
        self.application = build_application(
            self.settings, self.database, clock=self.clock, rate_limit=self.rate_limit
        )
        await start_polling(self.application, poll_timeout=1)

    async def stop_bot(self) -> None:
        """Stop the bot the way SIGTERM would; the emulator keeps running."""
        if self.application is not None:
            await stop_polling(self.application)
            self.application = None
            self.database = None

    async def restart(self) -> None:
        """Stop and start the bot again on the same database."""
        await self.stop_bot()
        await self.start()

    async def stop(self) -> None:
        """Stop the bot and the emulator."""
        await self.stop_bot()
        if self.emulator_started:
            await self.emulator.stop()
            self.emulator_started = False

    async def settle(self, timeout: float = 10.0) -> None:
        """Wait until every update sent so far has been fully handled."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            await self.emulator.settle(quiet=0.05, timeout=max(0.1, deadline - loop.time()))
            app = self.application
            if app is None or (
                app.update_queue.empty() and app.update_processor.current_concurrent_updates == 0
            ):
                return
            if loop.time() > deadline:
                raise TimeoutError("the bot is still handling updates")
            await asyncio.sleep(0.02)

    async def load_sample(self) -> None:
        """Load the sample district into the bot's database."""
        database = self._database()
        async with database.transaction() as repos:
            await load_sample(repos, now=self.clock(), tz=self.settings.tz)

    async def invite(self, school_code: str, role: Role, *, uses: int = 1) -> str:
        """A fresh invite code for a school (the office's code for officers)."""
        database = self._database()
        async with database.transaction() as repos:
            school = await repos.schools.by_code(school_code)
            if school is None:
                raise LookupError(f"no school {school_code}")
            issued = await issue_invite(
                repos, school=school, role=role, now=self.clock(), max_uses=uses
            )
        return issued.code

    def _database(self) -> Database:
        if self.database is None:
            raise RuntimeError("start the bot first")
        return self.database
