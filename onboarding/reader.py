"""Reading what an office sends: an XLSX workbook, CSV files, or a ZIP of CSVs.

The reader finds each plan sheet (by its English name or its Thai or English
label), finds the header rows (a column is known by its English name or its
Thai or English header label, so either header row works and extra columns
of the office's own are ignored), skips the template's untouched example row
and empty lines, and hands on the cells exactly as stored: text, numbers,
real Excel dates. It refuses what is not a plan with one clear
:class:`~onboarding.problems.PlanFileError` (wrong type, corrupt, too large)
and records sheet-level problems (no header, missing column, formulas
instead of values) for the report.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, Final

from domain.i18n import LANGUAGES, plain
from onboarding.problems import Cell, PlanFileError, Problem, shown_value
from onboarding.rows import RawRow
from onboarding.sheets import (
    MAX_FILE_BYTES,
    MAX_UNPACKED_BYTES,
    SHEETS,
    SHEETS_BY_KEY,
    Sheet,
)

_ZIP_MAGIC: Final = b"PK\x03\x04"
_OLE_MAGIC: Final = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # Excel 97-2003 .xls
_CSV_ENCODINGS: Final = ("utf-8-sig", "cp874")  # cp874: Thai Windows, as old Excel saves CSV


@dataclass(slots=True)
class RawSheet:
    """The data rows of one sheet, with the columns its header named."""

    key: str
    rows: list[RawRow] = field(default_factory=list)
    columns: tuple[str, ...] = ()


@dataclass(slots=True)
class RawPlan:
    """Everything read from a plan file, and what was wrong with its shape."""

    name: str
    sheets: dict[str, RawSheet] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    @property
    def row_count(self) -> int:
        """Data rows in all sheets."""
        return sum(len(sheet.rows) for sheet in self.sheets.values())


def _norm(text: str) -> str:
    return " ".join(text.casefold().split())


@cache
def _sheet_names() -> dict[str, str]:
    names: dict[str, str] = {}
    for sheet in SHEETS:
        names[_norm(sheet.key)] = sheet.key
        for lang in LANGUAGES:
            names[_norm(plain(lang, sheet.label_key))] = sheet.key
    return names


@cache
def _header_labels(sheet_key: str) -> dict[str, str]:
    labels: dict[str, str] = {}
    for column in SHEETS_BY_KEY[sheet_key].columns:
        labels[_norm(column.key)] = column.key
        for lang in LANGUAGES:
            labels[_norm(plain(lang, column.label_key))] = column.key
    return labels


def _fingerprint(value: Any) -> str:
    """A cell reduced to what a person sees, to recognise the untouched example row."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        if value.time() == dt.time():
            return value.date().isoformat()
        return value.isoformat(timespec="minutes")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


@cache
def _example(sheet_key: str) -> dict[str, str]:
    return {column.key: _fingerprint(column.example) for column in SHEETS_BY_KEY[sheet_key].columns}


# A row as the reader sees it: its number, and each cell with "is it a formula".
SourceRow = tuple[int, list[tuple[Cell, bool]]]


def _empty(value: Cell) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def read_sheet(sheet: Sheet, rows: Iterable[SourceRow], plan: RawPlan) -> None:
    """Turn the rows of one sheet into a :class:`RawSheet` of ``plan``, noting problems."""
    labels = _header_labels(sheet.key)
    header: dict[int, str] | None = None
    raw = RawSheet(sheet.key)
    seen_anything = False
    for number, cells in rows:
        filled = [(index, value, formula) for index, (value, formula) in enumerate(cells)]
        filled = [item for item in filled if not _empty(item[1])]
        if not filled:
            continue
        seen_anything = True
        as_labels = {index: labels.get(_norm(str(value))) for index, value, _ in filled}
        if header is None:
            if not any(as_labels.values()):
                plan.problems.append(
                    Problem(
                        "onboarding.problem.header_missing",
                        sheet=sheet.key,
                        row=number,
                        params={"columns": ", ".join(c.key for c in sheet.columns)},
                    )
                )
                return
            header = {index: key for index, key in as_labels.items() if key is not None}
            if not _check_header(sheet, header, number, plan):
                return
            raw.columns = tuple(dict.fromkeys(header.values()))
            continue
        if all(as_labels.values()):
            continue  # the second header row (the other language)
        values: dict[str, Cell] = {}
        formula_found = False
        for index, value, formula in filled:
            key = header.get(index)
            if key is None:
                continue
            if formula:
                formula_found = True
                plan.problems.append(
                    Problem(
                        "onboarding.problem.formula",
                        sheet=sheet.key,
                        row=number,
                        column=key,
                        value=shown_value(value),
                    )
                )
            values[key] = value
        if formula_found or not values:
            continue
        example = _example(sheet.key)
        if all(_fingerprint(values.get(key)) == example[key] for key in raw.columns):
            continue  # the template's example row, left as it was
        raw.rows.append(RawRow(number, values))
    if not seen_anything:
        plan.problems.append(Problem("onboarding.problem.sheet_empty", sheet=sheet.key))
        return
    plan.sheets[sheet.key] = raw


def _check_header(sheet: Sheet, header: dict[int, str], number: int, plan: RawPlan) -> bool:
    good = True
    found = list(header.values())
    for key in sorted({key for key in found if found.count(key) > 1}):
        plan.problems.append(
            Problem("onboarding.problem.column_twice", sheet=sheet.key, row=number, column=key)
        )
        good = False
    for column in sheet.columns:
        if column.required and column.key not in found:
            plan.problems.append(
                Problem(
                    "onboarding.problem.column_missing",
                    sheet=sheet.key,
                    row=number,
                    column=column.key,
                )
            )
            good = False
    return good


def _too_large(name: str, size: int, limit: int) -> PlanFileError:
    return PlanFileError(
        Problem(
            "onboarding.problem.too_large",
            params={
                "name": name,
                "size": f"{size / 1024 / 1024:.1f}",
                "limit": f"{limit / 1024 / 1024:.0f}",
            },
        )
    )


def _file_problem(key: str, name: str) -> PlanFileError:
    return PlanFileError(Problem(f"onboarding.problem.{key}", params={"name": name}))


def _check_unpacked(archive: zipfile.ZipFile, name: str) -> None:
    unpacked = sum(info.file_size for info in archive.infolist())
    if unpacked > MAX_UNPACKED_BYTES:
        raise _too_large(name, unpacked, MAX_UNPACKED_BYTES)


def _xlsx_rows(worksheet: Any) -> Iterator[SourceRow]:
    # Some programs write a wrong size into the file; read every row that is there.
    worksheet.reset_dimensions()
    for cells in worksheet.iter_rows():
        numbers = [cell.row for cell in cells if getattr(cell, "row", None)]
        if not numbers:
            continue
        row: list[tuple[Cell, bool]] = [(cell.value, cell.data_type == "f") for cell in cells]
        yield numbers[0], row


def read_xlsx(name: str, content: bytes) -> RawPlan:
    """Read a plan workbook; formulas are reported, never evaluated."""
    from openpyxl import load_workbook  # on first use: openpyxl is slow to import

    plan = RawPlan(name)
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            _check_unpacked(archive, name)
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=False)
    except PlanFileError:
        raise
    except Exception:  # openpyxl raises many kinds of error for a damaged file
        raise _file_problem("corrupt", name) from None
    try:
        found = False
        for title in workbook.sheetnames:
            key = _sheet_names().get(_norm(title))
            if key is None:
                continue
            found = True
            try:
                read_sheet(SHEETS_BY_KEY[key], _xlsx_rows(workbook[title]), plan)
            except PlanFileError:
                raise
            except Exception:
                raise _file_problem("corrupt", name) from None
    finally:
        workbook.close()
    if not found:
        raise _file_problem("no_sheets", name)
    return _finish(plan)


def _decode_csv(name: str, content: bytes) -> str:
    for encoding in _CSV_ENCODINGS:
        try:
            return content.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise _file_problem("csv_encoding", name)


def _csv_rows(text: str) -> Iterator[SourceRow]:
    for number, cells in enumerate(csv.reader(io.StringIO(text, newline="")), start=1):
        # CSV has no formulas, but text starting with "=" was one before it was saved
        yield number, [(value, value.lstrip().startswith("=")) for value in cells]


def _csv_sheet(file_name: str) -> str | None:
    stem = file_name.rsplit("/", 1)[-1]
    if not stem.lower().endswith(".csv"):
        return None
    return _sheet_names().get(_norm(stem[:-4]))


def read_csv_files(name: str, files: Iterable[tuple[str, bytes]]) -> RawPlan:
    """Read CSV files named after the sheets (``schools.csv``, ``targets.csv``…)."""
    plan = RawPlan(name)
    found = False
    for file_name, content in sorted(files, key=lambda item: _sheet_order(item[0])):
        key = _csv_sheet(file_name)
        if key is None:
            plan.problems.append(
                Problem(
                    "onboarding.problem.unknown_csv",
                    params={
                        "name": file_name,
                        "sheets": ", ".join(f"{sheet.key}.csv" for sheet in SHEETS),
                    },
                )
            )
            continue
        found = True
        read_sheet(SHEETS_BY_KEY[key], _csv_rows(_decode_csv(file_name, content)), plan)
    if not found and not plan.problems:
        raise _file_problem("no_sheets", name)
    return _finish(plan)


def _sheet_order(file_name: str) -> int:
    key = _csv_sheet(file_name)
    return [sheet.key for sheet in SHEETS].index(key) if key else len(SHEETS)


def _read_zip(name: str, content: bytes) -> RawPlan:
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            names = archive.namelist()
            if "xl/workbook.xml" in names:
                return read_xlsx(name, content)
            _check_unpacked(archive, name)
            members = [
                member
                for member in names
                if member.lower().endswith(".csv") and not member.startswith("__MACOSX")
            ]
            if not members:
                raise _file_problem("wrong_type", name)
            files = [(member, archive.read(member)) for member in members]
    except zipfile.BadZipFile:
        raise _file_problem("corrupt", name) from None
    return read_csv_files(name, files)


def read_plan_bytes(name: str, content: bytes) -> RawPlan:
    """Read a plan sent as one file: XLSX, a CSV named after its sheet, or a ZIP of CSVs."""
    if len(content) > MAX_FILE_BYTES:
        raise _too_large(name, len(content), MAX_FILE_BYTES)
    lower = name.lower()
    if content.startswith(_ZIP_MAGIC):
        return _read_zip(name, content)
    if content.startswith(_OLE_MAGIC) or lower.endswith(".xls"):
        raise _file_problem("old_xls", name)
    if lower.endswith((".xlsx", ".xlsm", ".zip")):
        raise _file_problem("corrupt", name)
    if lower.endswith(".csv"):
        return read_csv_files(name, [(name, content)])
    raise _file_problem("wrong_type", name)


def read_plan_path(path: Path) -> RawPlan:
    """Read a plan file, or a folder of CSV files, from disk."""
    if path.is_dir():
        files = sorted(item for item in path.iterdir() if item.suffix.lower() == ".csv")
        total = sum(item.stat().st_size for item in files)
        if total > MAX_FILE_BYTES:
            raise _too_large(path.name, total, MAX_FILE_BYTES)
        if not files:
            raise _file_problem("no_csv", str(path))
        return read_csv_files(path.name, [(item.name, item.read_bytes()) for item in files])
    if not path.is_file():
        raise _file_problem("not_found", str(path))
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise _too_large(path.name, size, MAX_FILE_BYTES)
    return read_plan_bytes(path.name, path.read_bytes())


def _finish(plan: RawPlan) -> RawPlan:
    if not plan.problems and plan.row_count == 0:
        plan.problems.append(Problem("onboarding.problem.no_rows"))
    return plan


__all__ = [
    "RawPlan",
    "RawSheet",
    "read_csv_files",
    "read_plan_bytes",
    "read_plan_path",
    "read_xlsx",
]
