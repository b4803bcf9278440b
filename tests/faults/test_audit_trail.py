"""Every kind of change leaves an audit row saying who made it and when.

One change of each kind, made the way the product makes it (use cases for
what happens in chat, the command line for the operator's changes):
registration, an indicator value, a progress report, a correction, a
return, a certification, people administration, a plan import and the
office calendar.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from bot.cli import app
from domain.values import ProjectStatus, Role
from storage.database import Database
from storage.people_admin import change_role, set_active
from storage.repositories.review import EvidenceFile
from storage.sample import OFFICE_CODE, load_sample
from storage.schema import audit_log
from storage.services import (
    EntryKind,
    ProgressAnswers,
    certify_round,
    correct_kpi_value,
    issue_invite,
    redeem_invite,
    return_entry,
    submit_kpi_value,
    submit_progress_report,
)
from tests.onboarding.plan_support import small_plan, workbook

runner = CliRunner()
START = dt.datetime(2027, 1, 5, 2, 0, tzinfo=dt.UTC)  # 09:00 in Bangkok, the sample round open


def at(minutes: int) -> dt.datetime:
    return START + dt.timedelta(minutes=minutes)


async def chat_changes(url: str) -> dict[str, int]:
    """Registration, entries, a correction, a return, a certification, people admin."""
    database = Database(url)
    await database.migrate()
    try:
        async with database.transaction() as repos:
            await load_sample(repos, now=START)
            school = await repos.schools.by_code("CB05")
            office = await repos.schools.by_code(OFFICE_CODE)
            assert school is not None and office is not None
            codes = {
                role: (await issue_invite(repos, school=where, role=role, now=at(1))).code
                for role, where in (
                    (Role.REPORTER, school),
                    (Role.HEAD, school),
                    (Role.OFFICER, office),
                )
            }
        people = {}
        for minute, (role, telegram_id) in enumerate(
            ((Role.REPORTER, 9001), (Role.HEAD, 9002), (Role.OFFICER, 9003)), start=2
        ):
            async with database.transaction() as repos:
                registration = await redeem_invite(
                    repos,
                    text=codes[role],
                    telegram_user_id=telegram_id,
                    full_name=f"{role.value} person",
                    language="en",
                    now=at(minute),
                )
            assert not isinstance(registration, Exception)
            people[role] = registration.person
        reporter, head, officer = people[Role.REPORTER], people[Role.HEAD], people[Role.OFFICER]
        async with database.transaction() as repos:
            round_ = await repos.plan.current_round(at(10))
            assert round_ is not None
            kpi, _ = (await repos.plan.expected_kpis(school_id=school.id, round_=round_))[0]
            project = (await repos.plan.expected_projects(school_id=school.id, round_=round_))[0]
            value = await submit_kpi_value(
                repos,
                person=reporter,
                round_id=round_.id,
                kpi_id=kpi.id,
                value=Decimal(55),
                expected_version=0,
                now=at(10),
            )
            report = await submit_progress_report(
                repos,
                person=reporter,
                round_id=round_.id,
                project_id=project.id,
                answers=ProgressAnswers(ProjectStatus.IN_PROGRESS, Decimal(50), Decimal(1000), "x"),
                expected_version=0,
                now=at(11),
                evidence=(
                    EvidenceFile(
                        kind="document",
                        telegram_file_id="f1",
                        telegram_file_unique_id="u1",
                        file_name="a.pdf",
                    ),
                ),
            )
        async with database.transaction() as repos:
            await return_entry(
                repos,
                officer=officer,
                kind=EntryKind.KPI,
                entry_id=value.id,
                comment="Please check the source",
                now=at(12),
            )
        async with database.transaction() as repos:
            corrected = await correct_kpi_value(
                repos,
                person=reporter,
                kpi_value_id=value.id,
                value=Decimal(57),
                reason="Recounted",
                expected_version=1,
                now=at(13),
            )
            await certify_round(repos, person=head, round_id=round_.id, now=at(14))
            await set_active(repos, person_id=reporter.id, active=False, now=at(15))
            await change_role(repos, person_id=head.id, role=Role.REPORTER, now=at(16))
        return {
            "reporter": reporter.id,
            "head": head.id,
            "officer": officer.id,
            "value": value.id,
            "corrected": corrected.id,
            "report": report.id,
        }
    finally:
        await database.dispose()


async def audit_rows(url: str) -> list[dict]:
    database = Database(url)
    try:
        async with database.read() as repos:
            rows = (
                await repos.connection.execute(select(audit_log).order_by(audit_log.c.id))
            ).all()
        return [dict(row._mapping) for row in rows]
    finally:
        await database.dispose()


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("COLUMNS", "250")
    monkeypatch.delenv("TIDTAM_BOT_TOKEN", raising=False)
    return tmp_path


def test_every_kind_of_change_is_audited_with_who_and_when(workdir: Path, monkeypatch):
    url = f"sqlite+aiosqlite:///{workdir / 'audit.db'}"
    monkeypatch.setenv("TIDTAM_DATABASE_URL", url)
    ids = asyncio.run(chat_changes(url))
    for args in (
        ["calendar", "add", "2027-01-12", "--off", "--note", "Sports day"],
        ["calendar", "remove", "2027-01-12"],
    ):
        done = runner.invoke(app, [*args, "--lang", "en"])
        assert done.exit_code == 0, done.output

    rows = asyncio.run(audit_rows(url))
    seen = {(row["action"], row["entity"]): row for row in rows}

    def by_person(action: str, entity: str, person: str, entity_id: object, minute: int) -> None:
        row = seen[(action, entity)]
        assert (row["actor"], row["actor_person_id"]) == ("person", ids[person])
        assert row["entity_id"] == str(entity_id)
        assert row["at"] == at(minute)

    for minute, person in ((2, "reporter"), (3, "head"), (4, "officer")):
        registered = [
            r for r in rows if r["action"] == "register" and r["entity_id"] == str(ids[person])
        ]
        assert [(r["actor_person_id"], r["at"]) for r in registered] == [(ids[person], at(minute))]
    by_person("submit", "kpi_value", "reporter", ids["value"], 10)
    by_person("submit", "progress_report", "reporter", ids["report"], 11)
    assert seen[("submit", "progress_report")]["after"]["evidence"] == 1
    by_person("return", "kpi_value", "officer", ids["value"], 12)
    by_person("correct", "kpi_value", "reporter", ids["corrected"], 13)
    correction = seen[("correct", "kpi_value")]
    assert correction["before"]["value"] == "55" and correction["after"]["value"] == "57"
    assert seen[("certify", "certification")]["actor_person_id"] == ids["head"]
    assert seen[("certify", "certification")]["at"] == at(14)
    for action, person, minute in (("deactivate", "reporter", 15), ("change_role", "head", 16)):
        row = seen[(action, "person")]
        assert (row["actor"], row["entity_id"], row["at"]) == ("cli", str(ids[person]), at(minute))
        assert row["before"] != row["after"]
    for action in ("set_calendar_day", "remove_calendar_day"):
        row = seen[(action, "calendar_day")]
        assert (row["actor"], row["entity_id"]) == ("cli", "2027-01-12")
        assert row["at"] is not None and row["at"].tzinfo is not None
    assert seen[("create", "invite")]["at"] == at(1)


def test_a_plan_import_is_audited_with_who_and_when(workdir: Path, monkeypatch):
    url = f"sqlite+aiosqlite:///{workdir / 'plan.db'}"
    monkeypatch.setenv("TIDTAM_DATABASE_URL", url)
    (workdir / "plan.xlsx").write_bytes(workbook(small_plan()))
    before = dt.datetime.now(dt.UTC)
    done = runner.invoke(app, ["import", "plan.xlsx", "--lang", "en"])
    assert done.exit_code == 0, done.output

    rows = asyncio.run(audit_rows(url))
    [plan] = [row for row in rows if row["entity"] == "plan"]
    assert plan["action"] == "import" and plan["actor"] in ("cli", "import")
    assert before <= plan["at"] <= dt.datetime.now(dt.UTC)
    assert plan["after"]["schools"]["created"] == 3
    # each imported row is audited too, at the same moment
    schools = [row for row in rows if row["entity"] == "school"]
    assert len(schools) == 3 and {row["at"] for row in schools} == {plan["at"]}
