"""A round's reminder steps in the plan: imported, validated, exported, explained."""

from __future__ import annotations

import datetime as dt
import io
from zoneinfo import ZoneInfo

from openpyxl import load_workbook
from sqlalchemy import select

from domain.calendar import BANGKOK
from onboarding.exporter import export_plan, plan_rows
from onboarding.importer import import_plan
from onboarding.reader import read_plan_bytes
from onboarding.report import report_lines
from onboarding.sheets import HELP_SHEET, ROUNDS
from onboarding.workbook import template_bytes
from scheduler.ladder import DEFAULT_LADDER, ladder_json, parse_ladder
from scheduler.planner import ReminderConfig, load_calendar, round_schedule
from storage.database import Database
from storage.sample import load_sample
from storage.schema import audit_log, rounds
from tests.onboarding.plan_support import counts, small_plan, workbook

BKK = ZoneInfo("Asia/Bangkok")
STEPS_COLUMN = [column.key for column in ROUNDS.columns].index("reminder_steps")


async def run(database: Database, content: bytes, clock):
    plan = read_plan_bytes("plan.xlsx", content)
    return await import_plan(database, plan, now=clock(), tz=BANGKOK)


def with_steps(steps: object) -> bytes:
    plan = small_plan()
    plan["rounds"][0]["reminder_steps"] = steps
    return workbook(plan)


async def stored_ladder(database: Database, code: str = "R1") -> object:
    async with database.read() as repos:
        query = select(rounds.c.reminder_ladder).where(rounds.c.code == code)
        return (await repos.connection.execute(query)).scalar_one()


async def sending_moments(database: Database, code: str = "R1") -> list[tuple[str, dt.datetime]]:
    """When the reminder pass will send each step of the round (office clock)."""
    async with database.read() as repos:
        round_ = await repos.plan.round_by_code(code)
        assert round_ is not None
        calendar = await load_calendar(repos, ReminderConfig())
        scheduled = await round_schedule(repos, round_, calendar)
    return [(item.step.key, item.at.astimezone(BKK)) for item in scheduled]


async def test_a_round_with_its_own_steps_is_stored_as_the_cli_stores_it_and_reminded_by_it(
    database, clock
):
    report = await run(database, with_steps(" 2, open ,-5,0"), clock)
    assert report.problems == []
    assert report.outcomes["rounds"].created == 1
    assert await stored_ladder(database) == ladder_json(parse_ladder("open,-5,0,2"))
    assert await stored_ladder(database) == ["open", -5, 0, 2]
    # the round opens on Tue 1 Dec 2026 and is due Fri 15 Jan 2027; 10 and 17 Jan are Sundays
    assert await sending_moments(database) == [
        ("open", dt.datetime(2026, 12, 1, 8, 30, tzinfo=BKK)),
        ("due-5", dt.datetime(2027, 1, 11, 8, 30, tzinfo=BKK)),
        ("due", dt.datetime(2027, 1, 15, 8, 30, tzinfo=BKK)),
        ("due+2", dt.datetime(2027, 1, 18, 8, 30, tzinfo=BKK)),
    ]


async def test_a_new_round_without_steps_follows_the_default_ladder(database, clock):
    report = await run(database, with_steps(None), clock)
    assert report.problems == []
    assert await stored_ladder(database) is None
    keys = [key for key, _ in await sending_moments(database)]
    assert keys == [step.key for step in parse_ladder(list(DEFAULT_LADDER))]


async def test_changed_steps_count_as_updated_and_are_audited_empty_keeps_them(database, clock):
    await run(database, with_steps("open,-3,0"), clock)

    same = await run(database, with_steps("open, -3, 0"), clock)
    assert same.ok and not same.changed
    assert same.outcomes["rounds"].unchanged == 1

    changed = await run(database, with_steps("open,-7,0,3"), clock)
    assert changed.ok
    assert (changed.outcomes["rounds"].updated, changed.outcomes["rounds"].unchanged) == (1, 0)
    assert await stored_ladder(database) == ["open", -7, 0, 3]
    async with database.read() as repos:
        audit = (
            await repos.connection.execute(
                select(audit_log.c.before, audit_log.c.after).where(
                    audit_log.c.action == "import_update", audit_log.c.entity == "round"
                )
            )
        ).one()
    assert audit.before == {"reminder_ladder": ["open", -3, 0]}
    assert audit.after["reminder_ladder"] == ["open", -7, 0, 3]

    kept = await run(database, with_steps(None), clock)
    assert kept.ok and not kept.changed
    assert await stored_ladder(database) == ["open", -7, 0, 3]


async def test_malformed_steps_import_nothing_and_are_located_in_thai_and_english(database, clock):
    before = await counts(database)
    for bad in ("open,-7,soon", "0,200", ";;"):
        report = await run(database, with_steps(bad), clock)
        assert not report.applied
        assert [(p.key, p.sheet, p.row, p.column) for p in report.problems] == [
            ("onboarding.problem.invalid", "rounds", 3, "reminder_steps")
        ]
        assert await counts(database) == before
    report = await run(database, with_steps("open,-7,soon"), clock)
    (english,) = report_lines(report, "en")[1:]
    assert english == (
        "1. Sheet rounds, row 3, column reminder_steps (Reminder steps): “open,-7,soon” — "
        "cannot be read; expected reminder steps separated by commas: open, or whole days "
        "from the due date from -120 to 120 (negative before, 0 on the due day, positive "
        "overdue), e.g. open,-7,-3,-1,0,1,3,7"
    )
    (thai,) = report_lines(report, "th")[1:]
    assert thai.startswith(
        "1. แผ่นงาน rounds แถว 3 คอลัมน์ reminder_steps (ขั้นการแจ้งเตือน): ค่า “open,-7,soon” — "
        "อ่านค่านี้ไม่ได้ ต้องเป็นขั้นการแจ้งเตือนคั่นด้วยจุลภาค"
    )
    assert thai.endswith("เช่น open,-7,-3,-1,0,1,3,7")


async def test_export_writes_each_rounds_steps_and_reimports_with_nothing_changed(database, clock):
    async with database.transaction() as repos:
        await load_sample(repos, now=clock())
        (sample,) = await repos.plan.rounds()
        await repos.plan.create_round(
            code="FY2570-Q3",
            fiscal_year=2570,
            name_th="รอบที่ 3",
            name_en=None,
            opens_at=dt.datetime(2027, 4, 1, 1, 30, tzinfo=dt.UTC),
            due_at=dt.datetime(2027, 4, 30, 9, 30, tzinfo=dt.UTC),
            includes_progress=True,
            now=clock(),
        )
        await repos.reminders.set_round_ladder(
            sample.id, ladder_json(parse_ladder("open,-10,0,5")), now=clock()
        )
    rows = await plan_rows(database, tz=BANGKOK)
    steps = {row[0]: row[STEPS_COLUMN] for row in rows["rounds"]}
    assert steps == {sample.code: "open,-10,0,5", "FY2570-Q3": None}

    before = await counts(database)
    report = await run(database, await export_plan(database, tz=BANGKOK), clock)
    assert report.ok and not report.changed
    assert report.outcomes["rounds"].unchanged == 2
    assert await counts(database) == before
    assert await stored_ladder(database, sample.code) == ["open", -10, 0, 5]
    assert await stored_ladder(database, "FY2570-Q3") is None


def test_the_template_explains_the_reminder_steps_column_in_thai_and_english():
    book = load_workbook(io.BytesIO(template_bytes()))
    headers = [cell.value for cell in book["rounds"][2]]
    assert headers[STEPS_COLUMN] == "reminder_steps"
    assert book["rounds"][1][STEPS_COLUMN].value == "ขั้นการแจ้งเตือน"
    (row,) = [
        [cell.value for cell in line]
        for line in book[HELP_SHEET].iter_rows()
        if line[0].value == "rounds" and line[1].value == "reminder_steps"
    ]
    assert row[3] == "Reminder steps"
    assert "open = วันเปิดรอบ" in row[5]
    assert "Empty = the default open,-7,-3,-1,0,1,3,7 for a new round" in row[6]
    assert row[9] == "open,-7,-3,-1,0,1,3,7"
