"""The reminder send log, who can be reminded, and the office's calendar days.

The send log has one row per (round, person, step), and that unique key is
the whole of "never twice": a reminder is sent only by the process whose
INSERT of the row succeeded. Row states:

- ``held``: claimed, but the person is in the middle of a flow; sent later
  by whichever process first turns it into ``claimed``.
- ``claimed``: handed to delivery; becomes ``sent`` or ``failed``.
- ``sent``: Telegram accepted it.
- ``failed``: Telegram refused it for good (blocked, not found), or the
  process died between claiming and confirming, see :meth:`Reminders.expire_claims`.
- ``skipped``: superseded by a later step (downtime, or two steps on one day).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Insert, and_, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from domain.values import Role
from storage.repositories.base import Repository, upsert_insert
from storage.schema import bot_state, calendar_overrides, people, reminder_log, rounds
from storage.schema import schools as schools_table

CONVERSATION_KIND_PREFIX = "conversation:"


@dataclass(frozen=True, slots=True)
class LogEntry:
    """One row of the send log."""

    id: int
    round_id: int
    person_id: int
    step: str
    status: str
    claimed_at: dt.datetime
    sent_at: dt.datetime | None
    attempts: int
    error: str | None


@dataclass(frozen=True, slots=True)
class Recipient:
    """A person who can be messaged: registered, active, with a Telegram account."""

    person_id: int
    telegram_user_id: int
    full_name: str
    role: Role
    school_id: int
    school_code: str
    language: str | None
    joined_at: dt.datetime | None
    unreachable_at: dt.datetime | None


@dataclass(frozen=True, slots=True)
class CalendarDay:
    """An office addition to or removal from the working days."""

    day: dt.date
    working: bool
    note: str | None


class Reminders(Repository):
    """Send log, recipients and calendar overrides."""

    # ------------------------------------------------------------ send log

    async def log_for_round(self, round_id: int) -> dict[tuple[int, str], LogEntry]:
        """Every log row of a round, by (person id, step)."""
        result = await self.connection.execute(
            select(reminder_log).where(reminder_log.c.round_id == round_id)
        )
        entries = [_entry(row) for row in result]
        return {(entry.person_id, entry.step): entry for entry in entries}

    async def entries(
        self,
        *,
        round_id: int | None = None,
        statuses: Sequence[str] | None = None,
        step_prefix: str | None = None,
    ) -> list[LogEntry]:
        """Log rows in the order they were claimed, optionally filtered."""
        query = select(reminder_log).order_by(reminder_log.c.id)
        if round_id is not None:
            query = query.where(reminder_log.c.round_id == round_id)
        if statuses:
            query = query.where(reminder_log.c.status.in_(list(statuses)))
        if step_prefix is not None:
            query = query.where(reminder_log.c.step.startswith(step_prefix))
        return [_entry(row) for row in await self.connection.execute(query)]

    async def held(self) -> list[LogEntry]:
        """Every reminder waiting for its person to finish a flow."""
        return await self.entries(statuses=("held",))

    def _insert_ignoring_duplicates(self, values: dict[str, Any]) -> Insert:
        dialect_insert = upsert_insert(self.connection.dialect.name)
        if dialect_insert is not None:
            stmt: Insert = dialect_insert(reminder_log).values(values).on_conflict_do_nothing()
            return stmt
        return insert(reminder_log).values(values)

    async def claim(
        self, *, round_id: int, person_id: int, step: str, now: dt.datetime, hold: bool = False
    ) -> bool:
        """Insert the row of a reminder; False when any process has already done so.

        This insert is the claim: only its winner may send (``hold`` claims it
        for later, when the person is in the middle of a flow).
        """
        values = {
            "round_id": round_id,
            "person_id": person_id,
            "step": step,
            "status": "held" if hold else "claimed",
            "claimed_at": now,
            "attempts": 0,
        }
        try:
            result = await self.connection.execute(self._insert_ignoring_duplicates(values))
        except IntegrityError:  # other backends: the unique key refuses the second claim
            return False
        return bool(result.rowcount)

    async def release(self, *, round_id: int, person_id: int, step: str, now: dt.datetime) -> bool:
        """Turn a held reminder into a claimed one; False when another process did first."""
        result = await self.connection.execute(
            update(reminder_log)
            .where(_key(round_id, person_id, step), reminder_log.c.status == "held")
            .values(status="claimed", claimed_at=now)
        )
        return bool(result.rowcount)

    async def record_skipped(
        self, *, round_id: int, person_id: int, steps: Iterable[str], now: dt.datetime, reason: str
    ) -> None:
        """Record steps that will never be sent (superseded), unless already logged."""
        for step in steps:
            values = {
                "round_id": round_id,
                "person_id": person_id,
                "step": step,
                "status": "skipped",
                "claimed_at": now,
                "attempts": 0,
                "error": reason,
            }
            try:
                await self.connection.execute(self._insert_ignoring_duplicates(values))
            except IntegrityError:
                continue

    async def skip_held(self, *, round_id: int, person_id: int, step: str, reason: str) -> bool:
        """Give up a held reminder (superseded, or nothing is missing any more)."""
        result = await self.connection.execute(
            update(reminder_log)
            .where(_key(round_id, person_id, step), reminder_log.c.status == "held")
            .values(status="skipped", error=reason)
        )
        return bool(result.rowcount)

    async def mark_sent(
        self, *, round_id: int, person_id: int, step: str, now: dt.datetime, attempts: int
    ) -> None:
        """Telegram accepted the reminder."""
        await self.connection.execute(
            update(reminder_log)
            .where(_key(round_id, person_id, step), reminder_log.c.status == "claimed")
            .values(status="sent", sent_at=now, attempts=attempts, error=None)
        )

    async def mark_failed(
        self, *, round_id: int, person_id: int, step: str, attempts: int, error: str
    ) -> None:
        """Telegram refused the reminder for good; it is not tried again."""
        await self.connection.execute(
            update(reminder_log)
            .where(_key(round_id, person_id, step), reminder_log.c.status == "claimed")
            .values(status="failed", attempts=attempts, error=error[:500])
        )

    async def expire_claims(self, *, claimed_before: dt.datetime, reason: str) -> list[LogEntry]:
        """Close claims that no process confirmed: their process stopped mid-send.

        Such a reminder may or may not have reached the person (the process
        may have died after Telegram accepted it, before the row said so).
        "Never twice" wins over "always": it is marked ``failed`` and never
        resent. Returns the rows closed.
        """
        stale = [
            entry
            for entry in await self.entries(statuses=("claimed",))
            if entry.claimed_at < claimed_before
        ]
        for entry in stale:
            await self.connection.execute(
                update(reminder_log)
                .where(reminder_log.c.id == entry.id, reminder_log.c.status == "claimed")
                .values(status="failed", error=reason)
            )
        return stale

    # ---------------------------------------------------------- recipients

    async def recipients(
        self,
        *,
        roles: Sequence[Role],
        school_ids: Sequence[int] | None = None,
        include_unreachable: bool = False,
    ) -> list[Recipient]:
        """Active people with a Telegram account in the given roles, by school and name."""
        query = (
            select(
                people.c.id,
                people.c.telegram_user_id,
                people.c.full_name,
                people.c.role,
                people.c.school_id,
                people.c.language,
                people.c.joined_at,
                people.c.unreachable_at,
                schools_table.c.code.label("school_code"),
            )
            .join(schools_table, schools_table.c.id == people.c.school_id)
            .where(
                people.c.active.is_(True),
                people.c.telegram_user_id.is_not(None),
                schools_table.c.active.is_(True),
                people.c.role.in_([role.value for role in roles]),
            )
            .order_by(schools_table.c.code, people.c.full_name, people.c.id)
        )
        if school_ids is not None:
            query = query.where(people.c.school_id.in_(list(school_ids)))
        if not include_unreachable:
            query = query.where(people.c.unreachable_at.is_(None))
        return [
            Recipient(
                person_id=int(row.id),
                telegram_user_id=int(row.telegram_user_id),
                full_name=row.full_name,
                role=Role(row.role),
                school_id=int(row.school_id),
                school_code=row.school_code,
                language=row.language,
                joined_at=row.joined_at,
                unreachable_at=row.unreachable_at,
            )
            for row in await self.connection.execute(query)
        ]

    async def mark_unreachable(self, person_id: int, *, now: dt.datetime) -> None:
        """The person blocked the bot: stop messaging them until they come back."""
        await self.connection.execute(
            update(people)
            .where(people.c.id == person_id, people.c.unreachable_at.is_(None))
            .values(unreachable_at=now, updated_at=now)
        )

    async def chats_in_conversation(self, *, active_since: dt.datetime) -> set[int]:
        """Telegram user ids with a conversation state touched at or after ``active_since``.

        python-telegram-bot keeps a state per conversation and private chat
        (key ``[chat_id, user_id]``) while a flow is open; one left untouched
        for longer is abandoned, not in progress.
        """
        in_flow: set[int] = set()
        result = await self.connection.execute(
            select(bot_state.c.key).where(
                bot_state.c.kind.startswith(CONVERSATION_KIND_PREFIX),
                bot_state.c.updated_at >= active_since,
            )
        )
        for row in result:
            try:
                key = json.loads(row.key)
            except ValueError:
                continue
            if isinstance(key, list) and key and isinstance(key[-1], int):
                in_flow.add(key[-1])
        return in_flow

    # ---------------------------------------------------------- ladders

    async def round_ladder(self, round_id: int) -> Any:
        """The round's stored ladder (None: the default ladder)."""
        row = (
            await self.connection.execute(
                select(rounds.c.reminder_ladder).where(rounds.c.id == round_id)
            )
        ).first()
        return None if row is None else row.reminder_ladder

    async def set_round_ladder(self, round_id: int, ladder: Any, *, now: dt.datetime) -> None:
        """Change a round's ladder (None: back to the default)."""
        await self.connection.execute(
            update(rounds)
            .where(rounds.c.id == round_id)
            .values(reminder_ladder=ladder, updated_at=now)
        )

    # ---------------------------------------------------------- calendar

    async def calendar_days(
        self, *, start: dt.date | None = None, end: dt.date | None = None
    ) -> list[CalendarDay]:
        """The office's own working days and days off, in date order."""
        query = select(calendar_overrides).order_by(calendar_overrides.c.day)
        if start is not None:
            query = query.where(calendar_overrides.c.day >= start)
        if end is not None:
            query = query.where(calendar_overrides.c.day <= end)
        return [
            CalendarDay(row.day, bool(row.working), row.note)
            for row in await self.connection.execute(query)
        ]

    async def calendar_day(self, day: dt.date) -> CalendarDay | None:
        """The office's override of one day, if any."""
        row = (
            await self.connection.execute(
                select(calendar_overrides).where(calendar_overrides.c.day == day)
            )
        ).first()
        return None if row is None else CalendarDay(row.day, bool(row.working), row.note)

    async def set_calendar_day(self, day: dt.date, *, working: bool, note: str | None) -> None:
        """Make ``day`` a working day or a day off for the office."""
        await self.connection.execute(
            delete(calendar_overrides).where(calendar_overrides.c.day == day)
        )
        await self.connection.execute(
            insert(calendar_overrides).values(day=day, working=working, note=note)
        )

    async def remove_calendar_day(self, day: dt.date) -> bool:
        """Forget the office's override of ``day``; whether there was one."""
        result = await self.connection.execute(
            delete(calendar_overrides).where(calendar_overrides.c.day == day)
        )
        return bool(result.rowcount)


def _key(round_id: int, person_id: int, step: str) -> Any:
    return and_(
        reminder_log.c.round_id == round_id,
        reminder_log.c.person_id == person_id,
        reminder_log.c.step == step,
    )


def _entry(row: Any) -> LogEntry:
    return LogEntry(
        id=int(row.id),
        round_id=int(row.round_id),
        person_id=int(row.person_id),
        step=row.step,
        status=row.status,
        claimed_at=row.claimed_at,
        sent_at=row.sent_at,
        attempts=int(row.attempts),
        error=row.error,
    )


__all__ = ["CalendarDay", "LogEntry", "Recipient", "Reminders"]
