"""Personal invites bind the people listed in the plan to the accounts that register."""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select
from typer.testing import CliRunner

from bot.cli import app
from domain.errors import NotAllowed
from domain.values import Role
from storage.database import Database
from storage.people_admin import not_joined
from storage.sample import load_sample
from storage.schema import people
from storage.services import InviteProblem, Registration, issue_invite, redeem_invite

NOW = dt.datetime(2027, 1, 5, 2, 0, tzinfo=dt.UTC)


async def planned_person(db: Database, *, code: str = "T-CB05-01", name: str = "นางสาวมาลี ใจงาม"):
    async with db.transaction() as repos:
        if await repos.schools.by_code("CB05") is None:
            await load_sample(repos, now=NOW)
        school = await repos.schools.by_code("CB05")
        assert school is not None
        person = await repos.people.create(
            full_name=name, role=Role.HEAD, school_id=school.id, now=NOW, code=code
        )
        return person, school


async def test_a_personal_invite_registers_the_planned_person_not_a_new_one(database: Database):
    person, school = await planned_person(database)
    async with database.transaction() as repos:
        issued = await issue_invite(repos, school=school, role=Role.HEAD, now=NOW, person=person)
    async with database.transaction() as repos:
        outcome = await redeem_invite(
            repos,
            text=issued.code,
            telegram_user_id=555,
            full_name="Malee J.",
            language="en",
            now=NOW,
        )
    assert isinstance(outcome, Registration)
    assert outcome.person.id == person.id
    assert outcome.person.full_name == "นางสาวมาลี ใจงาม"  # the plan's name, not Telegram's
    assert outcome.person.telegram_user_id == 555
    assert outcome.person.joined_at == NOW
    async with database.read() as repos:
        count = (
            await repos.connection.execute(select(func.count()).select_from(people))
        ).scalar_one()
        waiting = await not_joined(repos)
    assert count == 1
    assert all(entry.id != person.id for entry in waiting.people)


async def test_a_personal_invite_cannot_register_a_second_account(database: Database):
    person, school = await planned_person(database)
    async with database.transaction() as repos:
        issued = await issue_invite(repos, school=school, role=Role.HEAD, now=NOW, person=person)
    async with database.transaction() as repos:
        await redeem_invite(
            repos, text=issued.code, telegram_user_id=1, full_name="A", language="th", now=NOW
        )
    async with database.transaction() as repos:
        second = await redeem_invite(
            repos, text=issued.code, telegram_user_id=2, full_name="B", language="th", now=NOW
        )
    assert isinstance(second, InviteProblem)
    assert second.key == "invite.used"


async def test_no_personal_invite_for_someone_who_has_joined_or_for_another_role(
    database: Database,
):
    person, school = await planned_person(database)
    async with database.transaction() as repos:
        with pytest.raises(NotAllowed):
            await issue_invite(repos, school=school, role=Role.REPORTER, now=NOW, person=person)
        issued = await issue_invite(repos, school=school, role=Role.HEAD, now=NOW, person=person)
        await redeem_invite(
            repos, text=issued.code, telegram_user_id=9, full_name="x", language="th", now=NOW
        )
        joined = await repos.people.get(person.id)
        assert joined is not None
        with pytest.raises(NotAllowed, match=r"invite\.person_joined"):
            await issue_invite(repos, school=school, role=Role.HEAD, now=NOW, person=joined)


def test_invites_planned_prints_one_personal_invite_per_person_not_joined(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.chdir(tmp_path)
    url = f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("TIDTAM_DATABASE_URL", url)
    monkeypatch.setenv("TIDTAM_BOT_USERNAME", "tidtam_test_bot")

    async def seed() -> None:
        db = Database(url)
        await db.migrate()
        await planned_person(db)
        await planned_person(db, code="T-CB05-02", name="นายสมชาย <ทดสอบ>")
        await db.dispose()

    asyncio.run(seed())
    result = CliRunner().invoke(app, ["invites", "--planned", "--csv", "p.csv", "--pdf", "p.pdf"])
    assert result.exit_code == 0, result.output
    with (tmp_path / "p.csv").open(encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle))
    assert sorted(row["person_name"] for row in rows) == ["นางสาวมาลี ใจงาม", "นายสมชาย <ทดสอบ>"]
    assert {row["role"] for row in rows} == {"head"}
    assert {row["school_code"] for row in rows} == {"CB05"}
    text = "".join(page.extract_text() for page in PdfReader(tmp_path / "p.pdf").pages)
    assert "ใจงาม" in text
