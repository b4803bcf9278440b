"""Use cases of reporting in chat: drafts, progress reports, batches, corrections, approval."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from domain.errors import Conflict, InvalidInput, NotAllowed, NotFound
from domain.values import ProjectStatus, Role
from storage.database import Database
from storage.repositories.review import EvidenceFile
from storage.sample import load_sample
from storage.schema import evidence, progress_reports
from storage.services import (
    EntryKind,
    KpiAnswer,
    ProgressAnswers,
    certify_round,
    correct_kpi_value,
    find_entry,
    open_flow_person_ids,
    return_entry,
    school_round,
    submit_kpi_batch,
    submit_progress_report,
)

NOW = dt.datetime(2027, 1, 5, 2, 0, tzinfo=dt.UTC)
TTL = dt.timedelta(days=3)
ANSWERS = ProgressAnswers(
    status=ProjectStatus.IN_PROGRESS,
    percent_complete=Decimal(40),
    budget_spent=Decimal("1234.50"),
    outputs="อบรมครู 2 ครั้ง",
)
PHOTO = EvidenceFile("photo", "file-1", "unique-1", None, "image/jpeg", 2048)


@pytest.fixture
async def district(database: Database) -> Database:
    async with database.transaction() as repos:
        await load_sample(repos, now=NOW)
    return database


async def person(db: Database, school: str, role: Role = Role.REPORTER, name: str = "ครูสมศรี"):
    async with db.transaction() as repos:
        found = await repos.schools.by_code(school)
        assert found is not None
        return await repos.people.create(
            full_name=name, role=role, school_id=found.id, now=NOW, telegram_user_id=None
        )


async def round_and_project(db: Database, school: str = "CB05"):
    async with db.read() as repos:
        round_ = await repos.plan.current_round(NOW)
        found = await repos.schools.by_code(school)
        assert round_ is not None and found is not None
        return round_, (await repos.plan.projects(school_id=found.id))[0]


async def test_every_sample_school_has_two_or_three_projects_and_the_round_asks_progress(
    district: Database,
):
    async with district.read() as repos:
        round_ = await repos.plan.current_round(NOW)
        schools = await repos.schools.list()
        counts = {len(await repos.plan.projects(school_id=s.id)) for s in schools}
        budgets = [p.budget_allocated for p in await repos.plan.projects()]
    assert round_ is not None and round_.includes_progress
    assert counts == {2, 3}
    assert all(budget > 0 for budget in budgets)


async def test_drafts_are_kept_per_person_and_flow_and_expire(district: Database):
    reporter = await person(district, "CB05")
    async with district.transaction() as repos:
        await repos.drafts.save(
            person_id=reporter.id,
            flow="kpi",
            subject="round:1",
            step="value",
            answers={"values": {"1": "61"}},
            now=NOW,
            expires_at=NOW + TTL,
        )
        await repos.drafts.save(
            person_id=reporter.id,
            flow="kpi",
            subject="round:1",
            step="review",
            answers={"values": {"1": "61", "2": "70"}},
            now=NOW + dt.timedelta(minutes=5),
            expires_at=NOW + TTL,
        )
    async with district.read() as repos:
        draft = await repos.drafts.get(person_id=reporter.id, flow="kpi", now=NOW)
        gone = await repos.drafts.get(person_id=reporter.id, flow="kpi", now=NOW + TTL)
        busy = await open_flow_person_ids(repos, now=NOW + dt.timedelta(minutes=10))
        idle = await open_flow_person_ids(repos, now=NOW + dt.timedelta(hours=2))
    assert draft is not None and draft.step == "review"
    assert draft.answers == {"values": {"1": "61", "2": "70"}}
    assert gone is None
    assert busy == {reporter.id} and idle == set()
    async with district.transaction() as repos:
        assert await repos.drafts.purge_expired(NOW + TTL) == 1


async def test_a_telegram_user_and_their_drafts_come_in_one_read(district: Database):
    async with district.transaction() as repos:
        school = await repos.schools.by_code("CB05")
        assert school is not None
        reporter = await repos.people.create(
            full_name="ครูสมศรี",
            role=Role.REPORTER,
            school_id=school.id,
            now=NOW,
            telegram_user_id=7001,
        )
        await repos.people.create(
            full_name="ครูสมชาย",
            role=Role.REPORTER,
            school_id=school.id,
            now=NOW,
            telegram_user_id=7002,
        )
        for flow, at, expires in (
            ("kpi", NOW, NOW + TTL),
            ("report", NOW + dt.timedelta(minutes=5), NOW + TTL),
            ("correct", NOW, NOW + dt.timedelta(minutes=1)),  # expired by the time it is read
        ):
            await repos.drafts.save(
                person_id=reporter.id,
                flow=flow,
                subject=flow,
                step="value",
                answers={"values": {"1": "61"}},
                now=at,
                expires_at=expires,
            )
    later = NOW + dt.timedelta(minutes=10)
    async with district.read() as repos:
        found, drafts = await repos.drafts.of_telegram_user(7001, now=later)
        idle, none = await repos.drafts.of_telegram_user(7002, now=later)
        stranger = await repos.drafts.of_telegram_user(7999, now=later)
        expected = await repos.drafts.of_person(reporter.id, now=later)
    assert found == reporter
    assert [d.flow for d in drafts] == ["report", "kpi"] and drafts == expected
    assert drafts[0].answers == {"values": {"1": "61"}}
    assert idle is not None and idle.full_name == "ครูสมชาย" and none == []
    assert stranger == (None, [])


async def test_merging_answers_sets_only_the_keys_given_and_never_revives_a_draft(
    district: Database,
):
    reporter = await person(district, "CB05")
    answers = {"values": {"1": "61"}, "form": {"round": ["รอบที่ 1", None]}, "_msg": 7}
    async with district.transaction() as repos:
        await repos.drafts.save(
            person_id=reporter.id,
            flow="kpi",
            subject="round:1",
            step="value",
            answers=answers,
            now=NOW,
            expires_at=NOW + TTL,
        )
        merged = await repos.drafts.merge_answers(
            person_id=reporter.id, flow="kpi", answers={"_shown": True, "_msg": 8}
        )
    async with district.read() as repos:
        draft = await repos.drafts.get(person_id=reporter.id, flow="kpi", now=NOW)
    assert merged
    assert draft is not None and (draft.step, draft.updated_at) == ("value", NOW)
    assert draft.answers == {**answers, "_shown": True, "_msg": 8}
    async with district.transaction() as repos:
        await repos.drafts.drop(person_id=reporter.id, flow="kpi")
        revived = await repos.drafts.merge_answers(
            person_id=reporter.id, flow="kpi", answers={"_shown": True}
        )
    async with district.read() as repos:
        assert await repos.drafts.get(person_id=reporter.id, flow="kpi", now=NOW) is None
    assert not revived


async def test_a_progress_report_is_stored_with_its_evidence(district: Database):
    reporter = await person(district, "CB05")
    round_, project = await round_and_project(district)
    async with district.transaction() as repos:
        stored = await submit_progress_report(
            repos,
            person=reporter,
            round_id=round_.id,
            project_id=project.id,
            answers=ANSWERS,
            expected_version=0,
            now=NOW,
            evidence=[PHOTO],
        )
    assert (stored.version, stored.percent_complete, stored.budget_spent) == (
        1,
        Decimal(40),
        Decimal("1234.50"),
    )
    async with district.read() as repos:
        files = await repos.evidence.of_entry(progress_report_id=stored.id)
    assert [f.file for f in files] == [PHOTO]


async def test_a_stale_expected_version_is_a_conflict_and_stores_nothing(district: Database):
    first, second = await person(district, "CB05"), await person(district, "CB05", name="ครูบี")
    round_, project = await round_and_project(district)

    async def submit(who) -> None:
        async with district.transaction() as repos:
            await submit_progress_report(
                repos,
                person=who,
                round_id=round_.id,
                project_id=project.id,
                answers=ANSWERS,
                expected_version=0,
                now=NOW,
            )

    await submit(first)
    with pytest.raises(Conflict) as raised:
        await submit(second)
    assert raised.value.key == "reporting.report.changed"
    async with district.read() as repos:
        count = (
            await repos.connection.execute(select(func.count()).select_from(progress_reports))
        ).scalar_one()
    assert count == 1


@pytest.mark.parametrize(
    ("school", "role", "error"),
    [("RY01", Role.REPORTER, NotFound), ("SESAO-CBRY", Role.OFFICER, NotAllowed)],
)
async def test_only_the_schools_own_staff_report_its_projects(
    district: Database, school: str, role: Role, error: type[Exception]
):
    outsider = await person(district, school, role)
    round_, project = await round_and_project(district, "CB05")
    with pytest.raises(error):
        async with district.transaction() as repos:
            await submit_progress_report(
                repos,
                person=outsider,
                round_id=round_.id,
                project_id=project.id,
                answers=ANSWERS,
                expected_version=0,
                now=NOW,
            )


async def test_out_of_range_answers_are_refused_by_the_use_case_too(district: Database):
    reporter = await person(district, "CB05")
    round_, project = await round_and_project(district)
    for answers in (
        ProgressAnswers(ProjectStatus.IN_PROGRESS, Decimal(101), Decimal(0), "x"),
        ProgressAnswers(ProjectStatus.IN_PROGRESS, Decimal(50), Decimal(-1), "x"),
    ):
        with pytest.raises(InvalidInput):
            async with district.transaction() as repos:
                await submit_progress_report(
                    repos,
                    person=reporter,
                    round_id=round_.id,
                    project_id=project.id,
                    answers=answers,
                    expected_version=0,
                    now=NOW,
                )


async def test_a_batch_stores_what_it_can_and_returns_conflicts_with_the_stored_value(
    district: Database,
):
    first, second = await person(district, "CB05"), await person(district, "CB05", name="ครูบี")
    round_, _ = await round_and_project(district)
    async with district.transaction() as repos:
        await submit_kpi_batch(
            repos,
            person=first,
            round_id=round_.id,
            answers=[KpiAnswer(kpi_id=1, value=Decimal(60), expected_version=0)],
            now=NOW,
        )
    async with district.transaction() as repos:
        outcome = await submit_kpi_batch(
            repos,
            person=second,
            round_id=round_.id,
            answers=[
                KpiAnswer(kpi_id=1, value=Decimal(65), expected_version=0),
                KpiAnswer(kpi_id=2, value=Decimal(80), expected_version=0, evidence=(PHOTO,)),
            ],
            now=NOW,
        )
    assert [v.kpi_id for v in outcome.saved] == [2]
    [(answer, stored)] = outcome.conflicts
    assert (answer.value, stored.value, stored.submitted_by_id) == (Decimal(65), 60, first.id)
    async with district.read() as repos:
        files = (await repos.connection.execute(select(evidence.c.kpi_value_id))).all()
    assert [row.kpi_value_id for row in files] == [outcome.saved[0].id]


async def test_entries_of_another_school_are_not_found(district: Database):
    reporter, outsider = await person(district, "CB05"), await person(district, "RY01")
    round_, _ = await round_and_project(district)
    async with district.transaction() as repos:
        outcome = await submit_kpi_batch(
            repos,
            person=reporter,
            round_id=round_.id,
            answers=[KpiAnswer(kpi_id=1, value=Decimal(60), expected_version=0)],
            now=NOW,
        )
    entry_id = outcome.saved[0].id
    async with district.read() as repos:
        with pytest.raises(NotFound):
            await find_entry(
                repos, kind=EntryKind.KPI, entry_id=entry_id, school_id=outsider.school_id
            )
        found = await find_entry(
            repos, kind=EntryKind.KPI, entry_id=entry_id, school_id=reporter.school_id
        )
    assert found.current.id == entry_id
    with pytest.raises(NotFound):
        async with district.transaction() as repos:
            await correct_kpi_value(
                repos,
                person=outsider,
                kpi_value_id=entry_id,
                value=Decimal(1),
                reason="x",
                expected_version=1,
                now=NOW,
            )


async def test_return_certify_and_changed_after_certification(district: Database):
    reporter = await person(district, "CB05")
    head = await person(district, "CB05", Role.HEAD, name="ผอ.สมชาย")
    officer = await person(district, "SESAO-CBRY", Role.OFFICER, name="เจ้าหน้าที่")
    round_, _ = await round_and_project(district)
    async with district.transaction() as repos:
        saved = await submit_kpi_batch(
            repos,
            person=reporter,
            round_id=round_.id,
            answers=[KpiAnswer(kpi_id=1, value=Decimal(60), expected_version=0)],
            now=NOW,
        )
        with pytest.raises(NotAllowed):
            await certify_round(repos, person=reporter, round_id=round_.id, now=NOW)
        await certify_round(repos, person=head, round_id=round_.id, now=NOW)
    entry_id = saved.saved[0].id
    async with district.transaction() as repos:
        returned = await return_entry(
            repos,
            officer=officer,
            kind=EntryKind.KPI,
            entry_id=entry_id,
            comment="ตรวจสอบอีกครั้ง",
            now=NOW,
        )
    # the submitter has no Telegram account here, so no one is told
    assert returned.notify == ()
    later = NOW + dt.timedelta(hours=1)
    async with district.transaction() as repos:
        await correct_kpi_value(
            repos,
            person=reporter,
            kpi_value_id=entry_id,
            value=Decimal(62),
            reason="นับใหม่",
            expected_version=1,
            now=later,
        )
        view = await school_round(repos, school_id=reporter.school_id, round_=round_)
    [item] = view.changed_after_certification
    assert item.kpi is not None and item.kpi.id == 1
    assert [v.version for v in item.versions] == [1, 2]
    assert item.versions[0].return_comment == "ตรวจสอบอีกครั้ง"
    assert view.returned == ()  # the correction reopened and closed the return
    assert view.people[head.id] == "ผอ.สมชาย"
