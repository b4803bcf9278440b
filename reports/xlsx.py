"""A document as an Excel workbook: a sheet per view, ready to filter and forward.

Each sheet opens with the report's title, the office, the fiscal year and
round (Buddhist Era in Thai) and when it was made; then the table with a
frozen header row, an auto filter, number formats that keep the engine's
decimals, and met / not met (complete / not complete) in green and red.
Numbers are stored as numbers, so the office can keep calculating with them.
"""

from __future__ import annotations

import io
import re
from decimal import Decimal
from typing import Final

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from reports.document import Cell, Column, ColumnKind, Document, Sheet

HEADER_ROW: Final = 6
"""The row of column headings in every sheet (rows above hold the title block)."""

_FORMATS: Final = {
    ColumnKind.INTEGER: "#,##0",
    ColumnKind.DECIMAL: "#,##0.00##",
    ColumnKind.PERCENT: '0.0#"%"',
    ColumnKind.MONEY: "#,##0.00",
}
_TITLE: Final = Font(bold=True, size=14)
_HEADER: Final = Font(bold=True, color="FFFFFF")
_HEADER_FILL: Final = PatternFill("solid", fgColor="1F4E79")
_GOOD: Final = PatternFill("solid", fgColor="C6EFCE")
_GOOD_FONT: Final = Font(color="006100")
_BAD: Final = PatternFill("solid", fgColor="FFC7CE")
_BAD_FONT: Final = Font(color="9C0006")
_SHEET_NAME_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
_MAX_WIDTH: Final = 60
_WIDTH_SAMPLE: Final = 500  # rows looked at to size the columns
_WRAP: Final = Alignment(wrap_text=True, vertical="center")


def _sheet_name(name: str, taken: set[str]) -> str:
    """A tab name Excel accepts (31 characters, no []:*?/\\), unique in the workbook."""
    base = _SHEET_NAME_FORBIDDEN.sub(" ", name).strip()[:31] or "Sheet"
    candidate, number = base, 2
    while candidate.casefold() in taken:
        suffix = f" ({number})"
        candidate = base[: 31 - len(suffix)] + suffix
        number += 1
    taken.add(candidate.casefold())
    return candidate


def _value(cell: Cell, column: Column) -> object:
    if cell is None:
        return None
    if column.kind is ColumnKind.FLAG:
        return column.yes if cell else column.no
    if isinstance(cell, Decimal):
        # openpyxl writes Decimal through float; an int keeps whole numbers exact and tidy
        return int(cell) if cell == cell.to_integral_value() else cell
    return cell


def _styled(ws: object, value: object, **style: object) -> WriteOnlyCell:
    cell = WriteOnlyCell(ws, value=value)
    for name, setting in style.items():
        setattr(cell, name, setting)
    return cell


def _write_sheet(book: Workbook, document: Document, sheet: Sheet, taken: set[str]) -> None:
    # write-only mode streams rows: a thousand schools' scorecards stay fast and small
    ws = book.create_sheet(_sheet_name(sheet.name, taken))
    widths = [max(8, min(_MAX_WIDTH, len(column.title) + 2)) for column in sheet.columns]
    for row in sheet.rows[:_WIDTH_SAMPLE]:
        for index, cell in enumerate(row):
            if isinstance(cell, str):
                widths[index] = max(widths[index], min(_MAX_WIDTH, len(cell) + 2))
    for index, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(index)].width = width
    ws.freeze_panes = f"A{HEADER_ROW + 1}"
    last_row = HEADER_ROW + len(sheet.rows)
    ws.auto_filter.ref = f"A{HEADER_ROW}:{get_column_letter(len(sheet.columns))}{last_row}"
    ws.append([_styled(ws, f"{document.title} — {sheet.title}", font=_TITLE)])
    ws.append([document.office])
    ws.append([" · ".join(document.scope)])
    ws.append([document.generated_label])
    ws.append([])
    ws.append(
        [
            _styled(ws, column.title, font=_HEADER, fill=_HEADER_FILL, alignment=_WRAP)
            for column in sheet.columns
        ]
    )
    # Write-only rows are serialized on append, so one styled cell per column can carry
    # every row's value: styles are then built once per sheet, not once per cell.
    formatted: list[WriteOnlyCell | None] = [
        _styled(ws, None, number_format=_FORMATS[column.kind]) if column.kind in _FORMATS else None
        for column in sheet.columns
    ]
    good = [_styled(ws, None, fill=_GOOD, font=_GOOD_FONT) for _ in sheet.columns]
    bad = [_styled(ws, None, fill=_BAD, font=_BAD_FONT) for _ in sheet.columns]
    flags = [column.kind is ColumnKind.FLAG for column in sheet.columns]
    for row in sheet.rows:
        out: list[object] = []
        for index, (cell, column) in enumerate(zip(row, sheet.columns, strict=True)):
            value = _value(cell, column)
            styled = formatted[index]
            if cell is None:
                out.append(None)
                continue
            if flags[index]:
                styled = good[index] if cell else bad[index]
            if styled is None:
                out.append(value)
            else:
                styled.value = value
                out.append(styled)
        ws.append(out)


def render_xlsx(document: Document) -> bytes:
    """The workbook as bytes."""
    book = Workbook(write_only=True)
    taken: set[str] = set()
    for sheet in document.sheets:
        _write_sheet(book, document, sheet, taken)
    book.properties.title = document.title
    book.properties.creator = document.office
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
