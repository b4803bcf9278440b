"""tidtam backup: a consistent copy taken while the bot writes."""

from __future__ import annotations

import asyncio
import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from bot.cli import app
from domain.errors import StorageError
from domain.values import Role
from storage.backup import backup_database
from storage.database import Database
from storage.sample import load_sample
from storage.schema import audit_log, kpi_values

NOW = dt.datetime(2027, 1, 5, 2, 0, tzinfo=dt.UTC)


async def test_backup_while_writing_holds_every_entry_confirmed_before_it(tmp_path: Path):
    url = f"sqlite+aiosqlite:///{tmp_path / 'live.db'}"
    live = Database(url)
    await live.migrate()
    async with live.transaction() as repos:
        await load_sample(repos, now=NOW)
        round_ = (await repos.plan.rounds())[0]
        schools = await repos.schools.list()
        people = [
            await repos.people.create(
                full_name=f"ครู {s.code}", role=Role.REPORTER, school_id=s.id, now=NOW
            )
            for s in schools
        ]
    confirmed = 0
    stop = asyncio.Event()

    async def writer() -> None:
        nonlocal confirmed
        for i in range(10_000):
            if stop.is_set():
                return
            person = people[i % len(people)]
            async with live.transaction() as repos:
                await repos.kpi_values.add_version(
                    school_id=person.school_id,
                    round_id=round_.id,
                    kpi_id=1 + i % 3,
                    value=Decimal(i % 100),
                    submitted_by_id=person.id,
                    now=NOW,
                )
            confirmed += 1  # the commit has returned: this entry is confirmed

    task = asyncio.create_task(writer())
    await asyncio.sleep(0.3)
    confirmed_before = confirmed
    result = await backup_database(url, tmp_path / "copy" / "tidtam-backup.db")
    await asyncio.sleep(0.1)
    stop.set()
    await task
    await live.dispose()

    assert confirmed_before > 0
    restored = Database(f"sqlite+aiosqlite:///{result.path}")
    assert await restored.revision() is not None  # a migrated schema came across whole
    async with restored.read() as repos:
        stored = (
            await repos.connection.execute(select(func.count()).select_from(kpi_values))
        ).scalar_one()
        audit = (
            await repos.connection.execute(select(func.count()).select_from(audit_log))
        ).scalar_one()
    await restored.dispose()
    assert confirmed_before <= stored <= confirmed
    assert audit >= 1
    assert not (tmp_path / "copy" / "tidtam-backup.db.partial").exists()


async def test_backup_refuses_a_database_that_is_not_sqlite(tmp_path: Path):
    with pytest.raises(StorageError, match="pg_dump"):
        await backup_database("postgresql+asyncpg://db/tidtam", tmp_path / "x.db")


async def test_backup_of_a_missing_database_says_so(tmp_path: Path):
    with pytest.raises(StorageError, match="no database"):
        await backup_database(f"sqlite+aiosqlite:///{tmp_path / 'none.db'}", tmp_path / "x.db")


def test_backup_command_writes_the_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TIDTAM_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}")
    runner = CliRunner()
    assert runner.invoke(app, ["init", "--sample"]).exit_code == 0
    result = runner.invoke(app, ["backup", str(tmp_path / "b.db")])
    assert result.exit_code == 0, result.output
    assert "backup written" in result.output
    assert (tmp_path / "b.db").stat().st_size > 0
