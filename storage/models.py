"""Rows as typed, immutable values; repositories return these, never raw rows."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from enum import StrEnum
from typing import Any, ClassVar, Self

from domain.values import Direction, Frequency, ProjectStatus, Role, ValueType

_FIELD_NAMES: dict[type, tuple[str, ...]] = {}


def _field_names(cls: type) -> tuple[str, ...]:
    names = _FIELD_NAMES.get(cls)
    if names is None:
        names = _FIELD_NAMES[cls] = tuple(f.name for f in dataclasses.fields(cls))
    return names


class _Row:
    # columns stored as text that read back as enums
    _enums: ClassVar[dict[str, type[StrEnum]]] = {}

    @classmethod
    def from_row(cls, row: Mapping[str, Any] | Any) -> Self:
        mapping = row if isinstance(row, Mapping) else row._mapping
        values = {name: mapping[name] for name in _field_names(cls)}
        for name, enum in cls._enums.items():
            values[name] = enum(values[name])
        return cls(**values)


@dataclasses.dataclass(frozen=True, slots=True)
class School(_Row):
    id: int
    code: str
    kind: str
    name_th: str
    name_en: str | None
    province: str | None
    district: str | None
    active: bool

    def name(self, lang: str) -> str:
        """The name in the person's language, Thai when no English name is kept."""
        return self.name_en if lang == "en" and self.name_en else self.name_th


@dataclasses.dataclass(frozen=True, slots=True)
class Person(_Row):
    _enums: ClassVar[dict[str, type[StrEnum]]] = {"role": Role}
    id: int
    code: str | None
    telegram_user_id: int | None
    full_name: str
    role: Role
    school_id: int
    language: str | None
    active: bool
    joined_at: dt.datetime | None


@dataclasses.dataclass(frozen=True, slots=True)
class Invite(_Row):
    _enums: ClassVar[dict[str, type[StrEnum]]] = {"role": Role}
    id: int
    code_hash: str
    school_id: int
    role: Role
    person_id: int | None
    max_uses: int
    use_count: int
    expires_at: dt.datetime
    revoked_at: dt.datetime | None
    created_at: dt.datetime


@dataclasses.dataclass(frozen=True, slots=True)
class Kpi(_Row):
    _enums: ClassVar[dict[str, type[StrEnum]]] = {
        "value_type": ValueType,
        "direction": Direction,
        "frequency": Frequency,
    }
    id: int
    code: str
    name_th: str
    name_en: str | None
    unit_th: str
    unit_en: str | None
    value_type: ValueType
    direction: Direction
    frequency: Frequency
    scoring_bands: str | None
    sort_order: int

    def name(self, lang: str) -> str:
        """The indicator's name in the person's language (Thai when no English)."""
        return self.name_en if lang == "en" and self.name_en else self.name_th

    def unit(self, lang: str) -> str:
        """The unit in the person's language (Thai when no English)."""
        return self.unit_en if lang == "en" and self.unit_en else self.unit_th


@dataclasses.dataclass(frozen=True, slots=True)
class Round(_Row):
    id: int
    code: str
    fiscal_year: int
    name_th: str
    name_en: str | None
    opens_at: dt.datetime
    due_at: dt.datetime
    includes_progress: bool
    kpi_frequencies: str
    closed_at: dt.datetime | None

    def name(self, lang: str) -> str:
        """The round's name in the person's language (Thai when no English)."""
        return self.name_en if lang == "en" and self.name_en else self.name_th

    @property
    def frequencies(self) -> frozenset[Frequency]:
        """The KPI frequencies due in this round."""
        return frozenset(Frequency(part.strip()) for part in self.kpi_frequencies.split(","))

    def is_open(self, now: dt.datetime) -> bool:
        """Whether entries are accepted now (late entries after due_at still are)."""
        return self.closed_at is None and now >= self.opens_at


@dataclasses.dataclass(frozen=True, slots=True)
class KpiValue(_Row):
    id: int
    kpi_id: int
    school_id: int
    round_id: int
    version: int
    value: Decimal
    note: str | None
    submitted_by_id: int
    submitted_at: dt.datetime
    reason: str | None
    returned_at: dt.datetime | None
    returned_by_id: int | None
    return_comment: str | None


@dataclasses.dataclass(frozen=True, slots=True)
class Project(_Row):
    id: int
    code: str
    fiscal_year: int
    school_id: int
    strategy_id: int | None
    name: str
    budget_allocated: Decimal
    responsible_name: str | None
    responsible_person_id: int | None
    planned_start: dt.date | None
    planned_end: dt.date | None
    active: bool


@dataclasses.dataclass(frozen=True, slots=True)
class ProgressReport(_Row):
    _enums: ClassVar[dict[str, type[StrEnum]]] = {"status": ProjectStatus}

    id: int
    project_id: int
    round_id: int
    version: int
    status: ProjectStatus
    percent_complete: Decimal
    budget_spent: Decimal
    outputs: str | None
    problems: str | None
    suggestions: str | None
    submitted_by_id: int
    submitted_at: dt.datetime
    reason: str | None
    returned_at: dt.datetime | None
    returned_by_id: int | None
    return_comment: str | None
