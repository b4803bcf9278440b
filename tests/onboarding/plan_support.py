"""Plans for the onboarding tests: small workbooks, a filled template, table counts."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

from openpyxl import load_workbook
from sqlalchemy import func, select

from onboarding.sheets import SHEETS_BY_KEY
from onboarding.workbook import template_bytes, write_workbook
from storage.database import Database
from storage.schema import (
    audit_log,
    csfs,
    kpis,
    people,
    projects,
    rounds,
    schools,
    strategies,
    targets,
)

TABLES = {
    "schools": schools,
    "strategies": strategies,
    "csfs": csfs,
    "kpis": kpis,
    "targets": targets,
    "projects": projects,
    "rounds": rounds,
    "people": people,
    "audit": audit_log,
}


def small_plan() -> dict[str, list[dict[str, Any]]]:
    """A complete, valid plan: the office, two schools, everything hanging off them."""
    return {
        "schools": [
            {"code": "OFFICE", "name_th": "สำนักงานเขตพื้นที่ทดสอบ", "kind": "office"},
            {"code": "S01", "name_th": "โรงเรียนหนึ่งวิทยา", "province": "ชลบุรี"},
            {"code": "S02", "name_th": "โรงเรียนสองพิทยาคม", "name_en": "Song School"},
        ],
        "strategies": [{"code": "ST1", "name_th": "พัฒนาคุณภาพผู้เรียน"}],
        "csfs": [{"code": "C1", "strategy_code": "ST1", "name_th": "ครูได้รับการพัฒนา"}],
        "kpis": [
            {
                "code": "KP1",
                "name_th": "ร้อยละนักเรียนผ่านเกณฑ์",
                "unit_th": "ร้อยละ",
                "value_type": "percent",
                "scoring_bands": ">=90:5; 80-89.99:4; <80:1",
                "csf_code": "C1",
            },
            {
                "code": "KP2",
                "name_th": "ระดับความสำเร็จ",
                "unit_th": "ระดับ",
                "value_type": "level",
                "frequency": "annual",
            },
        ],
        "targets": [
            {"school_code": "S01", "kpi_code": "KP1", "fiscal_year": 2570, "target_value": 80},
            {"school_code": "S02", "kpi_code": "KP1", "fiscal_year": 2570, "target_value": "๗๕.๕"},
            {"school_code": "S01", "kpi_code": "KP2", "fiscal_year": 2570, "target_value": 4},
        ],
        "projects": [
            {
                "code": "P1",
                "fiscal_year": 2570,
                "owner_code": "S01",
                "name": "โครงการห้องสมุดมีชีวิต",
                "strategy_code": "ST1",
                "budget_allocated": "๑๒,๕๐๐",
                "planned_start": "1/10/2569",
                "planned_end": dt.date(2027, 9, 30),
            }
        ],
        "rounds": [
            {
                "code": "R1",
                "fiscal_year": 2570,
                "name_th": "รอบที่ 1",
                "opens_at": "1 ธ.ค. 2569 08:30",
                "due_at": dt.datetime(2027, 1, 15, 16, 30),
            }
        ],
        "people": [
            {"code": "T1", "full_name": "ครูสมใจ ใฝ่ดี", "role": "reporter", "school_code": "S01"}
        ],
    }


def workbook(plan: dict[str, list[dict[str, Any]]]) -> bytes:
    """An XLSX in the template's layout holding these rows (by column name)."""
    rows = {
        key: [[row.get(column.key) for column in SHEETS_BY_KEY[key].columns] for row in sheet_rows]
        for key, sheet_rows in plan.items()
    }
    return write_workbook(rows)


def fill_template(rows: dict[str, list[list[Any]]]) -> bytes:
    """The empty template as an office fills it in: rows typed below the example row."""
    book = load_workbook(io.BytesIO(template_bytes()))
    for key, sheet_rows in rows.items():
        sheet = book[key]
        for values in sheet_rows:
            sheet.append(
                [
                    (("yes" if value else "no") if isinstance(value, bool) else value)
                    for value in values
                ]
            )
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def edited(content: bytes, sheet: str, cell: str, value: Any) -> bytes:
    """A workbook with one cell changed."""
    book = load_workbook(io.BytesIO(content))
    book[sheet][cell] = value
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


async def counts(database: Database) -> dict[str, int]:
    """Rows per plan table, and in the audit log."""
    async with database.read() as repos:
        result = {}
        for name, table in TABLES.items():
            query = select(func.count()).select_from(table)
            result[name] = int((await repos.connection.execute(query)).scalar_one())
        return result
