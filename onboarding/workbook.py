"""Writing the plan workbook: the empty template, and the plan as it is stored.

Every sheet starts with two header rows, the Thai labels and the English
column names, frozen so they stay in view. The template adds one example row
(the importer skips it while it is left as it is); an export writes the
stored rows instead, so the same file can be edited and imported again.
Columns with a fixed set of values get a drop-down list; codes are text
cells, so ``01`` stays ``01``; dates and times are real Excel dates. The
first sheet explains every column in Thai and English.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any, Final

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from domain.i18n import plain
from onboarding.report import example_text, expected_text
from onboarding.sheets import HELP_SHEET, SHEETS, Column, Kind, Sheet

_HEADER_FILL: Final = PatternFill("solid", fgColor="DDEBF7")
_KEY_FILL: Final = PatternFill("solid", fgColor="F2F2F2")
_BOLD: Final = Font(bold=True)
_KEY_FONT: Final = Font(italic=True, color="595959")
_EXAMPLE_FONT: Final = Font(italic=True, color="808080")
_WRAP: Final = Alignment(wrap_text=True, vertical="top")
_WIDTH: Final = {
    Kind.CODE: 16,
    Kind.TEXT: 36,
    Kind.INTEGER: 10,
    Kind.YEAR: 10,
    Kind.MONEY: 14,
    Kind.TARGET: 12,
    Kind.DATE: 13,
    Kind.DATETIME: 17,
    Kind.YES_NO: 10,
    Kind.CHOICE: 15,
    Kind.CHOICES: 20,
    Kind.BANDS: 34,
    Kind.LADDER: 24,
}
_NUMBER_FORMAT: Final = {
    Kind.CODE: "@",
    # text, so that a lone step such as 0 or -7 is not turned into a number
    Kind.LADDER: "@",
    Kind.DATE: "d/m/yyyy",
    Kind.DATETIME: "d/m/yyyy h:mm",
    Kind.MONEY: "#,##0.00",
}
# Drop-downs and formats cover this many rows below the data, for new entries.
_SPARE_ROWS: Final = 2000
FIRST_DATA_ROW: Final = 3

SheetRows = Mapping[str, Sequence[Sequence[Any]]]


def _cell_value(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    return value


def _validation(column: Column) -> DataValidation | None:
    if column.kind not in (Kind.CHOICE, Kind.YES_NO, Kind.CHOICES) or not column.choices:
        return None
    validation = DataValidation(
        type="list",
        formula1='"' + ",".join(column.choices) + '"',
        allow_blank=True,
        showErrorMessage=True,
        errorTitle=plain("th", "onboarding.template.choice_title"),
        error=plain("th", "onboarding.template.choice_error", choices=", ".join(column.choices)),
    )
    return validation


def _write_sheet(worksheet: Worksheet, sheet: Sheet, rows: Sequence[Sequence[Any]] | None) -> None:
    worksheet.append([plain("th", column.label_key) for column in sheet.columns])
    worksheet.append([column.key for column in sheet.columns])
    for index, column in enumerate(sheet.columns, start=1):
        letter = get_column_letter(index)
        worksheet.column_dimensions[letter].width = _WIDTH[column.kind]
        top, key = worksheet.cell(1, index), worksheet.cell(2, index)
        top.font, top.fill, top.alignment = _BOLD, _HEADER_FILL, _WRAP
        key.font, key.fill = _KEY_FONT, _KEY_FILL
    data = rows if rows is not None else [[column.example for column in sheet.columns]]
    formats = {
        index: _NUMBER_FORMAT[column.kind]
        for index, column in enumerate(sheet.columns, start=1)
        if column.kind in _NUMBER_FORMAT
    }
    for values in data:
        worksheet.append([_cell_value(value) for value in values])
    last = FIRST_DATA_ROW + len(data) - 1
    for row_cells in worksheet.iter_rows(min_row=FIRST_DATA_ROW, max_row=last):
        for cell in row_cells:
            number_format = formats.get(cell.column)
            if number_format is not None:
                cell.number_format = number_format
            if rows is None:
                cell.font = _EXAMPLE_FONT
    spare = last + _SPARE_ROWS
    for index, column in enumerate(sheet.columns, start=1):
        letter = get_column_letter(index)
        validation = _validation(column)
        if validation is not None:
            worksheet.add_data_validation(validation)
            validation.add(f"{letter}{FIRST_DATA_ROW}:{letter}{spare}")
        number_format = formats.get(index)
        if number_format is not None:
            # empty cells below keep the format, so a typed code or date is stored as meant
            worksheet.column_dimensions[letter].number_format = number_format
    worksheet.freeze_panes = f"A{FIRST_DATA_ROW}"


def _write_help(worksheet: Worksheet) -> None:
    worksheet.append([plain("th", "onboarding.template.help_title")])
    worksheet.append([plain("en", "onboarding.template.help_title")])
    worksheet.append([plain("th", "onboarding.template.help_intro")])
    worksheet.append([plain("en", "onboarding.template.help_intro")])
    worksheet.append([])
    header = [plain("th", f"onboarding.template.help_column.{name}") for name in _HELP_COLUMNS]
    worksheet.append(header)
    header_row = worksheet.max_row
    for sheet in SHEETS:
        for column in sheet.columns:
            worksheet.append(
                [
                    sheet.key,
                    column.key,
                    plain("th", column.label_key),
                    plain("en", column.label_key),
                    plain(
                        "th", f"onboarding.template.{'required' if column.required else 'optional'}"
                    ),
                    plain("th", f"onboarding.describe.{sheet.key}.{column.key}"),
                    plain("en", f"onboarding.describe.{sheet.key}.{column.key}"),
                    expected_text(column, "th"),
                    expected_text(column, "en"),
                    example_text(column, "th"),
                ]
            )
    for index, width in enumerate((12, 18, 26, 26, 10, 50, 50, 45, 45, 24), start=1):
        worksheet.column_dimensions[get_column_letter(index)].width = width
    for cell in worksheet[header_row]:
        cell.font, cell.fill = _BOLD, _HEADER_FILL
    for row_cells in worksheet.iter_rows(min_row=header_row + 1):
        for cell in row_cells:
            cell.alignment = _WRAP
    worksheet["A1"].font = Font(bold=True, size=14)
    worksheet["A2"].font = Font(bold=True, size=12, color="595959")
    worksheet.freeze_panes = f"A{header_row + 1}"


_HELP_COLUMNS: Final = (
    "sheet",
    "column",
    "label_th",
    "label_en",
    "required",
    "describe_th",
    "describe_en",
    "accepts_th",
    "accepts_en",
    "example",
)


def write_workbook(rows: SheetRows | None = None) -> bytes:
    """The plan workbook as XLSX bytes: the template (``rows=None``) or the given rows.

    ``rows`` maps a sheet key to its data rows, each a sequence of values in
    the sheet's column order; sheets without rows are written with headers only.
    """
    workbook = Workbook()
    help_sheet = workbook.active
    assert help_sheet is not None
    help_sheet.title = HELP_SHEET
    _write_help(help_sheet)
    for sheet in SHEETS:
        worksheet = workbook.create_sheet(sheet.key)
        _write_sheet(worksheet, sheet, None if rows is None else rows.get(sheet.key, ()))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def template_bytes() -> bytes:
    """The empty plan template, with one example row per sheet."""
    return write_workbook(None)


def local_naive(moment: dt.datetime, tz: dt.tzinfo) -> dt.datetime:
    """A stored moment as an office-clock Excel date and time (Excel has no time zones)."""
    return moment.astimezone(tz).replace(tzinfo=None)
