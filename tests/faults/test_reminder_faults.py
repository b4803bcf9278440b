"""Reminders under Bot API faults: an answer lost in transit is never a reason to send again."""

from __future__ import annotations

import pytest

from bot.harness import LocalBot
from tests.e2e.reminder_support import SAMPLE_DUE_7, add_people, db, one_pass, reminders_received

# reading RetryAfter.retry_after warns about its future type; irrelevant here
pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")


async def log_rows(bot: LocalBot) -> list[tuple[str, str | None]]:
    async with db(bot).read() as repos:
        return [(entry.status, entry.error) for entry in await repos.reminders.entries()]


async def test_a_reminder_whose_answer_was_lost_is_not_sent_again(bot: LocalBot, clock):
    users = await add_people(bot, 4)
    clock.now = SAMPLE_DUE_7
    # Telegram delivers each message, but the connection drops before the answer
    bot.emulator.set_fault_rate(1.0, kinds=["lost_answer"], methods=["sendMessage"])
    report = await one_pass(bot)
    bot.emulator.set_fault_rate(0)
    await bot.settle()

    assert [len(reminders_received(user)) for user in users] == [1, 1, 1, 1]
    assert bot.emulator.fault_counts["lost_answer"] == 4
    assert len(report.failed) == 4  # reported as not confirmed, honestly
    rows = await log_rows(bot)
    assert [status for status, _ in rows] == ["failed"] * 4
    assert all("not confirmed" in (error or "") for _, error in rows)

    clock.advance(minutes=30)  # a later pass of the same step sends nothing more
    await one_pass(bot)
    await bot.settle()
    assert [len(reminders_received(user)) for user in users] == [1, 1, 1, 1]


async def test_a_server_error_on_a_reminder_is_retried_and_delivered_once(bot: LocalBot, clock):
    users = await add_people(bot, 3)
    clock.now = SAMPLE_DUE_7
    bot.emulator.fail_next("sendMessage", error_code=502, description="Bad Gateway", count=2)
    report = await one_pass(bot)
    await bot.settle()

    assert [len(reminders_received(user)) for user in users] == [1, 1, 1]
    assert bot.emulator.fault_counts["fail_next"] == 2
    assert len(report.sent) == 3
    assert [status for status, _ in await log_rows(bot)] == ["sent"] * 3


async def test_flood_control_on_reminders_waits_and_loses_none(bot: LocalBot, clock):
    users = await add_people(bot, 3)
    clock.now = SAMPLE_DUE_7
    bot.emulator.fail_next("sendMessage", retry_after=1, count=2)
    report = await one_pass(bot)
    await bot.settle()

    assert [len(reminders_received(user)) for user in users] == [1, 1, 1]
    assert len(report.sent) == 3
    assert [status for status, _ in await log_rows(bot)] == ["sent"] * 3
