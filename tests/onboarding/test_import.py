"""Importing the plan: validated all or nothing, re-import changes nothing, round trip."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from domain.calendar import BANGKOK
from onboarding.exporter import export_plan, plan_rows
from onboarding.importer import import_plan
from onboarding.problems import PlanFileError
from onboarding.reader import read_plan_bytes, read_plan_path
from onboarding.report import report_lines
from onboarding.sheets import MAX_FILE_BYTES
from onboarding.workbook import template_bytes
from storage.database import Database
from storage.sample import load_sample
from storage.schema import audit_log, kpis, projects, rounds, schools, targets
from tests.onboarding.plan_support import counts, edited, fill_template, small_plan, workbook

P = "onboarding.problem."


async def run(database: Database, name: str, content: bytes, clock, *, dry_run: bool = False):
    plan = read_plan_bytes(name, content)
    return await import_plan(database, plan, now=clock(), tz=BANGKOK, dry_run=dry_run)


async def test_a_template_filled_with_the_sample_district_imports_then_reimports_unchanged(
    tmp_path, clock
):
    sample_db = Database(f"sqlite+aiosqlite:///{tmp_path / 'sample.db'}")
    fresh_db = Database(f"sqlite+aiosqlite:///{tmp_path / 'fresh.db'}")
    try:
        await sample_db.migrate()
        await fresh_db.migrate()
        async with sample_db.transaction() as repos:
            await load_sample(repos, now=clock())
        rows = await plan_rows(sample_db, tz=BANGKOK)
        filled = fill_template(rows)

        first = await run(fresh_db, "plan.xlsx", filled, clock)
        assert first.problems == []
        assert first.applied
        assert first.outcomes["schools"].created == 52  # 51 schools and the office
        assert first.outcomes["kpis"].created == 4
        assert first.outcomes["targets"].created == len(rows["targets"])
        assert first.outcomes["projects"].created == len(rows["projects"])
        assert first.outcomes["rounds"].created == 1
        assert await plan_rows(fresh_db, tz=BANGKOK) == rows

        exported = await export_plan(fresh_db, tz=BANGKOK)
        again = await run(fresh_db, "export.xlsx", exported, clock)
        assert again.problems == []
        assert not again.changed
        assert all(o.created == o.updated == 0 for o in again.outcomes.values())
        assert again.outcomes["targets"].unchanged == len(rows["targets"])
        assert "nothing changed" in report_lines(again, "en")[-1]
    finally:
        await sample_db.dispose()
        await fresh_db.dispose()


async def test_the_sample_district_exports_and_reimports_with_nothing_changed(database, clock):
    async with database.transaction() as repos:
        await load_sample(repos, now=clock())
    before = await counts(database)
    report = await run(database, "export.xlsx", await export_plan(database, tz=BANGKOK), clock)
    assert report.ok
    assert not report.changed
    assert report.outcomes["projects"].unchanged == before["projects"]
    assert await counts(database) == before


async def test_a_small_plan_is_read_with_thai_digits_and_buddhist_era_dates(database, clock):
    report = await run(database, "plan.xlsx", workbook(small_plan()), clock)
    assert report.problems == []
    async with database.read() as repos:
        connection = repos.connection
        target = (
            await connection.execute(
                select(targets.c.target_value)
                .join(schools, schools.c.id == targets.c.school_id)
                .where(schools.c.code == "S02")
            )
        ).scalar_one()
        project = (await connection.execute(select(projects))).one()
        round_ = (await connection.execute(select(rounds))).one()
        kpi = (await connection.execute(select(kpis).where(kpis.c.code == "KP1"))).one()
    assert target == Decimal("75.5")
    assert project.budget_allocated == Decimal("12500")
    assert project.planned_start == dt.date(2026, 10, 1)
    assert project.planned_end == dt.date(2027, 9, 30)
    # 08:30 in Bangkok is 01:30 UTC
    assert round_.opens_at == dt.datetime(2026, 12, 1, 1, 30, tzinfo=dt.UTC)
    assert round_.due_at == dt.datetime(2027, 1, 15, 9, 30, tzinfo=dt.UTC)
    assert round_.includes_progress is True and round_.kpi_frequencies == "each_round"
    assert kpi.strategy_id is not None  # taken from its CSF's strategy
    assert kpi.direction == "higher_better" and kpi.sort_order == 1


async def test_importing_the_same_file_twice_changes_nothing_the_second_time(database, clock):
    content = workbook(small_plan())
    first = await run(database, "plan.xlsx", content, clock)
    assert first.changed
    after_first = await counts(database)
    second = await run(database, "plan.xlsx", content, clock)
    assert second.ok and not second.changed
    assert second.outcomes["targets"].unchanged == 3
    assert await counts(database) == after_first


async def test_a_changed_target_is_updated_and_audited_with_before_and_after(database, clock):
    plan = small_plan()
    await run(database, "plan.xlsx", workbook(plan), clock)
    plan["targets"][0]["target_value"] = 85
    report = await run(database, "plan.xlsx", workbook(plan), clock)
    assert report.outcomes["targets"].updated == 1
    assert report.outcomes["targets"].unchanged == 2
    async with database.read() as repos:
        entries = await repos.audit.entries(entity="target")
    change = next(entry for entry in entries if entry["action"] == "import_update")
    assert change["entity_id"] == "S01/KP1/2570"
    assert change["before"] == {"target_value": "80"}
    assert change["after"] == {"target_value": "85"}


async def test_a_dry_run_counts_what_would_change_and_changes_nothing(database, clock):
    before = await counts(database)
    report = await run(database, "plan.xlsx", workbook(small_plan()), clock, dry_run=True)
    assert report.ok and not report.applied
    assert report.outcomes["schools"].created == 3
    assert await counts(database) == before


@pytest.mark.parametrize(
    ("sheet", "index", "change", "column", "key"),
    [
        ("targets", 0, {"kpi_code": "K99"}, "kpi_code", "onboarding.problem.unknown_kpi"),
        ("targets", 0, {"target_value": 120}, "target_value", f"{P}percent_over_100"),
        (
            "rounds",
            0,
            {"due_at": dt.datetime(2026, 11, 1, 16, 30)},
            "due_at",
            "onboarding.problem.due_before_open",
        ),
        ("schools", 3, {"name_th": "โรงเรียนซ้ำ"}, "code", "onboarding.problem.duplicate"),
        ("targets", 2, {"target_value": 7}, "target_value", "onboarding.problem.level_range"),
        ("kpis", 0, {"value_type": "percentage-ish"}, "value_type", "onboarding.problem.invalid"),
        ("projects", 0, {"planned_start": "31/2/2570"}, "planned_start", f"{P}invalid"),
        ("people", 0, {"school_code": "OFFICE"}, "role", "onboarding.problem.role_school_mismatch"),
        ("targets", 1, {"fiscal_year": 2027}, "fiscal_year", "onboarding.problem.year_not_be"),
    ],
)
async def test_one_bad_cell_imports_nothing_and_is_named_by_sheet_row_and_column(
    database, clock, sheet, index, change, column, key
):
    plan = small_plan()
    if index == len(plan[sheet]):
        plan[sheet].append({**plan[sheet][1], **change})  # a second row with S01's code
    else:
        plan[sheet][index].update(change)
    before = await counts(database)
    report = await run(database, "plan.xlsx", workbook(plan), clock)
    assert not report.applied
    assert [(p.key, p.sheet, p.row, p.column) for p in report.problems] == [
        (key, sheet, index + 3, column)  # two header rows, then the data
    ]
    assert await counts(database) == before


async def test_the_report_names_sheet_row_column_value_and_what_was_expected(database, clock):
    plan = small_plan()
    plan["targets"][0]["target_value"] = 120
    plan["targets"][1]["kpi_code"] = "K99"
    report = await run(database, "plan.xlsx", workbook(plan), clock)
    thai = report_lines(report, "th")
    english = report_lines(report, "en")
    assert "พบปัญหา 2 รายการ" in thai[0] and "ยังไม่ได้นำเข้าข้อมูลใด ๆ" in thai[0]
    assert thai[1] == (
        "1. แผ่นงาน targets แถว 3 คอลัมน์ target_value (ค่าเป้าหมาย): ค่า “120” — "
        "ค่าเป้าหมายของตัวชี้วัดแบบร้อยละต้องอยู่ระหว่าง 0 ถึง 100 (กรอกไว้ 120)"
    )
    assert "รหัส K99" in thai[2] and "แถว 4" in thai[2]
    assert english[0] == "plan.xlsx: 2 problems found, so nothing was imported. " + (
        "Please correct the file and send it again."
    )
    assert english[2].startswith("2. Sheet targets, row 4, column kpi_code (KPI code): “K99”")


async def test_a_required_cell_left_empty_says_what_it_expects(database, clock):
    plan = small_plan()
    plan["kpis"][1]["unit_th"] = None
    report = await run(database, "plan.xlsx", workbook(plan), clock)
    (line,) = report_lines(report, "en")[1:]
    assert "row 4, column unit_th" in line
    assert "this cell is empty; expected text of at most 64 characters" in line


async def test_the_untouched_example_row_is_skipped_but_an_edited_one_is_imported(database, clock):
    template = template_bytes()
    untouched = read_plan_bytes("template.xlsx", template)
    assert untouched.row_count == 0
    assert [p.key for p in untouched.problems] == ["onboarding.problem.no_rows"]
    with_office = edited(template, "schools", "D3", "office")
    plan = read_plan_bytes("template.xlsx", with_office)
    assert plan.row_count == 1
    assert plan.sheets["schools"].rows[0].cells["code"] == "SCH01"


async def test_formulas_instead_of_values_import_nothing(database, clock):
    content = edited(workbook(small_plan()), "targets", "D3", "=40*2")
    report = await run(database, "plan.xlsx", content, clock)
    assert [(p.key, p.sheet, p.row, p.column) for p in report.problems] == [
        ("onboarding.problem.formula", "targets", 3, "target_value")
    ]
    assert "Paste Special" in report_lines(report, "en")[1]
    assert (await counts(database))["schools"] == 0


async def test_an_empty_sheet_imports_nothing_and_says_which(database, clock):
    book = load_workbook(io.BytesIO(workbook(small_plan())))
    book["people"].delete_rows(1, 10)
    buffer = io.BytesIO()
    book.save(buffer)
    report = await run(database, "plan.xlsx", buffer.getvalue(), clock)
    assert [(p.key, p.sheet) for p in report.problems] == [
        ("onboarding.problem.sheet_empty", "people")
    ]
    assert "Sheet people: this sheet is empty" in report_lines(report, "en")[1]
    assert (await counts(database))["schools"] == 0


def file_problem(name: str, content: bytes) -> str:
    with pytest.raises(PlanFileError) as caught:
        read_plan_bytes(name, content)
    return caught.value.problem.key


def test_wrong_file_types_corrupt_and_oversized_files_are_refused_clearly():
    assert file_problem("plan.pdf", b"%PDF-1.7 ...") == "onboarding.problem.wrong_type"
    assert file_problem("plan.xlsx", b"PK\x03\x04 not really") == "onboarding.problem.corrupt"
    assert file_problem("plan.xlsx", b"plain text") == "onboarding.problem.corrupt"
    assert file_problem("plan.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1") == (
        "onboarding.problem.old_xls"
    )
    big = b"x" * (MAX_FILE_BYTES + 1)
    assert file_problem("plan.xlsx", big) == "onboarding.problem.too_large"
    docx = io.BytesIO()
    with zipfile.ZipFile(docx, "w") as archive:
        archive.writestr("word/document.xml", "<w/>")
    assert file_problem("letter.docx", docx.getvalue()) == "onboarding.problem.wrong_type"


def test_a_truncated_workbook_is_reported_as_corrupt():
    content = workbook(small_plan())
    assert file_problem("plan.xlsx", content[: len(content) // 2]) == ("onboarding.problem.corrupt")


async def test_a_folder_of_csv_files_imports_like_a_workbook(tmp_path, database, clock):
    (tmp_path / "schools.csv").write_text(
        "code,name_th,kind\nOFFICE,สำนักงาน,office\nS01,โรงเรียนหนึ่ง,\n", encoding="utf-8-sig"
    )
    (tmp_path / "kpis.csv").write_text(
        "รหัส,ชื่อ (ภาษาไทย),หน่วยนับ (ภาษาไทย),ชนิดข้อมูล\nK1,ตัวชี้วัด,คน,จำนวนนับ\n",
        encoding="utf-8",
    )
    (tmp_path / "targets.csv").write_bytes(
        'school_code,kpi_code,fiscal_year,target_value\nS01,K1,๒๕๗๐,"1,200"\n'.encode("cp874")
    )
    plan = read_plan_path(tmp_path)
    report = await import_plan(database, plan, now=clock(), tz=BANGKOK)
    assert report.problems == []
    assert {key: o.created for key, o in report.outcomes.items()} == {
        "schools": 2,
        "kpis": 1,
        "targets": 1,
    }
    async with database.read() as repos:
        value = (await repos.connection.execute(select(targets.c.target_value))).scalar_one()
        value_type = (await repos.connection.execute(select(kpis.c.value_type))).scalar_one()
    assert value == Decimal(1200)
    assert value_type == "count"  # the Thai label "จำนวนนับ" read as the code


async def test_an_import_is_audited_once_with_the_counts(database, clock):
    await run(database, "plan.xlsx", workbook(small_plan()), clock)
    async with database.read() as repos:
        rows = (
            await repos.connection.execute(
                select(audit_log.c.action, audit_log.c.after).where(audit_log.c.entity == "plan")
            )
        ).all()
    assert len(rows) == 1
    assert rows[0].action == "import"
    assert rows[0].after["schools"] == {"created": 3, "updated": 0, "unchanged": 0}
