"""Importing a large plan (target: under 60 s).

Generates the plan of a big district — 1,000 schools, 40 KPIs, 40,000
targets (every school × every KPI) and 20,000 projects, plus one round — as
the template workbook, then imports it into a fresh SQLite database the way
``tidtam import`` does: read the XLSX, validate every row, check references,
write everything in one transaction. Writing the workbook is not timed. A
second import of the same file (everything unchanged) is measured too.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._common import machine, result
from domain.calendar import BANGKOK
from onboarding.importer import import_plan
from onboarding.reader import read_plan_path
from onboarding.sheets import SHEETS_BY_KEY
from onboarding.workbook import write_workbook
from storage.database import Database

TARGET_SECONDS = 60.0
SCHOOLS = 1_000
KPIS = 40
PROJECTS = 20_000
FISCAL_YEAR = 2570
VALUE_TYPES = ("percent", "number", "count", "level", "yes_no")
TARGET_OF = {"percent": 80, "number": 1250.5, "count": 120, "level": 4, "yes_no": "ใช่"}


def _rows(sheet: str, records: list[dict[str, Any]]) -> list[list[Any]]:
    columns = SHEETS_BY_KEY[sheet].columns
    return [[record.get(column.key) for column in columns] for record in records]


def large_plan() -> dict[str, list[list[Any]]]:
    """The plan of a district of 1,000 schools, in the template's sheets."""
    schools = [{"code": "OFFICE", "name_th": "สำนักงานเขตพื้นที่การศึกษา", "kind": "office"}]
    schools += [
        {
            "code": f"S{number:04d}",
            "name_th": f"โรงเรียนทดสอบวิทยาคม {number}",
            "province": "ชลบุรี",
            "district": "เมืองชลบุรี",
        }
        for number in range(1, SCHOOLS + 1)
    ]
    strategies = [{"code": f"ST{n}", "name_th": f"กลยุทธ์ที่ {n}"} for n in range(1, 5)]
    kpis = [
        {
            "code": f"K{n:02d}",
            "name_th": f"ตัวชี้วัดที่ {n} ร้อยละของนักเรียนที่ผ่านเกณฑ์",
            "unit_th": "หน่วย",
            "value_type": VALUE_TYPES[n % len(VALUE_TYPES)],
            "strategy_code": f"ST{n % 4 + 1}",
        }
        for n in range(1, KPIS + 1)
    ]
    targets = [
        {
            "school_code": school["code"],
            "kpi_code": kpi["code"],
            "fiscal_year": FISCAL_YEAR,
            "target_value": TARGET_OF[kpi["value_type"]],
        }
        for school in schools[1:]
        for kpi in kpis
    ]
    projects = [
        {
            "code": f"P{n:05d}",
            "fiscal_year": FISCAL_YEAR,
            "owner_code": f"S{n % SCHOOLS + 1:04d}",
            "name": f"โครงการพัฒนาคุณภาพการศึกษา ลำดับที่ {n}",
            "strategy_code": f"ST{n % 4 + 1}",
            "budget_allocated": Decimal(10_000 + n),
            "responsible_name": "นางสาวสมใจ ใฝ่เรียน",
            "planned_start": dt.date(2026, 10, 1),
            "planned_end": dt.date(2027, 9, 30),
        }
        for n in range(1, PROJECTS + 1)
    ]
    rounds = [
        {
            "code": "FY2570-Q2",
            "fiscal_year": FISCAL_YEAR,
            "name_th": "รายงานผลไตรมาสที่ 2",
            "opens_at": dt.datetime(2027, 1, 1, 8, 30),  # noqa: DTZ001 (office clock, as in Excel)
            "due_at": dt.datetime(2027, 1, 31, 16, 30),  # noqa: DTZ001
        }
    ]
    return {
        "schools": _rows("schools", schools),
        "strategies": _rows("strategies", strategies),
        "kpis": _rows("kpis", kpis),
        "targets": _rows("targets", targets),
        "projects": _rows("projects", projects),
        "rounds": _rows("rounds", rounds),
    }


async def timed_import(database: Database, path: Path) -> tuple[float, Any]:
    started = time.perf_counter()
    plan = read_plan_path(path)
    report = await import_plan(database, plan, now=dt.datetime.now(dt.UTC), tz=BANGKOK, actor="cli")
    return time.perf_counter() - started, report


async def main() -> int:
    print(f"machine: {machine()}")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "large-plan.xlsx"
        started = time.perf_counter()
        path.write_bytes(write_workbook(large_plan()))
        print(
            f"workbook written in {time.perf_counter() - started:.1f} s "
            f"({path.stat().st_size / 1024 / 1024:.1f} MB, not timed)"
        )
        database = Database(f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}")
        try:
            await database.migrate()
            seconds, report = await timed_import(database, path)
            if report.problems:
                print(f"the generated plan has problems: {report.problems[:3]}")
                return 1
            for sheet, outcome in report.outcomes.items():
                print(f"  {sheet}: created {outcome.created}")
            print(f"first import: {seconds:.1f} s ({report.rows} rows)")
            again, second = await timed_import(database, path)
            print(f"re-import of the same file: {again:.1f} s, changed: {second.changed}")
        finally:
            await database.dispose()
    passed = result(
        "import 1,000 schools / 40 KPIs / 40,000 targets / 20,000 projects",
        f"{seconds:.1f} s",
        f"< {TARGET_SECONDS:.0f} s",
        seconds < TARGET_SECONDS and not second.changed,
    )
    return 0 if passed else 1


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
