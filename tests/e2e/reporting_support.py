"""Helpers for the reporting-flow tests: registered people, stored rows, seeded plans."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import select, update

from bot.demo import relax_burst_limit
from bot.harness import LocalBot
from domain.values import ProjectStatus, Role
from emulator import BotMessage, SimUser
from storage.schema import drafts, evidence, kpi_values, progress_reports, rounds


async def registered(
    bot: LocalBot, user_id: int, school: str, role: Role = Role.REPORTER, lang: str = "th"
) -> SimUser:
    """A person registered by invite, with the welcome message consumed.

    Scripted people answer at script speed, so the guard's burst limit is
    lifted (tests of the guard itself live elsewhere).
    """
    relax_burst_limit(bot)
    code = await bot.invite(school, role)
    user = bot.emulator.user(user_id, f"User{user_id}", language_code=lang)
    await user.send_text(f"/start {code}")
    await user.expect()
    return user


async def kpi_rows(bot: LocalBot) -> list[tuple[str, Decimal, int, str | None, str | None]]:
    """(KPI code, value, version, note, reason) of every stored KPI value version."""
    assert bot.database is not None
    async with bot.database.read() as repos:
        rows = (await repos.connection.execute(select(kpi_values).order_by(kpi_values.c.id))).all()
        codes = {}
        for row in rows:
            kpi = await repos.plan.kpi(row.kpi_id)
            assert kpi is not None
            codes[row.kpi_id] = kpi.code
    return [(codes[r.kpi_id], r.value, r.version, r.note, r.reason) for r in rows]


async def progress_rows(bot: LocalBot) -> list[dict]:
    """Every stored progress report version, as dicts."""
    assert bot.database is not None
    async with bot.database.read() as repos:
        rows = (
            await repos.connection.execute(select(progress_reports).order_by(progress_reports.c.id))
        ).all()
    return [dict(row._mapping) for row in rows]


async def evidence_rows(bot: LocalBot) -> list[dict]:
    """Every stored evidence row, as dicts."""
    assert bot.database is not None
    async with bot.database.read() as repos:
        rows = (await repos.connection.execute(select(evidence).order_by(evidence.c.id))).all()
    return [dict(row._mapping) for row in rows]


async def draft_rows(bot: LocalBot) -> list[dict]:
    """Every stored draft, as dicts."""
    assert bot.database is not None
    async with bot.database.read() as repos:
        rows = (await repos.connection.execute(select(drafts).order_by(drafts.c.id))).all()
    return [dict(row._mapping) for row in rows]


async def school_projects(bot: LocalBot, school: str) -> list:
    """The projects of a sample school, by code."""
    assert bot.database is not None
    async with bot.database.read() as repos:
        found = await repos.schools.by_code(school)
        assert found is not None
        return await repos.plan.projects(school_id=found.id)


async def add_previous_round(
    bot: LocalBot,
    *,
    school: str,
    kpi_values_by_code: dict[str, str],
    project_percent: dict[str, str] | None = None,
) -> None:
    """A closed earlier round with the school's values in it (for "last round" and soft checks)."""
    assert bot.database is not None
    now = bot.clock()
    async with bot.database.transaction() as repos:
        current = await repos.plan.current_round(now)
        assert current is not None
        found = await repos.schools.by_code(school)
        assert found is not None
        round_id = await repos.plan.create_round(
            code="EARLIER",
            fiscal_year=current.fiscal_year,
            name_th="รอบก่อน",
            name_en="Earlier round",
            opens_at=current.opens_at - dt.timedelta(days=90),
            due_at=current.opens_at - dt.timedelta(days=70),
            now=now,
        )
        await repos.connection.execute(
            update(rounds)
            .where(rounds.c.id == round_id)
            .values(closed_at=current.opens_at - dt.timedelta(days=60))
        )
        reporter = await repos.people.create(
            full_name="ครูคนก่อน", role=Role.REPORTER, school_id=found.id, now=now
        )
        for code, value in kpi_values_by_code.items():
            kpi = next(
                k
                for k, _ in await repos.plan.expected_kpis(school_id=found.id, round_=current)
                if k.code == code
            )
            await repos.kpi_values.add_version(
                school_id=found.id,
                round_id=round_id,
                kpi_id=kpi.id,
                value=Decimal(value),
                submitted_by_id=reporter.id,
                now=current.opens_at - dt.timedelta(days=75),
            )
        for project_code, percent in (project_percent or {}).items():
            project = next(
                p for p in await repos.plan.projects(school_id=found.id) if p.code == project_code
            )
            await repos.progress.add_version(
                project_id=project.id,
                round_id=round_id,
                status=ProjectStatus.IN_PROGRESS,
                percent_complete=Decimal(percent),
                budget_spent=Decimal(1000),
                submitted_by_id=reporter.id,
                now=current.opens_at - dt.timedelta(days=75),
            )


def distinct_messages(user: SimUser, *, after: int = 0) -> int:
    """How many different bot messages the person got (an edit counts with its message)."""
    return len({m.message_id for m in user.inbox[after:]})


async def press_on(user: SimUser, message: BotMessage, data: str) -> BotMessage:
    """Press a button of a message and return the bot's next event."""
    await user.press(data, message_id=message.message_id)
    return await user.expect()


async def reply(bot: LocalBot, user: SimUser) -> BotMessage:
    """The bot's latest message in the chat (its current state) once the bot is quiet."""
    await bot.settle()
    user.skip_pending()
    latest = user.last
    assert latest is not None
    return latest


async def say(bot: LocalBot, user: SimUser, text: str) -> BotMessage:
    """Send text and return the bot's latest message once it is quiet."""
    await user.send_text(text)
    return await reply(bot, user)


async def tap(
    bot: LocalBot, user: SimUser, data: str, message: BotMessage | None = None
) -> BotMessage:
    """Press a button (on ``message``, else the latest offering it); the latest message after."""
    await user.press(data, message_id=None if message is None else message.message_id)
    return await reply(bot, user)
