"""How the reports round their figures: once, in the engine, half up.

Every renderer shows these numbers as they are; none rounds again, so chat,
XLSX, CSV and PDF cannot disagree in the last digit.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import Final

ONE_DECIMAL: Final = Decimal("0.1")
TWO_DECIMALS: Final = Decimal("0.01")


def rate(part: int | Decimal, whole: int | Decimal) -> Decimal | None:
    """``part`` as a percentage of ``whole`` with one decimal; None when ``whole`` is zero."""
    if whole == 0:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(ONE_DECIMAL, rounding=ROUND_HALF_UP)


def mean(values: Sequence[Decimal], *, places: Decimal = TWO_DECIMALS) -> Decimal | None:
    """The arithmetic mean rounded half up (two decimals by default); None for no values."""
    if not values:
        return None
    return (sum(values, Decimal(0)) / len(values)).quantize(places, rounding=ROUND_HALF_UP)
