"""People management use cases: every change audited, rules about roles and oneself."""

from __future__ import annotations

import pytest

from domain.errors import NotAllowed, NotFound
from domain.values import Role
from storage.people_admin import change_role, find_person, list_people, not_joined, set_active
from storage.sample import OFFICE_CODE, load_sample


@pytest.fixture
async def district(database, clock):
    """The sample district with an admin, an officer, a joined reporter and a plan person."""
    async with database.transaction() as repos:
        await load_sample(repos, now=clock())
        office = await repos.schools.by_code(OFFICE_CODE)
        cb05 = await repos.schools.by_code("CB05")
        admin = await repos.people.create(
            full_name="ผู้ดูแล", role=Role.ADMIN, school_id=office.id, now=clock(), telegram_user_id=1
        )
        officer = await repos.people.create(
            full_name="เจ้าหน้าที่",
            role=Role.OFFICER,
            school_id=office.id,
            now=clock(),
            telegram_user_id=2,
        )
        reporter = await repos.people.create(
            full_name="ครูมานี",
            role=Role.REPORTER,
            school_id=cb05.id,
            now=clock(),
            telegram_user_id=3,
        )
        planned = await repos.people.create(
            full_name="ครูวีระ", role=Role.HEAD, school_id=cb05.id, now=clock(), code="T-CB05"
        )
    return {"admin": admin, "officer": officer, "reporter": reporter, "planned": planned}


async def test_deactivate_and_reactivate_are_audited_with_before_and_after(
    database, clock, district
):
    reporter = district["reporter"]
    async with database.transaction() as repos:
        outcome = await set_active(
            repos,
            person_id=reporter.id,
            active=False,
            now=clock(),
            actor_person=district["admin"],
            actor="person",
        )
    assert outcome.changed and not outcome.person.active
    async with database.transaction() as repos:
        again = await set_active(repos, person_id=reporter.id, active=False, now=clock())
        assert not again.changed
        back = await set_active(repos, person_id=reporter.id, active=True, now=clock())
        entries = await repos.audit.entries(entity="person")
        stored = await repos.people.get(reporter.id)
    assert back.changed and stored.active
    actions = [
        (e["action"], e["before"], e["after"])
        for e in entries
        if e["entity_id"] == str(reporter.id)
    ]
    assert ("deactivate", {"active": True}, {"active": False}) in actions
    assert ("reactivate", {"active": False}, {"active": True}) in actions


async def test_a_role_must_fit_the_school_and_a_change_is_audited(database, clock, district):
    async with database.transaction() as repos:
        with pytest.raises(NotAllowed) as caught:
            await change_role(
                repos, person_id=district["reporter"].id, role=Role.OFFICER, now=clock()
            )
        assert caught.value.key == "onboarding.people.role_mismatch"
        outcome = await change_role(
            repos, person_id=district["reporter"].id, role=Role.HEAD, now=clock()
        )
        entries = await repos.audit.entries(entity="person")
    assert outcome.changed and outcome.person.role is Role.HEAD
    assert entries[0]["action"] == "change_role"
    assert (entries[0]["before"], entries[0]["after"]) == ({"role": "reporter"}, {"role": "head"})


async def test_in_chat_only_an_admin_may_change_people_and_never_their_own_account(
    database, clock, district
):
    async with database.transaction() as repos:
        with pytest.raises(NotAllowed) as by_officer:
            await set_active(
                repos,
                person_id=district["reporter"].id,
                active=False,
                now=clock(),
                actor_person=district["officer"],
            )
        with pytest.raises(NotAllowed) as by_self:
            await set_active(
                repos,
                person_id=district["admin"].id,
                active=False,
                now=clock(),
                actor_person=district["admin"],
            )
        stored = await repos.people.get(district["reporter"].id)
    assert by_officer.value.key == "onboarding.people.admins_only"
    assert by_self.value.key == "onboarding.people.not_self"
    assert stored.active


async def test_listing_by_school_and_role_and_finding_by_id_or_code(database, district):
    async with database.read() as repos:
        at_cb05 = await list_people(repos, school_code="CB05")
        heads = await list_people(repos, school_code="CB05", role=Role.HEAD)
        by_code = await find_person(repos, "T-CB05")
        by_id = await find_person(repos, str(district["reporter"].id))
        with pytest.raises(NotFound):
            await find_person(repos, "nobody")
    assert [p.full_name for p in at_cb05] == ["ครูวีระ", "ครูมานี"]  # heads before reporters
    assert [p.full_name for p in heads] == ["ครูวีระ"]
    assert by_code.id == district["planned"].id and by_id.full_name == "ครูมานี"


async def test_not_joined_lists_schools_without_anyone_and_plan_people_without_account(
    database, district
):
    async with database.read() as repos:
        waiting = await not_joined(repos)
    codes = [school.code for school in waiting.schools]
    assert "CB05" not in codes and "CB01" in codes and len(codes) == 50
    assert [person.full_name for person in waiting.people] == ["ครูวีระ"]
