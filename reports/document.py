"""The shape every file renderer reads: a titled document of typed tables and charts.

A report object becomes a :class:`Document` once (``reports.documents``);
XLSX, CSV, PDF, PNG and HTML renderers only lay it out. Cells keep their
exact values (``Decimal``, ``int``, ``bool``); :func:`format_cell` is the one
place that turns a cell into text, for PDF and HTML alike, so the files show
the same digits the chat shows.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

from domain.i18n import Lang
from domain.numbers import format_number

Cell = str | int | Decimal | bool | None


class ColumnKind(StrEnum):
    """How a column's cells are written and formatted."""

    TEXT = "text"
    INTEGER = "integer"
    DECIMAL = "decimal"
    PERCENT = "percent"  # a percentage in percent units (75.0 means 75 %)
    MONEY = "money"  # baht with satang
    FLAG = "flag"  # a yes/no judgement shown with the column's own words

    @property
    def numeric(self) -> bool:
        return self in (
            ColumnKind.INTEGER,
            ColumnKind.DECIMAL,
            ColumnKind.PERCENT,
            ColumnKind.MONEY,
        )


@dataclass(frozen=True, slots=True)
class Column:
    """A column: its heading, kind, relative width, and the words of a flag."""

    title: str
    kind: ColumnKind = ColumnKind.TEXT
    width: float = 1.0
    yes: str = ""
    no: str = ""


@dataclass(frozen=True, slots=True)
class Sheet:
    """One view of a report: a table with a title.

    ``pdf_limit`` caps the rows the PDF prints (the rest stays in XLSX and
    CSV); ``in_pdf`` False leaves a detail table to the spreadsheet entirely.
    """

    key: str
    name: str
    title: str
    columns: tuple[Column, ...]
    rows: tuple[tuple[Cell, ...], ...]
    pdf_limit: int | None = None
    in_pdf: bool = True


@dataclass(frozen=True, slots=True)
class Series:
    """One named series of a chart."""

    name: str
    values: tuple[Decimal | None, ...]


@dataclass(frozen=True, slots=True)
class Chart:
    """A bar or line chart of the report's figures.

    ``percent`` charts run from 0 to 100 (or above, when a figure does);
    ``reference`` draws a dashed line (e.g. the district rate or 100 % of target).
    """

    key: str
    title: str
    labels: tuple[str, ...]
    series: tuple[Series, ...]
    percent: bool = True
    horizontal: bool = True
    line: bool = False
    reference: Decimal | None = None
    reference_label: str = ""
    note: str = ""


@dataclass(frozen=True, slots=True)
class Document:
    """A report ready to lay out: title page facts, headline figures, tables and charts."""

    kind: str
    lang: Lang
    title: str
    office: str
    scope: tuple[str, ...]
    generated_at: dt.datetime
    generated_label: str
    highlights: tuple[tuple[str, str], ...]
    sheets: tuple[Sheet, ...]
    charts: tuple[Chart, ...] = field(default=())
    public: bool = False

    def sheet(self, key: str) -> Sheet:
        """The sheet with a key (KeyError when the report has none)."""
        for sheet in self.sheets:
            if sheet.key == key:
                return sheet
        raise KeyError(key)


def shown(value: Decimal) -> str:
    """A computed figure with exactly the decimals the engine rounded it to."""
    exponent = value.as_tuple().exponent
    decimals = -exponent if isinstance(exponent, int) and exponent < 0 else 0
    return format_number(value, decimals=decimals)


def format_cell(cell: Cell, column: Column) -> str:
    """A cell as people read it in the PDF and HTML (``–`` where there is nothing)."""
    if cell is None:
        return "–"
    match column.kind:
        case ColumnKind.FLAG:
            return column.yes if cell else column.no
        case ColumnKind.INTEGER:
            return format_number(Decimal(int(cell)), decimals=0)
        case ColumnKind.MONEY:
            return format_number(Decimal(cell), decimals=2)
        case ColumnKind.PERCENT:
            return f"{shown(Decimal(cell))}%"
        case ColumnKind.DECIMAL:
            return shown(Decimal(cell))
        case ColumnKind.TEXT:
            return str(cell)


def raw_cell(cell: Cell, column: Column) -> str:
    """A cell for CSV: plain digits without grouping or units, flags as their words."""
    if cell is None:
        return ""
    if column.kind is ColumnKind.FLAG:
        return column.yes if cell else column.no
    if column.kind is ColumnKind.MONEY:
        return f"{Decimal(cell).quantize(Decimal('0.01')):f}"
    if isinstance(cell, Decimal):
        return f"{cell:f}"
    return str(cell)
