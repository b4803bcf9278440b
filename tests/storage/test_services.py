"""Use cases: issuing and redeeming invites, submitting KPI values."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from domain import invite_codes
from domain.errors import Conflict, InviteProblem, NotAllowed, NotFound
from domain.values import Role
from storage.database import Database
from storage.sample import OFFICE_CODE, load_sample
from storage.schema import invites, kpi_values
from storage.services import Registration, issue_invite, redeem_invite, submit_kpi_value

NOW = dt.datetime(2027, 1, 5, 2, 0, tzinfo=dt.UTC)


@pytest.fixture
async def district(database: Database) -> Database:
    async with database.transaction() as repos:
        await load_sample(repos, now=NOW)
    return database


async def issue(db: Database, school: str = "CB01", role: Role = Role.REPORTER, **kw) -> str:
    async with db.transaction() as repos:
        found = await repos.schools.by_code(school)
        assert found is not None
        return (await issue_invite(repos, school=found, role=role, now=NOW, **kw)).code


async def redeem(db: Database, text: str, user: int, now: dt.datetime = NOW):
    async with db.transaction() as repos:
        return await redeem_invite(
            repos, text=text, telegram_user_id=user, full_name="ครู", language="th", now=now
        )


async def test_codes_carry_at_least_64_bits_and_only_their_hash_is_stored(district: Database):
    code = await issue(district)
    assert invite_codes.RANDOM_BITS >= 64 and len(code) == invite_codes.LENGTH
    async with district.read() as repos:
        stored = (await repos.connection.execute(select(invites.c.code_hash))).scalars().all()
    assert code not in stored
    assert stored == [invite_codes.hash_code(code)]


async def test_a_code_registers_once_and_then_reads_as_used(district: Database):
    code = await issue(district)
    first = await redeem(district, code, 1)
    second = await redeem(district, code, 2)
    assert isinstance(first, Registration) and first.school.code == "CB01"
    assert isinstance(second, InviteProblem) and second.key == "invite.used"


async def test_a_multi_use_code_registers_as_many_as_allowed(district: Database):
    code = await issue(district, max_uses=2)
    assert isinstance(await redeem(district, code, 1), Registration)
    assert isinstance(await redeem(district, code, 2), Registration)
    third = await redeem(district, code, 3)
    assert isinstance(third, InviteProblem) and third.key == "invite.used"


async def test_an_expired_code_is_refused(district: Database):
    code = await issue(district, ttl=dt.timedelta(days=14))
    outcome = await redeem(district, code, 1, now=NOW + dt.timedelta(days=14))
    assert isinstance(outcome, InviteProblem) and outcome.key == "invite.expired"


async def test_wrong_codes_slow_the_account_down_then_lock_it(district: Database):
    code = await issue(district)
    wrong = "2222-2222-2222-2222"
    first = await redeem(district, wrong, 9)
    assert isinstance(first, InviteProblem) and first.key == "invite.wrong"
    # a second try at once is fine (a person mistyped); the miss slows the next one
    second = await redeem(district, wrong, 9)
    assert (second.key, second.params) == ("invite.wrong_wait", {"seconds": 10})
    # during the wait even the right code is not looked at, and the wait is not reset
    early = await redeem(district, code, 9, now=NOW + dt.timedelta(seconds=4))
    assert (early.key, early.params) == ("invite.slow", {"seconds": 6})
    now = NOW + dt.timedelta(seconds=10)
    third = await redeem(district, wrong, 9, now=now)
    assert (third.key, third.params) == ("invite.wrong_wait", {"seconds": 30})
    now += dt.timedelta(seconds=30)
    fourth = await redeem(district, wrong, 9, now=now)
    assert (fourth.key, fourth.params) == ("invite.wrong_wait", {"seconds": 60})
    now += dt.timedelta(seconds=60)
    locked = await redeem(district, wrong, 9, now=now)
    assert isinstance(locked, InviteProblem) and locked.key == "invite.locked"
    assert locked.params["until"] == now + invite_codes.LOCK_DURATION
    still = await redeem(district, code, 9, now=now + dt.timedelta(minutes=5))
    assert isinstance(still, InviteProblem) and still.key == "invite.locked"
    later = await redeem(
        district, code, 9, now=now + invite_codes.LOCK_DURATION + dt.timedelta(seconds=1)
    )
    assert isinstance(later, Registration)
    async with district.read() as repos:
        assert await repos.invites.attempts(9) is None  # registering forgets the misses


async def test_misses_far_apart_never_slow_a_person_down_much(district: Database):
    code = await issue(district)
    now = NOW
    for _ in range(invite_codes.MAX_FAILURES + 2):
        outcome = await redeem(district, "2222-2222-2222-2222", 9, now=now)
        assert isinstance(outcome, InviteProblem) and outcome.key == "invite.wrong"
        now += invite_codes.FAILURE_WINDOW + dt.timedelta(seconds=1)
    assert isinstance(await redeem(district, code, 9, now=now), Registration)


async def test_officer_invites_belong_to_the_office_only(district: Database):
    with pytest.raises(NotAllowed):
        await issue(district, "CB01", Role.OFFICER)
    code = await issue(district, OFFICE_CODE, Role.OFFICER)
    outcome = await redeem(district, code, 5)
    assert isinstance(outcome, Registration) and outcome.person.role is Role.OFFICER


async def registered_reporter(db: Database, school: str = "CB01"):
    outcome = await redeem(db, await issue(db, school), 100 + len(school))
    assert isinstance(outcome, Registration)
    return outcome.person


async def submit(
    db: Database, person, kpi_id: int = 1, value: str = "70", expected_version: int = 0
):
    async with db.transaction() as repos:
        round_ = (await repos.plan.rounds())[0]
        return await submit_kpi_value(
            repos,
            person=person,
            round_id=round_.id,
            kpi_id=kpi_id,
            value=Decimal(value),
            expected_version=expected_version,
            now=NOW,
        )


async def test_a_second_submission_from_a_stale_screen_is_a_conflict_and_stores_nothing(
    district: Database,
):
    person = await registered_reporter(district)
    first = await submit(district, person)
    assert first.version == 1
    with pytest.raises(Conflict):
        await submit(district, person, value="80", expected_version=0)
    correction = await submit(district, person, value="80", expected_version=1)
    assert correction.version == 2
    async with district.read() as repos:
        values = (
            (
                await repos.connection.execute(
                    select(kpi_values.c.value).order_by(kpi_values.c.version)
                )
            )
            .scalars()
            .all()
        )
    assert values == [Decimal(70), Decimal(80)]


async def test_a_kpi_the_school_does_not_owe_is_not_found(district: Database):
    person = await registered_reporter(district)
    with pytest.raises(NotFound):
        await submit(district, person, kpi_id=4)  # annual, not due in this round
    async with district.read() as repos:
        count = (
            await repos.connection.execute(select(func.count()).select_from(kpi_values))
        ).scalar_one()
    assert count == 0


async def test_officers_cannot_submit_school_values(district: Database):
    outcome = await redeem(district, await issue(district, OFFICE_CODE, Role.OFFICER), 77)
    assert isinstance(outcome, Registration)
    with pytest.raises(NotAllowed):
        await submit(district, outcome.person)
