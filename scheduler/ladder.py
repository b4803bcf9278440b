"""The reminder ladder of a round: when each reminder is due, and for whom.

A ladder is a list of steps relative to the round: ``"open"`` (when it opens)
and whole days relative to the due date (``-7`` a week before, ``0`` on the
due day, ``3`` three days overdue). A round keeps its own ladder in
``rounds.reminder_ladder`` as that JSON list; null means
:data:`DEFAULT_LADDER`.

Each step has a sending moment on the office calendar: the reminder time of
its day, moved to the next working day when the day is a weekend or holiday.
A step whose moment falls before the round opens is dropped (nobody is
reminded of a round they cannot report in yet).

Who receives a step: reporters receive every step; the school head receives
the overdue steps (escalation). Officers receive a daily digest of late
schools from :data:`DIGEST_FROM_DAYS` overdue.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from domain.errors import InvalidInput
from domain.values import Role
from scheduler.calendar import OfficeCalendar

OPEN = "open"
DEFAULT_LADDER: tuple[str | int, ...] = (OPEN, -7, -3, -1, 0, 1, 3, 7)
DIGEST_FROM_DAYS = 3
DIGEST_UNTIL_DAYS = 30
"""Digests stop a month after the due date even if the round is never closed."""
ESCALATE_FROM_DAYS = 1
MAX_OFFSET_DAYS = 120


class StepKind(StrEnum):
    """What a reminder says about the deadline."""

    OPEN = "open"
    BEFORE = "before"
    DUE = "due"
    OVERDUE = "overdue"


@dataclass(frozen=True, slots=True)
class Step:
    """One rung of the ladder: ``offset`` days from the due date, None for opening."""

    offset: int | None

    @property
    def key(self) -> str:
        """The step's name in the send log: ``open``, ``due-7``, ``due``, ``due+3``."""
        if self.offset is None:
            return OPEN
        if self.offset == 0:
            return "due"
        return f"due{self.offset:+d}"

    @property
    def kind(self) -> StepKind:
        """Opening, before the due day, on it, or overdue."""
        if self.offset is None:
            return StepKind.OPEN
        if self.offset < 0:
            return StepKind.BEFORE
        return StepKind.DUE if self.offset == 0 else StepKind.OVERDUE

    def reaches(self, role: Role) -> bool:
        """Whether a person of ``role`` receives this step (heads only from overdue)."""
        if role is Role.REPORTER:
            return True
        if role is Role.HEAD:
            return self.offset is not None and self.offset >= ESCALATE_FROM_DAYS
        return False

    @property
    def order(self) -> int:
        """Position in time: opening first, then by offset."""
        return -10_000 if self.offset is None else self.offset


@dataclass(frozen=True, slots=True)
class ScheduledStep:
    """A step with its sending moment for one round."""

    step: Step
    at: dt.datetime


def parse_ladder(value: Any) -> tuple[Step, ...]:
    """Steps from a round's stored ladder (None: the default), sorted, without repeats.

    Accepts a JSON list such as ``["open", -7, -3, 0, 1, 3]`` or the same as a
    comma-separated text. Raises ``InvalidInput("reminders.ladder_invalid")``.
    """
    if value is None:
        value = DEFAULT_LADDER
    if isinstance(value, str):
        value = [part.strip() for part in value.split(",") if part.strip()]
    if not isinstance(value, Sequence) or isinstance(value, (bytes, bytearray)) or not value:
        raise InvalidInput("reminders.ladder_invalid", text=str(value))
    steps: dict[str, Step] = {}
    for item in value:
        step = _parse_step(item)
        steps[step.key] = step
    return tuple(sorted(steps.values(), key=lambda step: step.order))


def _parse_step(item: object) -> Step:
    if isinstance(item, str):
        text = item.strip().lower()
        if text == OPEN:
            return Step(None)
        if text in ("due", "0"):
            return Step(0)
        if text.startswith("due"):
            text = text[3:]
        try:
            item = int(text)
        except ValueError:
            raise InvalidInput("reminders.ladder_invalid", text=str(item)) from None
    if isinstance(item, bool) or not isinstance(item, int) or abs(item) > MAX_OFFSET_DAYS:
        raise InvalidInput("reminders.ladder_invalid", text=str(item))
    return Step(item)


def ladder_text(steps: Sequence[Step]) -> str:
    """A ladder as it is typed and stored: ``open,-7,-3,-1,0,1,3,7``."""
    return ",".join(OPEN if step.offset is None else str(step.offset) for step in steps)


def ladder_json(steps: Sequence[Step]) -> list[str | int]:
    """A ladder as stored in ``rounds.reminder_ladder``."""
    return [OPEN if step.offset is None else step.offset for step in steps]


def schedule(
    steps: Sequence[Step],
    *,
    opens_at: dt.datetime,
    due_at: dt.datetime,
    calendar: OfficeCalendar,
) -> list[ScheduledStep]:
    """Sending moments of a round's steps, in time order, each on a working day.

    When two steps land on the same moment (the day before due falls on a
    Sunday and moves to the due day), both stay: the later step is the one
    sent, see :func:`latest_due`.
    """
    due_day = calendar.local_date(due_at)
    out: list[ScheduledStep] = []
    for step in steps:
        if step.offset is None:
            at = calendar.first_slot_at_or_after(opens_at)
        else:
            at = calendar.slot_on_or_after(due_day + dt.timedelta(days=step.offset))
            if at < opens_at:
                continue
        out.append(ScheduledStep(step, at))
    out.sort(key=lambda scheduled: (scheduled.at, scheduled.step.order))
    return out


def latest_due(
    scheduled: Sequence[ScheduledStep],
    *,
    now: dt.datetime,
    role: Role,
    joined_at: dt.datetime | None,
) -> tuple[ScheduledStep | None, list[ScheduledStep]]:
    """The one step a person should have now, and the earlier ones it replaces.

    Only steps meant for the role count, and only those whose moment is not
    before the person joined (someone who registers mid-round is not greeted
    by a reminder of a step that passed before they arrived). After downtime
    the latest step stands for all the missed ones: the others are returned
    so the send log can record them as skipped.
    """
    eligible = [
        item
        for item in scheduled
        if item.at <= now
        and item.step.reaches(role)
        and (joined_at is None or item.at >= joined_at)
    ]
    if not eligible:
        return None, []
    return eligible[-1], eligible[:-1]


def digest_key(day: dt.date) -> str:
    """The send-log step of an officer's daily digest."""
    return f"digest:{day.isoformat()}"


def digest_due(
    *, due_at: dt.datetime, now: dt.datetime, calendar: OfficeCalendar
) -> dt.date | None:
    """The office day whose digest is due at ``now`` (None before the digest starts).

    The digest goes out on working days from :data:`DIGEST_FROM_DAYS` days
    overdue (moved to the next working day like any step), once a day, until
    :data:`DIGEST_UNTIL_DAYS` days overdue.
    """
    first = calendar.slot_on_or_after(
        calendar.local_date(due_at) + dt.timedelta(days=DIGEST_FROM_DAYS)
    )
    today = calendar.local_date(now)
    if now < first or not calendar.is_working_day(today) or now < calendar.slot(today):
        return None
    if (today - calendar.local_date(due_at)).days > DIGEST_UNTIL_DAYS:
        return None
    return today
