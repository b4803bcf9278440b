"""Import a plan: validate everything, then apply all of it or nothing.

Rows are validated one by one (:mod:`onboarding.rows`), then against each
other and the database: duplicate codes, references to schools, KPIs,
strategies and CSFs that exist neither in the file nor in Tidtam, targets
judged by their KPI's value type (a percent target over 100 is refused),
rounds due before they open, projects ending before they start, roles that
do not fit their school. Any problem and nothing is written.

A clean plan is applied in one transaction, upserting by code (targets by
school × KPI × fiscal year): a row equal to what is stored counts as
unchanged and is not written, so importing the same file twice changes
nothing the second time. Optional columns left empty keep what is stored
(new rows get the template's default). Every created or updated row is
audited with its values before and after. A dry run does all of that and
rolls back, so its counts are exactly what a real import would do.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Final, Generic, TypeVar
from zoneinfo import ZoneInfo

from domain.calendar import fiscal_year_bounds
from domain.errors import InvalidInput
from domain.values import Role, ValueType, check_kpi_value, parse_kpi_value
from onboarding.problems import Problem
from onboarding.reader import RawPlan
from onboarding.rows import (
    CsfRow,
    KpiRow,
    PersonRow,
    PlanRow,
    ProjectRow,
    RoundRow,
    SchoolRow,
    StrategyRow,
    TargetRow,
    validate_rows,
)
from onboarding.sheets import (
    SHEETS,
)
from scheduler.ladder import ladder_json, parse_ladder
from storage.database import Database
from storage.repositories import Repositories
from storage.repositories.plan_bulk import PlanTable

Progress = Callable[[int, int], None]
"""Called with (rows done, rows in all) as the import goes on."""

ENTITY: Final = {
    "schools": "school",
    "strategies": "strategy",
    "csfs": "csf",
    "kpis": "kpi",
    "targets": "target",
    "projects": "project",
    "rounds": "round",
    "people": "person",
}

# Domain rules for a typed value, as a plan report words them.
_TARGET_PROBLEMS: Final = {
    "value.percent_over_100": "onboarding.problem.percent_over_100",
    "value.percent_negative": "onboarding.problem.percent_negative",
    "value.count_negative": "onboarding.problem.count_negative",
    "value.count_whole": "onboarding.problem.count_whole",
    "value.yes_no": "onboarding.problem.yes_no_target",
    "value.level_range": "onboarding.problem.level_range",
    "value.percent_not_expected": "onboarding.problem.percent_not_expected",
}


@dataclass(slots=True)
class SheetOutcome:
    """What an import did (or would do) to one sheet's rows."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0


@dataclass(slots=True)
class ImportReport:
    """The outcome of an import: problems, or what was created, updated and left unchanged."""

    source: str
    dry_run: bool
    rows: int = 0
    problems: list[Problem] = field(default_factory=list)
    outcomes: dict[str, SheetOutcome] = field(default_factory=dict)
    applied: bool = False

    @property
    def ok(self) -> bool:
        """No problems were found."""
        return not self.problems

    @property
    def changed(self) -> bool:
        """Some row was (or would be) created or updated."""
        return any(outcome.created or outcome.updated for outcome in self.outcomes.values())


class _Rollback(Exception):
    """Ends the transaction without committing (problems found, or a dry run)."""


RowT = TypeVar("RowT", bound=PlanRow)


@dataclass(slots=True)
class _Rows(Generic[RowT]):
    """The valid rows of one sheet, and whether the sheet was in the file."""

    present: bool
    rows: list[RowT]
    # codes of rows that had problems of their own: references to them are not
    # reported again as unknown
    failed_codes: set[str] = field(default_factory=set)


class _Counter:
    def __init__(self, total: int, progress: Progress | None) -> None:
        self.total = total
        self.done = 0
        self.progress = progress
        self._step = max(1, total // 200)

    def tick(self, count: int = 1) -> None:
        self.done += count
        if self.progress is not None and (
            self.done % self._step < count or self.done >= self.total
        ):
            self.progress(min(self.done, self.total), self.total)


def _validate(
    plan: RawPlan, tz: ZoneInfo, counter: _Counter
) -> tuple[dict[str, _Rows[Any]], list[Problem]]:
    models: dict[str, type[PlanRow]] = {
        "schools": SchoolRow,
        "strategies": StrategyRow,
        "csfs": CsfRow,
        "kpis": KpiRow,
        "targets": TargetRow,
        "projects": ProjectRow,
        "rounds": RoundRow,
        "people": PersonRow,
    }
    result: dict[str, _Rows[Any]] = {}
    problems: list[Problem] = []
    for sheet in SHEETS:
        raw = plan.sheets.get(sheet.key)
        if raw is None:
            result[sheet.key] = _Rows(False, [])
            continue
        valid, found = validate_rows(sheet, models[sheet.key], raw.rows, tz=tz, on_row=counter.tick)
        failed_rows = {problem.row for problem in found}
        failed_codes = {
            str(row.cells["code"]).strip()
            for row in raw.rows
            if row.number in failed_rows and row.cells.get("code") is not None
        }
        result[sheet.key] = _Rows(True, valid, failed_codes)
        problems.extend(found)
    return result, problems


async def import_plan(
    database: Database,
    plan: RawPlan,
    *,
    now: dt.datetime,
    tz: ZoneInfo,
    dry_run: bool = False,
    actor: str = "import",
    actor_person_id: int | None = None,
    progress: Progress | None = None,
) -> ImportReport:
    """Validate a plan and, when it has no problem and this is not a dry run, apply it."""
    report = ImportReport(plan.name, dry_run=dry_run, rows=plan.row_count)
    counter = _Counter(plan.row_count * 2, progress)
    sheets, row_problems = _validate(plan, tz, counter)
    report.problems = [*plan.problems, *row_problems]
    try:
        async with database.transaction() as repos:
            importer = _Importer(repos, sheets, now=now, counter=counter)
            await importer.load()
            report.problems.extend(importer.check())
            if report.problems:
                raise _Rollback
            report.outcomes = await importer.apply(actor=actor, actor_person_id=actor_person_id)
            if dry_run:
                raise _Rollback
            if not report.changed:
                return _finish(report, applied=True)
            await repos.plan_bulk.record_audit(
                [
                    _audit(
                        now,
                        actor,
                        actor_person_id,
                        "import",
                        "plan",
                        plan.name,
                        None,
                        {
                            key: {
                                "created": outcome.created,
                                "updated": outcome.updated,
                                "unchanged": outcome.unchanged,
                            }
                            for key, outcome in report.outcomes.items()
                        },
                    )
                ]
            )
    except _Rollback:
        return _finish(report, applied=False)
    return _finish(report, applied=True)


def _finish(report: ImportReport, *, applied: bool) -> ImportReport:
    report.applied = applied
    report.problems.sort(key=lambda problem: problem.sort_key)
    return report


def _audit(
    at: dt.datetime,
    actor: str,
    actor_person_id: int | None,
    action: str,
    entity: str,
    entity_id: str,
    before: Any,
    after: Any,
) -> dict[str, Any]:
    return {
        "at": at,
        "actor": actor,
        "actor_person_id": actor_person_id,
        "action": action,
        "entity": entity,
        "entity_id": entity_id,
        "before": before,
        "after": after,
    }


def _ladder(steps: str | None) -> list[str | int] | None:
    """A round's steps as ``tidtam ladder`` stores them (None: keep the stored ladder)."""
    return None if steps is None else ladder_json(parse_ladder(steps))


def _duplicates(
    sheet: str, rows: Iterable[RowT], key: Callable[[RowT], object], column: str
) -> list[Problem]:
    first: dict[object, int] = {}
    problems: list[Problem] = []
    for row in rows:
        marker = key(row)
        if marker in first:
            problems.append(
                Problem(
                    "onboarding.problem.duplicate",
                    sheet=sheet,
                    row=row.row,
                    column=column,
                    value=str(getattr(row, column)),
                    params={"first_row": first[marker]},
                )
            )
        else:
            first[marker] = row.row
    return problems


class _Importer:
    """One import inside one transaction: the stored plan, the file's rows, the checks."""

    def __init__(
        self,
        repos: Repositories,
        sheets: dict[str, _Rows[Any]],
        *,
        now: dt.datetime,
        counter: _Counter,
    ) -> None:
        self.repos = repos
        self.sheets = sheets
        self.now = now
        self.counter = counter
        self.stored: dict[str, dict[Any, dict[str, Any]]] = {}
        self.codes_by_id: dict[str, dict[int, str]] = {}
        self.audit: list[dict[str, Any]] = []
        self.actor = "import"
        self.actor_person_id: int | None = None
        self._code_index: dict[str, dict[str, Any]] = {}

    def rows(self, sheet: str) -> list[Any]:
        return self.sheets[sheet].rows

    async def load(self) -> None:
        """Read the stored plan once."""
        bulk = self.repos.plan_bulk
        for table in ("schools", "strategies", "csfs", "kpis", "projects", "rounds", "people"):
            rows = await bulk.all_rows(table)
            self.stored[table] = {row["code"]: row for row in rows}
            self.codes_by_id[table] = {row["id"]: row["code"] for row in rows}
        self.stored["targets"] = {
            (row["school_id"], row["kpi_id"], row["fiscal_year"]): row
            for row in await bulk.all_rows("targets")
        }

    # ------------------------------------------------------------ checks

    def _file_codes(self, table: str) -> dict[str, Any]:
        if table not in self._code_index:
            self._code_index[table] = {row.code: row for row in self.rows(table)}
        return self._code_index[table]

    def _exists(self, table: str, code: str) -> bool:
        return (
            code in self._file_codes(table)
            or code in self.stored[table]
            or code in self.sheets[table].failed_codes
        )

    def _school_kind(self, code: str) -> str | None:
        row = self._file_codes("schools").get(code)
        if row is not None:
            kind = row.kind
            if kind is None and code in self.stored["schools"]:
                kind = self.stored["schools"][code]["kind"]
            return str(kind or "school")
        stored = self.stored["schools"].get(code)
        return None if stored is None else str(stored["kind"])

    def _kpi_type(self, code: str) -> ValueType | None:
        row = self._file_codes("kpis").get(code)
        if row is not None:
            return ValueType(row.value_type)
        stored = self.stored["kpis"].get(code)
        return None if stored is None else ValueType(stored["value_type"])

    def _csf_strategy(self, code: str) -> str | None:
        row = self._file_codes("csfs").get(code)
        if row is not None:
            return str(row.strategy_code)
        stored = self.stored["csfs"].get(code)
        if stored is None:
            return None
        return self.codes_by_id["strategies"].get(stored["strategy_id"])

    def _unknown(
        self, table: str, sheet: str, row: PlanRow, column: str, code: str | None
    ) -> list[Problem]:
        if code is None or self._exists(table, code):
            return []
        key = {
            "schools": "unknown_school",
            "kpis": "unknown_kpi",
            "strategies": "unknown_strategy",
            "csfs": "unknown_csf",
        }[table]
        return [
            Problem(
                f"onboarding.problem.{key}",
                sheet=sheet,
                row=row.row,
                column=column,
                value=code,
                params={"code": code},
            )
        ]

    def check(self) -> list[Problem]:
        """Every problem between rows and against the stored plan."""
        problems: list[Problem] = []
        problems += _duplicates("schools", self.rows("schools"), lambda r: r.code, "code")
        problems += self._check_office()
        problems += _duplicates("strategies", self.rows("strategies"), lambda r: r.code, "code")
        problems += _duplicates("csfs", self.rows("csfs"), lambda r: r.code, "code")
        for csf in self.rows("csfs"):
            problems += self._unknown("strategies", "csfs", csf, "strategy_code", csf.strategy_code)
        problems += _duplicates("kpis", self.rows("kpis"), lambda r: r.code, "code")
        for kpi in self.rows("kpis"):
            problems += self._check_kpi(kpi)
        problems += _duplicates(
            "targets",
            self.rows("targets"),
            lambda r: (r.school_code, r.kpi_code, r.fiscal_year),
            "kpi_code",
        )
        for target in self.rows("targets"):
            problems += self._check_target(target)
        problems += _duplicates("projects", self.rows("projects"), lambda r: r.code, "code")
        for project in self.rows("projects"):
            problems += self._unknown(
                "schools", "projects", project, "owner_code", project.owner_code
            )
            problems += self._unknown(
                "strategies", "projects", project, "strategy_code", project.strategy_code
            )
            start, end = project.planned_start, project.planned_end
            if start is not None and end is not None and end < start:
                problems.append(
                    Problem(
                        "onboarding.problem.end_before_start",
                        sheet="projects",
                        row=project.row,
                        column="planned_end",
                        value=end.isoformat(),
                        params={"start": start, "end": end},
                    )
                )
        problems += _duplicates("rounds", self.rows("rounds"), lambda r: r.code, "code")
        for round_ in self.rows("rounds"):
            if round_.due_at <= round_.opens_at:
                problems.append(
                    Problem(
                        "onboarding.problem.due_before_open",
                        sheet="rounds",
                        row=round_.row,
                        column="due_at",
                        value=None,
                        params={"opens": round_.opens_at, "due": round_.due_at},
                    )
                )
        problems += _duplicates("people", self.rows("people"), lambda r: r.code, "code")
        for person in self.rows("people"):
            problems += self._check_person(person)
        return problems

    def _check_office(self) -> list[Problem]:
        offices = {
            code
            for code, row in self.stored["schools"].items()
            if row["kind"] == "office" and self._school_kind(code) == "office"
        }
        offices |= {row.code for row in self.rows("schools") if row.kind == "office"}
        if len(offices) <= 1:
            return []
        return [
            Problem(
                "onboarding.problem.second_office",
                sheet="schools",
                row=row.row,
                column="kind",
                value=row.kind,
                params={"office": ", ".join(sorted(offices - {row.code}))},
            )
            for row in self.rows("schools")
            if row.kind == "office"
        ]

    def _check_kpi(self, kpi: KpiRow) -> list[Problem]:
        problems = self._unknown("strategies", "kpis", kpi, "strategy_code", kpi.strategy_code)
        problems += self._unknown("csfs", "kpis", kpi, "csf_code", kpi.csf_code)
        if problems or kpi.csf_code is None or kpi.strategy_code is None:
            return problems
        parent = self._csf_strategy(kpi.csf_code)
        if parent is not None and parent != kpi.strategy_code:
            problems.append(
                Problem(
                    "onboarding.problem.csf_strategy_mismatch",
                    sheet="kpis",
                    row=kpi.row,
                    column="csf_code",
                    value=kpi.csf_code,
                    params={"csf": kpi.csf_code, "parent": parent, "strategy": kpi.strategy_code},
                )
            )
        return problems

    def _check_target(self, target: TargetRow) -> list[Problem]:
        problems = self._unknown("schools", "targets", target, "school_code", target.school_code)
        problems += self._unknown("kpis", "targets", target, "kpi_code", target.kpi_code)
        value_type = self._kpi_type(target.kpi_code)
        if value_type is None:
            return problems
        try:
            self._target_value(value_type, target.target_value)
        except InvalidInput as error:
            problems.append(
                Problem(
                    _TARGET_PROBLEMS.get(error.key, "onboarding.problem.invalid"),
                    sheet="targets",
                    row=target.row,
                    column="target_value",
                    value=str(target.target_value),
                    params={**error.params, "type": value_type.value},
                )
            )
        return problems

    @staticmethod
    def _target_value(value_type: ValueType, value: Decimal | str) -> Decimal:
        if isinstance(value, str):
            return parse_kpi_value(value_type, value)
        return check_kpi_value(value_type, value)

    def _check_person(self, person: PersonRow) -> list[Problem]:
        problems = self._unknown("schools", "people", person, "school_code", person.school_code)
        kind = self._school_kind(person.school_code)
        if kind is None:
            return problems
        if Role(person.role).is_district != (kind == "office"):
            problems.append(
                Problem(
                    "onboarding.problem.role_school_mismatch",
                    sheet="people",
                    row=person.row,
                    column="role",
                    value=person.role,
                    params={"role": person.role, "school": person.school_code},
                )
            )
        return problems

    # ------------------------------------------------------------ apply

    async def apply(self, *, actor: str, actor_person_id: int | None) -> dict[str, SheetOutcome]:
        """Upsert every sheet in order; return the counts per sheet present in the file."""
        self.actor, self.actor_person_id = actor, actor_person_id
        outcomes: dict[str, SheetOutcome] = {}
        bulk = self.repos.plan_bulk
        ids: dict[str, dict[str, int]] = {}

        async def refresh(table: PlanTable) -> None:
            ids[table] = await bulk.ids_by_code(table)

        outcomes["schools"] = await self._upsert(
            "schools",
            [
                (
                    row.code,
                    {
                        "code": row.code,
                        "name_th": row.name_th,
                        "name_en": row.name_en,
                        "province": row.province,
                        "district": row.district,
                        "subdistrict": row.subdistrict,
                        "obec_code": row.obec_code,
                    },
                    {"kind": row.kind, "active": row.active},
                    {"kind": "school", "active": True},
                )
                for row in self.rows("schools")
            ],
        )
        await refresh("schools")
        outcomes["strategies"] = await self._upsert(
            "strategies",
            [
                (
                    row.code,
                    {"code": row.code, "name_th": row.name_th, "name_en": row.name_en},
                    {"sort_order": row.sort_order},
                    {"sort_order": position},
                )
                for position, row in enumerate(self.rows("strategies"), start=1)
            ],
        )
        await refresh("strategies")
        outcomes["csfs"] = await self._upsert(
            "csfs",
            [
                (
                    row.code,
                    {
                        "code": row.code,
                        "strategy_id": ids["strategies"][row.strategy_code],
                        "name_th": row.name_th,
                        "name_en": row.name_en,
                    },
                    {},
                    {},
                )
                for row in self.rows("csfs")
            ],
        )
        await refresh("csfs")
        outcomes["kpis"] = await self._upsert(
            "kpis",
            [
                (row.code, self._kpi_record(row, ids), *self._kpi_optional(row, position))
                for position, row in enumerate(self.rows("kpis"), start=1)
            ],
        )
        await refresh("kpis")
        await self._ensure_fiscal_years()
        outcomes["targets"] = await self._upsert_targets(ids)
        outcomes["projects"] = await self._upsert(
            "projects",
            [
                (
                    row.code,
                    {
                        "code": row.code,
                        "fiscal_year": row.fiscal_year,
                        "school_id": ids["schools"][row.owner_code],
                        "strategy_id": None
                        if row.strategy_code is None
                        else ids["strategies"][row.strategy_code],
                        "name": row.name,
                        "responsible_name": row.responsible_name,
                        "planned_start": row.planned_start,
                        "planned_end": row.planned_end,
                    },
                    {"budget_allocated": row.budget_allocated, "active": row.active},
                    {"budget_allocated": Decimal("0.00"), "active": True},
                )
                for row in self.rows("projects")
            ],
        )
        outcomes["rounds"] = await self._upsert(
            "rounds",
            [
                (
                    row.code,
                    {
                        "code": row.code,
                        "fiscal_year": row.fiscal_year,
                        "name_th": row.name_th,
                        "name_en": row.name_en,
                        "opens_at": row.opens_at,
                        "due_at": row.due_at,
                    },
                    {
                        "includes_progress": row.includes_progress,
                        "kpi_frequencies": row.kpi_frequencies,
                        "reminder_ladder": _ladder(row.reminder_steps),
                    },
                    # a new round without steps follows the default ladder (stored as null)
                    {
                        "includes_progress": True,
                        "kpi_frequencies": "each_round",
                        "reminder_ladder": None,
                    },
                )
                for row in self.rows("rounds")
            ],
        )
        outcomes["people"] = await self._upsert(
            "people",
            [
                (
                    row.code,
                    {
                        "code": row.code,
                        "full_name": row.full_name,
                        "role": row.role,
                        "school_id": ids["schools"][row.school_code],
                    },
                    {"language": row.language, "active": row.active},
                    {"language": None, "active": True},
                )
                for row in self.rows("people")
            ],
        )
        await self.repos.plan_bulk.record_audit(self.audit)
        return {key: outcome for key, outcome in outcomes.items() if self.sheets[key].present}

    def _kpi_record(self, row: KpiRow, ids: dict[str, dict[str, int]]) -> dict[str, Any]:
        strategy_code = row.strategy_code
        if strategy_code is None and row.csf_code is not None:
            # a KPI under a CSF belongs to the CSF's strategy
            strategy_code = self._csf_strategy(row.csf_code)
        return {
            "code": row.code,
            "name_th": row.name_th,
            "name_en": row.name_en,
            "unit_th": row.unit_th,
            "unit_en": row.unit_en,
            "value_type": row.value_type,
            "scoring_bands": row.scoring_bands,
            "strategy_id": None if strategy_code is None else ids["strategies"][strategy_code],
            "csf_id": None if row.csf_code is None else ids["csfs"][row.csf_code],
        }

    @staticmethod
    def _kpi_optional(row: KpiRow, position: int) -> tuple[dict[str, Any], dict[str, Any]]:
        return (
            {
                "direction": row.direction,
                "frequency": row.frequency,
                "sort_order": row.sort_order,
                "active": row.active,
            },
            {
                "direction": "higher_better",
                "frequency": "each_round",
                "sort_order": position,
                "active": True,
            },
        )

    async def _upsert(
        self,
        table: PlanTable,
        rows: list[tuple[str, dict[str, Any], dict[str, Any], dict[str, Any]]],
    ) -> SheetOutcome:
        """Create or update rows by code.

        Each row is (code, values, optional values, defaults for a new row): an
        optional value of None keeps what is stored, or takes the default.
        """
        outcome = SheetOutcome()
        stored = self.stored[table]
        inserts: list[dict[str, Any]] = []
        updates: list[dict[str, Any]] = []
        for code, values, optional, defaults in rows:
            given = {name: value for name, value in optional.items() if value is not None}
            existing = stored.get(code)
            if existing is None:
                record = {**defaults, **values, **given}
                inserts.append({**record, "created_at": self.now, "updated_at": self.now})
                self._note("create", table, code, None, record)
                outcome.created += 1
            else:
                wanted = {**values, **given}
                changed = {name: value for name, value in wanted.items() if existing[name] != value}
                if changed:
                    updates.append({"id": existing["id"], **changed, "updated_at": self.now})
                    before = {name: existing[name] for name in changed}
                    self._note("update", table, code, before, changed)
                    outcome.updated += 1
                else:
                    outcome.unchanged += 1
            self.counter.tick()
        await self.repos.plan_bulk.insert(table, inserts)
        await self.repos.plan_bulk.update(table, updates)
        return outcome

    async def _upsert_targets(self, ids: dict[str, dict[str, int]]) -> SheetOutcome:
        outcome = SheetOutcome()
        stored = self.stored["targets"]
        inserts: list[dict[str, Any]] = []
        updates: list[dict[str, Any]] = []
        kpi_types = {
            code: self._kpi_type(code) for code in {row.kpi_code for row in self.rows("targets")}
        }
        for row in self.rows("targets"):
            value_type = kpi_types[row.kpi_code]
            assert value_type is not None  # checked before anything is applied
            value = self._target_value(value_type, row.target_value)
            school_id, kpi_id = ids["schools"][row.school_code], ids["kpis"][row.kpi_code]
            label = f"{row.school_code}/{row.kpi_code}/{row.fiscal_year}"
            existing = stored.get((school_id, kpi_id, row.fiscal_year))
            if existing is None:
                record = {
                    "school_id": school_id,
                    "kpi_id": kpi_id,
                    "fiscal_year": row.fiscal_year,
                    "target_value": value,
                }
                inserts.append({**record, "created_at": self.now, "updated_at": self.now})
                self._note("create", "targets", label, None, {"target_value": value})
                outcome.created += 1
            elif existing["target_value"] != value:
                updates.append(
                    {"id": existing["id"], "target_value": value, "updated_at": self.now}
                )
                self._note(
                    "update",
                    "targets",
                    label,
                    {"target_value": existing["target_value"]},
                    {"target_value": value},
                )
                outcome.updated += 1
            else:
                outcome.unchanged += 1
            self.counter.tick()
        await self.repos.plan_bulk.insert("targets", inserts)
        await self.repos.plan_bulk.update("targets", updates)
        return outcome

    async def _ensure_fiscal_years(self) -> None:
        years = {
            row.fiscal_year
            for table in ("targets", "projects", "rounds")
            for row in self.rows(table)
        }
        missing = sorted(years - await self.repos.plan_bulk.fiscal_years())
        rows = []
        for year in missing:
            starts_on, ends_on = fiscal_year_bounds(year)
            rows.append({"year": year, "starts_on": starts_on, "ends_on": ends_on})
        await self.repos.plan_bulk.add_fiscal_years(rows)

    def _note(
        self,
        action: str,
        table: str,
        code: str,
        before: dict[str, Any] | None,
        after: dict[str, Any],
    ) -> None:
        self.audit.append(
            _audit(
                self.now,
                self.actor,
                self.actor_person_id,
                f"import_{action}",
                ENTITY[table],
                code,
                before,
                after,
            )
        )


__all__ = ["ImportReport", "SheetOutcome", "import_plan"]
