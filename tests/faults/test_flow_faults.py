"""Reporting flows when the Bot API fails: answers go to the question the person saw,
an entry committed before its "saved" message is stored once and shown by /status,
flood control is waited out, and a draft resumes after a failed step."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.harness import LocalBot
from storage.schema import evidence, kpi_values, progress_reports
from tests.e2e.reporting_support import draft_rows, registered, reply, say, tap
from tests.faults.flow_support import kpi_review, now_reads, report_review, stored, texts_after

APOLOGY = "Sorry, something went wrong on our side."

# reading RetryAfter.retry_after warns about its future type; irrelevant here
pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")


@pytest.fixture
async def limited_bot(tmp_path: Path, clock) -> AsyncIterator[LocalBot]:
    """The bot with the rate limiter it runs with in production (it waits out flood control)."""
    local = LocalBot(tmp_path / "limited.db", clock=clock, rate_limit=True)
    await local.start()
    await local.load_sample()
    try:
        yield local
    finally:
        await local.stop()
    assert local.emulator.violations == []


async def values_by_kpi(bot: LocalBot) -> dict[int, str]:
    assert bot.database is not None
    async with bot.database.read() as repos:
        rows = (await repos.connection.execute(select(kpi_values))).all()
    return {row.kpi_id: str(row.value) for row in rows}


async def test_an_answer_retyped_after_a_lost_question_is_not_taken_for_the_next_one(
    bot: LocalBot,
):
    user = await registered(bot, 401, "CB05", lang="en")
    first = await say(bot, user, "/kpi")
    assert "indicator 1 of 3" in first.plain_text
    bot.emulator.fail_next("sendMessage")  # the next question never reaches the person
    mark = len(user.inbox)
    await user.send_text("55")
    await bot.settle()
    assert any(APOLOGY in text for text in texts_after(user, mark))
    assert not any("indicator 2 of 3" in text for text in texts_after(user, mark))

    # "please try again": the person sends the answer to the question they can see
    again = await say(bot, user, "55")
    assert "indicator 2 of 3" in again.plain_text  # shown the question they had not seen
    [draft] = await draft_rows(bot)
    assert draft["answers"]["values"] == {str(draft["answers"]["items"][0][0]): "55"}

    third = await say(bot, user, "85")
    assert "indicator 3 of 3" in third.plain_text
    [level] = [d for d in third.callback_data() if d.startswith("kpi:v:") and d.endswith(":4")]
    review = await tap(bot, user, level, third)
    assert "Result: 55%" in review.plain_text and "Result: 85%" in review.plain_text
    await user.press("kpi:confirm", message_id=review.message_id)
    await now_reads(bot, user, review)
    assert sorted((await values_by_kpi(bot)).values()) == ["4", "55", "85"]


async def test_an_answer_typed_again_while_the_next_question_is_on_its_way_is_not_taken_for_it(
    limited_bot: LocalBot,
):
    bot = limited_bot
    user = await registered(bot, 409, "CB05", lang="en")
    first = await say(bot, user, "/kpi")
    assert "indicator 1 of 3" in first.plain_text
    # flood control holds the next question back for a second
    bot.emulator.fail_next("sendMessage", retry_after=1)
    mark = len(user.inbox)
    await user.send_text("55")
    await asyncio.sleep(0.3)
    await user.send_text("55")  # nothing came back yet: the person types it again

    def questions() -> list[str]:
        new = [m.plain_text for m in user.inbox[mark:] if not m.is_edit]
        return [text for text in new if "indicator" in text]

    deadline = time.monotonic() + 10
    while True:
        if len(questions()) >= 2 or time.monotonic() > deadline:
            break
        await asyncio.sleep(0.05)
    await bot.settle()
    # the late question, then the same question again for the repeated answer
    assert [q.split("\n")[0][-16:] for q in questions()] == ["indicator 2 of 3"] * 2
    [draft] = await draft_rows(bot)
    assert draft["answers"]["values"] == {str(draft["answers"]["items"][0][0]): "55"}
    assert draft["step"] == "value" and draft["answers"]["i"] == 1


async def test_an_entry_whose_saved_message_was_lost_is_stored_once_and_status_shows_it(
    bot: LocalBot,
):
    user = await registered(bot, 402, "CB05", lang="en")
    review = await kpi_review(bot, user)
    bot.emulator.fail_next("editMessageText")  # the "saved" edit of the review card fails
    mark = len(user.inbox)
    await user.press("kpi:confirm", message_id=review.message_id)
    await bot.settle()
    assert not any("Saved" in text for text in texts_after(user, mark))
    # committed before the message: stored, though the person was not told
    assert len(await values_by_kpi(bot)) == 3

    # pressing Confirm again stores nothing more: the form has ended
    query = await user.press("kpi:confirm", message_id=review.message_id)
    await bot.settle()
    assert "already ended" in user.callback_answers[query]["text"]
    assert (await stored(bot))["kpi_values"] == 3

    status = await say(bot, user, "/status")
    assert "Indicators (" not in status.plain_text  # none outstanding
    assert "Projects (2)" in status.plain_text
    again = await say(bot, user, "/kpi")
    assert "has reported every indicator" in again.plain_text
    assert (await stored(bot))["kpi_values"] == 3


async def test_flood_control_at_confirm_is_waited_out_and_saves_once(limited_bot: LocalBot):
    bot = limited_bot
    user = await registered(bot, 403, "CB05", lang="en")
    review = await kpi_review(bot, user)
    bot.emulator.fail_next("editMessageText", retry_after=1)
    mark = len(user.inbox)
    await user.press("kpi:confirm", message_id=review.message_id)
    saved = await now_reads(bot, user, review)

    assert "Saved ✅ 3 indicator value(s)" in saved.plain_text
    assert not any(APOLOGY in text for text in texts_after(user, mark))
    assert bot.emulator.fault_counts["fail_next"] == 1
    assert (await stored(bot))["kpi_values"] == 3


async def test_a_report_step_that_failed_resumes_from_the_draft(bot: LocalBot):
    user = await registered(bot, 404, "CB05", lang="en")
    listing = await say(bot, user, "/report")
    project = next(d for d in listing.callback_data() if d.startswith("report:pick:"))
    status = await tap(bot, user, project, listing)
    bot.emulator.fail_next("editMessageText", error_code=502, description="Bad Gateway")
    mark = len(user.inbox)
    await user.press("report:status:in_progress", message_id=status.message_id)
    await bot.settle()
    assert any(APOLOGY in text for text in texts_after(user, mark))

    offer = await say(bot, user, "/report")
    assert "Continue where you left off?" in offer.plain_text
    percent = await tap(bot, user, "flow:resume:report", offer)
    assert "step 2 of 7" in percent.plain_text  # the status answer was kept
    await tap(bot, user, "report:pct:50", percent)
    await say(bot, user, "12,500")
    await say(bot, user, "Three PLC sessions, 45 teachers")
    await tap(bot, user, "report:skip")
    await say(bot, user, "Keep it going")
    await user.send_document("activity-report.pdf", b"%PDF-1.4 evidence", "application/pdf")
    attached = await reply(bot, user)
    review = await tap(bot, user, "report:skip", attached)
    assert "Status: In progress" in review.plain_text
    await user.press("report:confirm", message_id=review.message_id)
    saved = await now_reads(bot, user, review)
    assert "Saved ✅" in saved.plain_text and "Evidence files: 1" in saved.plain_text
    assert bot.database is not None
    async with bot.database.read() as repos:
        [report] = (await repos.connection.execute(select(progress_reports))).all()
        [file] = (await repos.connection.execute(select(evidence))).all()
    assert (report.status, file.progress_report_id) == ("in_progress", report.id)


async def test_a_lost_answer_on_a_saved_report_keeps_report_and_evidence_together(bot: LocalBot):
    user = await registered(bot, 405, "CB05", lang="en")
    review = await report_review(bot, user)
    # Telegram shows "saved", but the bot never hears back
    bot.emulator.set_fault_rate(1.0, kinds=["lost_answer"], methods=["editMessageText"])
    await user.press("report:confirm", message_id=review.message_id)
    await bot.settle()
    bot.emulator.set_fault_rate(0)
    assert "Saved ✅" in (await now_reads(bot, user, review)).plain_text
    counts = await stored(bot)
    assert (counts["progress_reports"], counts["evidence"], counts["drafts"]) == (1, 1, 0)


async def test_a_button_pressed_again_after_a_lost_edit_brings_up_the_current_question(
    bot: LocalBot,
):
    user = await registered(bot, 406, "CB05", lang="en")
    listing = await say(bot, user, "/report")
    project = next(d for d in listing.callback_data() if d.startswith("report:pick:"))
    await tap(bot, user, project, listing)
    percent = await tap(bot, user, "report:status:in_progress")
    assert "step 2 of 7" in percent.plain_text
    bot.emulator.fail_next("editMessageText")  # the spent question never replaces it
    await user.press("report:pct:50", message_id=percent.message_id)
    assert "step 2 of 7" in (await now_reads(bot, user, percent)).plain_text

    # the person sees the percent question still, and presses 50 % again
    query = await user.press("report:pct:50", message_id=percent.message_id)
    spent = await now_reads(bot, user, percent)
    assert "step 3 of 7" in spent.plain_text and "spent to date" in spent.plain_text
    assert "earlier message" not in str(user.callback_answers[query].get("text"))
    [draft] = await draft_rows(bot)
    assert (draft["step"], draft["answers"]["percent"]) == ("spent", "50")


async def test_resuming_takes_the_buttons_off_the_question_the_flow_left(bot: LocalBot):
    user = await registered(bot, 407, "CB05", lang="en")
    first = await say(bot, user, "/kpi")
    assert "kpi:skip" in first.callback_data()
    await say(bot, user, "55")
    # no answer seemed to come, so the person types /kpi again: the offer to continue
    offer = await say(bot, user, "/kpi")
    assert "Continue where you left off?" in offer.plain_text
    question = await tap(bot, user, "flow:resume:kpi", offer)
    assert "indicator 2 of 3" in question.plain_text
    assert "kpi:skip" in question.callback_data()
    # only the question now in front of the person can be pressed
    pressable = [
        m.message_id
        for m in bot.emulator.chat_messages(user.chat_id)
        if any(d.startswith("kpi:") and d != "kpi:start" for d in m.callback_data())
    ]
    assert pressable == [question.message_id]


def _delivered(bot: LocalBot, predicate) -> dict:
    """The update the emulator delivered that matches ``predicate`` (as Telegram sent it)."""
    for request in bot.emulator.calls("getUpdates"):
        for update in request.result or []:
            if predicate(update):
                return update
    raise AssertionError("no such update was delivered")


async def _deliver_again(bot: LocalBot, payload: dict) -> None:
    """Telegram delivers an update again, as after a crash before the bot confirmed it."""
    from telegram import Update

    assert bot.application is not None
    await bot.application.update_queue.put(Update.de_json(payload, bot.application.bot))
    await bot.settle()


async def test_a_value_delivered_again_after_a_restart_is_not_taken_for_the_next_question(
    bot: LocalBot,
):
    """A typed value, handled, comes again after a restart (its confirmation rode on
    the next poll, and the bot was killed first).

    Here the flow had meanwhile moved onto an older message (a second
    "continue" offer pressed later), so the value's message is newer than the
    flow's and only the draft's record of the last update it took tells that
    the value was taken already.
    """
    user = await registered(bot, 411, "CB05", lang="en")
    first = await say(bot, user, "/kpi")
    assert "indicator 1 of 3" in first.plain_text
    await say(bot, user, "/status")  # pauses the batch
    older = await say(bot, user, "/kpi")  # "continue where you left off?"
    newer = await say(bot, user, "/kpi")  # asked again: a second offer
    assert "flow:resume:kpi" in older.callback_data()
    resumed = await tap(bot, user, "flow:resume:kpi", newer)
    assert "indicator 1 of 3" in resumed.plain_text
    second = await say(bot, user, "55")
    assert "indicator 2 of 3" in second.plain_text
    again = await tap(bot, user, "flow:resume:kpi", older)  # the older offer still had it
    assert "indicator 2 of 3" in again.plain_text

    typed = _delivered(bot, lambda u: (u.get("message") or {}).get("text") == "55")
    await bot.restart()
    mark = len(user.inbox)
    await _deliver_again(bot, typed)

    [draft] = await draft_rows(bot)
    assert draft["answers"]["values"] == {str(draft["answers"]["items"][0][0]): "55"}
    assert draft["answers"]["i"] == 1
    assert not any("indicator 3 of 3" in text for text in texts_after(user, mark))
    # the person answers the question in front of them, and it is taken for that one
    third = await say(bot, user, "85")
    assert "indicator 3 of 3" in third.plain_text
    [draft] = await draft_rows(bot)
    assert sorted(draft["answers"]["values"].values()) == ["55", "85"]
