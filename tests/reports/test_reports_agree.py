"""On a seeded district, chat, XLSX, CSV and PDF show the same figures as a count from raw rows."""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal

import openpyxl
import pypdf
import pytest
from sqlalchemy import select

from domain.i18n import Lang
from domain.numbers import format_number
from reports.annual import AnnualReport
from reports.completeness import load_completeness
from reports.engine import ReportKind, ReportRequest, load_report
from reports.render import Format, render
from reports.xlsx import HEADER_ROW
from storage.database import Database
from storage.schema import kpi_values, kpis, progress_reports, projects, rounds, schools, targets
from tests.reports.seeding import NOW, Seeded, seed_district

OFFICE = "สำนักงานเขตพื้นที่การศึกษามัธยมศึกษาชลบุรี ระยอง"


@pytest.fixture
async def seeded(database: Database) -> Seeded:
    return await seed_district(database)


def q2(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def q1(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


async def raw_kpi_figures(database: Database, round_id: int) -> dict[str, dict[str, Decimal | int]]:
    """Per KPI code: reported, mean, min, max, met — straight from the rows, no report code."""
    async with database.read() as repos:
        conn = repos.connection
        round_row = (await conn.execute(select(rounds).where(rounds.c.id == round_id))).one()
        frequencies = set(round_row.kpi_frequencies.split(","))
        kpi_rows = {row.id: row for row in await conn.execute(select(kpis))}
        active_schools = {
            row.id
            for row in await conn.execute(
                select(schools.c.id).where(schools.c.kind == "school", schools.c.active.is_(True))
            )
        }
        owed = {
            (row.school_id, row.kpi_id): row.target_value
            for row in await conn.execute(
                select(targets).where(targets.c.fiscal_year == round_row.fiscal_year)
            )
            if row.school_id in active_schools and kpi_rows[row.kpi_id].frequency in frequencies
        }
        latest: dict[tuple[int, int], tuple[int, Decimal]] = {}
        for row in await conn.execute(select(kpi_values).where(kpi_values.c.round_id == round_id)):
            key = (row.school_id, row.kpi_id)
            if key not in latest or row.version > latest[key][0]:
                latest[key] = (row.version, row.value)
    values: dict[int, list[Decimal]] = defaultdict(list)
    met: dict[int, int] = defaultdict(int)
    for key, target in owed.items():
        if key not in latest:
            continue
        value = latest[key][1]
        kpi = kpi_rows[key[1]]
        values[kpi.id].append(value)
        good = value <= target if kpi.direction == "lower_better" else value >= target
        met[kpi.id] += good
    return {
        kpi_rows[kpi_id].code: {
            "reported": len(found),
            "mean": q2(sum(found, Decimal(0)) / len(found)),
            "minimum": min(found),
            "maximum": max(found),
            "met": met[kpi_id],
        }
        for kpi_id, found in values.items()
    }


async def raw_project_totals(database: Database, round_id: int) -> dict[str, Decimal | int]:
    """Allocated, spent (latest version of the round) and the disbursement rate, from rows."""
    async with database.read() as repos:
        conn = repos.connection
        fiscal_year = (
            await conn.execute(select(rounds.c.fiscal_year).where(rounds.c.id == round_id))
        ).scalar_one()
        project_rows = [
            row
            for row in await conn.execute(
                select(projects)
                .join(schools, schools.c.id == projects.c.school_id)
                .where(
                    projects.c.fiscal_year == fiscal_year,
                    projects.c.active.is_(True),
                    schools.c.kind == "school",
                )
            )
        ]
        latest: dict[int, tuple[int, Decimal]] = {}
        for row in await conn.execute(
            select(progress_reports).where(progress_reports.c.round_id == round_id)
        ):
            if row.project_id not in latest or row.version > latest[row.project_id][0]:
                latest[row.project_id] = (row.version, row.budget_spent)
    allocated = sum((row.budget_allocated for row in project_rows), Decimal(0))
    spent = sum((latest[row.id][1] for row in project_rows if row.id in latest), Decimal(0))
    return {
        "count": len(project_rows),
        "reported": sum(1 for row in project_rows if row.id in latest),
        "allocated": allocated,
        "spent": spent,
        "rate": q1(spent * 100 / allocated),
    }


def xlsx_table(content: bytes, sheet_index: int) -> list[dict[str, object]]:
    book = openpyxl.load_workbook(io.BytesIO(content))
    sheet = book.worksheets[sheet_index]
    rows = list(sheet.iter_rows(min_row=HEADER_ROW, values_only=True))
    return [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


def csv_tables(content: bytes) -> list[list[list[str]]]:
    text = content.decode("utf-8-sig")
    tables: list[list[list[str]]] = [[]]
    for row in csv.reader(io.StringIO(text)):
        if not row:
            tables.append([])
        else:
            tables[-1].append(row)
    return tables


def pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(content)).pages)


@pytest.mark.parametrize("lang", ["th", "en"])
async def test_kpi_figures_agree_in_chat_xlsx_csv_and_pdf_with_raw_rows(
    database: Database, seeded: Seeded, lang: Lang
):
    expected = await raw_kpi_figures(database, seeded.q1_id)
    assert len(expected) == 4  # every sample KPI was reported by someone
    async with database.read() as repos:
        round_ = await repos.plan.round(seeded.q1_id)
        report = await load_report(
            repos, ReportRequest(ReportKind.ACHIEVEMENT, round=round_), now=NOW
        )
    files = {
        fmt: render(report, fmt, lang, office=OFFICE, kind=ReportKind.ACHIEVEMENT, scope="Q1")
        for fmt in (Format.TEXT, Format.XLSX, Format.CSV, Format.PDF)
    }
    chat = files[Format.TEXT].content.decode("utf-8")
    workbook = {row[next(iter(row))]: row for row in xlsx_table(files[Format.XLSX].content, 0)}
    table = csv_tables(files[Format.CSV].content)[0]
    by_code = {row[0]: row for row in table[2:]}
    pdf = pdf_text(files[Format.PDF].content)
    for code, figures in expected.items():
        mean, low, high = (format_number(figures[k]) for k in ("mean", "minimum", "maximum"))
        mean = f"{figures['mean']:.2f}"
        if lang == "en":
            line = f"reported {figures['reported']}/51 · mean {mean} · min {low} · max {high}"
        else:
            line = f"รายงาน {figures['reported']}/51 · เฉลี่ย {mean} · ต่ำสุด {low} · สูงสุด {high}"
        assert line in chat
        assert f"{'met' if lang == 'en' else 'บรรลุ'} {figures['met']} (" in chat
        row = list(workbook[code].values())
        assert row[3:9] == [
            51,
            figures["reported"],
            pytest.approx(float(figures["mean"])),
            pytest.approx(float(figures["minimum"])),
            pytest.approx(float(figures["maximum"])),
            figures["met"],
        ]
        assert [Decimal(x) for x in by_code[code][4:9]] == [
            figures["reported"],
            figures["mean"],
            figures["minimum"],
            figures["maximum"],
            figures["met"],
        ]
        assert f"{figures['reported']} {mean} {low} {high} {figures['met']}" in pdf


async def test_project_budget_agrees_in_chat_xlsx_csv_and_pdf_with_raw_rows(
    database: Database, seeded: Seeded
):
    expected = await raw_project_totals(database, seeded.q1_id)
    async with database.read() as repos:
        round_ = await repos.plan.round(seeded.q1_id)
        report = await load_report(repos, ReportRequest(ReportKind.PROJECTS, round=round_), now=NOW)
    files = {
        fmt: render(report, fmt, "th", office=OFFICE, kind=ReportKind.PROJECTS, scope="Q1")
        for fmt in (Format.TEXT, Format.XLSX, Format.CSV, Format.PDF)
    }
    allocated = format_number(expected["allocated"], decimals=2)  # type: ignore[arg-type]
    spent = format_number(expected["spent"], decimals=2)  # type: ignore[arg-type]
    rate = f"{expected['rate']}%"
    chat = files[Format.TEXT].content.decode("utf-8")
    assert f"งบประมาณ {allocated} บาท · ใช้จ่ายแล้ว {spent} บาท ({rate})" in chat
    assert f"รายงานความก้าวหน้าแล้ว {expected['reported']} จาก {expected['count']} โครงการ" in chat
    [totals] = xlsx_table(files[Format.XLSX].content, 0)
    values = list(totals.values())
    assert values[0] == expected["count"] and values[1] == expected["reported"]
    assert Decimal(str(values[3])) == expected["allocated"]
    assert Decimal(str(values[4])) == expected["spent"]
    assert Decimal(str(values[5])) == expected["rate"]
    csv_totals = csv_tables(files[Format.CSV].content)[0][2]
    assert [Decimal(csv_totals[i]) for i in (3, 4, 5)] == [
        expected["allocated"],
        expected["spent"],
        expected["rate"],
    ]
    pdf = pdf_text(files[Format.PDF].content)
    assert f"{allocated} {spent} {rate}" in pdf


async def test_completeness_totals_agree_in_every_format(database: Database, seeded: Seeded):
    async with database.read() as repos:
        round_ = await repos.plan.round(seeded.q1_id)
        report = await load_report(
            repos, ReportRequest(ReportKind.COMPLETENESS, round=round_), now=NOW
        )
    files = {
        fmt: render(report, fmt, "en", office=OFFICE, kind=ReportKind.COMPLETENESS, scope="Q1")
        for fmt in (Format.TEXT, Format.XLSX, Format.CSV, Format.PDF)
    }
    chat = files[Format.TEXT].content.decode("utf-8")
    assert (
        f"Items submitted: {report.submitted} of {report.expected} ({report.item_rate}%) "
        f"· on time {report.on_time} · late {report.late}"
    ) in chat
    [totals] = xlsx_table(files[Format.XLSX].content, 0)
    assert list(totals.values())[3:8] == [
        report.expected,
        report.submitted,
        report.on_time,
        report.late,
        report.missing,
    ]
    schools_rows = xlsx_table(files[Format.XLSX].content, 1)
    assert sum(row["Submitted"] for row in schools_rows) == report.submitted  # type: ignore[misc]
    csv_schools = csv_tables(files[Format.CSV].content)[1][2:]
    assert sum(int(row[3]) for row in csv_schools) == report.submitted
    pdf = pdf_text(files[Format.PDF].content)
    assert (
        f"{report.expected} {report.submitted} {report.on_time} {report.late} {report.missing}"
        in pdf
    )


async def test_the_annual_report_counts_each_round_like_the_round_report(
    database: Database, seeded: Seeded
):
    async with database.read() as repos:
        annual = await load_report(
            repos, ReportRequest(ReportKind.ANNUAL, fiscal_year=seeded.fiscal_year), now=NOW
        )
        assert isinstance(annual, AnnualReport)
        assert [c.round.id for c in annual.rounds] == [seeded.q1_id, seeded.q2_id]
        for in_year in annual.rounds:
            alone = await load_completeness(repos, in_year.round, now=NOW)
            assert [(r.school.code, r.expected, r.on_time, r.late) for r in in_year.schools] == [
                (r.school.code, r.expected, r.on_time, r.late) for r in alone.schools
            ]
