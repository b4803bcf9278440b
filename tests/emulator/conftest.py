"""Fixtures for the emulator's own tests: a running emulator and a PTB Bot pointed at it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
import telegram

from emulator import BotApiEmulator

TOKEN = "123456:TEST-TOKEN"


@pytest.fixture
async def emu() -> AsyncIterator[BotApiEmulator]:
    """A strict emulator on a free port."""
    async with BotApiEmulator(token=TOKEN, bot_username="tidtam_bot", bot_first_name="Tidtam") as e:
        yield e


@pytest.fixture
async def lenient() -> AsyncIterator[BotApiEmulator]:
    """An emulator that records violations but still answers."""
    async with BotApiEmulator(token=TOKEN, strict=False) as e:
        yield e


@pytest.fixture
async def ptb_bot(emu: BotApiEmulator) -> AsyncIterator[telegram.Bot]:
    """A real python-telegram-bot Bot talking to ``emu``."""
    bot = telegram.Bot(emu.token, base_url=emu.base_url, base_file_url=emu.file_url)
    async with bot:
        yield bot


class RawClient:
    """Plain HTTP calls, for requests PTB would never send (unknown methods, bad types)."""

    def __init__(self, emulator: BotApiEmulator, session: aiohttp.ClientSession) -> None:
        self.emulator = emulator
        self.session = session

    async def call(
        self, method: str, *, form: dict[str, Any] | None = None, json: Any = None
    ) -> tuple[int, dict[str, Any]]:
        url = f"{self.emulator.base_url}{self.emulator.token}/{method}"
        async with self.session.post(url, data=form, json=json) as response:
            return response.status, await response.json()


@pytest.fixture
async def raw(emu: BotApiEmulator) -> AsyncIterator[RawClient]:
    """A raw HTTP client for ``emu``."""
    async with aiohttp.ClientSession() as session:
        yield RawClient(emu, session)


@pytest.fixture
async def lenient_raw(lenient: BotApiEmulator) -> AsyncIterator[RawClient]:
    """A raw HTTP client for the lenient emulator."""
    async with aiohttp.ClientSession() as session:
        yield RawClient(lenient, session)
