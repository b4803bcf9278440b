"""A seeded district for report tests: two rounds, KPI values with corrections, projects.

Everything goes in through the repositories, as the bot would store it.
People carry distinctive names and Telegram ids so tests can prove the
public edition leaks neither.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from decimal import Decimal

from domain.values import ProjectStatus, Role
from storage.database import Database
from storage.sample import load_sample

NOW = dt.datetime(2027, 1, 5, 2, 0, tzinfo=dt.UTC)  # 09:00 5 Jan 2027 in Bangkok, FY 2570
Q1_OPENS = dt.datetime(2026, 10, 1, 1, 30, tzinfo=dt.UTC)
Q1_DUE = dt.datetime(2026, 12, 25, 9, 30, tzinfo=dt.UTC)
PERSON_NAME = "สมปอง ทดสอบนาม"
PERSON_TELEGRAM_BASE = 7_700_000_000
PROBLEM_NAMING_A_PERSON = f"ครู{PERSON_NAME}ลาคลอด ต้องหาผู้สอนแทน"


@dataclass(frozen=True)
class Seeded:
    """Ids of what was seeded."""

    q1_id: int
    q2_id: int
    fiscal_year: int
    person_names: tuple[str, ...]
    telegram_ids: tuple[int, ...]


async def seed_district(database: Database, *, seed: int = 11) -> Seeded:
    """The sample district plus a closed first round with values, projects and progress."""
    rng = random.Random(seed)
    async with database.transaction() as repos:
        summary = await load_sample(repos, now=NOW)
        fiscal_year = summary.fiscal_year
        q2 = await repos.plan.round_by_code(summary.round_code)
        assert q2 is not None
        q1_id = await repos.plan.create_round(
            code=f"FY{fiscal_year}-Q1",
            fiscal_year=fiscal_year,
            name_th=f"รายงานผลไตรมาสที่ 1 ปีงบประมาณ {fiscal_year}",
            name_en=f"Quarter 1 report, FY {fiscal_year}",
            opens_at=Q1_OPENS,
            due_at=Q1_DUE,
            includes_progress=True,
            kpi_frequencies="each_round,annual",
            now=Q1_OPENS,
        )
        q1 = await repos.plan.round(q1_id)
        assert q1 is not None
        schools = await repos.schools.list()
        names, ids = [], []
        people = {}
        for index, school in enumerate(schools):
            name = f"{PERSON_NAME} {index}" if index else PERSON_NAME
            telegram_id = PERSON_TELEGRAM_BASE + index
            people[school.id] = await repos.people.create(
                full_name=name,
                role=Role.REPORTER,
                school_id=school.id,
                now=Q1_OPENS,
                telegram_user_id=telegram_id,
            )
            names.append(name)
            ids.append(telegram_id)
        kpis = {k.code: k for k in await repos.report_data.kpis()}
        # KPI values: most schools report in Q1 (some late, some corrected), fewer in Q2
        for round_, share in ((q1, 0.85), (q2, 0.45)):
            for school_id, kpi_id in await repos.plan.expected_kpi_pairs(round_):
                if rng.random() > share:
                    continue
                kpi = next(k for k in kpis.values() if k.id == kpi_id)
                when = round_.due_at + dt.timedelta(hours=rng.choice([-200, -30, -2, 5, 60]))
                when = min(when, NOW - dt.timedelta(hours=1))
                versions = rng.choice([1, 1, 1, 2])
                for _ in range(versions):
                    if kpi.value_type.value == "level":
                        value = Decimal(rng.randint(1, 5))
                    elif kpi.direction.value == "lower_better":
                        value = Decimal(rng.randint(0, 20)) / 10
                    else:
                        value = Decimal(rng.randint(200, 1000)) / 10
                    await repos.kpi_values.add_version(
                        school_id=school_id,
                        round_id=round_.id,
                        kpi_id=kpi_id,
                        value=value,
                        submitted_by_id=people[school_id].id,
                        now=when,
                        reason=None if versions == 1 else "แก้ไขตัวเลข",
                    )
                    when += dt.timedelta(hours=1)
        # projects: three per school for the first twenty schools
        for school in schools[:20]:
            for number in range(1, 4):
                start = dt.date(2026, 10, 1) + dt.timedelta(days=rng.randint(0, 30))
                project_id = await repos.plan.create_project(
                    code=f"{school.code}-P{number}",
                    fiscal_year=fiscal_year,
                    school_id=school.id,
                    name=f"โครงการพัฒนาการเรียนรู้ที่ {number} ของ{school.name_th}",
                    now=Q1_OPENS,
                    budget_allocated=Decimal(rng.randint(10, 500) * 1000),
                    responsible_name=PERSON_NAME,
                    responsible_person_id=people[school.id].id,
                    planned_start=start,
                    planned_end=start + dt.timedelta(days=rng.choice([60, 120, 300])),
                )
                if rng.random() < 0.2:
                    continue  # never reported
                status = rng.choice(list(ProjectStatus))
                percent = {
                    ProjectStatus.NOT_STARTED: Decimal(0),
                    ProjectStatus.COMPLETED: Decimal(100),
                }.get(status, Decimal(rng.randint(0, 95)))
                for version in range(rng.choice([1, 2])):
                    await repos.progress.add_version(
                        project_id=project_id,
                        round_id=q1_id,
                        status=status,
                        percent_complete=min(Decimal(100), percent + version),
                        budget_spent=Decimal(rng.randint(0, 9000)) * 10 + Decimal("0.50"),
                        submitted_by_id=people[school.id].id,
                        now=Q1_DUE - dt.timedelta(days=rng.randint(-3, 10)),
                        problems=rng.choice([None, "งบประมาณล่าช้า", PROBLEM_NAMING_A_PERSON, "  "]),
                        suggestions=rng.choice([None, "ควรจัดสรรงบให้เร็วขึ้น"]),
                        reason=None if version == 0 else "แก้ไขร้อยละ",
                    )
    return Seeded(q1_id, q2.id, fiscal_year, tuple(names), tuple(ids))
