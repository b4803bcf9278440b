"""Drafts: the answers of an unfinished chat flow, kept step by step.

One draft per person and flow (``kpi``, ``report``, ``correct``, ``return``).
Every answered step is written at once, so nothing typed is lost to a closed
app or a restart; a draft past its ``expires_at`` reads as absent and is
purged.

The reads and writes every chat message needs are plain functions of a
connection (:func:`person_and_drafts`, :func:`drafts_of`, :func:`save_draft`,
:func:`merge_draft_answers`) over statements built once, so the flow router
can run a whole transaction in one trip to the database
(:meth:`storage.database.Database.run_working_write`); :class:`Drafts` offers
the same operations inside any other transaction.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

from sqlalchemy import (
    Connection,
    Text,
    and_,
    bindparam,
    delete,
    func,
    select,
    type_coerce,
    update,
)

from storage.models import Person
from storage.repositories.base import Repository, upsert_insert
from storage.schema import drafts, people


@dataclass(frozen=True, slots=True)
class Draft:
    """An unfinished flow: where it stands (``step``) and what was answered."""

    id: int
    person_id: int
    flow: str
    subject: str
    step: str
    answers: dict[str, Any]
    updated_at: dt.datetime
    expires_at: dt.datetime

    @classmethod
    def from_row(cls, row: Any) -> Draft:
        """A draft from a ``drafts`` row."""
        answers = row.answers if isinstance(row.answers, dict) else {}
        return cls(
            id=int(row.id),
            person_id=int(row.person_id),
            flow=str(row.flow),
            subject=str(row.subject),
            step=str(row.step),
            answers=dict(answers),
            updated_at=row.updated_at,
            expires_at=row.expires_at,
        )


_DRAFT_COLUMNS = tuple(column.name for column in drafts.c)
_PREFIXED = tuple(column.label(f"draft_{column.name}") for column in drafts.c)
_NEWEST_FIRST = (drafts.c.updated_at.desc(), drafts.c.id.desc())

_OF_PERSON = (
    select(drafts)
    .where(drafts.c.person_id == bindparam("person_id"), drafts.c.expires_at > bindparam("now"))
    .order_by(*_NEWEST_FIRST)
)
_ONE_FLOW = _OF_PERSON.where(drafts.c.flow == bindparam("flow"))
_PERSON_AND_DRAFTS = (
    select(people, *_PREFIXED)
    .select_from(
        people.outerjoin(
            drafts, and_(drafts.c.person_id == people.c.id, drafts.c.expires_at > bindparam("now"))
        )
    )
    .where(people.c.telegram_user_id == bindparam("telegram_user_id"))
    .order_by(*_NEWEST_FIRST)
)
_CHANGED = ("subject", "step", "answers", "updated_at", "expires_at")
_MATCH = (
    drafts.c.person_id == bindparam("match_person_id"),
    drafts.c.flow == bindparam("match_flow"),
)


def _upsert(insert: Any) -> Any:
    # The upsert takes the new values from the row it tried to insert
    # (``excluded``): the answers are encoded and sent once, not twice.
    stmt = insert(drafts)
    return stmt.on_conflict_do_update(
        index_elements=["person_id", "flow"],
        set_={name: stmt.excluded[name] for name in _CHANGED},
    )


@functools.cache
def _upsert_of(dialect: str) -> Any:
    """The dialect's upsert of a draft, built at its first use (None without one)."""
    insert = upsert_insert(dialect)
    return _upsert(insert) if insert is not None else None


_UPDATE = update(drafts).where(*_MATCH)
_PATCH = _UPDATE.values(
    answers=func.json_patch(type_coerce(drafts.c.answers, Text), bindparam("patch", type_=Text()))
)
_ANSWERS = select(drafts.c.answers).where(*_MATCH)


def drafts_of(connection: Connection, person_id: int, *, now: dt.datetime) -> list[Draft]:
    """The person's unexpired drafts, the most recently touched first."""
    result = connection.execute(_OF_PERSON, {"person_id": person_id, "now": now})
    return [Draft.from_row(row) for row in result]


def person_and_drafts(
    connection: Connection, telegram_user_id: int, *, now: dt.datetime
) -> tuple[Person | None, list[Draft]]:
    """The person behind a Telegram account and their unexpired drafts, in one query.

    The flow router needs both for every message a person sends; one
    statement is one round trip to the database driver instead of two.
    Drafts come the most recently touched first, as :func:`drafts_of`.
    """
    rows = connection.execute(
        _PERSON_AND_DRAFTS, {"telegram_user_id": telegram_user_id, "now": now}
    ).all()
    if not rows:
        return None, []
    found = []
    for row in rows:
        mapping = row._mapping
        if mapping["draft_id"] is not None:
            found.append(
                Draft.from_row(
                    SimpleNamespace(**{name: mapping[f"draft_{name}"] for name in _DRAFT_COLUMNS})
                )
            )
    return Person.from_row(rows[0]), found


def save_draft(
    connection: Connection,
    *,
    person_id: int,
    flow: str,
    subject: str,
    step: str,
    answers: dict[str, Any],
    now: dt.datetime,
    expires_at: dt.datetime,
) -> None:
    """Create or replace the person's draft of one flow."""
    values = {
        "person_id": person_id,
        "flow": flow,
        "subject": subject,
        "step": step,
        "answers": answers,
        "updated_at": now,
        "expires_at": expires_at,
    }
    upsert = _upsert_of(connection.dialect.name)
    if upsert is not None:
        connection.execute(upsert, values)
        return
    result = connection.execute(
        _UPDATE.values({name: values[name] for name in _CHANGED}),
        {"match_person_id": person_id, "match_flow": flow},
    )
    if result.rowcount == 0:
        connection.execute(drafts.insert(), values)


def merge_draft_answers(
    connection: Connection, *, person_id: int, flow: str, answers: dict[str, Any]
) -> bool:
    """Set some keys of a draft's answers, leaving the rest as stored; whether it exists.

    One UPDATE that carries only the keys given (SQLite merges them with
    ``json_patch``), so marking a question shown does not write the whole
    draft again. The step, the times and every other answer stay as they are.
    """
    match = {"match_person_id": person_id, "match_flow": flow}
    if connection.dialect.name == "sqlite":
        patch = json.dumps(answers, ensure_ascii=False, sort_keys=True)
        return bool(connection.execute(_PATCH, {**match, "patch": patch}).rowcount)
    row = connection.execute(_ANSWERS, match).first()
    if row is None:
        return False
    stored = row.answers if isinstance(row.answers, dict) else {}
    connection.execute(_UPDATE.values(answers={**stored, **answers}), match)
    return True


class Drafts(Repository):
    """Drafts by person and flow."""

    async def get(self, *, person_id: int, flow: str, now: dt.datetime) -> Draft | None:
        """The person's unexpired draft of one flow."""
        result = await self.connection.execute(
            _ONE_FLOW, {"person_id": person_id, "flow": flow, "now": now}
        )
        row = result.first()
        return None if row is None else Draft.from_row(row)

    async def of_person(self, person_id: int, *, now: dt.datetime) -> list[Draft]:
        """The person's unexpired drafts, the most recently touched first."""
        return await self.connection.run_sync(drafts_of, person_id, now=now)

    async def of_telegram_user(
        self, telegram_user_id: int, *, now: dt.datetime
    ) -> tuple[Person | None, list[Draft]]:
        """The person behind a Telegram account and their drafts (:func:`person_and_drafts`)."""
        return await self.connection.run_sync(person_and_drafts, telegram_user_id, now=now)

    async def save(
        self,
        *,
        person_id: int,
        flow: str,
        subject: str,
        step: str,
        answers: dict[str, Any],
        now: dt.datetime,
        expires_at: dt.datetime,
    ) -> None:
        """Create or replace the person's draft of one flow (:func:`save_draft`)."""
        await self.connection.run_sync(
            functools.partial(
                save_draft,
                person_id=person_id,
                flow=flow,
                subject=subject,
                step=step,
                answers=answers,
                now=now,
                expires_at=expires_at,
            )
        )

    async def merge_answers(self, *, person_id: int, flow: str, answers: dict[str, Any]) -> bool:
        """Set some keys of a draft's answers (:func:`merge_draft_answers`)."""
        return await self.connection.run_sync(
            functools.partial(merge_draft_answers, person_id=person_id, flow=flow, answers=answers)
        )

    async def drop(self, *, person_id: int, flow: str) -> bool:
        """Remove the person's draft of one flow; whether there was one."""
        result = await self.connection.execute(
            delete(drafts).where(drafts.c.person_id == person_id, drafts.c.flow == flow)
        )
        return bool(result.rowcount)

    async def purge_expired(self, now: dt.datetime) -> int:
        """Remove every draft past its expiry; how many went."""
        result = await self.connection.execute(delete(drafts).where(drafts.c.expires_at <= now))
        return int(result.rowcount or 0)

    async def person_ids_touched_since(self, since: dt.datetime, *, now: dt.datetime) -> set[int]:
        """People with an unexpired draft answered at or after ``since``."""
        result = await self.connection.execute(
            select(drafts.c.person_id)
            .where(drafts.c.updated_at >= since, drafts.c.expires_at > now)
            .distinct()
        )
        return {int(row.person_id) for row in result}

    async def of_flow(self, flow: str, *, person_ids: set[int], now: dt.datetime) -> list[Draft]:
        """Unexpired drafts of one flow by any of ``person_ids`` (a school's staff)."""
        if not person_ids:
            return []
        result = await self.connection.execute(
            select(drafts).where(
                drafts.c.flow == flow,
                drafts.c.person_id.in_(sorted(person_ids)),
                drafts.c.expires_at > now,
            )
        )
        return [Draft.from_row(row) for row in result]
