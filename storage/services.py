"""Use cases that combine repositories in one transaction.

Each function takes the repositories of an open transaction, applies the
domain rules, and either returns the outcome or raises a
:class:`~domain.errors.UserError`. None of them knows about Telegram.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from domain import invite_codes
from domain.errors import Conflict, InvalidInput, InviteProblem, NotAllowed, NotFound
from domain.values import HUNDRED, ProjectStatus, Role, clean_text
from storage.models import Kpi, KpiValue, Person, ProgressReport, Project, Round, School
from storage.repositories import Repositories
from storage.repositories.review import Certification, EvidenceFile

DEFAULT_INVITE_TTL = dt.timedelta(days=14)


@dataclass(frozen=True, slots=True)
class IssuedInvite:
    """An invite as handed to a person: the code exists only here, never in the database."""

    invite_id: int
    school: School
    role: Role
    code: str
    expires_at: dt.datetime
    person: Person | None = None  # set for a personal invite

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
    person: Person | None = None,
) -> IssuedInvite:
    """Create an invite for one school and role.

    With ``person`` (someone listed in the plan who has not joined yet) the
    invite is personal: it registers that person, with their school and role,
    instead of adding someone new, so the plan's people and the accounts that
    report are one and the same.
    """
    if person is not None:
        if person.telegram_user_id is not None:
            raise NotAllowed("invite.person_joined", name=person.full_name)
        if not person.active:
            raise NotAllowed("invite.person_inactive", name=person.full_name)
        if person.school_id != school.id or person.role is not role:
            raise NotAllowed("invite.role_mismatch", role=role.value, school=school.name_th)
        max_uses = 1
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
        person_id=None if person is None else person.id,
    )
    await repos.audit.record(
        at=now,
        actor=actor,
        actor_person_id=None if created_by is None else created_by.id,
        action="create",
        entity="invite",
        entity_id=invite_id,
        after={
            "school": school.code,
            "role": role.value,
            "expires_at": expires_at.isoformat(),
            "person_id": None if person is None else person.id,
        },
    )
    return IssuedInvite(invite_id, school, role, code, expires_at, person)


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
    wait = invite_codes.wait_needed(state, now)
    if wait is not None:
        # slowed after a wrong code: this one is not even looked at
        return InviteProblem("invite.slow", seconds=invite_codes.seconds_to_wait(wait))

    code = invite_codes.normalize(text)
    hashed = None if code is None else invite_codes.hash_code(code)
    invite = None if hashed is None else await repos.invites.by_hash(hashed)
    # The lookup goes by the SHA-256 of the code, so its timing tells nothing about
    # the code; the final comparison is constant-time all the same.
    if invite is None or hashed is None or not invite_codes.same_hash(invite.code_hash, hashed):
        state = invite_codes.after_failure(state, now)
        await repos.invites.set_attempts(
            telegram_user_id,
            failures=state.failures,
            window_started_at=state.window_started_at,
            locked_until=state.locked_until,
        )
        if invite_codes.is_locked(state, now):
            assert state.locked_until is not None
            return InviteProblem("invite.locked", until=state.locked_until)
        wait = invite_codes.wait_needed(state, now)
        if wait is not None:
            return InviteProblem("invite.wrong_wait", seconds=invite_codes.seconds_to_wait(wait))
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
    if invite.person_id is not None:
        planned = await repos.people.get(invite.person_id)
        if planned is None or not planned.active:
            return InviteProblem("invite.revoked")
        bound = await repos.people.bind_account(
            planned.id, telegram_user_id=telegram_user_id, language=language, now=now
        )
        if bound is None:
            return InviteProblem("invite.used")
        person = bound
    else:
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


# ---------------------------------------------------------------- drafts

OPEN_FLOW_WINDOW = dt.timedelta(minutes=30)
"""A person who answered a step this recently is taken to be in the middle of a flow."""


async def open_flow_person_ids(
    repos: Repositories, *, now: dt.datetime, within: dt.timedelta = OPEN_FLOW_WINDOW
) -> set[int]:
    """People in the middle of a chat flow right now.

    Reminders are held for them until the flow ends, so a reminder never
    lands between a question and its answer. A draft left alone longer than
    ``within`` no longer counts: the person has walked away from it.
    """
    return await repos.drafts.person_ids_touched_since(now - within, now=now)


# ---------------------------------------------------------------- KPI batch


@dataclass(frozen=True, slots=True)
class KpiToReport:
    """A KPI in a /kpi batch: what the person is shown before answering."""

    kpi: Kpi
    target: Decimal
    previous: Decimal | None  # the school's value in the latest earlier round
    version: int  # the version the person starts from (0: none yet)


async def kpis_to_report(
    repos: Repositories, *, school_id: int, round_: Round
) -> list[KpiToReport]:
    """The school's outstanding KPIs in a round, each with last round's value."""
    owed = await outstanding_kpis(repos, school_id=school_id, round_=round_)
    earlier = await repos.kpi_values.latest_before_each(school_id=school_id, round_=round_)
    items = []
    for item in owed:
        previous = earlier.get(item.kpi.id)
        items.append(
            KpiToReport(item.kpi, item.target, None if previous is None else previous.value, 0)
        )
    return items


@dataclass(frozen=True, slots=True)
class KpiAnswer:
    """One answered KPI of a batch, as confirmed on the review card."""

    kpi_id: int
    value: Decimal
    expected_version: int
    note: str | None = None
    evidence: tuple[EvidenceFile, ...] = ()


@dataclass(frozen=True, slots=True)
class BatchOutcome:
    """What a confirmed batch stored, and which answers lost a race (with the stored value)."""

    saved: tuple[KpiValue, ...]
    conflicts: tuple[tuple[KpiAnswer, KpiValue], ...]


async def submit_kpi_batch(
    repos: Repositories,
    *,
    person: Person,
    round_id: int,
    answers: Sequence[KpiAnswer],
    now: dt.datetime,
) -> BatchOutcome:
    """Store a batch of KPI values in one transaction.

    An answer whose item someone else submitted after the person started is
    not stored; it comes back in ``conflicts`` with the value now stored, so
    the person sees both. Every other answer is stored with its evidence.
    """
    saved: list[KpiValue] = []
    conflicts: list[tuple[KpiAnswer, KpiValue]] = []
    for answer in answers:
        try:
            stored = await submit_kpi_value(
                repos,
                person=person,
                round_id=round_id,
                kpi_id=answer.kpi_id,
                value=answer.value,
                expected_version=answer.expected_version,
                now=now,
                note=answer.note,
            )
        except Conflict:
            current = await repos.kpi_values.current(
                school_id=person.school_id, round_id=round_id, kpi_id=answer.kpi_id
            )
            assert current is not None  # a conflict means someone stored a version
            conflicts.append((answer, current))
            continue
        for file in answer.evidence:
            await repos.evidence.add(
                school_id=person.school_id,
                file=file,
                uploaded_by_id=person.id,
                now=now,
                kpi_value_id=stored.id,
            )
        saved.append(stored)
    return BatchOutcome(tuple(saved), tuple(conflicts))


# ---------------------------------------------------------------- project progress


@dataclass(frozen=True, slots=True)
class ProjectToReport:
    """A project in /report: the project, its report so far this round, last round's."""

    project: Project
    current: ProgressReport | None
    previous: ProgressReport | None


async def projects_to_report(
    repos: Repositories, *, school_id: int, round_: Round
) -> list[ProjectToReport]:
    """Every project the school reports on in a round, reported or not, in code order."""
    items = []
    for project in await repos.plan.expected_projects(school_id=school_id, round_=round_):
        current = await repos.progress.current(project_id=project.id, round_id=round_.id)
        previous = await repos.progress.latest_before(project_id=project.id, round_=round_)
        items.append(ProjectToReport(project, current, previous))
    return items


@dataclass(frozen=True, slots=True)
class ProgressAnswers:
    """The answers of a progress report."""

    status: ProjectStatus
    percent_complete: Decimal
    budget_spent: Decimal
    outputs: str | None = None
    problems: str | None = None
    suggestions: str | None = None


async def submit_progress_report(
    repos: Repositories,
    *,
    person: Person,
    round_id: int,
    project_id: int,
    answers: ProgressAnswers,
    expected_version: int,
    now: dt.datetime,
    reason: str | None = None,
    evidence: Sequence[EvidenceFile] = (),
) -> ProgressReport:
    """Store a project's progress report for a round as the next version.

    ``expected_version`` is the version the person started from (0 for
    none): if someone else submitted in between, nothing is stored and
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
        project.id
        for project in await repos.plan.expected_projects(school_id=person.school_id, round_=round_)
    }
    if project_id not in expected:
        raise NotFound("reporting.report.not_expected")
    if not HUNDRED >= answers.percent_complete >= 0:
        raise InvalidInput("value.percent_over_100", value=str(answers.percent_complete))
    if answers.budget_spent < 0:
        raise InvalidInput("money.negative")
    current = await repos.progress.current(project_id=project_id, round_id=round_id)
    if (0 if current is None else current.version) != expected_version:
        raise Conflict("reporting.report.changed")
    stored = await repos.progress.add_version(
        project_id=project_id,
        round_id=round_id,
        status=answers.status,
        percent_complete=answers.percent_complete,
        budget_spent=answers.budget_spent,
        submitted_by_id=person.id,
        now=now,
        outputs=answers.outputs,
        problems=answers.problems,
        suggestions=answers.suggestions,
        reason=reason,
    )
    for file in evidence:
        await repos.evidence.add(
            school_id=person.school_id,
            file=file,
            uploaded_by_id=person.id,
            now=now,
            progress_report_id=stored.id,
        )
    await repos.audit.record(
        at=now,
        actor_person_id=person.id,
        action="submit" if stored.version == 1 else "correct",
        entity="progress_report",
        entity_id=stored.id,
        before=None if current is None else _progress_json(current),
        after={**_progress_json(stored), "reason": reason, "evidence": len(evidence)},
    )
    return stored


def _progress_json(report: ProgressReport) -> dict[str, object]:
    return {
        "version": report.version,
        "status": report.status.value,
        "percent_complete": str(report.percent_complete),
        "budget_spent": str(report.budget_spent),
    }


# ---------------------------------------------------------------- entries by id


class EntryKind(StrEnum):
    """The two kinds of entry a school submits (as callback data names them)."""

    KPI = "kv"
    PROJECT = "pr"


@dataclass(frozen=True, slots=True)
class EntryRef:
    """A submitted entry found by id: its current version and what it is about."""

    kind: EntryKind
    current: KpiValue | ProgressReport
    school_id: int
    round: Round
    kpi: Kpi | None
    target: Decimal | None
    project: Project | None

    @property
    def subject_id(self) -> int:
        """The KPI's or the project's id."""
        if self.kpi is not None:
            return self.kpi.id
        assert self.project is not None
        return self.project.id

    def name(self, lang: str) -> str:
        """What the entry is about, in the person's language."""
        if self.kpi is not None:
            return self.kpi.name(lang)
        assert self.project is not None
        return self.project.name


async def find_entry(
    repos: Repositories, *, kind: EntryKind, entry_id: int, school_id: int | None
) -> EntryRef:
    """The entry an id names, at its current version.

    With ``school_id`` (school staff) an entry of another school reads as not
    found: callback data is never trusted to stay inside the person's school.
    """
    if kind is EntryKind.KPI:
        found = await repos.entry_history.kpi_value(entry_id)
        if found is None or (school_id is not None and found.school_id != school_id):
            raise NotFound("reporting.entry.not_found")
        current = await repos.kpi_values.current(
            school_id=found.school_id, round_id=found.round_id, kpi_id=found.kpi_id
        )
        round_ = await repos.plan.round(found.round_id)
        kpi = await repos.plan.kpi(found.kpi_id)
        assert current is not None and round_ is not None and kpi is not None
        targets = dict(
            (k.id, target)
            for k, target in await repos.plan.expected_kpis(
                school_id=found.school_id, round_=round_
            )
        )
        return EntryRef(
            kind, current, found.school_id, round_, kpi, targets.get(kpi.id), project=None
        )
    report = await repos.entry_history.progress_report(entry_id)
    project = None if report is None else await repos.plan.project(report.project_id)
    if (
        report is None
        or project is None
        or (school_id is not None and project.school_id != school_id)
    ):
        raise NotFound("reporting.entry.not_found")
    latest = await repos.progress.current(project_id=report.project_id, round_id=report.round_id)
    round_ = await repos.plan.round(report.round_id)
    assert latest is not None and round_ is not None
    return EntryRef(kind, latest, project.school_id, round_, None, None, project)


# ---------------------------------------------------------------- corrections


def _reason_text(reason: str) -> str:
    return clean_text(reason)


async def correct_kpi_value(
    repos: Repositories,
    *,
    person: Person,
    kpi_value_id: int,
    value: Decimal,
    reason: str,
    expected_version: int,
    now: dt.datetime,
    note: str | None = None,
) -> KpiValue:
    """Correct a submitted KPI value: a new version with the reason; nothing is overwritten."""
    entry = await find_entry(
        repos, kind=EntryKind.KPI, entry_id=kpi_value_id, school_id=person.school_id
    )
    assert entry.kpi is not None
    current = entry.current
    assert isinstance(current, KpiValue)
    return await submit_kpi_value(
        repos,
        person=person,
        round_id=entry.round.id,
        kpi_id=entry.kpi.id,
        value=value,
        expected_version=expected_version,
        now=now,
        note=current.note if note is None else note,
        reason=_reason_text(reason),
    )


async def correct_progress_report(
    repos: Repositories,
    *,
    person: Person,
    report_id: int,
    answers: ProgressAnswers,
    reason: str,
    expected_version: int,
    now: dt.datetime,
) -> ProgressReport:
    """Correct a submitted progress report: a new version with the reason."""
    entry = await find_entry(
        repos, kind=EntryKind.PROJECT, entry_id=report_id, school_id=person.school_id
    )
    assert entry.project is not None
    return await submit_progress_report(
        repos,
        person=person,
        round_id=entry.round.id,
        project_id=entry.project.id,
        answers=answers,
        expected_version=expected_version,
        now=now,
        reason=_reason_text(reason),
    )


# ---------------------------------------------------------------- returns


@dataclass(frozen=True, slots=True)
class ReturnedEntry:
    """An entry an officer sent back, and who at the school is told."""

    entry: EntryRef
    school: School
    notify: tuple[Person, ...]


async def return_entry(
    repos: Repositories,
    *,
    officer: Person,
    kind: EntryKind,
    entry_id: int,
    comment: str,
    now: dt.datetime,
) -> ReturnedEntry:
    """Send an entry back to its school with a comment; it stays open until corrected.

    The current version is marked; the person who submitted it is told, or
    every active member of the school's staff when that person cannot be.
    """
    if not officer.active or not officer.role.is_district:
        raise NotAllowed("access.officers_only")
    text = clean_text(comment)
    entry = await find_entry(repos, kind=kind, entry_id=entry_id, school_id=None)
    if entry.current.returned_at is not None:
        raise Conflict("reporting.return.already")
    if kind is EntryKind.KPI:
        await repos.entry_history.return_kpi_value(
            entry.current.id, returned_by_id=officer.id, comment=text, now=now
        )
    else:
        await repos.entry_history.return_progress_report(
            entry.current.id, returned_by_id=officer.id, comment=text, now=now
        )
    await repos.audit.record(
        at=now,
        actor_person_id=officer.id,
        action="return",
        entity="kpi_value" if kind is EntryKind.KPI else "progress_report",
        entity_id=entry.current.id,
        after={"comment": text},
    )
    school = await repos.schools.get(entry.school_id)
    assert school is not None
    staff = [
        person
        for person in await repos.people.list(
            school_id=entry.school_id, roles=(Role.REPORTER, Role.HEAD), joined_only=True
        )
    ]
    submitter = [person for person in staff if person.id == entry.current.submitted_by_id]
    return ReturnedEntry(entry, school, tuple(submitter or staff))


# ---------------------------------------------------------------- a school's round


@dataclass(frozen=True, slots=True)
class HistoryItem:
    """One item of a school's round (a KPI or a project) with every version submitted."""

    kind: EntryKind
    kpi: Kpi | None
    project: Project | None
    versions: tuple[KpiValue | ProgressReport, ...]

    @property
    def current(self) -> KpiValue | ProgressReport | None:
        """The latest version, if any."""
        return self.versions[-1] if self.versions else None

    def name(self, lang: str) -> str:
        """What the item is about, in the person's language."""
        if self.kpi is not None:
            return self.kpi.name(lang)
        assert self.project is not None
        return self.project.name


@dataclass(frozen=True, slots=True)
class SchoolRound:
    """A school's round as its head and its staff see it."""

    round: Round
    school: School
    items: tuple[HistoryItem, ...]
    certifications: tuple[Certification, ...]
    people: dict[int, str]  # person id → full name, for who submitted or returned

    @property
    def expected(self) -> int:
        return len(self.items)

    @property
    def submitted(self) -> int:
        return sum(1 for item in self.items if item.versions)

    @property
    def missing(self) -> tuple[HistoryItem, ...]:
        return tuple(item for item in self.items if not item.versions)

    @property
    def returned(self) -> tuple[HistoryItem, ...]:
        """Items whose current version an officer sent back."""
        return tuple(
            item
            for item in self.items
            if item.current is not None and item.current.returned_at is not None
        )

    @property
    def certified(self) -> Certification | None:
        """The latest certification, if any."""
        return self.certifications[-1] if self.certifications else None

    def after_certification(self, version: KpiValue | ProgressReport) -> bool:
        """Whether a version came in after the round was first certified."""
        first = self.certifications[0] if self.certifications else None
        return first is not None and version.submitted_at > first.certified_at

    @property
    def changed_after_certification(self) -> tuple[HistoryItem, ...]:
        """Items with a version submitted after the round was first certified."""
        return tuple(
            item for item in self.items if any(self.after_certification(v) for v in item.versions)
        )


async def school_round(repos: Repositories, *, school_id: int, round_: Round) -> SchoolRound:
    """Everything a school owes in a round, with every version submitted and certifications."""
    school = await repos.schools.get(school_id)
    if school is None:
        raise NotFound("reporting.entry.not_found")
    values: dict[int, list[KpiValue]] = {}
    for value in await repos.entry_history.kpi_values_of(school_id=school_id, round_id=round_.id):
        values.setdefault(value.kpi_id, []).append(value)
    reports: dict[int, list[ProgressReport]] = {}
    for report in await repos.entry_history.progress_reports_of(
        school_id=school_id, round_id=round_.id
    ):
        reports.setdefault(report.project_id, []).append(report)
    items: list[HistoryItem] = [
        HistoryItem(EntryKind.PROJECT, None, project, tuple(reports.get(project.id, ())))
        for project in await repos.plan.expected_projects(school_id=school_id, round_=round_)
    ]
    items += [
        HistoryItem(EntryKind.KPI, kpi, None, tuple(values.get(kpi.id, ())))
        for kpi, _ in await repos.plan.expected_kpis(school_id=school_id, round_=round_)
    ]
    certified = await repos.certifications.of_school_round(school_id=school_id, round_id=round_.id)
    person_ids = {v.submitted_by_id for item in items for v in item.versions}
    person_ids |= {v.returned_by_id for item in items for v in item.versions if v.returned_by_id}
    person_ids |= {c.certified_by_id for c in certified}
    people: dict[int, str] = {}
    for person_id in sorted(person_ids):
        found = await repos.people.get(person_id)
        if found is not None:
            people[person_id] = found.full_name
    return SchoolRound(round_, school, tuple(items), tuple(certified), people)


async def certify_round(
    repos: Repositories,
    *,
    person: Person,
    round_id: int,
    now: dt.datetime,
    note: str | None = None,
) -> Certification:
    """The school head certifies the school's submission for a round."""
    if not person.active or person.role is not Role.HEAD:
        raise NotAllowed("reporting.certify.heads_only")
    round_ = await repos.plan.round(round_id)
    if round_ is None:
        raise NotFound("kpi.round_gone")
    certification = await repos.certifications.add(
        school_id=person.school_id,
        round_id=round_.id,
        certified_by_id=person.id,
        now=now,
        note=note,
    )
    await repos.audit.record(
        at=now,
        actor_person_id=person.id,
        action="certify",
        entity="certification",
        entity_id=certification.id,
        after={"school_id": person.school_id, "round": round_.code},
    )
    return certification
