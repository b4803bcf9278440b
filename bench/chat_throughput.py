"""Chat step throughput: typing a KPI value, against a bare python-telegram-bot echo bot.

Target: Tidtam handles at least half as many updates a second as an echo bot.

The step measured is the one a school reporter repeats most: at a question
of the /kpi batch, type the value. The update goes through everything the
running bot does — python-telegram-bot's Updater and handler groups, the
burst guard, the flow router, parsing and validating the value, writing the
draft to the database (committed before the reply), taking the buttons off
the previous question and sending the next one. The database holds a big
district: 500 schools, 1,000 registered reporters (two per school, each with
a Telegram id), 40 KPIs with targets for two fiscal years and 100,000 stored
values over five earlier rounds, so every question shows last round's value.

The echo bot is python-telegram-bot with nothing added: an Application with
one MessageHandler that replies with the text. Both bots poll the same
emulator in the same process, one after the other, with the same people
sending the same number of messages, and both process updates one at a time
(python-telegram-bot's default). Each person waits for the reply before
typing the next value, as a person does; ``--in-flight`` people type at once.

Per update the time is taken from the moment the person's message is queued
at the emulator to the moment the bot's reply (a new message) arrives there,
both from the emulator's transcript clock. p50/p95 are printed twice: under
the load above, where waiting in the queue behind other people's updates is
part of it, and with one update at a time, which is the processing time
alone.

Each person sends ``--values`` + 2 updates in all, well under the burst
limit of 20 in 10 seconds (handlers/limits.py), so the guard runs unchanged.

Run: ``.venv/bin/python bench/chat_throughput.py`` (about a minute);
``--profile FILE`` writes cProfile statistics of the measured Tidtam phase.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import datetime as dt
import logging
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import insert, select
from telegram import Update
from telegram.ext import Application, ApplicationBuilder, ContextTypes, MessageHandler, filters

from bench._common import info, machine, result
from bot.harness import LOCAL_TOKEN, LocalBot
from bot.runtime import start_polling, stop_polling
from domain.values import Role
from emulator import BotApiEmulator, SimUser
from storage.database import Database
from storage.schema import (
    drafts,
    fiscal_years,
    kpi_values,
    kpis,
    people,
    rounds,
    schools,
    strategies,
    targets,
)

TARGET_RATIO = 0.5
SCHOOLS = 500
PEOPLE = 1_000
KPIS = 40
FIRST_TELEGRAM_ID = 500_000
NOW = dt.datetime(2027, 1, 12, 3, 0, tzinfo=dt.UTC)  # 10:00 in Bangkok, fiscal year 2570
REPLY_TIMEOUT = 60.0

# Five earlier rounds hold the stored values; the sixth is open and being reported.
PAST_ROUNDS = (
    ("FY2569-Q1", 2569, dt.date(2025, 12, 1)),
    ("FY2569-Q2", 2569, dt.date(2026, 3, 1)),
    ("FY2569-Q3", 2569, dt.date(2026, 6, 1)),
    ("FY2569-Q4", 2569, dt.date(2026, 9, 1)),
    ("FY2570-Q1", 2570, dt.date(2026, 12, 1)),
)
OPEN_ROUND = ("FY2570-Q2", 2570, dt.date(2027, 1, 1))
# value type, target, and the base of the values stored and typed
KPI_KINDS = (
    ("percent", Decimal(80), Decimal(72)),
    ("count", Decimal(120), Decimal(100)),
    ("number", Decimal("1250.5"), Decimal(1180)),
)


def _at(day: dt.date, hour: int = 1) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, 30, tzinfo=dt.UTC)


def _kind(kpi_index: int) -> tuple[str, Decimal, Decimal]:
    return KPI_KINDS[kpi_index % len(KPI_KINDS)]


def typed_value(kpi_index: int, person_index: int) -> str:
    """What a person types at a KPI's question: close to last round's value."""
    _, _, base = _kind(kpi_index)
    return str(base + person_index % 7)


async def seed(database: Database) -> None:
    """The big district, written with one executemany per table."""
    await database.migrate()
    stamp = {"created_at": NOW, "updated_at": NOW}
    async with database.transaction() as repos:
        run = repos.connection.execute
        await run(
            insert(fiscal_years),
            [
                {"year": 2569, "starts_on": dt.date(2025, 10, 1), "ends_on": dt.date(2026, 9, 30)},
                {"year": 2570, "starts_on": dt.date(2026, 10, 1), "ends_on": dt.date(2027, 9, 30)},
            ],
        )
        await run(
            insert(schools),
            [{"code": "OFFICE", "kind": "office", "name_th": "สำนักงานเขตพื้นที่การศึกษา"} | stamp]
            + [
                {
                    "code": f"S{n:04d}",
                    "kind": "school",
                    "name_th": f"โรงเรียนทดสอบวิทยาคม {n}",
                    "province": "ชลบุรี",
                }
                | stamp
                for n in range(1, SCHOOLS + 1)
            ],
        )
        school_ids = list(
            (
                await run(select(schools.c.id).where(schools.c.kind == "school").order_by("id"))
            ).scalars()
        )
        await run(insert(strategies), [{"code": "ST1", "name_th": "กลยุทธ์ที่ 1"} | stamp])
        await run(
            insert(kpis),
            [
                {
                    "code": f"K{n + 1:02d}",
                    "name_th": f"ตัวชี้วัดที่ {n + 1} ร้อยละของนักเรียนที่ผ่านเกณฑ์การประเมิน",
                    "name_en": f"Indicator {n + 1}: share of students meeting the standard",
                    "unit_th": "หน่วย",
                    "unit_en": "units",
                    "value_type": _kind(n)[0],
                    "sort_order": n + 1,
                }
                | stamp
                for n in range(KPIS)
            ],
        )
        kpi_ids = list((await run(select(kpis.c.id).order_by(kpis.c.sort_order))).scalars())
        await run(
            insert(targets),
            [
                {
                    "school_id": school_id,
                    "kpi_id": kpi_id,
                    "fiscal_year": year,
                    "target_value": _kind(n)[1],
                }
                | stamp
                for year in (2569, 2570)
                for school_id in school_ids
                for n, kpi_id in enumerate(kpi_ids)
            ],
        )
        await run(
            insert(rounds),
            [
                {
                    "code": code,
                    "fiscal_year": year,
                    "name_th": f"รอบรายงาน {code}",
                    "name_en": f"Round {code}",
                    "opens_at": _at(opens),
                    "due_at": _at(opens + dt.timedelta(days=30), hour=9),
                    "closed_at": _at(opens + dt.timedelta(days=31)),
                }
                | stamp
                for code, year, opens in PAST_ROUNDS
            ]
            + [
                {
                    "code": OPEN_ROUND[0],
                    "fiscal_year": OPEN_ROUND[1],
                    "name_th": "รายงานผลไตรมาสที่ 2",
                    "name_en": "Quarter 2 report",
                    "opens_at": _at(OPEN_ROUND[2]),
                    "due_at": _at(dt.date(2027, 3, 31), hour=9),
                    "closed_at": None,
                }
                | stamp
            ],
        )
        round_ids = list(
            (
                await run(
                    select(rounds.c.id)
                    .where(rounds.c.closed_at.is_not(None))
                    .order_by(rounds.c.opens_at)
                )
            ).scalars()
        )
        await run(
            insert(people),
            [
                {
                    "telegram_user_id": FIRST_TELEGRAM_ID + n,
                    "full_name": f"ครูผู้รายงาน {n}",
                    "role": Role.REPORTER.value,
                    "school_id": school_ids[n % SCHOOLS],
                    "language": "en" if n % 4 == 0 else "th",
                    "joined_at": NOW,
                }
                | stamp
                for n in range(PEOPLE)
            ],
        )
        reporter_of = {
            row.school_id: row.id
            for row in await run(select(people.c.id, people.c.school_id).order_by(people.c.id))
        }
        rows = [
            {
                "kpi_id": kpi_id,
                "school_id": school_id,
                "round_id": round_id,
                "version": 1,
                "value": _kind(n)[2] + (school_id + n + r) % 9,
                "submitted_by_id": reporter_of[school_id],
                "submitted_at": _at(PAST_ROUNDS[r][2] + dt.timedelta(days=20)),
            }
            for r, round_id in enumerate(round_ids)
            for school_id in school_ids
            for n, kpi_id in enumerate(kpi_ids)
        ]
        await run(insert(kpi_values), rows)


# ------------------------------------------------------------------ driving people


@dataclass
class Replies:
    """Wakes each waiting person when a new bot message reaches their chat.

    One watcher for all chats: a waiter per chat on the emulator's event would
    wake every waiting person on every bot message, and that bookkeeping would
    be measured as the bot's time.
    """

    emulator: BotApiEmulator
    waiting: dict[int, tuple[SimUser, int, asyncio.Future[None]]] = field(default_factory=dict)
    closed: bool = False

    @staticmethod
    def count(user: SimUser) -> int:
        """New messages (not edits) the bot has sent to the person so far."""
        return sum(1 for message in user.inbox if not message.is_edit)

    async def watch(self) -> None:
        """Resolve waiters until closed."""
        while not self.closed:
            for chat_id, (user, needed, future) in list(self.waiting.items()):
                if self.count(user) >= needed:
                    del self.waiting[chat_id]
                    if not future.done():
                        future.set_result(None)
            # The emulator's own signal for "the bot sent something", as SimUser.expect uses.
            await self.emulator._wait_bot_event(0.2)

    async def say(self, user: SimUser, text: str, sent: list[tuple[int, int]] | None) -> None:
        """Send a text and wait for the bot's next new message in that chat."""
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.waiting[user.id] = (user, self.count(user) + 1, future)
        payload = await user.send_text(text)
        if sent is not None:
            sent.append((user.id, payload["message_id"]))
        await asyncio.wait_for(future, REPLY_TIMEOUT)


async def in_parallel(
    users: list[SimUser], in_flight: int, each: Callable[[int, SimUser], Awaitable[None]]
) -> None:
    """Run ``each`` for every person, ``in_flight`` people at a time."""
    queue: asyncio.Queue[tuple[int, SimUser]] = asyncio.Queue()
    for item in enumerate(users):
        queue.put_nowait(item)

    async def worker() -> None:
        while not queue.empty():
            index, user = queue.get_nowait()
            await each(index, user)

    await asyncio.gather(*(worker() for _ in range(in_flight)))


def latencies(emulator: BotApiEmulator, sent: list[tuple[int, int]]) -> list[float]:
    """Seconds from each measured message to the bot's next new message in its chat."""
    measured = set(sent)
    pending: dict[int, float] = {}
    found = []
    for event in emulator.transcript:
        if event.who == "user" and (event.chat_id, event.message_id) in measured:
            pending[event.chat_id] = event.at
        elif event.who == "bot" and event.kind == "text" and event.chat_id in pending:
            found.append(event.at - pending.pop(event.chat_id))
    return found


@dataclass
class Phase:
    """One bot's loaded phase of one round."""

    updates: int
    seconds: float
    cpu_seconds: float

    @property
    def rate(self) -> float:
        return self.updates / self.seconds


@dataclass
class Figures:
    """What one bot achieved over every round."""

    phases: list[Phase] = field(default_factory=list)
    loaded: list[float] = field(default_factory=list)
    alone: list[float] = field(default_factory=list)

    @property
    def updates(self) -> int:
        return sum(phase.updates for phase in self.phases)

    @property
    def seconds(self) -> float:
        return sum(phase.seconds for phase in self.phases)

    @property
    def rate(self) -> float:
        return self.updates / self.seconds

    def describe(self, name: str) -> str:
        cpu = sum(phase.cpu_seconds for phase in self.phases)
        rounds = ", ".join(f"{phase.rate:.0f}" for phase in self.phases)
        return (
            f"{name}: {self.updates} updates in {self.seconds:.1f} s = {self.rate:.0f} updates/s "
            f"(rounds: {rounds}; {cpu / self.updates * 1000:.1f} ms CPU each, bot and emulator); "
            f"under load p50 {_ms(self.loaded, 50)} p95 {_ms(self.loaded, 95)}; "
            f"one at a time p50 {_ms(self.alone, 50)} p95 {_ms(self.alone, 95)}"
        )


def _ms(samples: list[float], percentile: int) -> str:
    if len(samples) < 2:
        return "n/a"
    return f"{statistics.quantiles(samples, n=100)[percentile - 1] * 1000:.1f} ms"


async def load_phase(
    replies: Replies,
    users: list[SimUser],
    figures: Figures,
    *,
    first_value: int,
    values: int,
    in_flight: int,
    profile: cProfile.Profile | None = None,
) -> None:
    """Everyone types ``values`` values, ``in_flight`` people at a time; measured."""
    sent: list[tuple[int, int]] = []

    async def type_values(index: int, user: SimUser) -> None:
        for question in range(first_value, first_value + values):
            await replies.say(user, typed_value(question, index), sent)

    if profile is not None:
        profile.enable()
    started, cpu = time.perf_counter(), time.process_time()
    await in_parallel(users, in_flight, type_values)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    if profile is not None:
        profile.disable()
    figures.phases.append(Phase(len(sent), seconds, cpu))
    figures.loaded += latencies(replies.emulator, sent)


async def serial_phase(
    replies: Replies, users: list[SimUser], figures: Figures, *, value: int
) -> None:
    """One update at a time: the processing time alone."""
    sent: list[tuple[int, int]] = []
    for index, user in enumerate(users):
        await replies.say(user, typed_value(value, index), sent)
    figures.alone += latencies(replies.emulator, sent)


async def greet(replies: Replies, users: list[SimUser], text: str, in_flight: int) -> None:
    """Everyone sends ``text`` once (not measured: /kpi opens the batch)."""

    async def say(_: int, user: SimUser) -> None:
        await replies.say(user, text, None)

    await in_parallel(users, in_flight, say)


# ------------------------------------------------------------------ the two bots


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Reply with the text."""
    message = update.effective_message
    if message is not None and message.text is not None:
        await message.reply_text(message.text)


def echo_application(emulator: BotApiEmulator) -> Application[Any, Any, Any, Any, Any, Any]:
    """python-telegram-bot with one MessageHandler and nothing else."""
    application = (
        ApplicationBuilder()
        .token(LOCAL_TOKEN)
        .base_url(emulator.base_url)
        .base_file_url(emulator.file_url)
        .build()
    )
    application.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, echo))
    return application


async def stored_values(database: Database) -> list[int]:
    """How many values each person's /kpi draft holds."""
    async with database.read() as repos:
        rows = await repos.connection.execute(
            select(drafts.c.answers).where(drafts.c.flow == "kpi")
        )
        return [len(row.answers.get("values", {})) for row in rows]


async def run(args: argparse.Namespace) -> bool:
    logging.basicConfig(level=logging.WARNING)
    folder = Path(tempfile.mkdtemp(prefix="tidtam-bench-chat-"))
    path = folder / "bench.db"
    started = time.perf_counter()
    seeding = Database(f"sqlite+aiosqlite:///{path}")
    await seed(seeding)
    await seeding.dispose()
    print(f"machine: {machine()}")
    print(
        f"database: {SCHOOLS} schools, {PEOPLE} people, {KPIS} KPIs, "
        f"{SCHOOLS * KPIS * len(PAST_ROUNDS):,} stored values "
        f"(seeded in {time.perf_counter() - started:.1f} s)"
    )

    t0 = time.monotonic()
    bot = LocalBot(path, clock=lambda: NOW + dt.timedelta(seconds=time.monotonic() - t0))
    emulator = bot.emulator
    users = [
        emulator.user(FIRST_TELEGRAM_ID + n, f"ครู {n}", language_code="en" if n % 4 == 0 else "th")
        for n in range(args.people)
    ]
    replies = Replies(emulator)
    watcher = asyncio.create_task(replies.watch())
    profile = cProfile.Profile() if args.profile else None
    tidtam, bare = Figures(), Figures()
    load = {"values": args.values, "in_flight": args.in_flight}
    serial = users[: args.serial]
    counts: list[int] = []
    try:
        # Rounds alternate the two bots on the same emulator, so a slower or
        # busier stretch of a shared machine weighs on both alike.
        for round_ in range(args.rounds):
            first = round_ * args.values
            last = round_ == args.rounds - 1
            await bot.start()
            if round_ == 0:
                await greet(replies, users, "/kpi", args.in_flight)
            await load_phase(replies, users, tidtam, first_value=first, profile=profile, **load)
            if last:
                await serial_phase(replies, serial, tidtam, value=first + args.values)
                assert bot.database is not None
                counts = await stored_values(bot.database)
            await bot.stop_bot()

            application = echo_application(emulator)
            await start_polling(application, poll_timeout=1)
            try:
                if round_ == 0:
                    await greet(replies, users, "สวัสดีครับ", args.in_flight)
                await load_phase(replies, users, bare, first_value=first, **load)
                if last:
                    await serial_phase(replies, serial, bare, value=first + args.values)
            finally:
                await stop_polling(application)
        echoed = all(
            user.last is not None
            and user.last.plain_text == typed_value(args.rounds * args.values, index)
            for index, user in enumerate(serial)
        )
        violations = len(emulator.violations)
    finally:
        replies.closed = True
        await watcher
        await bot.stop()
    if profile is not None:
        profile.dump_stats(args.profile)
        print(f"profile of the measured Tidtam phases: {args.profile}")

    typed = args.rounds * args.values
    expected = [typed + 1] * len(serial) + [typed] * (args.people - len(serial))
    print(
        f"people: {args.people}, typing {args.values} values each in each of {args.rounds} "
        f"rounds (Tidtam, then the echo bot), {args.in_flight} at a time; "
        f"then {len(serial)} updates one at a time"
    )
    print(tidtam.describe("Tidtam (KPI value at a /kpi question)"))
    print(bare.describe("echo bot (bare python-telegram-bot)"))
    ratios = [t.rate / b.rate for t, b in zip(tidtam.phases, bare.phases, strict=True)]
    ratio = tidtam.rate / bare.rate
    print(
        f"ratio: {ratio:.2f} of the echo bot's updates per second "
        f"(round by round: {', '.join(f'{r:.2f}' for r in ratios)})"
    )
    ok = result(
        "KPI entry vs echo bot, updates/s",
        f"{tidtam.rate:.0f} vs {bare.rate:.0f} /s = {ratio:.2f}x "
        f"(rounds {min(ratios):.2f}–{max(ratios):.2f})",
        f">= {TARGET_RATIO:g}x echo",
        ratio >= TARGET_RATIO,
    )
    for name, figures in (("KPI entry", tidtam), ("echo bot", bare)):
        info(
            f"{name} p50 / p95",
            f"{_ms(figures.alone, 50)} / {_ms(figures.alone, 95)} one at a time; "
            f"{_ms(figures.loaded, 50)} / {_ms(figures.loaded, 95)} with {args.in_flight} typing",
            "queued → reply at the emulator",
        )
    ok &= result(
        "KPI values kept in drafts",
        f"{sum(counts)} of {sum(expected)}",
        "all",
        sorted(counts) == sorted(expected),
    )
    ok &= result("echo replies", "match" if echoed else "differ", "match", echoed)
    ok &= result("Bot API violations", str(violations), "0", violations == 0)
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=PEOPLE, help="people who type values")
    parser.add_argument(
        "--values", type=int, default=2, help="values each person types in each round"
    )
    parser.add_argument("--rounds", type=int, default=3, help="rounds of both bots, alternating")
    parser.add_argument("--in-flight", type=int, default=20, help="people typing at once")
    parser.add_argument("--serial", type=int, default=100, help="updates sent one at a time")
    parser.add_argument("--profile", type=Path, help="write cProfile stats of the Tidtam phase")
    args = parser.parse_args()
    return 0 if asyncio.run(run(args)) else 1


if __name__ == "__main__":
    sys.exit(main())
