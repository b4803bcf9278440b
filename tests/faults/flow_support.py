"""Driving the /kpi and /report flows to their review cards, and reading what was stored."""

from __future__ import annotations

from sqlalchemy import func, select

from bot.harness import LocalBot
from emulator import BotMessage, SimUser
from storage.schema import audit_log, drafts, evidence, kpi_values, progress_reports
from tests.e2e.reporting_support import reply, say, school_projects, tap


async def kpi_review(bot: LocalBot, user: SimUser) -> BotMessage:
    """/kpi answered in full (55, 85, level 4): the review card."""
    await say(bot, user, "/kpi")
    await say(bot, user, "55")
    level = await say(bot, user, "85")
    [button] = [d for d in level.callback_data() if d.startswith("kpi:v:") and d.endswith(":4")]
    review = await tap(bot, user, button, level)
    assert "Check before saving" in review.plain_text
    assert "3 of 3 indicators answered" in review.plain_text
    return review


async def report_review(bot: LocalBot, user: SimUser, *, school: str = "CB05") -> BotMessage:
    """/report of the school's first project with one evidence document: the review card."""
    project = (await school_projects(bot, school))[0]
    listing = await say(bot, user, "/report")
    await tap(bot, user, f"report:pick:{project.id}", listing)
    await tap(bot, user, "report:status:in_progress")
    await tap(bot, user, "report:pct:50")
    await say(bot, user, "12,500")
    await say(bot, user, "Three PLC sessions, 45 teachers")
    await tap(bot, user, "report:skip")
    await say(bot, user, "Keep it going")
    await user.send_document("activity-report.pdf", b"%PDF-1.4 evidence", "application/pdf")
    attached = await reply(bot, user)
    assert "activity-report.pdf" in attached.plain_text
    review = await tap(bot, user, "report:skip", attached)
    assert "Check before saving" in review.plain_text
    return review


async def count(bot: LocalBot, table) -> int:
    """Rows in one table of the bot's database."""
    assert bot.database is not None
    async with bot.database.read() as repos:
        return int(
            (await repos.connection.execute(select(func.count()).select_from(table))).scalar_one()
        )


async def stored(bot: LocalBot) -> dict[str, int]:
    """How many KPI values, progress reports, evidence files, drafts and audit rows exist."""
    return {
        "kpi_values": await count(bot, kpi_values),
        "progress_reports": await count(bot, progress_reports),
        "evidence": await count(bot, evidence),
        "drafts": await count(bot, drafts),
        "audit": await count(bot, audit_log),
    }


async def draft_step(bot: LocalBot, flow: str) -> str | None:
    """The step of the (only) draft of a flow, or None."""
    assert bot.database is not None
    async with bot.database.read() as repos:
        row = (
            await repos.connection.execute(select(drafts.c.step).where(drafts.c.flow == flow))
        ).first()
    return None if row is None else str(row.step)


def texts_after(user: SimUser, index: int) -> list[str]:
    """Plain texts of the bot events in a chat from ``index`` on."""
    return [message.plain_text for message in user.inbox[index:]]


async def now_reads(bot: LocalBot, user: SimUser, message: BotMessage) -> BotMessage:
    """What a message of the bot reads now (after any edits), once the bot is quiet."""
    await bot.settle()
    [current] = [
        m for m in bot.emulator.chat_messages(user.chat_id) if m.message_id == message.message_id
    ]
    return current
