"""People management: list, deactivate, reactivate, change role, who has not joined.

Used by the ``tidtam people`` commands and by administrators in chat. Every
change is audited with the state before and after. Nobody is ever deleted:
a deactivated person keeps their history and can be reactivated. In chat an
administrator cannot change their own account, so an office always keeps an
administrator who can undo a mistake.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from domain.errors import NotAllowed, NotFound
from domain.values import Role
from storage.models import Person, School
from storage.repositories import Repositories
from storage.repositories.people_admin import PersonEntry


@dataclass(frozen=True, slots=True)
class NotJoined:
    """Who has not joined: schools without a registered person, plan people without an account."""

    schools: tuple[School, ...]
    people: tuple[PersonEntry, ...]


@dataclass(frozen=True, slots=True)
class PersonChange:
    """The outcome of a change: the person after it, and whether anything changed."""

    person: PersonEntry
    changed: bool


async def list_people(
    repos: Repositories,
    *,
    school_code: str | None = None,
    role: Role | None = None,
    include_inactive: bool = True,
) -> list[PersonEntry]:
    """People, optionally of one school (or the office) and one role."""
    school_id = None
    if school_code is not None:
        school = await repos.schools.by_code(school_code)
        if school is None:
            raise NotFound("cli.unknown_school", code=school_code)
        school_id = school.id
    return await repos.people_admin.entries(
        school_id=school_id,
        roles=None if role is None else (role,),
        active=None if include_inactive else True,
    )


async def find_person(repos: Repositories, reference: str) -> PersonEntry:
    """A person by id number or by plan code."""
    text = reference.strip()
    person_id = int(text) if text.isdigit() else await repos.people_admin.id_by_code(text)
    entry = None if person_id is None else await repos.people_admin.entry(person_id)
    if entry is None:
        raise NotFound("onboarding.people.not_found", reference=text)
    return entry


async def not_joined(repos: Repositories) -> NotJoined:
    """Active schools where nobody has joined, and active plan people without an account."""
    schools = await repos.people_admin.schools_without_members()
    people = await repos.people_admin.entries(active=True, joined=False)
    return NotJoined(tuple(schools), tuple(people))


def _check_actor(actor_person: Person | None, person_id: int) -> None:
    if actor_person is None:
        return  # the command line: the server's operator
    if actor_person.role is not Role.ADMIN or not actor_person.active:
        raise NotAllowed("onboarding.people.admins_only")
    if actor_person.id == person_id:
        raise NotAllowed("onboarding.people.not_self")


async def set_active(
    repos: Repositories,
    *,
    person_id: int,
    active: bool,
    now: dt.datetime,
    actor_person: Person | None = None,
    actor: str = "cli",
) -> PersonChange:
    """Deactivate (``active=False``) or reactivate a person; audited."""
    _check_actor(actor_person, person_id)
    entry = await repos.people_admin.entry(person_id)
    if entry is None:
        raise NotFound("onboarding.people.not_found", reference=str(person_id))
    if entry.active == active:
        return PersonChange(entry, changed=False)
    await repos.people_admin.set_active(person_id, active, now=now)
    await repos.audit.record(
        at=now,
        actor=actor,
        actor_person_id=None if actor_person is None else actor_person.id,
        action="reactivate" if active else "deactivate",
        entity="person",
        entity_id=person_id,
        before={"active": entry.active},
        after={"active": active},
    )
    changed = await repos.people_admin.entry(person_id)
    assert changed is not None
    return PersonChange(changed, changed=True)


async def change_role(
    repos: Repositories,
    *,
    person_id: int,
    role: Role,
    now: dt.datetime,
    actor_person: Person | None = None,
    actor: str = "cli",
) -> PersonChange:
    """Give a person another role that fits their school or the office; audited."""
    _check_actor(actor_person, person_id)
    entry = await repos.people_admin.entry(person_id)
    if entry is None:
        raise NotFound("onboarding.people.not_found", reference=str(person_id))
    school = await repos.schools.get(entry.school_id)
    assert school is not None
    if role.is_district != (school.kind == "office"):
        raise NotAllowed("onboarding.people.role_mismatch", role=role.value, school=school.name_th)
    if entry.role is role:
        return PersonChange(entry, changed=False)
    await repos.people_admin.set_role(person_id, role, now=now)
    await repos.audit.record(
        at=now,
        actor=actor,
        actor_person_id=None if actor_person is None else actor_person.id,
        action="change_role",
        entity="person",
        entity_id=person_id,
        before={"role": entry.role.value},
        after={"role": role.value},
    )
    changed = await repos.people_admin.entry(person_id)
    assert changed is not None
    return PersonChange(changed, changed=True)


def roles_for(school: School) -> tuple[Role, ...]:
    """The roles a person of this school (or the office) can have."""
    if school.kind == "office":
        return (Role.OFFICER, Role.ADMIN)
    return (Role.REPORTER, Role.HEAD)
