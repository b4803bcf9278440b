"""Completeness counts agree with an independent count from raw rows."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from sqlalchemy import select

from domain.values import Role
from reports.completeness import compute_completeness, load_completeness
from reports.text import completeness_html
from storage.database import Database
from storage.models import Round, School
from storage.sample import load_sample
from storage.schema import kpi_values, projects, targets

NOW = dt.datetime(2027, 1, 5, 2, 0, tzinfo=dt.UTC)


def school(id_: int, name: str = "โรงเรียน") -> School:
    return School(id_, f"S{id_:02d}", "school", f"{name}{id_}", None, None, None, True)


ROUND = Round(
    1, "R1", 2570, "รอบ 1", "Round 1", NOW - dt.timedelta(days=7), NOW, False, "each_round", None
)


def test_items_first_submitted_after_due_are_late_and_corrections_do_not_matter():
    report = compute_completeness(
        ROUND,
        schools=[school(1), school(2), school(3)],
        expected=[(1, 10), (1, 11), (2, 10), (2, 11)],
        first_submitted={
            (1, 10): NOW - dt.timedelta(hours=1),
            (1, 11): NOW,
            (2, 10): NOW + dt.timedelta(seconds=1),
            (3, 10): NOW,  # school 3 owes nothing: ignored
        },
        now=NOW,
    )
    rows = {row.school.id: row for row in report.schools}
    assert (rows[1].expected, rows[1].on_time, rows[1].late, rows[1].missing) == (2, 2, 0, 0)
    assert (rows[2].expected, rows[2].on_time, rows[2].late, rows[2].missing) == (2, 0, 1, 1)
    assert rows[3].expected == 0 and rows[3] not in report.expecting
    assert (report.expected, report.submitted, report.on_time, report.late) == (4, 3, 2, 1)
    assert report.item_rate == Decimal("75.0")
    assert report.school_rate == Decimal("50.0")
    assert [row.school.id for row in report.incomplete_schools] == [2]


async def test_database_completeness_matches_a_count_from_raw_rows(database: Database):
    rng = random.Random(7)
    async with database.transaction() as repos:
        await load_sample(repos, now=NOW)
        round_ = (await repos.plan.rounds())[0]
        schools = await repos.schools.list()
        reporters = {}
        for s in schools:
            reporters[s.id] = await repos.people.create(
                full_name=f"ครู {s.code}",
                role=Role.REPORTER,
                school_id=s.id,
                now=NOW,
                telegram_user_id=s.id,
            )
        expected = await repos.plan.expected_kpi_pairs(round_)
        for school_id, kpi_id in expected:
            if rng.random() < 0.6:
                when = round_.due_at + dt.timedelta(hours=rng.choice([-30, -1, 2, 50]))
                for _ in range(rng.choice([1, 1, 2])):  # some items are corrected
                    await repos.kpi_values.add_version(
                        school_id=school_id,
                        round_id=round_.id,
                        kpi_id=kpi_id,
                        value=Decimal(rng.randint(0, 100)),
                        submitted_by_id=reporters[school_id].id,
                        now=when,
                    )
                    when += dt.timedelta(days=3)
    async with database.read() as repos:
        report = await load_completeness(repos, round_, now=NOW)
        raw_targets = (
            await repos.connection.execute(select(targets.c.school_id, targets.c.kpi_id))
        ).all()
        raw_values = (
            await repos.connection.execute(
                select(kpi_values.c.school_id, kpi_values.c.kpi_id, kpi_values.c.submitted_at)
            )
        ).all()
        kpis = {k: await repos.plan.kpi(k) for k in {row.kpi_id for row in raw_targets}}
        raw_projects = (
            await repos.connection.execute(select(projects.c.school_id, projects.c.id))
        ).all()

    # independent count: straight from rows, without the report's code paths
    owed: set[tuple[int, object]] = {
        (r.school_id, r.kpi_id)
        for r in raw_targets
        if kpis[r.kpi_id].frequency.value == "each_round"
    }
    # the sample round also asks every project's progress; none is reported here
    owed |= {(r.school_id, ("project", r.id)) for r in raw_projects}
    first: dict[tuple[int, object], dt.datetime] = {}
    for r in raw_values:
        key = (r.school_id, r.kpi_id)
        first[key] = min(first.get(key, r.submitted_at), r.submitted_at)
    on_time = sum(1 for key in owed if key in first and first[key] <= round_.due_at)
    late = sum(1 for key in owed if key in first and first[key] > round_.due_at)
    complete_schools = sum(
        1 for s in {k[0] for k in owed} if all(key in first for key in owed if key[0] == s)
    )
    assert (report.expected, report.on_time, report.late) == (len(owed), on_time, late)
    assert len(report.complete_schools) == complete_schools


def test_summary_html_escapes_school_names_and_names_the_missing():
    report = compute_completeness(
        ROUND,
        schools=[school(1, "<โรงเรียน & ลูก>"), school(2, 'ชลบุรี "สุขบท"')],
        expected=[(1, 10), (2, 10)],
        first_submitted={(2, 10): NOW},
        now=NOW,
    )
    html = completeness_html(report, "th")
    assert "&lt;โรงเรียน &amp; ลูก&gt;1" in html
    assert "ส่งครบ: <b>1</b> จาก 2 โรงเรียน" in html
    assert "ขาด 1 จาก 1 รายการ" in html
    assert "5 ม.ค. 2570" in html  # due date in the Buddhist Era


def test_a_long_list_of_missing_schools_is_cut_to_fit_one_message():
    many = [school(i) for i in range(1, 301)]
    report = compute_completeness(
        ROUND, schools=many, expected=[(s.id, 1) for s in many], first_submitted={}, now=NOW
    )
    html = completeness_html(report, "en")
    assert len(html) < 4096
    assert "…and 260 more schools" in html
