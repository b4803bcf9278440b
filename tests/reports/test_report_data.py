"""The reports' bulk queries return the current version of each item."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from domain.values import ProjectStatus
from storage.database import Database
from tests.reports.seeding import NOW, seed_district


async def test_latest_progress_takes_the_latest_round_and_its_latest_version(database: Database):
    seeded = await seed_district(database)
    async with database.transaction() as repos:
        reported_q1 = await repos.report_data.current_progress([seeded.q1_id])
        chosen = reported_q1[0]
        person = await repos.people.by_telegram_id(seeded.telegram_ids[0])
        assert person is not None
        for percent in (Decimal(70), Decimal(75)):  # a report in Q2, then its correction
            await repos.progress.add_version(
                project_id=chosen.project_id,
                round_id=seeded.q2_id,
                status=ProjectStatus.IN_PROGRESS,
                percent_complete=percent,
                budget_spent=Decimal("1000.25"),
                submitted_by_id=person.id,
                now=NOW + dt.timedelta(minutes=int(percent)),
            )
    async with database.read() as repos:
        latest = await repos.report_data.latest_progress([seeded.q1_id, seeded.q2_id])
    by_project = {row.project_id: row for row in latest}
    assert len(latest) == len(by_project) == len(reported_q1)  # one row per project
    moved = by_project[chosen.project_id]
    assert (moved.round_id, moved.version, moved.percent_complete) == (
        seeded.q2_id,
        2,
        Decimal(75),
    )
    assert moved.first_submitted_at == NOW + dt.timedelta(minutes=70)
    others = [row for row in latest if row.project_id != chosen.project_id]
    assert {row.round_id for row in others} == {seeded.q1_id}
    q1_current = {row.project_id: row for row in reported_q1}
    assert all(row == q1_current[row.project_id] for row in others)
