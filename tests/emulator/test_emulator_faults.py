"""Random fault injection: errors, flood control, slow and lost answers."""

from __future__ import annotations

import pytest
from telegram import Bot
from telegram.error import NetworkError, RetryAfter, TimedOut
from telegram.request import HTTPXRequest

from emulator import BotApiEmulator

TOKEN = "123456:FAULTS-TEST-TOKEN"
# reading RetryAfter.retry_after warns about its future type; irrelevant here
pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")


@pytest.fixture
async def emu():
    async with BotApiEmulator(token=TOKEN, bot_username="fault_bot") as emulator:
        yield emulator


def bot_for(emu: BotApiEmulator, read_timeout: float = 5.0) -> Bot:
    return Bot(
        TOKEN,
        base_url=emu.base_url,
        base_file_url=emu.file_url,
        request=HTTPXRequest(read_timeout=read_timeout),
    )


async def test_a_share_of_requests_fails_reproducibly_and_is_counted(emu: BotApiEmulator):
    user = emu.user(1, "A", language_code="en")
    outcomes = []
    async with bot_for(emu) as bot:
        emu.set_fault_rate(0.5, kinds=["server_error", "flood"], seed=3)
        for i in range(40):
            try:
                await bot.send_message(user.chat_id, f"m{i}")
                outcomes.append("ok")
            except RetryAfter:
                outcomes.append("flood")
            except NetworkError:
                outcomes.append("error")
    assert outcomes.count("ok") == len(user.inbox)
    assert 10 < outcomes.count("ok") < 30
    assert emu.fault_counts["flood"] == outcomes.count("flood")
    assert emu.fault_counts["server_error"] == outcomes.count("error")


async def test_a_lost_answer_delivers_the_message_but_the_client_sees_a_failure(
    emu: BotApiEmulator,
):
    user = emu.user(2, "B", language_code="en")
    async with bot_for(emu) as bot:
        emu.set_fault_rate(1.0, kinds=["lost_answer"], methods=["sendMessage"])
        with pytest.raises(NetworkError):
            await bot.send_message(user.chat_id, "delivered anyway")
    assert [m.plain_text for m in user.inbox] == ["delivered anyway"]
    assert emu.fault_counts["lost_answer"] == 1


async def test_a_timeout_fault_outlasts_the_clients_read_timeout(emu: BotApiEmulator):
    user = emu.user(3, "C", language_code="en")
    async with bot_for(emu, read_timeout=0.2) as bot:
        emu.set_fault_rate(1.0, kinds=["timeout"], methods=["sendMessage"], timeout_seconds=0.5)
        with pytest.raises(TimedOut):
            await bot.send_message(user.chat_id, "too slow")
    assert user.inbox == []


async def test_fault_rate_zero_turns_faults_off(emu: BotApiEmulator):
    user = emu.user(4, "D", language_code="en")
    emu.set_fault_rate(1.0)
    emu.set_fault_rate(0)
    async with bot_for(emu) as bot:
        await bot.send_message(user.chat_id, "fine")
    assert len(user.inbox) == 1


def test_unknown_fault_kinds_are_refused(emu: BotApiEmulator):
    with pytest.raises(ValueError, match="unknown fault kinds"):
        emu.set_fault_rate(0.1, kinds=["meteor"])
