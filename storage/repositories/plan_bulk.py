"""The whole plan at once: bulk reads for import and export, batched writes.

An office's plan can hold tens of thousands of targets and projects; the
import reads each table once, decides per row in memory, and writes with
``executemany`` inside the caller's single transaction, so a plan of 1,000
schools goes in within seconds and a failed import leaves nothing behind.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Final, Literal

from sqlalchemy import Table, bindparam, insert, select, update

from storage.repositories.base import Repository
from storage.schema import (
    audit_log,
    csfs,
    fiscal_years,
    kpis,
    people,
    projects,
    rounds,
    schools,
    strategies,
    targets,
)

PlanTable = Literal[
    "schools", "strategies", "csfs", "kpis", "targets", "projects", "rounds", "people"
]

_TABLES: Final[dict[str, Table]] = {
    "schools": schools,
    "strategies": strategies,
    "csfs": csfs,
    "kpis": kpis,
    "targets": targets,
    "projects": projects,
    "rounds": rounds,
    "people": people,
}

# Large enough to amortise each statement, small enough to keep memory flat.
BATCH: Final = 5000


def _batches(rows: Sequence[dict[str, Any]]) -> Iterable[Sequence[dict[str, Any]]]:
    for start in range(0, len(rows), BATCH):
        yield rows[start : start + BATCH]


class PlanBulk(Repository):
    """Bulk access to the plan's tables for import and export."""

    async def all_rows(self, table: PlanTable) -> list[dict[str, Any]]:
        """Every row of a plan table as a dict of column values, in the order they were added."""
        source = _TABLES[table]
        query = select(source).order_by(source.c.id)
        if table == "people":
            # only people from the plan have a code; those who joined by invite are not plan data
            query = query.where(people.c.code.is_not(None))
        result = await self.connection.execute(query)
        return [dict(row._mapping) for row in result]

    async def fiscal_years(self) -> set[int]:
        """The fiscal years already known."""
        result = await self.connection.execute(select(fiscal_years.c.year))
        return {int(year) for year in result.scalars()}

    async def add_fiscal_years(self, rows: Sequence[Mapping[str, Any]]) -> None:
        """Add fiscal years (``year``, ``starts_on``, ``ends_on``)."""
        if rows:
            await self.connection.execute(insert(fiscal_years), [dict(row) for row in rows])

    async def insert(self, table: PlanTable, rows: Sequence[dict[str, Any]]) -> None:
        """Insert rows, batched; every row must name the same columns."""
        source = _TABLES[table]
        for batch in _batches(rows):
            await self.connection.execute(insert(source), list(batch))

    async def update(self, table: PlanTable, rows: Sequence[dict[str, Any]]) -> None:
        """Update rows by ``id``; rows that change the same columns share one statement."""
        source = _TABLES[table]
        groups: dict[tuple[str, ...], list[dict[str, Any]]] = defaultdict(list)
        for row in rows:
            columns = tuple(sorted(name for name in row if name != "id"))
            # bound names must differ from column names in an UPDATE's SET clause
            groups[columns].append({f"new_{name}": value for name, value in row.items()})
        for columns, group in groups.items():
            statement = (
                update(source)
                .where(source.c.id == bindparam("new_id"))
                .values({name: bindparam(f"new_{name}") for name in columns})
            )
            for batch in _batches(group):
                await self.connection.execute(statement, list(batch))

    async def ids_by_code(self, table: PlanTable) -> dict[str, int]:
        """Code → id for a table keyed by code."""
        source = _TABLES[table]
        result = await self.connection.execute(select(source.c.code, source.c.id))
        return {str(row.code): int(row.id) for row in result if row.code is not None}

    async def record_audit(self, entries: Sequence[dict[str, Any]]) -> None:
        """Append many audit entries (the columns of ``audit_log``) at once."""
        for batch in _batches(entries):
            await self.connection.execute(insert(audit_log), list(batch))
