"""Shared set-up of the reminder tests: a round, people, passes on a fake clock."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import update

from bot.harness import LocalBot
from domain.values import Role
from emulator import BotMessage, SimUser
from scheduler.planner import ReminderConfig
from scheduler.runner import PassReport, run_pass
from storage.schema import rounds
from storage.services import submit_kpi_value

BKK = ZoneInfo("Asia/Bangkok")
CONFIG = ReminderConfig()


def bangkok(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> dt.datetime:
    """A moment on the office clock, as aware UTC."""
    return dt.datetime(year, month, day, hour, minute, tzinfo=BKK).astimezone(dt.UTC)


def db(bot: LocalBot):
    assert bot.database is not None
    return bot.database


async def close_sample_round(bot: LocalBot) -> None:
    """The sample round is closed so only the test's own round is reminded of."""
    async with db(bot).transaction() as repos:
        await repos.connection.execute(update(rounds).values(closed_at=bot.clock()))


async def add_round(
    bot: LocalBot,
    *,
    code: str,
    opens_at: dt.datetime,
    due_at: dt.datetime,
    includes_progress: bool = False,
    ladder: object = None,
) -> int:
    async with db(bot).transaction() as repos:
        round_id = await repos.plan.create_round(
            code=code,
            fiscal_year=2570,
            name_th=f"รอบทดสอบ {code}",
            name_en=f"Test round {code}",
            opens_at=opens_at,
            due_at=due_at,
            includes_progress=includes_progress,
            now=bot.clock(),
        )
        if ladder is not None:
            await repos.reminders.set_round_ladder(round_id, ladder, now=bot.clock())
    return round_id


async def register(
    bot: LocalBot, user_id: int, name: str, school: str, role: Role, lang: str = "th"
) -> SimUser:
    code = await bot.invite(school, role)
    user = bot.emulator.user(user_id, name, language_code=lang)
    await user.send_text(f"/start {code}")
    await user.expect()
    await bot.settle()
    user.skip_pending()
    return user


async def report_all_kpis(bot: LocalBot, user: SimUser, round_id: int) -> None:
    """The school of ``user`` submits every KPI it owes in the round (as of the clock)."""
    async with db(bot).transaction() as repos:
        person = await repos.people.by_telegram_id(user.id)
        round_ = await repos.plan.round(round_id)
        assert person is not None and round_ is not None
        for kpi, _ in await repos.plan.expected_kpis(school_id=person.school_id, round_=round_):
            await submit_kpi_value(
                repos,
                person=person,
                round_id=round_id,
                kpi_id=kpi.id,
                value=Decimal(3),
                expected_version=0,
                now=bot.clock(),
            )


async def one_pass(bot: LocalBot, config: ReminderConfig = CONFIG) -> PassReport:
    assert bot.application is not None
    return await run_pass(bot.application.bot, db(bot), now=bot.clock(), config=config)


@dataclass
class Received:
    """Messages each person got, with the clock moment of the pass that sent them."""

    people: dict[str, SimUser]
    seen: dict[str, int] = field(default_factory=dict)
    log: list[tuple[str, dt.datetime, BotMessage]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.seen = {name: len(user.inbox) for name, user in self.people.items()}

    def collect(self, at: dt.datetime) -> None:
        for name, user in self.people.items():
            inbox = user.inbox
            for message in inbox[self.seen.get(name, 0) :]:
                self.log.append((name, at, message))
            self.seen[name] = len(inbox)

    def of(self, name: str) -> list[tuple[dt.datetime, BotMessage]]:
        return [(at, message) for who, at, message in self.log if who == name]


async def add_people(
    bot: LocalBot, count: int, *, first_id: int = 10_000, role: Role = Role.REPORTER
) -> list[SimUser]:
    """``count`` registered people spread over the sample schools, each with a chat."""
    users = []
    async with db(bot).transaction() as repos:
        schools = await repos.schools.list(kind="school")
        for index in range(count):
            user_id = first_id + index
            await repos.people.create(
                full_name=f"ครู {user_id}",
                role=role,
                school_id=schools[index % len(schools)].id,
                telegram_user_id=user_id,
                language="th",
                now=bot.clock(),
            )
            users.append(bot.emulator.user(user_id, f"ครู {user_id}"))
    return users


def reminders_received(user: SimUser) -> list[BotMessage]:
    """The reminder messages in a person's chat (new messages with a report button)."""
    return [
        message
        for message in user.inbox
        if not message.is_edit and "kpi:start" in message.callback_data()
    ]


SAMPLE_DUE_7 = bangkok(2027, 1, 12, 8, 30)
"""The sample round is due 19 Jan 2027 16:30; a week before, the office is open."""


async def add_person(
    bot: LocalBot, user_id: int, name: str, school: str, role: Role, lang: str = "th"
) -> SimUser:
    """One registered person (made in the database, as an import would) with a chat."""
    async with db(bot).transaction() as repos:
        found = await repos.schools.by_code(school)
        assert found is not None
        await repos.people.create(
            full_name=name,
            role=role,
            school_id=found.id,
            telegram_user_id=user_id,
            language=lang,
            now=bot.clock(),
        )
    return bot.emulator.user(user_id, name, language_code=lang)
