"""Export the stored plan in the template, so that importing it changes nothing.

Ids become codes again, moments become office-clock Excel dates, and every
optional column is written out, so an import of the export finds each row
equal to what is stored. People appear only when they came from a plan
(they have a code); those who joined by invite alone are not plan data.
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from domain.errors import InvalidInput
from onboarding.sheets import SHEETS
from onboarding.workbook import local_naive, write_workbook
from scheduler.ladder import ladder_text, parse_ladder
from storage.database import Database


def _codes(rows: list[dict[str, Any]]) -> dict[int, str]:
    return {row["id"]: row["code"] for row in rows}


def _steps(stored: Any) -> str | None:
    """A round's stored ladder as the plan writes it; empty for the default ladder.

    An empty cell keeps what is stored, so the default ladder (null) and a
    ladder nobody can read both survive an export and re-import unchanged.
    """
    if stored is None:
        return None
    try:
        return ladder_text(parse_ladder(stored))
    except InvalidInput:
        return None


async def plan_rows(database: Database, *, tz: ZoneInfo) -> dict[str, list[list[Any]]]:
    """The stored plan as rows of the template's sheets, in each sheet's column order."""
    async with database.read() as repos:
        bulk = repos.plan_bulk
        stored = {sheet.key: await bulk.all_rows(sheet.key) for sheet in SHEETS}  # type: ignore[arg-type]
    schools = _codes(stored["schools"])
    strategies = _codes(stored["strategies"])
    csfs = _codes(stored["csfs"])
    kpis = {row["id"]: row for row in stored["kpis"]}
    records: dict[str, list[dict[str, Any]]] = {
        # the office first, then schools by code
        "schools": sorted(stored["schools"], key=lambda r: (r["kind"] != "office", r["code"])),
        "strategies": sorted(stored["strategies"], key=lambda r: (r["sort_order"], r["code"])),
        "csfs": [
            {**row, "strategy_code": strategies[row["strategy_id"]]}
            for row in sorted(stored["csfs"], key=lambda r: r["code"])
        ],
        "kpis": [
            {
                **row,
                "strategy_code": strategies.get(row["strategy_id"]),
                "csf_code": csfs.get(row["csf_id"]),
            }
            for row in sorted(stored["kpis"], key=lambda r: (r["sort_order"], r["code"]))
        ],
        "targets": [
            {
                **row,
                "school_code": schools[row["school_id"]],
                "kpi_code": kpis[row["kpi_id"]]["code"],
            }
            for row in sorted(
                stored["targets"],
                key=lambda r: (
                    r["fiscal_year"],
                    schools[r["school_id"]],
                    kpis[r["kpi_id"]]["sort_order"],
                    kpis[r["kpi_id"]]["code"],
                ),
            )
        ],
        "projects": [
            {
                **row,
                "owner_code": schools[row["school_id"]],
                "strategy_code": strategies.get(row["strategy_id"]),
            }
            for row in sorted(stored["projects"], key=lambda r: r["code"])
        ],
        "rounds": [
            {
                **row,
                "opens_at": local_naive(row["opens_at"], tz),
                "due_at": local_naive(row["due_at"], tz),
                "kpi_frequencies": row["kpi_frequencies"].replace(",", "+"),
                "reminder_steps": _steps(row["reminder_ladder"]),
            }
            for row in sorted(stored["rounds"], key=lambda r: (r["opens_at"], r["code"]))
        ],
        "people": [
            {**row, "school_code": schools[row["school_id"]]}
            for row in sorted(stored["people"], key=lambda r: r["code"])
        ],
    }
    return {
        sheet.key: [
            [record.get(column.key) for column in sheet.columns] for record in records[sheet.key]
        ]
        for sheet in SHEETS
    }


async def export_plan(database: Database, *, tz: ZoneInfo) -> bytes:
    """The stored plan as an XLSX workbook in the template."""
    return write_workbook(await plan_rows(database, tz=tz))
