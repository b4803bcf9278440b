"""What can be wrong with a plan file, located by sheet, row and column.

A :class:`Problem` holds a catalog key and its parameters, never text, so the
same report reads correctly in Thai and English (see :mod:`onboarding.report`).
Keys live under ``onboarding.problem.*``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, TypeAlias

from domain.errors import PlanError
from domain.numbers import quote_input

Cell: TypeAlias = str | int | float | Decimal | bool | dt.datetime | dt.date | dt.time | None
"""A cell as read from a workbook or CSV file."""


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with the plan; ``sheet``, ``row`` and ``column`` say where.

    A problem with the whole file has no sheet; with a whole sheet, no row.
    """

    key: str
    sheet: str | None = None
    row: int | None = None
    column: str | None = None
    value: str | None = None
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def sort_key(self) -> tuple[int, str, int, str]:
        """File problems first, then by sheet, row and column."""
        return (
            0 if self.sheet is None else 1,
            self.sheet or "",
            self.row or 0,
            self.column or "",
        )


def shown_value(value: Cell) -> str | None:
    """A cell as a report repeats it: one short line, None for an empty cell."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        text = value.isoformat(sep=" ", timespec="minutes")
    elif isinstance(value, float) and value.is_integer():
        text = str(int(value))
    else:
        text = str(value)
    return quote_input(text) if text.strip() else None


class PlanFileError(PlanError):
    """The file cannot be read as a plan at all; carries the problem to report."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.key)
        self.problem = problem
