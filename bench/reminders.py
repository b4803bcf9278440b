"""Reminder fan-out: 10,000 people through an emulator that enforces Telegram's limits.

The emulator answers 429 "retry after" beyond 30 messages a second overall and
one a second per chat, like Telegram. One reminder pass, with the same
rate limiter the bot runs with (python-telegram-bot's AIORateLimiter), must
sustain at least 27 messages a second, deliver every reminder, and deliver
none twice; a person who blocked the bot must not stop the batch.

Run: ``.venv/bin/python bench/reminders.py`` (about six minutes: 10,000
messages at 30 a second). ``--people N`` runs a smaller batch.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import insert
from telegram.ext import AIORateLimiter, ExtBot

from bench._common import machine, result
from bot.harness import LOCAL_TOKEN, LOCAL_USERNAME
from domain.values import Role
from emulator import BotApiEmulator
from scheduler.planner import ReminderConfig
from scheduler.runner import run_pass
from storage.database import Database
from storage.sample import load_sample
from storage.schema import people

TARGET_RATE = 27.0
LOADED_AT = dt.datetime(2027, 1, 5, 2, 0, tzinfo=dt.UTC)  # the sample round is due 19 Jan
REMINDER_AT = dt.datetime(2027, 1, 12, 1, 30, tzinfo=dt.UTC)  # 08:30 Bangkok, a week before
FIRST_ID = 100_000


async def prepare(database: Database, emulator: BotApiEmulator, count: int) -> None:
    """The sample district and ``count`` registered reporters spread over its schools."""
    await database.migrate()
    async with database.transaction() as repos:
        await load_sample(repos, now=LOADED_AT)
        schools = await repos.schools.list(kind="school")
        rows = [
            {
                "telegram_user_id": FIRST_ID + index,
                "full_name": f"ครู {index}",
                "role": Role.REPORTER.value,
                "school_id": schools[index % len(schools)].id,
                "language": "th" if index % 3 else "en",
                "active": True,
                "joined_at": LOADED_AT,
                "created_at": LOADED_AT,
                "updated_at": LOADED_AT,
            }
            for index in range(count)
        ]
        await repos.connection.execute(insert(people), rows)
    for index in range(count):
        emulator.user(FIRST_ID + index, f"ครู {index}")


async def run(count: int) -> bool:
    folder = Path(tempfile.mkdtemp(prefix="tidtam-bench-reminders-"))
    database = Database(f"sqlite+aiosqlite:///{folder / 'bench.db'}")
    async with BotApiEmulator(token=LOCAL_TOKEN, bot_username=LOCAL_USERNAME) as emulator:
        await prepare(database, emulator, count)
        blocked = emulator.user(FIRST_ID + count // 2, "blocked")
        blocked.block()
        emulator.set_rate_limits(global_per_second=30, per_chat_per_second=1)
        bot: ExtBot[None] = ExtBot(
            LOCAL_TOKEN,
            base_url=emulator.base_url,
            base_file_url=emulator.file_url,
            rate_limiter=AIORateLimiter(max_retries=5),  # type: ignore[arg-type]
        )
        async with bot:
            started = time.perf_counter()
            report = await run_pass(bot, database, now=REMINDER_AT, config=ReminderConfig())
            elapsed = time.perf_counter() - started
        sends = emulator.calls("sendMessage")
        delivered = Counter(
            call.params["chat_id"] for call in sends if call.ok and call.error_code is None
        )
        flood = sum(1 for call in sends if call.error_code == 429)
        violations = len(emulator.violations)
    async with database.read() as repos:
        statuses = Counter(entry.status for entry in await repos.reminders.entries())
    await database.dispose()

    expected = count - 1
    twice = sum(1 for times in delivered.values() if times > 1)
    rate = len(delivered) / elapsed
    print(f"machine: {machine()}")
    print(f"people: {count} (one of them has blocked the bot)")
    print(f"pass: {elapsed:.1f} s; delivered {len(delivered)} of {expected}; {rate:.1f} msg/s")
    print(f"flood-control answers (429) retried: {flood}; sent twice: {twice}")
    print(f"send log: {dict(statuses)}; unreachable: {len(report.delivery.unreachable)}")
    print(f"Bot API violations: {violations}")
    ok = result(
        "reminder fan-out rate",
        f"{rate:.1f} msg/s",
        f">= {TARGET_RATE:g} msg/s",
        rate >= TARGET_RATE,
    )
    complete = len(delivered) == expected and statuses.get("sent") == expected
    ok &= result("reminders delivered", f"{len(delivered)} of {expected}", "all", complete)
    ok &= result("reminders sent twice", str(twice), "0", twice == 0)
    ok &= result(
        "blocked person",
        f"{len(report.delivery.unreachable)} unreachable",
        "1, batch goes on",
        len(report.delivery.unreachable) == 1,
    )
    ok &= result("Bot API violations", str(violations), "0", violations == 0)
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=10_000)
    args = parser.parse_args()
    return 0 if asyncio.run(run(args.people)) else 1


if __name__ == "__main__":
    sys.exit(main())
