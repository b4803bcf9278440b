"""A value the bot confirmed survives SIGKILL of the bot process."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.harness import LOCAL_TOKEN, LOCAL_USERNAME
from domain.calendar import utc_now
from domain.values import Role
from emulator import BotApiEmulator
from storage.database import Database
from storage.sample import OFFICE_CODE, load_sample
from storage.schema import kpi_values
from storage.services import issue_invite

pytestmark = pytest.mark.slow


@pytest.fixture
async def emulator() -> AsyncIterator[BotApiEmulator]:
    async with BotApiEmulator(token=LOCAL_TOKEN, bot_username=LOCAL_USERNAME) as emu:
        yield emu
    assert emu.violations == []


async def _next_new(user, seen: set[int]):
    """The next bot event on a message not in ``seen`` (a typed answer gets a new message)."""
    while True:
        event = await user.expect()
        if event.message_id not in seen:
            return event


def start_bot(emulator: BotApiEmulator, db_url: str, workdir: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "TIDTAM_BOT_TOKEN": LOCAL_TOKEN,
        "TIDTAM_API_BASE_URL": emulator.base_url,
        "TIDTAM_API_FILE_URL": emulator.file_url,
        "TIDTAM_DATABASE_URL": db_url,
        "TIDTAM_LOG_LEVEL": "WARNING",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "bot", "run"],
        cwd=workdir,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=(workdir / "bot.log").open("ab"),
    )


async def test_a_confirmed_value_survives_sigkill_and_restart(
    emulator: BotApiEmulator, tmp_path: Path
):
    db_url = f"sqlite+aiosqlite:///{tmp_path / 'kill.db'}"
    database = Database(db_url)
    await database.migrate()
    async with database.transaction() as repos:
        await load_sample(repos, now=utc_now())
        school = await repos.schools.by_code("CB05")
        office = await repos.schools.by_code(OFFICE_CODE)
        assert school and office
        reporter_code = (
            await issue_invite(repos, school=school, role=Role.REPORTER, now=utc_now())
        ).code
        officer_code = (
            await issue_invite(repos, school=office, role=Role.OFFICER, now=utc_now())
        ).code
    await database.dispose()

    process = start_bot(emulator, db_url, tmp_path)
    try:
        reporter = emulator.user(501, "Kill", language_code="en")
        await reporter.send_text(f"/start {reporter_code}")
        await reporter.expect(timeout=30)  # includes the process's start-up
        await reporter.send_text("/kpi")
        first = await reporter.expect()
        await reporter.press("kpi:skip", message_id=first.message_id)  # K01 left for later
        second = await reporter.expect()
        assert "indicator 2 of 3" in second.plain_text
        await reporter.send_text("87.25")
        third = await _next_new(reporter, {first.message_id})
        await reporter.press("kpi:skip", message_id=third.message_id)
        review = await reporter.expect()
        await reporter.press("kpi:confirm", message_id=review.message_id)
        saved = await reporter.expect()
        assert "Saved" in saved.plain_text
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()

    process = start_bot(emulator, db_url, tmp_path)
    try:
        officer = emulator.user(502, "Officer", language_code="en")
        await officer.send_text(f"/start {officer_code}")
        await officer.expect(timeout=30)
        await officer.send_text("/summary")
        summary = await officer.expect()
        assert "Items submitted: 1 of 280" in summary.plain_text
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
        await asyncio.sleep(0)

    database = Database(db_url)
    async with database.read() as repos:
        rows = (
            await repos.connection.execute(select(kpi_values.c.kpi_id, kpi_values.c.value))
        ).all()
    await database.dispose()
    assert [(row.kpi_id, str(row.value)) for row in rows] == [(2, "87.25")]
