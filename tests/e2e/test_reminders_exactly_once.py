"""No reminder is ever sent twice: not after a restart mid-step, not by two processes."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest
from reminder_support import (
    CONFIG,
    SAMPLE_DUE_7,
    add_people,
    db,
    one_pass,
    reminders_received,
)
from telegram import Bot

from bot.harness import LocalBot
from scheduler.runner import run_pass
from storage.database import Database

pytestmark = pytest.mark.slow


async def statuses(bot: LocalBot) -> dict[str, int]:
    async with db(bot).read() as repos:
        entries = await repos.reminders.entries()
    counts: dict[str, int] = {}
    for entry in entries:
        counts[entry.status] = counts.get(entry.status, 0) + 1
    return counts


async def test_two_processes_on_one_database_send_each_reminder_once(bot: LocalBot, clock):
    users = await add_people(bot, 60)
    clock.now = SAMPLE_DUE_7
    other_database = Database(db(bot).url)  # a second process: its own engine and bot
    other_bot = Bot(
        bot.settings.token(),
        base_url=bot.emulator.base_url,
        base_file_url=bot.emulator.file_url,
    )
    assert bot.application is not None
    try:
        async with other_bot:
            first, second = await asyncio.gather(
                run_pass(bot.application.bot, db(bot), now=clock(), config=CONFIG),
                run_pass(other_bot, other_database, now=clock(), config=CONFIG),
            )
    finally:
        await other_database.dispose()
    await bot.settle()

    assert [len(reminders_received(user)) for user in users] == [1] * 60
    assert len(first.sent) + len(second.sent) == 60
    assert first.sent and second.sent  # both processes really took part
    assert await statuses(bot) == {"sent": 60}


async def test_a_restart_in_the_middle_of_a_step_sends_nothing_twice(bot: LocalBot, clock):
    users = await add_people(bot, 40)
    clock.now = SAMPLE_DUE_7
    bot.emulator.delay("sendMessage", 0.3)
    running = asyncio.create_task(one_pass(bot))
    for _ in range(500):
        if sum(len(reminders_received(user)) for user in users) >= 10:
            break
        await asyncio.sleep(0.02)
    running.cancel()  # the process dies mid-step
    with pytest.raises(asyncio.CancelledError):
        await running
    bot.emulator.delay("sendMessage", 0)
    await bot.restart()

    await one_pass(bot)  # the restarted bot runs the same step again
    await bot.settle()
    received = [len(reminders_received(user)) for user in users]
    assert max(received) == 1
    counts = await statuses(bot)
    in_doubt = counts.get("claimed", 0)
    assert in_doubt > 0  # the crash really left claims whose delivery is unknown
    assert counts.get("sent", 0) + in_doubt == 40
    assert received.count(1) >= counts["sent"]

    # after the claim lease an unconfirmed claim is closed as failed, never resent
    clock.advance(minutes=20)
    await one_pass(bot)
    await bot.settle()
    assert [len(reminders_received(user)) for user in users] == received
    counts = await statuses(bot)
    assert counts.get("claimed", 0) == 0
    assert counts.get("failed", 0) == in_doubt
    async with db(bot).read() as repos:
        failed = await repos.reminders.entries(statuses=("failed",))
    assert all("interrupted" in (entry.error or "") for entry in failed)


async def test_after_downtime_only_the_latest_step_is_sent(bot: LocalBot, clock):
    users = await add_people(bot, 3)
    # the bot was down from before the week-ahead reminder until two days overdue
    clock.now = dt.datetime(2027, 1, 21, 2, 0, tzinfo=dt.UTC)  # Thu 21 Jan, 09:00 Bangkok
    await one_pass(bot)
    await bot.settle()
    for user in users:
        (message,) = reminders_received(user)
        assert "เลยกำหนดมาแล้ว 2 วัน" in message.plain_text
    async with db(bot).read() as repos:
        entries = await repos.reminders.entries()
    steps = sorted({(entry.step, entry.status) for entry in entries})
    assert steps == [
        ("due", "skipped"),
        ("due+1", "sent"),
        ("due-1", "skipped"),
        ("due-3", "skipped"),
        ("due-7", "skipped"),
    ]
