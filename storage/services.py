"""Use cases that combine repositories in one transaction.

Each function takes the repositories of an open transaction, applies the
domain rules, and either returns the outcome or raises a
:class:`~domain.errors.UserError`. None of them knows about Telegram.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from domain import invite_codes
from domain.errors import Conflict, InviteProblem, NotAllowed, NotFound
from domain.values import Role
from storage.models import Kpi, KpiValue, Person, Project, Round, School
from storage.repositories import Repositories

DEFAULT_INVITE_TTL = dt.timedelta(days=14)


@dataclass(frozen=True, slots=True)
class IssuedInvite:
    """An invite as handed to a person: the code exists only here, never in the database."""

    invite_id: int
    school: School
    role: Role
    code: str
    expires_at: dt.datetime

    def link(self, bot_username: str) -> str:
        """The deep link that registers whoever opens it."""
        return f"https://t.me/{bot_username}?start={self.code}"


async def issue_invite(
    repos: Repositories,
    *,
    school: School,
    role: Role,
    now: dt.datetime,
    ttl: dt.timedelta = DEFAULT_INVITE_TTL,
    max_uses: int = 1,
    created_by: Person | None = None,
    actor: str = "cli",
) -> IssuedInvite:
    """Create an invite for one school and role."""
    if role.is_district != (school.kind == "office"):
        raise NotAllowed("invite.role_mismatch", role=role.value, school=school.name_th)
    code = invite_codes.new_code()
    expires_at = now + ttl
    invite_id = await repos.invites.create(
        code_hash=invite_codes.hash_code(code),
        school_id=school.id,
        role=role,
        expires_at=expires_at,
        now=now,
        max_uses=max_uses,
        created_by_id=None if created_by is None else created_by.id,
    )
    await repos.audit.record(
        at=now,
        actor=actor,
        actor_person_id=None if created_by is None else created_by.id,
        action="create",
        entity="invite",
        entity_id=invite_id,
        after={"school": school.code, "role": role.value, "expires_at": expires_at.isoformat()},
    )
    return IssuedInvite(invite_id, school, role, code, expires_at)


@dataclass(frozen=True, slots=True)
class Registration:
    """A person bound to a school and role by an invite."""

    person: Person
    school: School


async def redeem_invite(
    repos: Repositories,
    *,
    text: str,
    telegram_user_id: int,
    full_name: str,
    language: str,
    now: dt.datetime,
) -> Registration | InviteProblem:
    """Register a Telegram account with an invite code.

    Returns the problem instead of raising it, so that the caller commits the
    failure count even though the registration did not happen.
    """
    existing = await repos.people.by_telegram_id(telegram_user_id)
    if existing is not None:
        school = await repos.schools.get(existing.school_id)
        assert school is not None
        return InviteProblem("invite.already_registered", school=school.name(language))

    previous = await repos.invites.attempts(telegram_user_id)
    state = None if previous is None else invite_codes.AttemptState(*previous)
    if invite_codes.is_locked(state, now):
        assert state is not None and state.locked_until is not None
        return InviteProblem("invite.locked", until=state.locked_until)

    code = invite_codes.normalize(text)
    invite = None if code is None else await repos.invites.by_hash(invite_codes.hash_code(code))
    if invite is None:
        state = invite_codes.after_failure(state, now)
        await repos.invites.set_attempts(
            telegram_user_id,
            failures=state.failures,
            window_started_at=state.window_started_at,
            locked_until=state.locked_until,
        )
        if state.locked_until is not None:
            return InviteProblem("invite.locked", until=state.locked_until)
        return InviteProblem("invite.wrong")
    if invite.revoked_at is not None:
        return InviteProblem("invite.revoked")
    if now >= invite.expires_at:
        return InviteProblem("invite.expired", expired_at=invite.expires_at)
    if invite.use_count >= invite.max_uses:
        return InviteProblem("invite.used")

    school = await repos.schools.get(invite.school_id)
    assert school is not None
    if not school.active:
        return InviteProblem("invite.revoked")
    person = await repos.people.create(
        full_name=full_name,
        role=invite.role,
        school_id=school.id,
        telegram_user_id=telegram_user_id,
        language=language,
        now=now,
    )
    if not await repos.invites.use(invite.id, person.id, now=now):
        raise InviteProblem("invite.used")  # lost a race for the last use: roll back
    await repos.invites.clear_attempts(telegram_user_id)
    await repos.audit.record(
        at=now,
        actor_person_id=person.id,
        action="register",
        entity="person",
        entity_id=person.id,
        after={"school": school.code, "role": invite.role.value, "invite_id": invite.id},
    )
    return Registration(person, school)


@dataclass(frozen=True, slots=True)
class OutstandingKpi:
    """A KPI a school still owes in a round."""

    kpi: Kpi
    target: Decimal


@dataclass(frozen=True, slots=True)
class Outstanding:
    """Everything a school still owes in a round: project reports and KPI values."""

    round: Round
    projects: tuple[Project, ...]
    kpis: tuple[OutstandingKpi, ...]

    @property
    def count(self) -> int:
        return len(self.projects) + len(self.kpis)

    def __bool__(self) -> bool:
        return self.count > 0


async def outstanding_items(repos: Repositories, *, school_id: int, round_: Round) -> Outstanding:
    """What a school has not yet submitted in a round (reminders and /status list this)."""
    expected_projects = await repos.plan.expected_projects(school_id=school_id, round_=round_)
    reported = await repos.progress.reported_project_ids(school_id=school_id, round_id=round_.id)
    kpis = await outstanding_kpis(repos, school_id=school_id, round_=round_)
    return Outstanding(
        round_,
        tuple(project for project in expected_projects if project.id not in reported),
        tuple(kpis),
    )


async def outstanding_kpis(
    repos: Repositories, *, school_id: int, round_: Round
) -> list[OutstandingKpi]:
    """KPIs owed by a school in a round that have no value yet, in plan order."""
    expected = await repos.plan.expected_kpis(school_id=school_id, round_=round_)
    submitted = await repos.kpi_values.submitted_kpi_ids(school_id=school_id, round_id=round_.id)
    return [OutstandingKpi(kpi, target) for kpi, target in expected if kpi.id not in submitted]


async def submit_kpi_value(
    repos: Repositories,
    *,
    person: Person,
    round_id: int,
    kpi_id: int,
    value: Decimal,
    expected_version: int,
    now: dt.datetime,
    note: str | None = None,
    reason: str | None = None,
) -> KpiValue:
    """Store a school's value for a KPI in a round as the next version.

    ``expected_version`` is the version the person saw when they started (0
    for none): if someone else submitted in between, nothing is stored and
    :class:`Conflict` says so.
    """
    if not person.active or not person.role.is_school_staff:
        raise NotAllowed("access.staff_only")
    round_ = await repos.plan.round(round_id)
    if round_ is None:
        raise NotFound("kpi.round_gone")
    if not round_.is_open(now):
        raise NotAllowed("kpi.round_closed", round=round_.name_th)
    expected = {
        kpi.id
        for kpi, _ in await repos.plan.expected_kpis(school_id=person.school_id, round_=round_)
    }
    if kpi_id not in expected:
        raise NotFound("kpi.not_expected")
    current = await repos.kpi_values.current(
        school_id=person.school_id, round_id=round_id, kpi_id=kpi_id
    )
    if (0 if current is None else current.version) != expected_version:
        raise Conflict("kpi.changed_meanwhile")
    stored = await repos.kpi_values.add_version(
        school_id=person.school_id,
        round_id=round_id,
        kpi_id=kpi_id,
        value=value,
        submitted_by_id=person.id,
        now=now,
        note=note,
        reason=reason,
    )
    await repos.audit.record(
        at=now,
        actor_person_id=person.id,
        action="submit" if stored.version == 1 else "correct",
        entity="kpi_value",
        entity_id=stored.id,
        before=None
        if current is None
        else {"value": str(current.value), "version": current.version},
        after={"value": str(stored.value), "version": stored.version, "note": note},
    )
    return stored
