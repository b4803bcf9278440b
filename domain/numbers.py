"""Forgiving number input and number formatting.

School staff type figures on their phones in many shapes: Thai digits
(``๘๕.๕``), thousands separators (``1,234`` or ``1 234``), a percent sign or
the words ``ร้อยละ``/``เปอร์เซ็นต์``, a currency marker (``12,000 บาท``,
``฿12,000``). :func:`parse_number` accepts all of those and refuses anything
ambiguous (``12,34``, two numbers, exponents) with an
:class:`~domain.errors.InvalidInput` whose catalog text shows the expected form.

Formatting is the same in Thai and English (Thai offices write Arabic digits
with ``,`` grouping and ``.`` decimals); only money carries a language-specific
unit, taken from the catalogs.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Final

from domain.errors import InvalidInput
from domain.i18n import Lang, plain

MAX_DIGITS: Final = 15
"""Default limit of digits in a typed number: far above any real figure, far below float trouble."""

QUOTE_LIMIT: Final = 40
"""How much of a person's input an error message repeats back."""

SATANG: Final = Decimal("0.01")

# Characters phones and Thai keyboards slip into text that carry no meaning in
# a number: zero-width space (Thai word breaks), joiners, word joiner, BOM.
_INVISIBLE: Final = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"))

# Minus and percent signs that look right on screen but are not ASCII.
_LOOKALIKES: Final = str.maketrans({"\u2212": "-", "\uff0d": "-", "\uff05": "%", "\ufe6a": "%"})

_NUMBER: Final = re.compile(
    r"""
    (?:(?P<pre_percent>ร้อยละ)|(?P<pre_money>฿|thb))?\ ?
    (?P<sign>[+-])?\ ?
    (?P<int>[0-9]{1,3}(?P<sep>[,\ ])[0-9]{3}(?:(?P=sep)[0-9]{3})*|[0-9]+)?
    (?:\.(?P<frac>[0-9]*))?
    \ ?
    (?:(?P<suf_percent>%|เปอร์เซ็นต์|เปอร์เซนต์|percent)|(?P<suf_money>บาท|฿|thb))?
    """,
    re.VERBOSE | re.IGNORECASE | re.ASCII,
)


@dataclass(frozen=True)
class ParsedNumber:
    """A number as typed: its value, and whether the person marked it as a percent."""

    value: Decimal
    percent: bool


def normalize_digits(text: str) -> str:
    """Replace Thai digits (๐–๙) and every other Unicode decimal digit by ASCII digits."""
    return "".join(_ascii_digit(char) for char in text)


def _ascii_digit(char: str) -> str:
    if "0" <= char <= "9":
        return char
    digit = unicodedata.decimal(char, None)
    return char if digit is None else str(digit)


def quote_input(text: str, *, limit: int = QUOTE_LIMIT) -> str:
    """The person's input as an error message repeats it: one line, at most ``limit`` characters."""
    visible = "".join(" " if unicodedata.category(char) in ("Cc", "Cs") else char for char in text)
    line = " ".join(visible.split())
    if len(line) <= limit:
        return line
    return line[: limit - 1] + "…"


def _prepare(text: str) -> str:
    """Digits to ASCII, look-alike signs to ASCII, invisible characters gone, spaces collapsed."""
    cleaned = normalize_digits(text).translate(_INVISIBLE).translate(_LOOKALIKES)
    return " ".join(cleaned.split())


def parse_number(text: str, *, max_digits: int = MAX_DIGITS) -> ParsedNumber:
    """Read one number the way a person types it; raise InvalidInput when it is not one.

    Error keys: ``number.empty``, ``number.not_a_number`` (``text``) and
    ``number.too_long`` (``limit``).
    """
    if max_digits < 1:
        raise ValueError("max_digits must be at least 1")
    prepared = _prepare(text)
    if not prepared:
        raise InvalidInput("number.empty")
    match = _NUMBER.fullmatch(prepared)
    if match is None:
        raise InvalidInput("number.not_a_number", text=quote_input(text))
    integer = (match["int"] or "").replace(",", "").replace(" ", "")
    fraction = match["frac"] or ""
    percent = bool(match["pre_percent"] or match["suf_percent"])
    money = bool(match["pre_money"] or match["suf_money"])
    # "ร้อยละ 12,000 บาท" names two units at once: better to ask than to guess.
    if not (integer or fraction) or (percent and money):
        raise InvalidInput("number.not_a_number", text=quote_input(text))
    if len(integer.lstrip("0")) + len(fraction) > max_digits:
        raise InvalidInput("number.too_long", limit=max_digits)
    digits = f"{integer or '0'}.{fraction}" if fraction else integer
    value = Decimal(f"{match['sign'] or ''}{digits}")
    if value.is_zero():
        # "-0" is what a person typed, not a value anyone means.
        value = value.copy_abs()
    return ParsedNumber(value=value, percent=percent)


def _require_finite(value: Decimal) -> None:
    if not value.is_finite():
        raise ValueError(f"cannot format {value!r}")


def _significant(value: Decimal) -> Decimal:
    """The value without trailing fractional zeros and never in exponent notation."""
    if value == value.to_integral_value():
        return value.quantize(Decimal(1))
    return value.normalize()


def format_number(value: Decimal, *, decimals: int | None = None) -> str:
    """Format with ``,`` grouping: ``1,234.5``.

    ``decimals=None`` keeps the significant decimals (``85.50`` → ``85.5``,
    ``100.00`` → ``100``); a number of decimals rounds half up to exactly that.
    """
    _require_finite(value)
    if decimals is None:
        shown = _significant(value)
    else:
        if decimals < 0:
            raise ValueError("decimals must not be negative")
        shown = value.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
    if shown.is_zero():
        shown = shown.copy_abs()
    return f"{shown:,f}"


def format_money(value: Decimal, lang: Lang) -> str:
    """Format an amount in baht with satang: ``12,000.00 บาท`` / ``THB 12,000.00``."""
    return plain(lang, "money.amount", amount=format_number(value, decimals=2))


def format_percent(value: Decimal, *, decimals: int | None = 1) -> str:
    """Format a percentage: ``85.5%`` (``decimals=None`` keeps only significant decimals)."""
    return f"{format_number(value, decimals=decimals)}%"


def parse_money(text: str) -> Decimal:
    """Read an amount of baht, rounded half up to satang.

    Error keys: those of :func:`parse_number`, ``money.not_percent`` and ``money.negative``.
    """
    parsed = parse_number(text)
    if parsed.percent:
        raise InvalidInput("money.not_percent")
    if parsed.value < 0:
        raise InvalidInput("money.negative")
    return parsed.value.quantize(SATANG, rounding=ROUND_HALF_UP)
