"""``tidtam remind``, ``tidtam ladder`` and ``tidtam calendar`` as an operator uses them."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app
from domain.values import Role
from storage.database import Database
from storage.sample import load_sample

runner = CliRunner()
LOADED_AT = dt.datetime(2027, 1, 5, 2, 0, tzinfo=dt.UTC)  # the sample round is due 19 Jan 2027


async def prepare(url: str) -> None:
    database = Database(url)
    await database.migrate()
    async with database.transaction() as repos:
        await load_sample(repos, now=LOADED_AT)
        cb05 = await repos.schools.by_code("CB05")
        ry01 = await repos.schools.by_code("RY01")
        assert cb05 is not None and ry01 is not None
        await repos.people.create(
            full_name="สมชาย ใจดี",
            role=Role.REPORTER,
            school_id=cb05.id,
            telegram_user_id=1001,
            now=LOADED_AT,
        )
        await repos.people.create(
            full_name="Malee S.",
            role=Role.HEAD,
            school_id=ry01.id,
            telegram_user_id=1002,
            language="en",
            now=LOADED_AT,
        )
    await database.dispose()


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    url = f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("TIDTAM_DATABASE_URL", url)
    monkeypatch.setenv("COLUMNS", "250")
    monkeypatch.delenv("TIDTAM_BOT_TOKEN", raising=False)
    asyncio.run(prepare(url))
    return tmp_path


def remind(*args: str) -> str:
    result = runner.invoke(app, ["remind", *args])
    assert result.exit_code == 0, result.output
    return result.output


def test_dry_run_lists_who_gets_what_and_why(workdir: Path):
    output = remind("--dry-run", "--at", "2027-01-12 08:30", "--lang", "en")
    assert "Reminders as of 12 Jan 2027 08:30" in output
    assert "สมชาย ใจดี (1001)" in output
    assert "due-7" in output
    assert "CB05 is missing" in output and "K01, K02, K03" in output
    # the head is reminded only from one day overdue
    assert "Malee" not in output
    assert "1 to send, 0 to hold" in output


def test_dry_run_after_the_due_date_escalates_to_the_head(workdir: Path):
    output = remind("--dry-run", "--at", "20/1/2570 08:30", "--lang", "en")
    assert "Malee S. (1002)" in output and "School head" in output
    assert "due+1" in output
    assert "2 to send" in output


def test_dry_run_on_a_weekend_holiday_or_at_night_sends_nothing(workdir: Path):
    assert "not a working day" in remind("--dry-run", "--at", "2027-01-09 09:00", "--lang", "en")
    assert "วันขึ้นปีใหม่" in remind("--dry-run", "--at", "2027-01-01 09:00", "--lang", "en")
    night = remind("--dry-run", "--at", "2027-01-12 20:00")
    assert "อยู่นอกเวลาส่ง (08:30–16:30 น. ในวันทำการ)" in night


def test_a_day_off_added_by_the_office_moves_the_reminder(workdir: Path):
    added = runner.invoke(
        app, ["calendar", "add", "2027-01-12", "--off", "--note", "คำสั่งที่ 12/2570", "--lang", "en"]
    )
    assert added.exit_code == 0, added.output
    assert "12 Jan 2027 is now a day off" in added.output
    day_off = remind("--dry-run", "--at", "2027-01-12 08:30", "--lang", "en")
    assert "a day off of the office (คำสั่งที่ 12/2570)" in day_off
    moved = remind("--dry-run", "--at", "2027-01-13 08:30", "--lang", "en")
    assert "due-7" in moved and "สมชาย" in moved
    listed = runner.invoke(app, ["calendar", "list", "--year", "2570", "--lang", "en"])
    assert "12 Jan 2027" in listed.output and "คำสั่งที่ 12/2570" in listed.output
    assert "วันขึ้นปีใหม่" in listed.output  # public holidays on weekdays are listed too
    removed = runner.invoke(app, ["calendar", "remove", "12/1/2570", "--lang", "en"])
    assert removed.exit_code == 0, removed.output
    assert "due-7" in remind("--dry-run", "--at", "2027-01-12 08:30", "--lang", "en")
    again = runner.invoke(app, ["calendar", "remove", "2027-01-12", "--lang", "en"])
    assert again.exit_code == 1
    assert "no setting of its own" in again.output


def test_the_office_changes_a_rounds_ladder(workdir: Path):
    result = runner.invoke(
        app, ["ladder", "FY2570-Q2", "--steps", "open, -2, 0, 2", "--lang", "en"]
    )
    assert result.exit_code == 0, result.output
    assert "Reminder steps: open,-2,0,2" in result.output
    assert "due-2" in result.output and "17 Jan 2027" not in result.output
    assert "18 Jan 2027 08:30" in result.output  # 17 Jan is a Sunday: moved to Monday
    assert "due-7" not in remind("--dry-run", "--at", "2027-01-12 08:30", "--lang", "en")
    wrong = runner.invoke(app, ["ladder", "FY2570-Q2", "--steps", "open,soon", "--lang", "en"])
    assert wrong.exit_code == 1
    assert "cannot be read" in wrong.output
    unknown = runner.invoke(app, ["ladder", "NOPE", "--lang", "en"])
    assert unknown.exit_code == 1 and "NOPE" in unknown.output


def test_remind_needs_exactly_one_mode(workdir: Path):
    result = runner.invoke(app, ["remind", "--lang", "en"])
    assert result.exit_code == 1
    assert "exactly one of --dry-run and --now" in result.output
    result = runner.invoke(app, ["remind", "--now", "--at", "2027-01-12 08:30", "--lang", "en"])
    assert result.exit_code == 1
    assert "--at is only for --dry-run" in result.output
