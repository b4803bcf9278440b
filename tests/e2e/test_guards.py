"""Updates no flow should act on: bursts, edits, channel posts, blocks, crashes."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import select

from bot.harness import LocalBot
from domain.values import Role
from handlers.limits import BURST_LIMIT, BurstLimiter
from storage.repositories.plan import Plan
from storage.schema import kpi_values, people


async def registered(bot: LocalBot, user_id: int, lang: str = "en"):
    code = await bot.invite("CB05", Role.REPORTER)
    user = bot.emulator.user(user_id, f"U{user_id}", language_code=lang)
    await user.send_text(f"/start {code}")
    await user.expect()
    return user


def test_the_burst_limiter_counts_a_sliding_window_per_person():
    now = [0.0]
    limiter = BurstLimiter(limit=3, window=10, monotonic=lambda: now[0])
    assert [limiter.allow(1) for _ in range(4)] == [True, True, True, False]
    assert limiter.allow(2)  # another person is not affected
    assert limiter.should_warn(1)
    assert not limiter.should_warn(1)  # one warning per window
    now[0] = 10.5
    assert limiter.allow(1)


async def test_a_burst_from_one_person_gets_one_polite_message_and_is_dropped(bot: LocalBot):
    user = bot.emulator.user(71, "Fast", language_code="en")
    for _ in range(BURST_LIMIT + 5):
        await user.send_text("/help")
    await bot.settle()
    texts = [message.plain_text for message in user.inbox]
    assert len(texts) == BURST_LIMIT + 1
    assert sum("too quickly" in text for text in texts) == 1


async def test_an_edited_answer_is_not_used_and_the_person_is_told(bot: LocalBot):
    user = await registered(bot, 72)
    await user.send_text("/kpi")
    await user.expect()  # the first indicator's question
    sent = await user.send_text("55")
    await bot.settle()
    user.skip_pending()  # the next question
    await user.edit_text(sent["message_id"], "99")
    reply = await user.expect()
    assert "Edited messages are not used" in reply.plain_text
    await bot.settle()
    assert bot.database is not None
    async with bot.database.read() as repos:
        stored = (await repos.connection.execute(select(kpi_values))).all()
    assert stored == []


async def test_blocking_the_bot_marks_the_person_unreachable(bot: LocalBot):
    user = await registered(bot, 73)
    user.block()
    await bot.settle()
    assert bot.database is not None
    async with bot.database.read() as repos:
        unreachable = (
            await repos.connection.execute(
                select(people.c.unreachable_at).where(people.c.telegram_user_id == 73)
            )
        ).scalar_one()
    assert unreachable is not None
    user.unblock()
    await bot.settle()
    async with bot.database.read() as repos:
        unreachable = (
            await repos.connection.execute(
                select(people.c.unreachable_at).where(people.c.telegram_user_id == 73)
            )
        ).scalar_one()
    assert unreachable is None


async def test_a_crash_in_a_handler_gets_an_apology_without_internals(
    bot: LocalBot, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
):
    user = await registered(bot, 74)

    async def broken(*args, **kwargs):
        raise RuntimeError("secret internal detail: table kpi_values is on fire")

    monkeypatch.setattr(Plan, "current_round", broken)
    with caplog.at_level(logging.ERROR, logger="tidtam.errors"):
        await user.send_text("/kpi")
        reply = await user.expect()
        await bot.settle()
    assert "something went wrong" in reply.plain_text
    assert "secret internal detail" not in reply.plain_text
    assert "secret internal detail" in caplog.text  # the log keeps the traceback
    assert "Traceback" in caplog.text or "RuntimeError" in caplog.text
