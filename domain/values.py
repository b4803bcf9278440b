"""Rules for KPI values, project progress and free text.

What a typed answer may be (:func:`parse_kpi_value`, :func:`clean_text`), how
a value is shown (:func:`format_kpi_value`), how it is judged against a
school's target (:func:`achievement`) and the plan's scoring bands
(:func:`score`), and which answers deserve a second look before they are
saved (:func:`kpi_soft_checks`, :func:`progress_soft_checks`).

Hard errors are :class:`~domain.errors.InvalidInput` with a catalog key under
``value.*``, ``number.*`` or ``text.*``; soft checks are :class:`SoftCheck`
members whose catalog texts (``soft.<value>``) ask the person to confirm.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import Final

from domain.errors import InvalidInput
from domain.i18n import Lang, plain
from domain.numbers import (
    MAX_DIGITS,
    format_number,
    format_percent,
    normalize_digits,
    parse_number,
    quote_input,
)

LEVEL_MIN: Final = 1
LEVEL_MAX: Final = 5
MAX_NOTE_LENGTH: Final = 1000
"""Stored limit for free-text answers: notes, outputs, problems, suggestions."""

HUNDRED: Final = Decimal(100)
_CENT: Final = Decimal("0.01")
_YES: Final = Decimal(1)
_NO: Final = Decimal(0)

# How far from last round's value a new one may be before we ask (3× up or down).
FAR_FACTOR: Final = Decimal(3)
# Achievement above this share of the target is more often a typo than a triumph.
OVER_TARGET_PERCENT: Final = Decimal(200)


class ValueType(StrEnum):
    """How a KPI is measured."""

    NUMBER = "number"
    PERCENT = "percent"
    COUNT = "count"
    YES_NO = "yes_no"
    LEVEL = "level"

    @property
    def label_key(self) -> str:
        """Catalog key of the name people see."""
        return f"value.type.{self.value}"


class Direction(StrEnum):
    """Whether a KPI improves upwards or downwards."""

    HIGHER = "higher_better"
    LOWER = "lower_better"

    @property
    def label_key(self) -> str:
        """Catalog key of the name people see."""
        return f"value.direction.{self.value}"


class Frequency(StrEnum):
    """How often a KPI is reported."""

    EACH_ROUND = "each_round"
    ANNUAL = "annual"

    @property
    def label_key(self) -> str:
        """Catalog key of the name people see."""
        return f"value.frequency.{self.value}"


class ProjectStatus(StrEnum):
    """Where a project stands."""

    NOT_STARTED = "not_started"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    POSTPONED = "postponed"
    CANCELLED = "cancelled"

    @property
    def label_key(self) -> str:
        """Catalog key of the name people see."""
        return f"value.status.{self.value}"


class Role(StrEnum):
    """What a person does in the bot."""

    REPORTER = "reporter"
    HEAD = "head"
    OFFICER = "officer"
    ADMIN = "admin"

    @property
    def is_school_staff(self) -> bool:
        """Bound to one school: reporters and school heads."""
        return self in (Role.REPORTER, Role.HEAD)

    @property
    def is_district(self) -> bool:
        """Bound to the district office: officers and admins."""
        return self in (Role.OFFICER, Role.ADMIN)

    @property
    def label_key(self) -> str:
        """Catalog key of the name people see."""
        return f"value.role.{self.value}"


# ---------------------------------------------------------------- typed values

_YES_WORDS: Final = frozenset({"ใช่", "มี", "yes", "y", "1"})
_NO_WORDS: Final = frozenset({"ไม่ใช่", "ไม่มี", "no", "n", "0"})
# Thai answers often end with a polite particle ("มีค่ะ", "ไม่ใช่ครับ").
_POLITE = re.compile(r"\s*(?:ครับ|ค่ะ|คะ|ค่า|จ้ะ|จ้า)$")
_LEVEL_WORD = re.compile(r"^\s*(?:ระดับ|level)\s*", re.IGNORECASE)
_INVISIBLE: Final = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"))


def _parse_yes_no(text: str) -> Decimal:
    answer = _POLITE.sub("", normalize_digits(text).translate(_INVISIBLE).strip()).casefold()
    if answer in _YES_WORDS:
        return _YES
    if answer in _NO_WORDS:
        return _NO
    raise InvalidInput("value.yes_no")


def parse_kpi_value(value_type: ValueType, text: str) -> Decimal:
    """Read a typed KPI value and check it against the rules of its type.

    Error keys: ``number.*`` for text that is not a number, ``value.yes_no``,
    ``value.percent_not_expected`` and those of :func:`check_kpi_value`.
    """
    if value_type is ValueType.YES_NO:
        return _parse_yes_no(text)
    if value_type is ValueType.LEVEL:
        text = _LEVEL_WORD.sub("", text, count=1)
    parsed = parse_number(text)
    if parsed.percent and value_type is not ValueType.PERCENT:
        raise InvalidInput("value.percent_not_expected")
    return check_kpi_value(value_type, parsed.value)


def check_kpi_value(value_type: ValueType, value: Decimal) -> Decimal:
    """Apply the range rules of ``value_type`` to a value from buttons or an import.

    Returns the value as it should be stored (whole numbers without decimals).
    Error keys: ``value.percent_negative``, ``value.percent_over_100``,
    ``value.count_negative``, ``value.count_whole``, ``value.yes_no``,
    ``value.level_range`` (each with ``value``; level also ``min``, ``max``),
    ``number.not_a_number`` and ``number.too_long``.
    """
    if not value.is_finite():
        raise InvalidInput("number.not_a_number", text=quote_input(str(value)))
    if not value.is_zero() and value.adjusted() >= MAX_DIGITS:
        raise InvalidInput("number.too_long", limit=MAX_DIGITS)
    if value.is_zero():
        value = value.copy_abs()
    shown = format_number(value)
    whole = value == value.to_integral_value()
    match value_type:
        case ValueType.NUMBER:
            return value
        case ValueType.PERCENT:
            if value < 0:
                raise InvalidInput("value.percent_negative", value=shown)
            if value > HUNDRED:
                raise InvalidInput("value.percent_over_100", value=shown)
            return value
        case ValueType.COUNT:
            if value < 0:
                raise InvalidInput("value.count_negative", value=shown)
            if not whole:
                raise InvalidInput("value.count_whole", value=shown)
            return value.quantize(Decimal(1))
        case ValueType.YES_NO:
            if value not in (_YES, _NO):
                raise InvalidInput("value.yes_no")
            return _YES if value == _YES else _NO
        case ValueType.LEVEL:
            if not whole or not LEVEL_MIN <= value <= LEVEL_MAX:
                raise InvalidInput("value.level_range", value=shown, min=LEVEL_MIN, max=LEVEL_MAX)
            return value.quantize(Decimal(1))


def format_kpi_value(value_type: ValueType, value: Decimal, lang: Lang) -> str:
    """A KPI value as people read it: ``85.5%``, ``ใช่``/``Yes``, ``ระดับ 4``, ``1,234``."""
    match value_type:
        case ValueType.PERCENT:
            return format_percent(value, decimals=None)
        case ValueType.YES_NO:
            return plain(lang, "value.yes" if value == _YES else "value.no")
        case ValueType.LEVEL:
            return plain(lang, "value.level", level=format_number(value))
        case ValueType.COUNT:
            return format_number(value, decimals=0)
        case ValueType.NUMBER:
            return format_number(value)


# ---------------------------------------------------------------- free text

_NEWLINES = re.compile(r"\r\n?|[\u2028\u2029\x85]")
_KEPT_CONTROLS: Final = frozenset("\n\t")


def clean_text(text: str, *, max_length: int = MAX_NOTE_LENGTH) -> str:
    """Tidy a free-text answer for storage.

    Strips surrounding whitespace, turns every line break into ``\\n``, drops
    control characters (tab and newline stay) and normalizes to NFC. Error
    keys: ``text.empty`` and ``text.too_long`` (``limit``, ``length``).
    """
    unified = _NEWLINES.sub("\n", text)
    kept = "".join(
        char
        for char in unified
        if char in _KEPT_CONTROLS or unicodedata.category(char) not in ("Cc", "Cs")
    )
    cleaned = unicodedata.normalize("NFC", kept).strip()
    # Zero-width and direction marks alone look empty on screen, so they are empty.
    if all(char.isspace() or unicodedata.category(char) == "Cf" for char in cleaned):
        raise InvalidInput("text.empty")
    if len(cleaned) > max_length:
        raise InvalidInput("text.too_long", limit=max_length, length=len(cleaned))
    return cleaned


# ---------------------------------------------------------------- scoring bands


@dataclass(frozen=True)
class ScoringBand:
    """Values from ``lower`` to ``upper`` score ``score``; ``None`` leaves a side open.

    Bounds are inclusive. An open band may instead exclude its one bound, as the
    plan's ``<70`` and ``>95`` do; a closed band ``a-b`` always includes both.
    """

    lower: Decimal | None
    upper: Decimal | None
    score: int
    lower_inclusive: bool = True
    upper_inclusive: bool = True

    def __post_init__(self) -> None:
        if self.lower is None and self.upper is None:
            raise ValueError("a scoring band needs at least one bound")
        if self.lower is not None and self.upper is not None:
            if self.lower > self.upper:
                raise ValueError(f"band lower {self.lower} is above upper {self.upper}")
            if not (self.lower_inclusive and self.upper_inclusive):
                raise ValueError("a closed band includes both bounds")

    def contains(self, value: Decimal) -> bool:
        """Whether ``value`` falls in this band."""
        if self.lower is not None and (
            value < self.lower or (value == self.lower and not self.lower_inclusive)
        ):
            return False
        return self.upper is None or not (
            value > self.upper or (value == self.upper and not self.upper_inclusive)
        )


_NUM = r"[+-]?[0-9][0-9,]*(?:\.[0-9]+)?%?"
_ENTRY = re.compile(r"(?P<condition>.+?) ?: ?(?P<score>[0-9]{1,3})")
_ONE_SIDED = re.compile(rf"(?P<op>>=|≥|<=|≤|>|<|=)? ?(?P<bound>{_NUM})")
_RANGE = re.compile(rf"(?P<lower>{_NUM}) ?(?:-|–|—|ถึง|to) ?(?P<upper>{_NUM})", re.IGNORECASE)
_BAND_SEPARATORS = re.compile(r"[;\n\r]+")


def _band_number(token: str, entry: str) -> Decimal:
    try:
        return parse_number(token).value
    except InvalidInput:
        raise InvalidInput("value.bands_invalid", text=quote_input(entry)) from None


def _parse_band(entry: str) -> ScoringBand:
    prepared = " ".join(normalize_digits(entry).translate(_INVISIBLE).split())
    invalid = InvalidInput("value.bands_invalid", text=quote_input(entry))
    match = _ENTRY.fullmatch(prepared)
    if match is None:
        raise invalid
    condition, points = match["condition"], int(match["score"])
    one_sided = _ONE_SIDED.fullmatch(condition)
    if one_sided is not None:
        bound = _band_number(one_sided["bound"], entry)
        match one_sided["op"]:
            case ">=" | "≥":
                return ScoringBand(bound, None, points)
            case ">":
                return ScoringBand(bound, None, points, lower_inclusive=False)
            case "<=" | "≤":
                return ScoringBand(None, bound, points)
            case "<":
                return ScoringBand(None, bound, points, upper_inclusive=False)
            case _:
                return ScoringBand(bound, bound, points)
    closed = _RANGE.fullmatch(condition)
    if closed is None:
        raise invalid
    lower = _band_number(closed["lower"], entry)
    upper = _band_number(closed["upper"], entry)
    if lower > upper:
        raise invalid
    return ScoringBand(lower, upper, points)


def _overlap(first: ScoringBand, second: ScoringBand) -> bool:
    """Whether some value falls in both bands."""
    # The tighter lower bound and the tighter upper bound of the two.
    lowers = [(b.lower, b.lower_inclusive) for b in (first, second) if b.lower is not None]
    uppers = [(b.upper, b.upper_inclusive) for b in (first, second) if b.upper is not None]
    if not lowers or not uppers:
        return True
    low = max(bound for bound, _ in lowers)
    high = min(bound for bound, _ in uppers)
    if low != high:
        return low < high
    low_included = all(inclusive for bound, inclusive in lowers if bound == low)
    high_included = all(inclusive for bound, inclusive in uppers if bound == high)
    return low_included and high_included


def parse_bands(text: str) -> tuple[ScoringBand, ...]:
    """Read the plan's scoring bands, e.g. ``>=90:5; 85-89.99:4; 80-84.99:3; <80:1``.

    Entries are separated by ``;`` or new lines; conditions are ``>=x``/``≥x``,
    ``>x``, ``<=x``/``≤x``, ``<x``, ``a-b`` (inclusive) or a single value.
    Malformed or overlapping bands raise ``InvalidInput("value.bands_invalid", text=...)``.
    """
    entries = [entry.strip() for entry in _BAND_SEPARATORS.split(text)]
    entries = [entry for entry in entries if entry]
    if not entries:
        raise InvalidInput("value.bands_invalid", text=quote_input(text))
    bands = tuple(_parse_band(entry) for entry in entries)
    for index, band in enumerate(bands):
        for earlier in bands[:index]:
            if _overlap(earlier, band):
                clash = f"{format_bands([earlier])}; {format_bands([band])}"
                raise InvalidInput("value.bands_invalid", text=quote_input(clash))
    return bands


def _band_bound(value: Decimal) -> str:
    # Grouping commas would read fine but the plan's notation is written without them.
    return format_number(value).replace(",", "")


def format_bands(bands: Iterable[ScoringBand]) -> str:
    """Write bands in the plan's notation; :func:`parse_bands` reads it back unchanged."""
    written: list[str] = []
    for band in bands:
        if band.lower is not None and band.upper is not None:
            if band.lower == band.upper:
                condition = _band_bound(band.lower)
            else:
                condition = f"{_band_bound(band.lower)}-{_band_bound(band.upper)}"
        elif band.lower is not None:
            condition = f"{'>=' if band.lower_inclusive else '>'}{_band_bound(band.lower)}"
        else:
            assert band.upper is not None  # a band always has a bound (checked on creation)
            condition = f"{'<=' if band.upper_inclusive else '<'}{_band_bound(band.upper)}"
        written.append(f"{condition}:{band.score}")
    return "; ".join(written)


def score(value: Decimal, bands: Sequence[ScoringBand]) -> int | None:
    """The score of the first band containing ``value``; ``None`` when no band does."""
    for band in bands:
        if band.contains(value):
            return band.score
    return None


# ---------------------------------------------------------------- achievement


@dataclass(frozen=True)
class Achievement:
    """Whether a value met its target, and what percent of the target it reached.

    Either is ``None`` when it cannot be judged (no target, or a ratio that
    means nothing, such as a share of a zero target).
    """

    met: bool | None
    percent_of_target: Decimal | None


def _percent(numerator: Decimal, denominator: Decimal) -> Decimal:
    return (numerator / denominator * HUNDRED).quantize(_CENT, rounding=ROUND_HALF_UP)


def achievement(
    value: Decimal, target: Decimal | None, *, value_type: ValueType, direction: Direction
) -> Achievement:
    """Judge a value against the school's target for the KPI.

    Without a target nothing is judged. Yes/no is met by "yes" and has no
    percent; a level is met at or above its target whatever the direction.
    Higher-is-better: met when value ≥ target, percent = value / target × 100
    (only for a positive target). Lower-is-better: met when value ≤ target,
    percent = target / value × 100 (only for a positive value and a target ≥ 0).
    Percents are rounded half up to 2 decimals.
    """
    if target is None:
        return Achievement(met=None, percent_of_target=None)
    if value_type is ValueType.YES_NO:
        return Achievement(met=value == _YES, percent_of_target=None)
    if value_type is ValueType.LEVEL or direction is Direction.HIGHER:
        percent = _percent(value, target) if target > 0 else None
        return Achievement(met=value >= target, percent_of_target=percent)
    percent = _percent(target, value) if value > 0 and target >= 0 else None
    return Achievement(met=value <= target, percent_of_target=percent)


# ---------------------------------------------------------------- soft checks


class SoftCheck(StrEnum):
    """An answer that is allowed but unusual: the person confirms it and adds a note.

    Catalog texts ``soft.<value>`` take preformatted strings:
    ``far_from_previous`` (``value``, ``previous``), ``over_200_percent``
    (``value``, ``target``, ``percent``), ``spent_over_allocated`` (``spent``,
    ``allocated``), ``progress_backwards`` (``percent``, ``previous``).
    """

    FAR_FROM_PREVIOUS = "far_from_previous"
    OVER_200_PERCENT = "over_200_percent"
    SPENT_OVER_ALLOCATED = "spent_over_allocated"
    PROGRESS_BACKWARDS = "progress_backwards"

    @property
    def message_key(self) -> str:
        """Catalog key of the question put to the person."""
        return f"soft.{self.value}"


_MAGNITUDE_TYPES: Final = frozenset({ValueType.NUMBER, ValueType.COUNT, ValueType.PERCENT})


def _far_from(value: Decimal, previous: Decimal) -> bool:
    # A change of sign is always far; otherwise compare sizes, so that a
    # negative previous value is judged the same way as a positive one.
    if (value < 0) != (previous < 0) and not value.is_zero():
        return True
    size, previous_size = abs(value), abs(previous)
    return size > FAR_FACTOR * previous_size or size < previous_size / FAR_FACTOR


def kpi_soft_checks(
    value: Decimal,
    *,
    previous: Decimal | None,
    target: Decimal | None,
    value_type: ValueType,
    direction: Direction,
) -> list[SoftCheck]:
    """The confirmations a KPI value needs before it is saved (empty when none)."""
    checks: list[SoftCheck] = []
    if (
        value_type in _MAGNITUDE_TYPES
        and previous is not None
        and not previous.is_zero()
        and _far_from(value, previous)
    ):
        checks.append(SoftCheck.FAR_FROM_PREVIOUS)
    reached = achievement(value, target, value_type=value_type, direction=direction)
    if reached.percent_of_target is not None and reached.percent_of_target > OVER_TARGET_PERCENT:
        checks.append(SoftCheck.OVER_200_PERCENT)
    return checks


def progress_soft_checks(
    *,
    percent: Decimal,
    previous_percent: Decimal | None,
    spent: Decimal,
    allocated: Decimal | None,
) -> list[SoftCheck]:
    """The confirmations a project progress report needs before it is saved (empty when none)."""
    checks: list[SoftCheck] = []
    if allocated is not None and spent > allocated:
        checks.append(SoftCheck.SPENT_OVER_ALLOCATED)
    if previous_percent is not None and percent < previous_percent:
        checks.append(SoftCheck.PROGRESS_BACKWARDS)
    return checks
