"""The plan template: its sheets and columns, in the order people fill them in.

One declaration serves the template writer, the reader (which recognises a
column by its English name or by its Thai or English label), the row
validation, the export and the explanation sheet. Labels and explanations
live in the catalogs (``onboarding.column.<key>``,
``onboarding.describe.<sheet>.<key>``); here are only names, kinds, limits,
allowed values and the example row.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from domain.values import Direction, Frequency, Role, ValueType

MAX_FILE_BYTES: Final = 10 * 1024 * 1024
"""Largest plan file accepted (10 MB): a district plan of 1,000 schools is about 3 MB."""

MAX_UNPACKED_BYTES: Final = 200 * 1024 * 1024
"""Largest uncompressed content of an XLSX or ZIP, so a crafted file cannot fill memory."""

HELP_SHEET: Final = "คำอธิบาย"
"""Name of the explanation sheet; the importer ignores it."""


class Kind(StrEnum):
    """How a column's cells are read."""

    CODE = "code"
    TEXT = "text"
    INTEGER = "integer"
    YEAR = "year"
    MONEY = "money"
    TARGET = "target"
    DATE = "date"
    DATETIME = "datetime"
    YES_NO = "yes_no"
    CHOICE = "choice"
    CHOICES = "choices"
    BANDS = "bands"
    LADDER = "ladder"


ExampleValue = str | int | float | dt.date | dt.datetime | None


@dataclass(frozen=True, slots=True)
class Column:
    """One column of a sheet; ``key`` is its English header and field name."""

    key: str
    kind: Kind
    example: ExampleValue
    required: bool = False
    limit: int = 200
    choices: tuple[str, ...] = ()

    @property
    def label_key(self) -> str:
        """Catalog key of the column's header label."""
        return f"onboarding.column.{self.key}"


@dataclass(frozen=True, slots=True)
class Sheet:
    """One sheet of the template."""

    key: str
    columns: tuple[Column, ...]

    def column(self, key: str) -> Column:
        """The column named ``key``."""
        for column in self.columns:
            if column.key == key:
                return column
        raise KeyError(key)

    @property
    def label_key(self) -> str:
        """Catalog key of the sheet's name in a language."""
        return f"onboarding.sheet.{self.key}"


YES_NO_CHOICES: Final = ("yes", "no")
SCHOOL_KINDS: Final = ("school", "office")
LANGUAGE_CHOICES: Final = ("th", "en")
# A round may ask for each-round KPIs, annual ones, or both ("+" keeps a
# drop-down entry a single item: Excel separates list items with commas).
FREQUENCY_SETS: Final = ("each_round", "annual", "each_round+annual")


def _choices(values: type[StrEnum]) -> tuple[str, ...]:
    return tuple(member.value for member in values)


def _code(example: str, *, limit: int = 32) -> Column:
    return Column("code", Kind.CODE, example, required=True, limit=limit)


def _active() -> Column:
    return Column("active", Kind.YES_NO, "yes", choices=YES_NO_CHOICES)


SCHOOLS = Sheet(
    "schools",
    (
        _code("SCH01"),
        Column("name_th", Kind.TEXT, "โรงเรียนตัวอย่างวิทยา", required=True),
        Column("name_en", Kind.TEXT, "Tuayang Wittaya School"),
        Column("kind", Kind.CHOICE, "school", choices=SCHOOL_KINDS),
        Column("province", Kind.TEXT, "ชลบุรี", limit=100),
        Column("district", Kind.TEXT, "เมืองชลบุรี", limit=100),
        Column("subdistrict", Kind.TEXT, "บางปลาสร้อย", limit=100),
        Column("obec_code", Kind.CODE, "1020080001", limit=16),
        _active(),
    ),
)

STRATEGIES = Sheet(
    "strategies",
    (
        _code("S1"),
        Column("name_th", Kind.TEXT, "พัฒนาคุณภาพผู้เรียน", required=True, limit=2000),
        Column("name_en", Kind.TEXT, "Develop learner quality", limit=2000),
        Column("sort_order", Kind.INTEGER, 1),
    ),
)

CSFS = Sheet(
    "csfs",
    (
        _code("S1-C1"),
        Column("strategy_code", Kind.CODE, "S1", required=True),
        Column("name_th", Kind.TEXT, "ครูได้รับการพัฒนาการจัดการเรียนรู้", required=True, limit=2000),
        Column("name_en", Kind.TEXT, "Teachers are trained in active learning", limit=2000),
    ),
)

KPIS = Sheet(
    "kpis",
    (
        _code("K01"),
        Column(
            "name_th",
            Kind.TEXT,
            "ร้อยละของนักเรียนที่มีผลการทดสอบ O-NET ผ่านเกณฑ์ร้อยละ 50",
            required=True,
            limit=2000,
        ),
        Column(
            "name_en", Kind.TEXT, "Percentage of students scoring at least 50% in O-NET", limit=2000
        ),
        Column("unit_th", Kind.TEXT, "ร้อยละ", required=True, limit=64),
        Column("unit_en", Kind.TEXT, "%", limit=64),
        Column("value_type", Kind.CHOICE, "percent", required=True, choices=_choices(ValueType)),
        Column("direction", Kind.CHOICE, "higher_better", choices=_choices(Direction)),
        Column("frequency", Kind.CHOICE, "each_round", choices=_choices(Frequency)),
        Column("scoring_bands", Kind.BANDS, ">=90:5; 80-89.99:4; 70-79.99:3; <70:1", limit=500),
        Column("strategy_code", Kind.CODE, "S1"),
        Column("csf_code", Kind.CODE, "S1-C1"),
        Column("sort_order", Kind.INTEGER, 1),
        _active(),
    ),
)

TARGETS = Sheet(
    "targets",
    (
        Column("school_code", Kind.CODE, "SCH01", required=True),
        Column("kpi_code", Kind.CODE, "K01", required=True),
        Column("fiscal_year", Kind.YEAR, 2570, required=True),
        Column("target_value", Kind.TARGET, 75, required=True),
    ),
)

PROJECTS = Sheet(
    "projects",
    (
        _code("P2570-001"),
        Column("fiscal_year", Kind.YEAR, 2570, required=True),
        Column("owner_code", Kind.CODE, "SCH01", required=True),
        Column("name", Kind.TEXT, "โครงการยกระดับผลสัมฤทธิ์ทางการเรียน", required=True, limit=2000),
        Column("strategy_code", Kind.CODE, "S1"),
        Column("budget_allocated", Kind.MONEY, 25000),
        Column("responsible_name", Kind.TEXT, "นางสาวสมใจ ใฝ่เรียน"),
        Column("planned_start", Kind.DATE, dt.date(2026, 10, 1)),
        Column("planned_end", Kind.DATE, dt.date(2027, 9, 30)),
        _active(),
    ),
)

ROUNDS = Sheet(
    "rounds",
    (
        _code("FY2570-Q1"),
        Column("fiscal_year", Kind.YEAR, 2570, required=True),
        Column("name_th", Kind.TEXT, "รายงานผลไตรมาสที่ 1 ปีงบประมาณ 2570", required=True),
        Column("name_en", Kind.TEXT, "Quarter 1 report, FY 2570"),
        # naive on purpose: a workbook's times are on the office clock, without a zone
        Column("opens_at", Kind.DATETIME, dt.datetime(2026, 12, 15, 8, 30), required=True),  # noqa: DTZ001
        Column("due_at", Kind.DATETIME, dt.datetime(2027, 1, 10, 16, 30), required=True),  # noqa: DTZ001
        Column("includes_progress", Kind.YES_NO, "yes", choices=YES_NO_CHOICES),
        Column("kpi_frequencies", Kind.CHOICES, "each_round", choices=FREQUENCY_SETS),
        # written as `tidtam ladder --steps` takes it; empty keeps the stored ladder
        Column("reminder_steps", Kind.LADDER, "open,-7,-3,-1,0,1,3,7"),
    ),
)

PEOPLE = Sheet(
    "people",
    (
        _code("T-SCH01-01", limit=64),
        Column("full_name", Kind.TEXT, "นายสมชาย ใจดี", required=True),
        Column("role", Kind.CHOICE, "reporter", required=True, choices=_choices(Role)),
        Column("school_code", Kind.CODE, "SCH01", required=True),
        Column("language", Kind.CHOICE, "th", choices=LANGUAGE_CHOICES),
        _active(),
    ),
)

SHEETS: Final[tuple[Sheet, ...]] = (
    SCHOOLS,
    STRATEGIES,
    CSFS,
    KPIS,
    TARGETS,
    PROJECTS,
    ROUNDS,
    PEOPLE,
)
"""Every sheet, in the order rows are applied (referenced sheets first)."""

SHEETS_BY_KEY: Final = {sheet.key: sheet for sheet in SHEETS}
