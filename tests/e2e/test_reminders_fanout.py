"""1,000 reminders through an emulator that enforces Telegram's limits: none lost, none twice."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import select
from telegram.ext import AIORateLimiter, ExtBot

from bot.harness import LOCAL_TOKEN, LOCAL_USERNAME
from domain.values import Role
from emulator import BotApiEmulator
from scheduler.planner import ReminderConfig
from scheduler.runner import run_pass
from storage.database import Database
from storage.sample import load_sample
from storage.schema import people

pytestmark = pytest.mark.slow

LOADED_AT = dt.datetime(2027, 1, 5, 2, 0, tzinfo=dt.UTC)
REMINDER_AT = dt.datetime(2027, 1, 12, 1, 30, tzinfo=dt.UTC)  # 08:30 Bangkok, a week before due
COUNT = 1000
FIRST_ID = 50_000


@pytest.fixture
async def emulator() -> AsyncIterator[BotApiEmulator]:
    async with BotApiEmulator(token=LOCAL_TOKEN, bot_username=LOCAL_USERNAME) as emu:
        yield emu
    assert emu.violations == []


async def test_a_thousand_reminders_are_all_delivered_once_despite_flood_control(
    emulator: BotApiEmulator, tmp_path: Path
):
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'fanout.db'}")
    await database.migrate()
    async with database.transaction() as repos:
        await load_sample(repos, now=LOADED_AT)
        schools = await repos.schools.list(kind="school")
        for index in range(COUNT):
            await repos.people.create(
                full_name=f"ครู {index}",
                role=Role.REPORTER,
                school_id=schools[index % len(schools)].id,
                telegram_user_id=FIRST_ID + index,
                language="th",
                now=LOADED_AT,
            )
    users = [emulator.user(FIRST_ID + index, f"ครู {index}") for index in range(COUNT)]
    blocked = users[500]
    blocked.block()
    emulator.set_rate_limits(global_per_second=30, per_chat_per_second=1)
    emulator.fail_next("sendMessage", retry_after=1, count=5)  # Telegram's flood control

    bot: ExtBot[None] = ExtBot(
        LOCAL_TOKEN,
        base_url=emulator.base_url,
        base_file_url=emulator.file_url,
        rate_limiter=AIORateLimiter(max_retries=5),
    )
    async with bot:
        report = await run_pass(bot, database, now=REMINDER_AT, config=ReminderConfig())

    received = [len(user.inbox) for user in users]
    assert received.count(1) == COUNT - 1  # everyone else got exactly one
    assert received[500] == 0
    assert max(received) == 1
    floods = [call for call in emulator.calls("sendMessage") if call.error_code == 429]
    assert len(floods) >= 5  # flood-control answers came, and were retried
    assert len(report.sent) == COUNT - 1
    assert [outcome.outgoing.chat_id for outcome in report.delivery.unreachable] == [blocked.id]
    async with database.read() as repos:
        statuses = Counter(entry.status for entry in await repos.reminders.entries())
        unreachable = (
            await repos.connection.execute(
                select(people.c.telegram_user_id).where(people.c.unreachable_at.is_not(None))
            )
        ).all()
    await database.dispose()
    assert statuses == {"sent": COUNT - 1, "failed": 1}
    assert [row.telegram_user_id for row in unreachable] == [blocked.id]
