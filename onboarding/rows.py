"""Row validation: every cell read by the rules of its column, with pydantic.

Each sheet has a pydantic model whose fields take raw cells (text, numbers,
real Excel dates, booleans) through :func:`read_cell`, which applies the
domain parsers: Thai digits and separators, Buddhist or Common Era dates,
scoring bands. A cell that cannot be read raises a pydantic error whose type
is a catalog key; :func:`validate_rows` turns those into located
:class:`~onboarding.problems.Problem` values. Rules between rows and against
the database are in :mod:`onboarding.importer`.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import cache
from typing import Annotated, Any, Final, TypeVar
from zoneinfo import ZoneInfo

from pydantic import BaseModel, BeforeValidator, ConfigDict, ValidationError, ValidationInfo
from pydantic_core import PydanticCustomError

from domain.calendar import BANGKOK, BE_THRESHOLD, parse_date, parse_local_datetime
from domain.errors import InvalidInput
from domain.i18n import LANGUAGES, plain
from domain.numbers import normalize_digits, parse_number
from domain.values import clean_text, format_bands, parse_bands
from onboarding.problems import Cell, Problem, shown_value
from onboarding.sheets import (
    CSFS,
    KPIS,
    PEOPLE,
    PROJECTS,
    ROUNDS,
    SCHOOLS,
    STRATEGIES,
    TARGETS,
    Column,
    Kind,
    Sheet,
)
from scheduler.ladder import ladder_text, parse_ladder

# Fiscal years a plan can name: far enough back for history, far enough ahead for plans.
MIN_FISCAL_YEAR: Final = 2500
MAX_FISCAL_YEAR: Final = 2700
# Excel stores dates as day numbers; a bare number in a date column is read as one.
_EXCEL_SERIALS: Final = (1, 2_958_465)
_SATANG: Final = Decimal("0.01")
_CODE: Final = re.compile(r"[^\s,;]+")
_LIST_SEPARATORS: Final = re.compile(r"\s*(?:[,;+/&]|\band\b|และ)\s*")
_YES: Final = frozenset({"yes", "y", "true", "1", "ใช่", "มี", "x", "✓"})
_NO: Final = frozenset({"no", "n", "false", "0", "ไม่ใช่", "ไม่มี", "-"})
_FREQUENCY_ORDER: Final = ("each_round", "annual")


def _problem(key: str, **params: Any) -> PydanticCustomError:
    # The error type is the catalog key; the message is never shown to anyone.
    return PydanticCustomError(key, key, params)


def _as_text(value: Cell) -> str | None:
    """A cell as text, or None when it is empty."""
    if value is None:
        return None
    if isinstance(value, bool):
        text = "yes" if value else "no"
    elif isinstance(value, float) and value.is_integer():
        text = str(int(value))
    elif isinstance(value, dt.datetime):
        text = value.isoformat(sep=" ")
    else:
        text = str(value)
    text = unicodedata.normalize("NFC", text).strip()
    return text or None


def _number(value: Cell) -> Decimal:
    if isinstance(value, bool):
        raise _problem("onboarding.problem.invalid")
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        # the shortest repr is what the person typed; Decimal(float) is binary noise
        return Decimal(repr(value))
    if isinstance(value, Decimal):
        return value
    if isinstance(value, str):
        try:
            return parse_number(value).value
        except InvalidInput:
            raise _problem("onboarding.problem.invalid") from None
    raise _problem("onboarding.problem.invalid")


def _whole(value: Cell) -> int:
    number = _number(value)
    if number != number.to_integral_value():
        raise _problem("onboarding.problem.invalid")
    return int(number)


def _excel_day(value: int | float) -> dt.datetime:
    from openpyxl.utils.datetime import from_excel  # on first use: openpyxl is slow to import

    if not _EXCEL_SERIALS[0] <= value <= _EXCEL_SERIALS[1]:
        raise _problem("onboarding.problem.invalid")
    moment = from_excel(value)
    assert isinstance(moment, dt.datetime)
    return moment


def _date(value: Cell) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return _excel_day(value).date()
    text = _as_text(value)
    try:
        return parse_date(text or "")
    except InvalidInput:
        raise _problem("onboarding.problem.invalid") from None


def _moment(value: Cell, tz: ZoneInfo) -> dt.datetime:
    # A workbook has no time zone: its times are on the office clock.
    if isinstance(value, dt.datetime):
        local = value if value.tzinfo is not None else value.replace(tzinfo=tz)
        return local.astimezone(dt.UTC)
    if isinstance(value, dt.date):
        return dt.datetime.combine(value, dt.time(), tzinfo=tz).astimezone(dt.UTC)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return _excel_day(value).replace(tzinfo=tz).astimezone(dt.UTC)
    text = _as_text(value)
    try:
        return parse_local_datetime(text or "", tz)
    except InvalidInput:
        raise _problem("onboarding.problem.invalid") from None


def _label_key(text: str) -> str:
    return "".join(normalize_digits(text).casefold().split())


@cache
def choice_labels(column_key: str, choices: tuple[str, ...]) -> dict[str, str]:
    """Every way to write a choice (its code, its Thai and English labels) → the code."""
    labels: dict[str, str] = {}
    for code in choices:
        labels[_label_key(code)] = code
        for lang in LANGUAGES:
            labels[_label_key(plain(lang, f"onboarding.choice.{column_key}.{code}"))] = code
    return labels


def _choice(column: Column, text: str) -> str:
    found = choice_labels(column.key, column.choices).get(_label_key(text))
    if found is None:
        raise _problem("onboarding.problem.invalid")
    return found


def _frequencies(column: Column, text: str) -> str:
    labels = choice_labels(column.key, column.choices)
    chosen: set[str] = set()
    for part in _LIST_SEPARATORS.split(text):
        if not part:
            continue
        code = labels.get(_label_key(part))
        if code is None:
            raise _problem("onboarding.problem.invalid")
        chosen.update(code.split("+"))
    if not chosen:
        raise _problem("onboarding.problem.invalid")
    return ",".join(name for name in _FREQUENCY_ORDER if name in chosen)


def _yes_no(value: Cell) -> bool:
    if isinstance(value, bool):
        return value
    text = _as_text(value)
    key = _label_key(text or "")
    labels = choice_labels("active", ("yes", "no"))
    if key in _YES or labels.get(key) == "yes":
        return True
    if key in _NO or labels.get(key) == "no":
        return False
    raise _problem("onboarding.problem.invalid")


def read_cell(column: Column, value: Cell, *, tz: ZoneInfo = BANGKOK) -> Any:
    """Read one cell by its column's rules; None for an empty optional cell.

    Raises a pydantic error whose type is an ``onboarding.problem.*`` key.
    """
    if isinstance(value, dt.time):
        raise _problem("onboarding.problem.invalid")
    text = _as_text(value)
    if text is None:
        if column.required:
            raise _problem("onboarding.problem.required")
        return None
    match column.kind:
        case Kind.CODE:
            if _CODE.fullmatch(text) is None:
                raise _problem("onboarding.problem.invalid")
            if len(text) > column.limit:
                raise _problem("onboarding.problem.too_long", limit=column.limit, length=len(text))
            return text
        case Kind.TEXT:
            try:
                return clean_text(text, max_length=column.limit)
            except InvalidInput as error:
                if error.key == "text.too_long":
                    raise _problem("onboarding.problem.too_long", **error.params) from None
                # only invisible characters: as good as empty
                if column.required:
                    raise _problem("onboarding.problem.required") from None
                return None
        case Kind.INTEGER:
            return _whole(value)
        case Kind.YEAR:
            year = _whole(value)
            if not MIN_FISCAL_YEAR <= year <= MAX_FISCAL_YEAR:
                key = "year_not_be" if year < BE_THRESHOLD else "invalid"
                raise _problem(f"onboarding.problem.{key}")
            return year
        case Kind.MONEY:
            amount = _number(value)
            if amount < 0:
                raise _problem("onboarding.problem.negative")
            return amount.quantize(_SATANG, rounding=ROUND_HALF_UP)
        case Kind.TARGET:
            # judged later by the KPI's value type (yes/no targets are words)
            if isinstance(value, str):
                return text
            return _number(value)
        case Kind.DATE:
            return _date(value)
        case Kind.DATETIME:
            return _moment(value, tz)
        case Kind.YES_NO:
            return _yes_no(value)
        case Kind.CHOICE:
            return _choice(column, text)
        case Kind.CHOICES:
            return _frequencies(column, text)
        case Kind.BANDS:
            try:
                return format_bands(parse_bands(text))
            except (InvalidInput, InvalidOperation):
                raise _problem("onboarding.problem.invalid") from None
        case Kind.LADDER:
            if len(text) > column.limit:
                raise _problem("onboarding.problem.too_long", limit=column.limit, length=len(text))
            try:
                # one spelling per ladder, so an unchanged ladder compares equal on re-import
                return ladder_text(parse_ladder(text))
            except InvalidInput:
                raise _problem("onboarding.problem.invalid") from None


def _cell(sheet: Sheet, key: str) -> BeforeValidator:
    column = sheet.column(key)

    def validate(value: Cell, info: ValidationInfo) -> Any:
        context = info.context or {}
        return read_cell(column, value, tz=context.get("tz", BANGKOK))

    return BeforeValidator(validate)


class PlanRow(BaseModel):
    """A validated row; ``row`` is its number in the sheet (1 = the first line)."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    row: int


class SchoolRow(PlanRow):
    code: Annotated[str, _cell(SCHOOLS, "code")]
    name_th: Annotated[str, _cell(SCHOOLS, "name_th")]
    name_en: Annotated[str | None, _cell(SCHOOLS, "name_en")]
    kind: Annotated[str | None, _cell(SCHOOLS, "kind")]
    province: Annotated[str | None, _cell(SCHOOLS, "province")]
    district: Annotated[str | None, _cell(SCHOOLS, "district")]
    subdistrict: Annotated[str | None, _cell(SCHOOLS, "subdistrict")]
    obec_code: Annotated[str | None, _cell(SCHOOLS, "obec_code")]
    active: Annotated[bool | None, _cell(SCHOOLS, "active")]


class StrategyRow(PlanRow):
    code: Annotated[str, _cell(STRATEGIES, "code")]
    name_th: Annotated[str, _cell(STRATEGIES, "name_th")]
    name_en: Annotated[str | None, _cell(STRATEGIES, "name_en")]
    sort_order: Annotated[int | None, _cell(STRATEGIES, "sort_order")]


class CsfRow(PlanRow):
    code: Annotated[str, _cell(CSFS, "code")]
    strategy_code: Annotated[str, _cell(CSFS, "strategy_code")]
    name_th: Annotated[str, _cell(CSFS, "name_th")]
    name_en: Annotated[str | None, _cell(CSFS, "name_en")]


class KpiRow(PlanRow):
    code: Annotated[str, _cell(KPIS, "code")]
    name_th: Annotated[str, _cell(KPIS, "name_th")]
    name_en: Annotated[str | None, _cell(KPIS, "name_en")]
    unit_th: Annotated[str, _cell(KPIS, "unit_th")]
    unit_en: Annotated[str | None, _cell(KPIS, "unit_en")]
    value_type: Annotated[str, _cell(KPIS, "value_type")]
    direction: Annotated[str | None, _cell(KPIS, "direction")]
    frequency: Annotated[str | None, _cell(KPIS, "frequency")]
    scoring_bands: Annotated[str | None, _cell(KPIS, "scoring_bands")]
    strategy_code: Annotated[str | None, _cell(KPIS, "strategy_code")]
    csf_code: Annotated[str | None, _cell(KPIS, "csf_code")]
    sort_order: Annotated[int | None, _cell(KPIS, "sort_order")]
    active: Annotated[bool | None, _cell(KPIS, "active")]


class TargetRow(PlanRow):
    school_code: Annotated[str, _cell(TARGETS, "school_code")]
    kpi_code: Annotated[str, _cell(TARGETS, "kpi_code")]
    fiscal_year: Annotated[int, _cell(TARGETS, "fiscal_year")]
    target_value: Annotated[Decimal | str, _cell(TARGETS, "target_value")]


class ProjectRow(PlanRow):
    code: Annotated[str, _cell(PROJECTS, "code")]
    fiscal_year: Annotated[int, _cell(PROJECTS, "fiscal_year")]
    owner_code: Annotated[str, _cell(PROJECTS, "owner_code")]
    name: Annotated[str, _cell(PROJECTS, "name")]
    strategy_code: Annotated[str | None, _cell(PROJECTS, "strategy_code")]
    budget_allocated: Annotated[Decimal | None, _cell(PROJECTS, "budget_allocated")]
    responsible_name: Annotated[str | None, _cell(PROJECTS, "responsible_name")]
    planned_start: Annotated[dt.date | None, _cell(PROJECTS, "planned_start")]
    planned_end: Annotated[dt.date | None, _cell(PROJECTS, "planned_end")]
    active: Annotated[bool | None, _cell(PROJECTS, "active")]


class RoundRow(PlanRow):
    code: Annotated[str, _cell(ROUNDS, "code")]
    fiscal_year: Annotated[int, _cell(ROUNDS, "fiscal_year")]
    name_th: Annotated[str, _cell(ROUNDS, "name_th")]
    name_en: Annotated[str | None, _cell(ROUNDS, "name_en")]
    opens_at: Annotated[dt.datetime, _cell(ROUNDS, "opens_at")]
    due_at: Annotated[dt.datetime, _cell(ROUNDS, "due_at")]
    includes_progress: Annotated[bool | None, _cell(ROUNDS, "includes_progress")]
    kpi_frequencies: Annotated[str | None, _cell(ROUNDS, "kpi_frequencies")]
    reminder_steps: Annotated[str | None, _cell(ROUNDS, "reminder_steps")]


class PersonRow(PlanRow):
    code: Annotated[str, _cell(PEOPLE, "code")]
    full_name: Annotated[str, _cell(PEOPLE, "full_name")]
    role: Annotated[str, _cell(PEOPLE, "role")]
    school_code: Annotated[str, _cell(PEOPLE, "school_code")]
    language: Annotated[str | None, _cell(PEOPLE, "language")]
    active: Annotated[bool | None, _cell(PEOPLE, "active")]


ROW_MODELS: Final[dict[str, type[PlanRow]]] = {
    "schools": SchoolRow,
    "strategies": StrategyRow,
    "csfs": CsfRow,
    "kpis": KpiRow,
    "targets": TargetRow,
    "projects": ProjectRow,
    "rounds": RoundRow,
    "people": PersonRow,
}


@dataclass(frozen=True, slots=True)
class RawRow:
    """A row as read from the file: its number and its cells by column key."""

    number: int
    cells: dict[str, Cell]


RowT = TypeVar("RowT", bound=PlanRow)


def validate_rows(
    sheet: Sheet,
    model: type[RowT],
    rows: Iterable[RawRow],
    *,
    tz: ZoneInfo,
    on_row: Callable[[], None] | None = None,
) -> tuple[list[RowT], list[Problem]]:
    """Validate every row of a sheet; return the good rows and every problem found."""
    valid: list[RowT] = []
    problems: list[Problem] = []
    context = {"tz": tz}
    keys = [column.key for column in sheet.columns]
    for raw in rows:
        data: dict[str, Any] = {key: raw.cells.get(key) for key in keys}
        data["row"] = raw.number
        try:
            valid.append(model.model_validate(data, context=context))
        except ValidationError as error:
            for detail in error.errors(include_url=False, include_input=False):
                column = str(detail["loc"][0]) if detail["loc"] else None
                key = detail["type"]
                if not key.startswith("onboarding.problem."):
                    key = "onboarding.problem.invalid"
                problems.append(
                    Problem(
                        key,
                        sheet=sheet.key,
                        row=raw.number,
                        column=column,
                        value=shown_value(raw.cells.get(column or "")),
                        params=dict(detail.get("ctx") or {}),
                    )
                )
        if on_row is not None:
            on_row()
    return valid, problems
