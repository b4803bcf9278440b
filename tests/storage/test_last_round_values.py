"""Last round's values shown with each /kpi question: own school, latest round and version."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from domain.values import Role
from storage.database import Database
from storage.sample import load_sample
from storage.services import kpis_to_report

NOW = dt.datetime(2027, 1, 5, 2, 0, tzinfo=dt.UTC)


async def test_each_kpi_shows_the_schools_value_from_its_latest_earlier_round(
    database: Database,
) -> None:
    async with database.transaction() as repos:
        await load_sample(repos, now=NOW)
        current = await repos.plan.current_round(NOW)
        assert current is not None
        older_id = await repos.plan.create_round(
            code="FY2570-EARLY",
            fiscal_year=current.fiscal_year,
            name_th="รอบต้นปี",
            opens_at=dt.datetime(2026, 10, 1, 1, 30, tzinfo=dt.UTC),
            due_at=dt.datetime(2026, 10, 31, 9, 30, tzinfo=dt.UTC),
            now=NOW,
        )
        last_id = await repos.plan.create_round(
            code="FY2570-LATE",
            fiscal_year=current.fiscal_year,
            name_th="รอบปลายไตรมาส",
            opens_at=dt.datetime(2026, 12, 1, 1, 30, tzinfo=dt.UTC),
            due_at=dt.datetime(2026, 12, 20, 9, 30, tzinfo=dt.UTC),
            now=NOW,
        )
        school = await repos.schools.by_code("CB05")
        neighbour = await repos.schools.by_code("CB06")
        assert school is not None and neighbour is not None
        reporter = await repos.people.create(
            full_name="ครูสมศรี", role=Role.REPORTER, school_id=school.id, now=NOW
        )
        other = await repos.people.create(
            full_name="ครูมานะ", role=Role.REPORTER, school_id=neighbour.id, now=NOW
        )
        owed = await kpis_to_report(repos, school_id=school.id, round_=current)
        k01, k02, k03 = (item.kpi for item in owed[:3])

        async def store(
            round_id: int, kpi_id: int, value: str, *, school_id: int = school.id
        ) -> None:
            await repos.kpi_values.add_version(
                school_id=school_id,
                round_id=round_id,
                kpi_id=kpi_id,
                value=Decimal(value),
                submitted_by_id=reporter.id if school_id == school.id else other.id,
                now=NOW,
            )

        await store(older_id, k01.id, "61")
        await store(last_id, k01.id, "70")
        await store(last_id, k01.id, "72.5")  # a correction: version 2
        await store(older_id, k02.id, "15")  # nothing for K02 in the last round
        await store(last_id, k03.id, "99", school_id=neighbour.id)  # another school's

        previous = {
            item.kpi.code: item.previous
            for item in await kpis_to_report(repos, school_id=school.id, round_=current)
        }

    assert previous[k01.code] == Decimal("72.5")
    assert previous[k02.code] == Decimal(15)
    assert previous[k03.code] is None
