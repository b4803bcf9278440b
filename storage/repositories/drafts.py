"""Drafts: the answers of an unfinished chat flow, kept step by step.

One draft per person and flow (``kpi``, ``report``, ``correct``, ``return``).
Every answered step is written at once, so nothing typed is lost to a closed
app or a restart; a draft past its ``expires_at`` reads as absent and is
purged.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

from sqlalchemy import Text, and_, delete, func, select, type_coerce, update
from sqlalchemy.dialects import postgresql, sqlite

from storage.models import Person
from storage.repositories.base import Repository
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


class Drafts(Repository):
    """Drafts by person and flow."""

    async def get(self, *, person_id: int, flow: str, now: dt.datetime) -> Draft | None:
        """The person's unexpired draft of one flow."""
        row = (
            await self.connection.execute(
                select(drafts).where(
                    drafts.c.person_id == person_id,
                    drafts.c.flow == flow,
                    drafts.c.expires_at > now,
                )
            )
        ).first()
        return None if row is None else Draft.from_row(row)

    async def of_person(self, person_id: int, *, now: dt.datetime) -> list[Draft]:
        """The person's unexpired drafts, the most recently touched first."""
        result = await self.connection.execute(
            select(drafts)
            .where(drafts.c.person_id == person_id, drafts.c.expires_at > now)
            .order_by(drafts.c.updated_at.desc(), drafts.c.id.desc())
        )
        return [Draft.from_row(row) for row in result]

    async def of_telegram_user(
        self, telegram_user_id: int, *, now: dt.datetime
    ) -> tuple[Person | None, list[Draft]]:
        """The person behind a Telegram account and their unexpired drafts, in one query.

        The flow router needs both for every message a person sends; one
        statement is one round trip to the database driver instead of two.
        Drafts come the most recently touched first, as :meth:`of_person`.
        """
        prefixed = [column.label(f"draft_{column.name}") for column in drafts.c]
        result = await self.connection.execute(
            select(people, *prefixed)
            .select_from(
                people.outerjoin(
                    drafts, and_(drafts.c.person_id == people.c.id, drafts.c.expires_at > now)
                )
            )
            .where(people.c.telegram_user_id == telegram_user_id)
            .order_by(drafts.c.updated_at.desc(), drafts.c.id.desc())
        )
        rows = result.all()
        if not rows:
            return None, []
        found = [
            Draft.from_row(
                SimpleNamespace(**{c.name: row._mapping[f"draft_{c.name}"] for c in drafts.c})
            )
            for row in rows
            if row._mapping["draft_id"] is not None
        ]
        return Person.from_row(rows[0]), found

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
        changed = ("subject", "step", "answers", "updated_at", "expires_at")
        changes = {key: values[key] for key in changed}
        key = ["person_id", "flow"]
        dialect = self.connection.dialect.name
        # The upsert takes the new values from the row it tried to insert
        # (``excluded``): the answers are encoded and sent once, not twice.
        if dialect == "sqlite":
            sqlite_stmt = sqlite.insert(drafts).values(values)
            await self.connection.execute(
                sqlite_stmt.on_conflict_do_update(
                    index_elements=key,
                    set_={name: sqlite_stmt.excluded[name] for name in changed},
                )
            )
        elif dialect == "postgresql":
            pg_stmt = postgresql.insert(drafts).values(values)
            await self.connection.execute(
                pg_stmt.on_conflict_do_update(
                    index_elements=key, set_={name: pg_stmt.excluded[name] for name in changed}
                )
            )
        else:
            result = await self.connection.execute(
                update(drafts)
                .where(drafts.c.person_id == person_id, drafts.c.flow == flow)
                .values(changes)
            )
            if result.rowcount == 0:
                await self.connection.execute(drafts.insert().values(values))

    async def merge_answers(self, *, person_id: int, flow: str, answers: dict[str, Any]) -> bool:
        """Set some keys of a draft's answers, leaving the rest as stored; whether it exists.

        One UPDATE that carries only the keys given (SQLite merges them with
        ``json_patch``), so marking a question shown does not write the whole
        draft again. The step, the times and every other answer stay as they are.
        """
        match = (drafts.c.person_id == person_id, drafts.c.flow == flow)
        if self.connection.dialect.name == "sqlite":
            patch = json.dumps(answers, ensure_ascii=False, sort_keys=True)
            result = await self.connection.execute(
                update(drafts)
                .where(*match)
                .values(answers=func.json_patch(type_coerce(drafts.c.answers, Text), patch))
            )
            return bool(result.rowcount)
        row = (await self.connection.execute(select(drafts.c.answers).where(*match))).first()
        if row is None:
            return False
        stored = row.answers if isinstance(row.answers, dict) else {}
        await self.connection.execute(
            update(drafts).where(*match).values(answers={**stored, **answers})
        )
        return True

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
