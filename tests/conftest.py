"""Fixtures shared by every test: databases, a fake clock, the bot on the emulator."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from storage.database import Database

if TYPE_CHECKING:
    from bot.harness import LocalBot


class FakeClock:
    """A clock tests move by hand; always aware UTC."""

    def __init__(self, start: dt.datetime) -> None:
        self.now = start

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> dt.datetime:
        self.now += dt.timedelta(**delta)
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    # a real moment: 09:00 on 5 Jan 2027 in Bangkok, inside FY 2570 Q2
    return FakeClock(dt.datetime(2027, 1, 5, 2, 0, tzinfo=dt.UTC))


@pytest.fixture
async def database(tmp_path: Path) -> AsyncIterator[Database]:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'test.db'}")
    await db.migrate()
    yield db
    await db.dispose()


@pytest.fixture
async def bot(tmp_path: Path, clock: FakeClock) -> AsyncIterator[LocalBot]:
    """The real bot on the emulator with the sample district loaded; fails on any spec violation."""
    from bot.harness import LocalBot

    local = LocalBot(tmp_path / "bot.db", clock=clock)
    await local.start()
    await local.load_sample()
    try:
        yield local
    finally:
        await local.stop()
    violations = local.emulator.violations
    assert violations == [], f"requests that break the Bot API specification: {violations}"
