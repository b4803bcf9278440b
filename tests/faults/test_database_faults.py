"""Database faults at a write: busy beyond the timeout, or the disk full.

The person is told that the step was not saved and that their answers are
kept; nothing is half-written; the draft is still there; the same step
again, once the fault has cleared, saves.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event, select

import storage.database
from bot.harness import LocalBot
from storage.schema import evidence, kpi_values, progress_reports
from tests.e2e.reporting_support import registered, say, tap
from tests.faults.flow_support import (
    draft_step,
    kpi_review,
    now_reads,
    report_review,
    stored,
    texts_after,
)

NOT_SAVED_EN = (
    "Sorry, the database could not save just now, so your last step was not saved. "
    "Your answers so far are kept: please try the same step again in a minute. "
    "If it keeps happening, tell the district office."
)


@contextmanager
def disk_full_at(bot: LocalBot, table: str, *, after: int = 0) -> Iterator[dict[str, Any]]:
    """SQLite answers "database or disk is full" to INSERTs into ``table`` after ``after`` of them.

    The error is raised where the driver would raise it, so SQLAlchemy, the
    transaction and the bot see exactly what a full disk produces.
    """
    assert bot.database is not None
    engines = bot.database.sync_engines
    state = {"seen": 0, "failed": 0, "armed": True}

    def before_cursor_execute(conn, cursor, statement, parameters, context, executemany):
        if state["armed"] and statement.lstrip().upper().startswith(f"INSERT INTO {table.upper()}"):
            state["seen"] += 1
            if state["seen"] > after:
                state["failed"] += 1
                raise sqlite3.OperationalError("database or disk is full")
        return statement, parameters

    for engine in engines:
        event.listen(engine, "before_cursor_execute", before_cursor_execute, retval=True)
    try:
        yield state
    finally:
        for engine in engines:
            event.remove(engine, "before_cursor_execute", before_cursor_execute)


@pytest.fixture
async def short_busy_bot(bot: LocalBot, monkeypatch) -> LocalBot:
    """The bot with a busy timeout of 0.3 s, so a held write lock outlasts it quickly."""
    monkeypatch.setattr(storage.database, "BUSY_TIMEOUT_MS", 300)
    await bot.restart()  # new connections take the shorter timeout
    return bot


async def test_a_busy_database_at_confirm_saves_nothing_and_a_retry_saves(
    short_busy_bot: LocalBot,
):
    bot = short_busy_bot
    user = await registered(bot, 301, "CB05", lang="en")
    review = await kpi_review(bot, user)
    before = await stored(bot)
    mark = len(user.inbox)
    # another process holds the write lock longer than the bot's busy timeout
    blocker = sqlite3.connect(bot.database_path, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")
    try:
        await user.press("kpi:confirm", message_id=review.message_id)
        await bot.settle(timeout=15)
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()

    assert texts_after(user, mark) == [NOT_SAVED_EN]
    assert await stored(bot) == before
    assert await draft_step(bot, "kpi") == "review"

    await user.press("kpi:confirm", message_id=review.message_id)
    saved = await now_reads(bot, user, review)
    assert "Saved ✅ 3 indicator value(s)" in saved.plain_text
    after = await stored(bot)
    assert (after["kpi_values"], after["drafts"]) == (3, 0)


async def test_a_full_disk_in_the_middle_of_a_batch_stores_none_of_it(bot: LocalBot):
    user = await registered(bot, 302, "CB05", lang="en")
    review = await kpi_review(bot, user)
    before = await stored(bot)
    mark = len(user.inbox)
    with disk_full_at(bot, "kpi_values", after=1) as fault:  # the second value of three
        await user.press("kpi:confirm", message_id=review.message_id)
        await bot.settle()
    assert fault["failed"] == 1

    assert texts_after(user, mark) == [NOT_SAVED_EN]
    assert await stored(bot) == before  # not the first value either, nor its audit row
    assert await draft_step(bot, "kpi") == "review"

    await user.press("kpi:confirm", message_id=review.message_id)
    saved = await now_reads(bot, user, review)
    assert "Saved ✅ 3 indicator value(s)" in saved.plain_text
    assert bot.database is not None
    async with bot.database.read() as repos:
        rows = (await repos.connection.execute(select(kpi_values.c.value))).all()
    assert sorted(str(row.value) for row in rows) == ["4", "55", "85"]


async def test_a_full_disk_at_the_evidence_row_stores_no_report_without_its_evidence(
    bot: LocalBot,
):
    user = await registered(bot, 303, "CB05", lang="en")
    review = await report_review(bot, user)
    before = await stored(bot)
    mark = len(user.inbox)
    with disk_full_at(bot, "evidence") as fault:
        await user.press("report:confirm", message_id=review.message_id)
        await bot.settle()
    assert fault["failed"] == 1

    assert texts_after(user, mark) == [NOT_SAVED_EN]
    assert await stored(bot) == before  # the report row went with the evidence row
    assert await draft_step(bot, "report") == "review"

    await user.press("report:confirm", message_id=review.message_id)
    saved = await now_reads(bot, user, review)
    assert "Saved ✅" in saved.plain_text and "Evidence files: 1" in saved.plain_text
    assert bot.database is not None
    async with bot.database.read() as repos:
        [report] = (await repos.connection.execute(select(progress_reports.c.id))).all()
        [file] = (await repos.connection.execute(select(evidence))).all()
    assert (file.progress_report_id, file.file_name) == (report.id, "activity-report.pdf")


async def test_a_full_disk_while_an_answer_is_kept_loses_no_earlier_answer(bot: LocalBot):
    user = await registered(bot, 304, "CB05", lang="en")
    await say(bot, user, "/kpi")
    second = await say(bot, user, "55")
    assert "indicator 2 of 3" in second.plain_text
    mark = len(user.inbox)
    with disk_full_at(bot, "drafts") as fault:
        await user.send_text("85")
        await bot.settle()
    assert fault["failed"] >= 1

    assert texts_after(user, mark) == [NOT_SAVED_EN]
    assert await draft_step(bot, "kpi") == "value"
    # the same answer again, once the disk has room: the flow goes on from there
    third = await say(bot, user, "85")
    assert "indicator 3 of 3" in third.plain_text
    [button] = [d for d in third.callback_data() if d.startswith("kpi:v:") and d.endswith(":4")]
    review = await tap(bot, user, button, third)
    assert "3 of 3 indicators answered" in review.plain_text
    assert "Result: 55%" in review.plain_text and "Result: 85%" in review.plain_text
