"""A cast of people in every role, entries of two schools, and whole-database snapshots.

Used by the permission matrix and the hostile-input suites: one bot, people
registered by invite as a person would be, and a way to prove that an update
changed nothing a person can see.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from bot.demo import relax_burst_limit
from bot.harness import LocalBot
from domain.i18n import Lang, catalog
from domain.values import ProjectStatus, Role
from emulator import SimUser
from storage.people_admin import set_active
from storage.schema import metadata

OWN_SCHOOL = "CB05"
OTHER_SCHOOL = "RY01"
OFFICE = "SESAO-CBRY"

UNTRACKED = frozenset({"bot_state", "drafts", "audit_log"})
"""Tables a refused update may still touch: conversation state, drafts and the audit trail."""

ROLES = ("unregistered", "deactivated", "reporter", "head", "officer", "admin")
LANGUAGE = {
    "unregistered": "th",
    "deactivated": "en",
    "reporter": "th",
    "head": "en",
    "officer": "th",
    "admin": "en",
}
"""Each role speaks one of the two languages, so refusals are checked in both."""


@dataclass
class SchoolIds:
    """Ids of one school's things that callback data can carry."""

    school_id: int
    kpi_value_id: int  # the current version of a submitted KPI value
    progress_id: int  # the current version of a submitted progress report
    project_id: int
    kpi_id: int
    person_id: int  # a reporter of the school


@dataclass
class Cast:
    """Everyone the suites talk as, and what they can point at."""

    users: dict[str, SimUser]
    person_ids: dict[str, int]
    own: SchoolIds
    other: SchoolIds
    office_id: int
    round_id: int
    spare: dict[str, Any] = field(default_factory=dict)


async def register(bot: LocalBot, user_id: int, school: str, role: Role, lang: str) -> SimUser:
    """A person registered by invite, the welcome consumed."""
    code = await bot.invite(school, role)
    user = bot.emulator.user(user_id, f"Person{user_id}", language_code=lang)
    await user.send_text(f"/start {code}")
    await user.expect()
    return user


async def _entries(bot: LocalBot, school_code: str, reporter_id: int) -> SchoolIds:
    """A submitted KPI value and progress report of the school in the current round."""
    assert bot.database is not None
    now = bot.clock()
    async with bot.database.transaction() as repos:
        round_ = await repos.plan.current_round(now)
        school = await repos.schools.by_code(school_code)
        assert round_ is not None and school is not None
        kpi, _ = (await repos.plan.expected_kpis(school_id=school.id, round_=round_))[0]
        value = await repos.kpi_values.add_version(
            school_id=school.id,
            round_id=round_.id,
            kpi_id=kpi.id,
            value=Decimal(70),
            submitted_by_id=reporter_id,
            now=now - dt.timedelta(hours=1),
        )
        project = (await repos.plan.projects(school_id=school.id))[0]
        progress = await repos.progress.add_version(
            project_id=project.id,
            round_id=round_.id,
            status=ProjectStatus.IN_PROGRESS,
            percent_complete=Decimal(40),
            budget_spent=Decimal(1000),
            submitted_by_id=reporter_id,
            now=now - dt.timedelta(hours=1),
            outputs="เดิม",
        )
    return SchoolIds(school.id, value.id, progress.id, project.id, kpi.id, reporter_id)


async def person_id(bot: LocalBot, telegram_user_id: int) -> int:
    """The stored person behind a Telegram user."""
    assert bot.database is not None
    async with bot.database.read() as repos:
        person = await repos.people.by_telegram_id(telegram_user_id)
    assert person is not None
    return person.id


async def build_cast(bot: LocalBot, *, base: int = 5000) -> Cast:
    """Register one person per role (plus a reporter of another school) and seed entries."""
    relax_burst_limit(bot)
    lang = LANGUAGE
    users = {
        "unregistered": bot.emulator.user(base + 1, "Stranger", language_code=lang["unregistered"]),
        "deactivated": await register(
            bot, base + 2, OWN_SCHOOL, Role.REPORTER, lang["deactivated"]
        ),
        "reporter": await register(bot, base + 3, OWN_SCHOOL, Role.REPORTER, lang["reporter"]),
        "head": await register(bot, base + 4, OWN_SCHOOL, Role.HEAD, lang["head"]),
        "officer": await register(bot, base + 5, OFFICE, Role.OFFICER, lang["officer"]),
        "admin": await register(bot, base + 6, OFFICE, Role.ADMIN, lang["admin"]),
    }
    other_reporter = await register(bot, base + 7, OTHER_SCHOOL, Role.REPORTER, "th")
    ids = {
        role: await person_id(bot, user.id)
        for role, user in users.items()
        if role != "unregistered"
    }
    assert bot.database is not None
    async with bot.database.transaction() as repos:
        await set_active(repos, person_id=ids["deactivated"], active=False, now=bot.clock())
        office = await repos.schools.by_code(OFFICE)
        round_ = await repos.plan.current_round(bot.clock())
    assert office is not None and round_ is not None
    own = await _entries(bot, OWN_SCHOOL, ids["reporter"])
    other = await _entries(bot, OTHER_SCHOOL, await person_id(bot, other_reporter.id))
    spare = await register(bot, base + 8, OWN_SCHOOL, Role.REPORTER, "th")
    async with bot.database.read() as repos:
        own_projects = await repos.plan.projects(school_id=own.school_id)
        other_projects = await repos.plan.projects(school_id=other.school_id)
    await bot.settle()
    for user in [*users.values(), other_reporter, spare]:
        user.skip_pending()
    extras: dict[str, Any] = {
        "other_reporter": other_reporter,
        "spare_user": spare,
        "spare_person": await person_id(bot, spare.id),
        "own_unreported_project": next(p.id for p in own_projects if p.id != own.project_id),
        "other_unreported_project": next(p.id for p in other_projects if p.id != other.project_id),
        "nudge_token": int(bot.clock().timestamp()),
    }
    return Cast(users, ids, own, other, office.id, round_.id, extras)


async def snapshot(bot: LocalBot) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table a person's data lives in (not drafts, state or audit)."""
    assert bot.database is not None
    rows: dict[str, list[tuple[Any, ...]]] = {}
    async with bot.database.read() as repos:
        for table in metadata.sorted_tables:
            if table.name in UNTRACKED:
                continue
            result = await repos.connection.execute(select(table).order_by(*table.primary_key))
            rows[table.name] = [tuple(row) for row in result.all()]
    return rows


def changed_tables(
    before: dict[str, list[tuple[Any, ...]]], after: dict[str, list[tuple[Any, ...]]]
) -> set[str]:
    """Names of the tables whose rows differ."""
    return {name for name in before.keys() | after.keys() if before.get(name) != after.get(name)}


def fragment(lang: Lang, key: str) -> str:
    """The longest fixed run of a catalog text, as a person reads it (no tags, no params).

    Checking for it in what the bot sent proves the message is that catalog
    entry in that language, whatever the parameters were.
    """
    text = html.unescape(re.sub(r"<[^>]+>", "", catalog(lang)[key]))
    pieces = [piece.strip() for piece in re.split(r"\{[^}]*\}", text)]
    return max(pieces, key=len)
