"""Deciding what is due at a moment: who gets which reminder, and why.

:func:`plan_pass` only reads. The same plan drives ``tidtam remind
--dry-run`` and a real pass, so what the dry run lists for a moment is what
a pass at that moment sends.

Per open round and per person (reporters and school heads of schools that
still owe something): the latest ladder step that is due for the person's
role is the one to send; earlier steps never sent are superseded (recorded
as skipped, so downtime does not end in a flood). A person in the middle of
a flow gets the reminder held until the flow ends or the hold has lasted the
configured maximum. Officers get the daily digest of late schools.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from zoneinfo import ZoneInfo

from domain.calendar import BANGKOK
from domain.errors import InvalidInput
from domain.i18n import Html, Lang, as_language
from domain.values import Role
from scheduler.calendar import DEFAULT_REMINDER_TIME, OfficeCalendar, Override
from scheduler.ladder import (
    DEFAULT_LADDER,
    ScheduledStep,
    StepKind,
    digest_due,
    digest_key,
    latest_due,
    parse_ladder,
    schedule,
)
from scheduler.messages import Tone, digest_texts, reminder_buttons, reminder_text
from storage.models import Round, School
from storage.repositories import Repositories
from storage.repositories.reminders import LogEntry, Recipient
from storage.services import Outstanding, outstanding_items

log = logging.getLogger(__name__)

NUDGE_PREFIX = "nudge:"
DIGEST_PREFIX = "digest:"
SCHOOL_ROLES = (Role.REPORTER, Role.HEAD)
OFFICE_ROLES = (Role.OFFICER, Role.ADMIN)


@dataclass(frozen=True, slots=True)
class ReminderConfig:
    """How reminders are timed: office clock, sending time, holds and claims."""

    tz: ZoneInfo = BANGKOK
    reminder_time: dt.time = DEFAULT_REMINDER_TIME
    max_hold: dt.timedelta = dt.timedelta(hours=2)
    default_language: Lang = "th"
    claim_lease: dt.timedelta = dt.timedelta(minutes=15)
    """A claim not confirmed within this time belongs to a process that stopped."""


class Action(StrEnum):
    """What a pass does with a planned reminder."""

    SEND = "send"
    HOLD = "hold"
    RELEASE = "release"


@dataclass(frozen=True, slots=True)
class PlannedMessage:
    """One message (in one or more parts) for one person, and why."""

    round_: Round
    recipient: Recipient
    school: School
    step: str
    tone: Tone | None
    action: Action
    lang: Lang
    texts: tuple[Html, ...]
    buttons: tuple[tuple[tuple[str, str], ...], ...]
    missing: Outstanding | None = None
    at: dt.datetime | None = None
    superseded: tuple[str, ...] = ()
    held_since: dt.datetime | None = None


@dataclass(frozen=True, slots=True)
class DroppedHold:
    """A held reminder that will not be sent after all, and why."""

    round_id: int
    person_id: int
    step: str
    reason: str


@dataclass(slots=True)
class Plan:
    """Everything a pass at ``now`` will do."""

    now: dt.datetime
    in_window: bool
    messages: list[PlannedMessage] = field(default_factory=list)
    dropped: list[DroppedHold] = field(default_factory=list)
    waiting: list[PlannedMessage] = field(default_factory=list)
    """Held reminders that stay held at this moment (the person is still in a flow)."""


@dataclass(frozen=True, slots=True)
class InFlow:
    """Who is in the middle of a flow: by chat (conversations) and by person (drafts)."""

    chats: frozenset[int]
    people: frozenset[int]

    def __contains__(self, person: object) -> bool:
        return isinstance(person, Recipient) and (
            person.telegram_user_id in self.chats or person.person_id in self.people
        )


async def people_in_flow(
    repos: Repositories, *, now: dt.datetime, config: ReminderConfig
) -> InFlow:
    """People in a flow touched within the longest hold (older flows are abandoned)."""
    since = now - config.max_hold
    return InFlow(
        chats=frozenset(await repos.reminders.chats_in_conversation(active_since=since)),
        people=frozenset(await repos.drafts.person_ids_touched_since(since, now=now)),
    )


async def load_calendar(repos: Repositories, config: ReminderConfig) -> OfficeCalendar:
    """The office calendar with the office's own days from the database."""
    overrides = {
        day.day: Override(day.day, day.working, day.note)
        for day in await repos.reminders.calendar_days()
    }
    return OfficeCalendar(overrides=overrides, tz=config.tz, reminder_time=config.reminder_time)


async def round_schedule(
    repos: Repositories, round_: Round, calendar: OfficeCalendar
) -> list[ScheduledStep]:
    """The sending moments of a round's ladder (the default ladder if its own is unreadable)."""
    stored = await repos.reminders.round_ladder(round_.id)
    try:
        steps = parse_ladder(stored)
    except InvalidInput:
        log.warning("round %s has an unreadable reminder ladder; using the default", round_.code)
        steps = parse_ladder(list(DEFAULT_LADDER))
    return schedule(steps, opens_at=round_.opens_at, due_at=round_.due_at, calendar=calendar)


def _tone(kind: StepKind, role: Role) -> Tone:
    if role is Role.HEAD and kind is StepKind.OVERDUE:
        return Tone.ESCALATION
    return Tone(kind.value)


class _Outstanding:
    """What each school owes in one round, computed once per pass."""

    def __init__(self, repos: Repositories, round_: Round) -> None:
        self.repos = repos
        self.round_ = round_
        self.cache: dict[int, Outstanding] = {}

    async def of(self, school_id: int) -> Outstanding:
        found = self.cache.get(school_id)
        if found is None:
            found = await outstanding_items(self.repos, school_id=school_id, round_=self.round_)
            self.cache[school_id] = found
        return found


async def plan_pass(
    repos: Repositories,
    *,
    now: dt.datetime,
    config: ReminderConfig,
    calendar: OfficeCalendar | None = None,
) -> Plan:
    """What a reminder pass at ``now`` sends, holds, releases and gives up."""
    calendar = calendar or await load_calendar(repos, config)
    plan = Plan(now=now, in_window=calendar.in_window(now))
    if not plan.in_window:
        return plan
    in_flow = await people_in_flow(repos, now=now, config=config)
    schools = {school.id: school for school in await repos.schools.list(kind="school")}
    staff = [
        person
        for person in await repos.reminders.recipients(roles=SCHOOL_ROLES)
        if person.school_id in schools
    ]
    for round_ in await repos.plan.open_rounds(now):
        scheduled = await round_schedule(repos, round_, calendar)
        entries = await repos.reminders.log_for_round(round_.id)
        owed = _Outstanding(repos, round_)
        builder = _Builder(plan, config, in_flow, round_, schools, owed)
        for person in staff:
            await builder.ladder_step(person, scheduled, entries)
        await builder.held_extras(entries, staff)
        await builder.digest(entries, calendar)
    return plan


@dataclass(slots=True)
class _Builder:
    plan: Plan
    config: ReminderConfig
    in_flow: InFlow
    round_: Round
    schools: dict[int, School]
    owed: _Outstanding

    def lang(self, person: Recipient) -> Lang:
        return as_language(person.language, self.config.default_language)

    def _waits(self, person: Recipient, held: LogEntry | None) -> bool:
        """Whether a reminder for ``person`` must wait: in a flow, hold not yet too long."""
        if person not in self.in_flow:
            return False
        return held is None or self.plan.now - held.claimed_at < self.config.max_hold

    def _action(self, held: LogEntry | None) -> Action:
        return Action.RELEASE if held is not None else Action.SEND

    async def ladder_step(
        self,
        person: Recipient,
        scheduled: Sequence[ScheduledStep],
        entries: dict[tuple[int, str], LogEntry],
    ) -> None:
        now = self.plan.now
        latest, older = latest_due(scheduled, now=now, role=person.role, joined_at=person.joined_at)
        wanted = None if latest is None else latest.step.key
        ladder_keys = {item.step.key for item in scheduled}
        for (person_id, step), held_entry in entries.items():
            if (
                person_id == person.person_id
                and held_entry.status == "held"
                and step != wanted
                and step in ladder_keys
            ):
                self.plan.dropped.append(
                    DroppedHold(self.round_.id, person.person_id, step, "superseded")
                )
        if latest is None:
            return
        entry = entries.get((person.person_id, latest.step.key))
        if entry is not None and entry.status != "held":
            return
        held = entry
        outstanding = await self.owed.of(person.school_id)
        if not outstanding:
            if held is not None:
                self.plan.dropped.append(
                    DroppedHold(self.round_.id, person.person_id, held.step, "nothing_missing")
                )
            return
        superseded = tuple(
            item.step.key for item in older if (person.person_id, item.step.key) not in entries
        )
        message = self._message(
            person,
            step=latest.step.key,
            tone=_tone(latest.step.kind, person.role),
            outstanding=outstanding,
            at=latest.at,
            superseded=superseded,
            held=held,
        )
        self._place(message, person, held)

    def _message(
        self,
        person: Recipient,
        *,
        step: str,
        tone: Tone,
        outstanding: Outstanding,
        at: dt.datetime | None,
        superseded: tuple[str, ...] = (),
        held: LogEntry | None,
    ) -> PlannedMessage:
        lang = self.lang(person)
        school = self.schools[person.school_id]
        text = reminder_text(
            tone=tone,
            round_=self.round_,
            school=school,
            outstanding=outstanding,
            now=self.plan.now,
            lang=lang,
            tz=self.config.tz,
        )
        buttons = tuple(tuple(row) for row in reminder_buttons(outstanding, lang))
        return PlannedMessage(
            round_=self.round_,
            recipient=person,
            school=school,
            step=step,
            tone=tone,
            action=self._action(held),
            lang=lang,
            texts=(text,),
            buttons=buttons,
            missing=outstanding,
            at=at,
            superseded=superseded,
            held_since=None if held is None else held.claimed_at,
        )

    def _place(self, message: PlannedMessage, person: Recipient, held: LogEntry | None) -> None:
        if self._waits(person, held):
            if held is None:
                self.plan.messages.append(_with_action(message, Action.HOLD))
            else:
                self.plan.waiting.append(message)
        else:
            self.plan.messages.append(message)

    async def held_extras(
        self, entries: dict[tuple[int, str], LogEntry], staff: Sequence[Recipient]
    ) -> None:
        """Held nudges: released when the flow ends, dropped when nothing is missing."""
        people = {person.person_id: person for person in staff}
        for (person_id, step), entry in entries.items():
            if entry.status != "held" or not step.startswith(NUDGE_PREFIX):
                continue
            person = people.get(person_id)
            if person is None:
                self.plan.dropped.append(
                    DroppedHold(self.round_.id, person_id, step, "unreachable")
                )
                continue
            outstanding = await self.owed.of(person.school_id)
            if not outstanding:
                self.plan.dropped.append(
                    DroppedHold(self.round_.id, person_id, step, "nothing_missing")
                )
                continue
            message = self._message(
                person, step=step, tone=Tone.NUDGE, outstanding=outstanding, at=None, held=entry
            )
            self._place(message, person, entry)

    async def digest(
        self, entries: dict[tuple[int, str], LogEntry], calendar: OfficeCalendar
    ) -> None:
        """The officers' daily digest of late schools, from three days overdue."""
        now = self.plan.now
        day = digest_due(due_at=self.round_.due_at, now=now, calendar=calendar)
        officers = await self.owed.repos.reminders.recipients(roles=OFFICE_ROLES)
        for (person_id, step), entry in entries.items():
            if (
                entry.status == "held"
                and step.startswith(DIGEST_PREFIX)
                and (day is None or step != digest_key(day))
            ):
                self.plan.dropped.append(DroppedHold(self.round_.id, person_id, step, "superseded"))
        if day is None:
            return
        key = digest_key(day)
        pending = [
            officer
            for officer in officers
            if (officer.person_id, key) not in entries
            or entries[(officer.person_id, key)].status == "held"
        ]
        if not pending:
            return
        late = await self.late_schools()
        if not late:
            return
        late_ids = {school.id for school, _ in late}
        everyone = await self.owed.repos.reminders.recipients(
            roles=SCHOOL_ROLES, school_ids=sorted(late_ids), include_unreachable=True
        )
        unreachable = [
            (person, self.schools[person.school_id])
            for person in everyone
            if person.unreachable_at is not None
        ]
        registered = {person.school_id for person in everyone if person.unreachable_at is None}
        unregistered = len(late_ids - registered)
        office = await self.owed.repos.schools.office()
        if office is None:  # officers belong to the office; without it there are none
            return
        for officer in pending:
            lang = self.lang(officer)
            texts = digest_texts(
                round_=self.round_,
                late=late,
                total_schools=len(self.schools),
                unreachable=unreachable,
                unregistered=unregistered,
                now=now,
                lang=lang,
                tz=self.config.tz,
            )
            held = entries.get((officer.person_id, key))
            message = PlannedMessage(
                round_=self.round_,
                recipient=officer,
                school=office,
                step=key,
                tone=None,
                action=self._action(held),
                lang=lang,
                texts=tuple(texts),
                buttons=(),
                at=calendar.slot(day),
                held_since=None if held is None else held.claimed_at,
            )
            self._place(message, officer, held)

    async def late_schools(self) -> list[tuple[School, Outstanding]]:
        """Every active school that still owes something in the round, by code."""
        late = []
        for school in sorted(self.schools.values(), key=lambda school: school.code):
            outstanding = await self.owed.of(school.id)
            if outstanding:
                late.append((school, outstanding))
        return late


def _with_action(message: PlannedMessage, action: Action) -> PlannedMessage:
    return replace(message, action=action)


async def late_schools(repos: Repositories, round_: Round) -> list[tuple[School, Outstanding]]:
    """Every active school that still owes something in a round, by code."""
    schools = {school.id: school for school in await repos.schools.list(kind="school")}
    builder = _Builder(
        Plan(now=round_.opens_at, in_window=True),
        ReminderConfig(),
        InFlow(frozenset(), frozenset()),
        round_,
        schools,
        _Outstanding(repos, round_),
    )
    return await builder.late_schools()


@dataclass(frozen=True, slots=True)
class NudgePlan:
    """Who a nudge reaches: late schools, their reachable people, and the messages."""

    round_: Round
    late: list[tuple[School, Outstanding]]
    messages: list[PlannedMessage]
    unreachable_schools: list[School]

    @property
    def people(self) -> int:
        """How many people get a reminder."""
        return len(self.messages)


def nudge_step(token: int) -> str:
    """The send-log step of one nudge (one per officer's confirmation)."""
    return f"{NUDGE_PREFIX}{token}"


async def plan_nudge(
    repos: Repositories, *, round_: Round, token: int, now: dt.datetime, config: ReminderConfig
) -> NudgePlan:
    """A reminder now to every reachable person of every late school of a round.

    Reporters and heads alike; a person in the middle of a flow gets it held.
    """
    schools = {school.id: school for school in await repos.schools.list(kind="school")}
    in_flow = await people_in_flow(repos, now=now, config=config)
    builder = _Builder(
        Plan(now=now, in_window=True), config, in_flow, round_, schools, _Outstanding(repos, round_)
    )
    late = await builder.late_schools()
    late_ids = [school.id for school, _ in late]
    staff = await repos.reminders.recipients(roles=SCHOOL_ROLES, school_ids=late_ids)
    step = nudge_step(token)
    for person in staff:
        outstanding = await builder.owed.of(person.school_id)
        message = builder._message(
            person, step=step, tone=Tone.NUDGE, outstanding=outstanding, at=now, held=None
        )
        builder._place(message, person, None)
    reached = {person.school_id for person in staff}
    return NudgePlan(
        round_=round_,
        late=late,
        messages=builder.plan.messages,
        unreachable_schools=[school for school, _ in late if school.id not in reached],
    )
