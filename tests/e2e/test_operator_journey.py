"""An operator's first day, with the real commands: init, invites, run."""

from __future__ import annotations

import asyncio
import csv
import os
import signal
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.harness import LOCAL_TOKEN, LOCAL_USERNAME
from emulator import BotApiEmulator

pytestmark = pytest.mark.slow


@pytest.fixture
async def emulator() -> AsyncIterator[BotApiEmulator]:
    async with BotApiEmulator(token=LOCAL_TOKEN, bot_username=LOCAL_USERNAME) as emu:
        yield emu
    assert emu.violations == []


def environment(emulator: BotApiEmulator, workdir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TIDTAM_")}
    return env | {
        "TIDTAM_BOT_TOKEN": LOCAL_TOKEN,
        "TIDTAM_API_BASE_URL": emulator.base_url,
        "TIDTAM_API_FILE_URL": emulator.file_url,
        "TIDTAM_DATABASE_URL": f"sqlite+aiosqlite:///{workdir / 'tidtam.db'}",
    }


async def tidtam(*args: str, env: dict[str, str], cwd: Path) -> tuple[int, str, str]:
    """Run a tidtam command without blocking the loop that serves the emulator."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        *args,
        env=env,
        cwd=cwd,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=120)
    assert process.returncode is not None
    return process.returncode, stdout.decode(), stderr.decode()


async def test_init_invites_and_run_as_a_new_operator_would(
    emulator: BotApiEmulator, tmp_path: Path
):
    env = environment(emulator, tmp_path)
    code, _, err = await tidtam("init", "--sample", env=env, cwd=tmp_path)
    assert code == 0, err
    # the invites command asks the Bot API (here the emulator) for the bot's username
    code, _, err = await tidtam(
        "invites", "--all", "--role", "reporter", "--csv", "invites.csv", env=env, cwd=tmp_path
    )
    assert code == 0, err
    with (tmp_path / "invites.csv").open(encoding="utf-8-sig") as handle:
        rows = {row["school_code"]: row for row in csv.DictReader(handle)}
    assert rows["CB05"]["link"].startswith(f"https://t.me/{LOCAL_USERNAME}?start=")
    code, out, err = await tidtam(
        "invites", "--role", "officer", "--csv", "officer.csv", env=env, cwd=tmp_path
    )
    assert code == 0, err
    with (tmp_path / "officer.csv").open(encoding="utf-8-sig") as handle:
        officer_code = next(csv.DictReader(handle))["code"]
    assert officer_code in out  # printed for the operator too

    log_path = tmp_path / "bot.log"
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "run",
        env=env,
        cwd=tmp_path,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        stranger = emulator.user(601, "Stranger", language_code="en")
        await stranger.send_text("/start WRONG-CODE-0000-0000")
        assert "not valid" in (await stranger.expect(timeout=30)).plain_text
        await stranger.send_text("/kpi")
        assert "not registered" in (await stranger.expect()).plain_text
        await stranger.send_text("/summary")
        assert "not registered" in (await stranger.expect()).plain_text

        reporter = emulator.user(602, "Reporter <R&D>", language_code="en")
        await reporter.send_text("/start " + rows["CB05"]["link"].rsplit("=", 1)[1])
        assert "You are registered" in (await reporter.expect()).plain_text
        await reporter.send_text("/summary")
        assert "district office staff only" in (await reporter.expect()).plain_text
        await reporter.send_text("/kpi")
        question = await reporter.expect()
        await reporter.send_text("64.5 <&>")
        error = await reporter.expect()
        while error.message_id == question.message_id:  # the old question loses its buttons
            error = await reporter.expect()
        assert "<&>" in error.plain_text or "number" in error.plain_text
        await reporter.send_text("64.5")
        following = await reporter.expect()
        while following.message_id == error.message_id:
            following = await reporter.expect()
        for _ in range(2):  # skip the other indicators; they stay outstanding
            await reporter.press("kpi:skip", message_id=following.message_id)
            following = await reporter.expect()
        review = following
        await reporter.press("kpi:confirm", message_id=review.message_id)
        assert "Saved" in (await reporter.expect()).plain_text

        officer = emulator.user(603, "Officer", language_code="en")
        await officer.send_text(officer_code)
        assert "You are registered" in (await officer.expect()).plain_text
        await officer.send_text("/summary")
        summary = await officer.expect()
        assert "Items submitted: 1 of" in summary.plain_text
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            _, stderr = await asyncio.wait_for(process.communicate(), timeout=20)
        except TimeoutError:
            process.kill()
            raise
        log_path.write_bytes(stderr)
    assert process.returncode == 0, stderr.decode(errors="replace")
    assert LOCAL_TOKEN not in stderr.decode(errors="replace")
