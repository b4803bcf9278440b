"""Reports on a large district: 1,000 schools × 40 KPIs × 4 rounds, 20 projects per school.

Targets (issue 6): the chat summary under 1 s, the XLSX under 10 s, the PDF
under 20 s, and peak memory under 400 MB. A fresh SQLite database is seeded
with ``executemany`` (about 150,000 KPI values with corrections, 20,000
projects and 70,000 progress reports), then every measurement runs in a
process of its own, so its peak resident memory (``ru_maxrss``, interpreter
and libraries included) is its own. Each time includes reading the
database, computing the report and rendering it.

Beside each figure the script prints the ratio to a plain SQL aggregate of
the same figures on the same database (current versions, counts, means,
sums): the price of exact decimals, judgement by the domain rules and
rendering, over the database alone.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import random
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._common import machine, result

SCHOOLS = 1000
KPIS = 40
ROUNDS = 4
PROJECTS_PER_SCHOOL = 20
FISCAL_YEAR = 2570
NOW = dt.datetime(2027, 9, 30, 3, 0, tzinfo=dt.UTC)  # the last day of FY 2570
CHAT_TARGET = 1.0
XLSX_TARGET = 10.0
PDF_TARGET = 20.0
MEMORY_TARGET_MB = 400.0
RUNS = 3

# name → (report kind, format, scope: a round code or the fiscal year, target seconds)
MEASUREMENTS: dict[str, tuple[str, str, str, float]] = {
    "chat: completeness Q4": ("completeness", "text", "FY2570-Q4", CHAT_TARGET),
    "chat: KPI achievement Q4": ("achievement", "text", "FY2570-Q4", CHAT_TARGET),
    "chat: projects Q4": ("projects", "text", "FY2570-Q4", CHAT_TARGET),
    "xlsx: KPI achievement Q4 (40,000 scorecard rows)": (
        "achievement", "xlsx", "FY2570-Q4", XLSX_TARGET,
    ),
    "xlsx: annual report": ("annual", "xlsx", "FY2570", XLSX_TARGET),
    "pdf: completeness Q4": ("completeness", "pdf", "FY2570-Q4", PDF_TARGET),
    "pdf: annual report": ("annual", "pdf", "FY2570", PDF_TARGET),
}  # fmt: skip

# The same figures straight from SQL: current versions, counts, means and sums.
_LATEST_VALUES = """
    SELECT v.school_id, v.kpi_id, v.value FROM kpi_values v
    JOIN (SELECT school_id, kpi_id, MAX(version) AS version FROM kpi_values
          WHERE round_id = :round GROUP BY school_id, kpi_id) m
      ON v.school_id = m.school_id AND v.kpi_id = m.kpi_id AND v.version = m.version
    WHERE v.round_id = :round
"""
SQL = {
    "completeness": """
        SELECT t.school_id, COUNT(*) AS expected, COUNT(f.first_at) AS submitted,
               SUM(f.first_at <= r.due_at) AS on_time
        FROM targets t JOIN rounds r ON r.id = :round
        LEFT JOIN (SELECT school_id, kpi_id, MIN(submitted_at) AS first_at FROM kpi_values
                   WHERE round_id = :round GROUP BY school_id, kpi_id) f
          ON f.school_id = t.school_id AND f.kpi_id = t.kpi_id
        WHERE t.fiscal_year = r.fiscal_year GROUP BY t.school_id
    """,
    "achievement": f"""
        SELECT l.kpi_id, COUNT(*), AVG(l.value), MIN(l.value), MAX(l.value),
               SUM(CASE WHEN k.direction = 'lower_better' THEN l.value <= t.target_value
                        ELSE l.value >= t.target_value END)
        FROM ({_LATEST_VALUES}) l
        JOIN kpis k ON k.id = l.kpi_id
        JOIN targets t ON t.school_id = l.school_id AND t.kpi_id = l.kpi_id
        GROUP BY l.kpi_id
    """,
    "projects": """
        SELECT p.school_id, COUNT(*), SUM(p.budget_allocated), SUM(l.budget_spent),
               AVG(l.percent_complete)
        FROM projects p LEFT JOIN (
            SELECT pr.project_id, pr.budget_spent, pr.percent_complete FROM progress_reports pr
            JOIN (SELECT project_id, MAX(version) AS version FROM progress_reports
                  WHERE round_id = :round GROUP BY project_id) m
              ON m.project_id = pr.project_id AND m.version = pr.version
            WHERE pr.round_id = :round) l ON l.project_id = p.id
        GROUP BY p.school_id
    """,
}


def _stamp(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def seed(path: Path) -> dict[str, int]:
    """Migrate a fresh database, then fill it with executemany; return row counts."""
    from storage.database import Database

    async def migrate() -> None:
        database = Database(f"sqlite+aiosqlite:///{path}")
        await database.migrate()
        await database.dispose()

    asyncio.run(migrate())
    rng = random.Random(18)
    now = _stamp(dt.datetime(2026, 9, 1, tzinfo=dt.UTC))
    connection = sqlite3.connect(path)
    connection.execute("PRAGMA synchronous=OFF")
    sql = connection.executemany
    connection.execute(
        "INSERT INTO fiscal_years VALUES (?, ?, ?)", (FISCAL_YEAR, "2026-10-01", "2027-09-30")
    )
    sql(
        "INSERT INTO schools (id, code, kind, name_th, name_en, active, created_at, updated_at) "
        "VALUES (?, ?, ?, ?, ?, 1, ?, ?)",
        [(1, "OFFICE", "office", "สำนักงานเขตพื้นที่การศึกษา", "District office", now, now)]
        + [
            (i + 1, f"S{i:04d}", "school", f"โรงเรียนทดสอบที่ {i}", f"Test school {i}", now, now)
            for i in range(1, SCHOOLS + 1)
        ],
    )
    school_ids = list(range(2, SCHOOLS + 2))
    sql(
        "INSERT INTO people (id, telegram_user_id, full_name, role, school_id, active, "
        "created_at, updated_at) VALUES (?, ?, ?, 'reporter', ?, 1, ?, ?)",
        [(s, 5_000_000_000 + s, f"ครูผู้รับผิดชอบ {s}", s, now, now) for s in school_ids],
    )
    kinds = ["percent", "number", "count", "level", "yes_no"]
    kpi_rows = []
    for k in range(1, KPIS + 1):
        value_type = kinds[k % len(kinds)]
        direction = "lower_better" if k % 7 == 0 and value_type != "level" else "higher_better"
        bands = ">=90:5; 80-89.99:4; 70-79.99:3; 60-69.99:2; <60:1" if k % 3 == 0 else None
        kpi_rows.append(
            (k, f"K{k:02d}", f"ตัวชี้วัดทดสอบที่ {k}", value_type, direction, bands, k, now, now)
        )
    sql(
        "INSERT INTO kpis (id, code, name_th, unit_th, value_type, direction, frequency, "
        "scoring_bands, sort_order, active, created_at, updated_at) "
        "VALUES (?, ?, ?, 'หน่วย', ?, ?, 'each_round', ?, ?, 1, ?, ?)",
        kpi_rows,
    )
    types = {row[0]: row[3] for row in kpi_rows}

    def value(kpi_id: int) -> float:
        match types[kpi_id]:
            case "level":
                return float(rng.randint(1, 5))
            case "yes_no":
                return float(rng.random() < 0.7)
            case "count":
                return float(rng.randint(0, 400))
            case _:
                return round(rng.uniform(20, 100), 2)

    targets = {(s, k): (4.0 if types[k] == "level" else 1.0 if types[k] == "yes_no" else 70.0)
               for s in school_ids for k in range(1, KPIS + 1)}  # fmt: skip
    sql(
        "INSERT INTO targets (school_id, kpi_id, fiscal_year, target_value, created_at, "
        "updated_at) VALUES (?, ?, ?, ?, ?, ?)",
        [(s, k, FISCAL_YEAR, t, now, now) for (s, k), t in targets.items()],
    )
    rounds = []
    for q in range(1, ROUNDS + 1):
        opens = dt.datetime(2026, 10, 1, 1, 30, tzinfo=dt.UTC) + dt.timedelta(days=91 * (q - 1))
        due = opens + dt.timedelta(days=80)
        rounds.append((q, f"FY{FISCAL_YEAR}-Q{q}", opens, due))
    sql(
        "INSERT INTO rounds (id, code, fiscal_year, name_th, name_en, opens_at, due_at, "
        "includes_progress, kpi_frequencies, created_at, updated_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, 1, 'each_round', ?, ?)",
        [
            (q, code, FISCAL_YEAR, f"รายงานผลไตรมาสที่ {q}", f"Quarter {q}",
             _stamp(opens), _stamp(due), now, now)
            for q, code, opens, due in rounds
        ],
    )  # fmt: skip
    values = []
    for q, _, _, due in rounds:
        for s in school_ids:
            for k in range(1, KPIS + 1):
                if rng.random() > 0.92:
                    continue
                at = due + dt.timedelta(hours=rng.choice([-300, -50, -3, 20, 100]))
                for version in range(1, rng.choice([2, 2, 2, 3]) if rng.random() < 0.1 else 2):
                    values.append(
                        (k, s, q, version, value(k), f"แก้ไข {version}" if version > 1 else None,
                         s, _stamp(at + dt.timedelta(hours=version)))
                    )  # fmt: skip
    sql(
        "INSERT INTO kpi_values (kpi_id, school_id, round_id, version, value, reason, "
        "submitted_by_id, submitted_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        values,
    )
    projects = []
    project_id = 0
    for s in school_ids:
        for n in range(1, PROJECTS_PER_SCHOOL + 1):
            project_id += 1
            start = dt.date(2026, 10, 1) + dt.timedelta(days=rng.randint(0, 120))
            end = start + dt.timedelta(days=rng.choice([90, 180, 300]))
            projects.append(
                (project_id, f"S{s:04d}-P{n:02d}", FISCAL_YEAR, s, f"โครงการทดสอบที่ {n}",
                 rng.randint(5, 500) * 1000.0, f"ครูผู้รับผิดชอบ {s}", s,
                 start.isoformat(), end.isoformat(), now, now)
            )  # fmt: skip
    sql(
        "INSERT INTO projects (id, code, fiscal_year, school_id, name, budget_allocated, "
        "responsible_name, responsible_person_id, planned_start, planned_end, active, "
        "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?)",
        projects,
    )
    statuses = ["not_started", "in_progress", "in_progress", "completed", "postponed", "cancelled"]
    progress = []
    for q, _, _, due in rounds:
        for row in projects:
            if rng.random() > 0.85:
                continue
            spent = round(row[5] * rng.uniform(0, 0.25 * q), 2)
            progress.append(
                (row[0], q, 1, rng.choice(statuses), float(min(100, rng.randint(0, 30 * q))),
                 min(spent, row[5]), "ผลผลิตตามแผน",
                 "งบประมาณล่าช้า" if rng.random() < 0.1 else None,
                 "ควรจัดอบรมเพิ่ม" if rng.random() < 0.05 else None,
                 row[3], _stamp(due - dt.timedelta(days=rng.randint(-5, 20))))
            )  # fmt: skip
    sql(
        "INSERT INTO progress_reports (project_id, round_id, version, status, percent_complete, "
        "budget_spent, outputs, problems, suggestions, submitted_by_id, submitted_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        progress,
    )
    connection.commit()
    connection.close()
    return {"kpi values": len(values), "projects": len(projects), "progress": len(progress)}


def measure(database_path: Path, name: str) -> dict[str, float]:
    """One measurement in this process: load, compute, render; then the SQL aggregate."""
    from reports.engine import ReportKind, ReportRequest, load_report
    from reports.render import Format, render
    from storage.database import Database

    kind_text, format_text, scope, _ = MEASUREMENTS[name]
    kind, fmt = ReportKind(kind_text), Format(format_text)

    async def run() -> tuple[float, int]:
        database = Database(f"sqlite+aiosqlite:///{database_path}")
        started = time.perf_counter()
        async with database.read() as repos:
            round_ = await repos.plan.round_by_code(scope) if scope.startswith("FY") else None
            if scope.startswith("FY") and round_ is None and "-" in scope:
                raise LookupError(scope)
            request = ReportRequest(kind, round=round_, fiscal_year=FISCAL_YEAR)
            report = await load_report(repos, request, now=NOW)
        rendered = render(report, fmt, "th", office="สำนักงานเขตพื้นที่การศึกษา", kind=kind, scope=scope)
        elapsed = time.perf_counter() - started
        await database.dispose()
        return elapsed, len(rendered.content)

    # The bot is a long-running process: the first run pays for lazy set-up (fonts,
    # caches), the later ones are what an officer waits for. Report the median of three.
    runs = [asyncio.run(run()) for _ in range(RUNS)]
    elapsed = sorted(seconds for seconds, _ in runs)[RUNS // 2]
    first, size = runs[0]
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    sql_kind = kind_text if kind_text in SQL else "projects"
    connection = sqlite3.connect(database_path)
    started = time.perf_counter()
    for round_id in range(1, ROUNDS + 1) if kind_text == "annual" else [ROUNDS]:
        for query in SQL.values() if kind_text == "annual" else [SQL[sql_kind]]:
            connection.execute(query, {"round": round_id}).fetchall()
    sql_seconds = time.perf_counter() - started
    connection.close()
    return {
        "seconds": elapsed,
        "first": first,
        "peak_mb": peak_mb,
        "sql_seconds": sql_seconds,
        "bytes": size,
    }


def main() -> int:
    if len(sys.argv) == 4 and sys.argv[1] == "--measure":
        print(json.dumps(measure(Path(sys.argv[2]), sys.argv[3])))
        return 0
    print(f"machine: {machine()}")
    passed = True
    with tempfile.TemporaryDirectory(prefix="tidtam-bench-reports-") as folder:
        path = Path(folder) / "reports.db"
        started = time.perf_counter()
        counts = seed(path)
        print(
            f"seeded {SCHOOLS:,} schools × {KPIS} KPIs × {ROUNDS} rounds: "
            + ", ".join(f"{n:,} {what}" for what, n in counts.items())
            + f" in {time.perf_counter() - started:.1f} s"
        )
        peak = 0.0
        for name, (_, _, _, target) in MEASUREMENTS.items():
            completed = subprocess.run(
                [sys.executable, __file__, "--measure", str(path), name],
                capture_output=True,
                text=True,
                check=False,
            )
            if completed.returncode != 0:
                print(completed.stderr[-2000:])
                passed &= result(name, "error", f"< {target:g} s", False)
                continue
            figures = json.loads(completed.stdout.strip().splitlines()[-1])
            seconds, sql_seconds = figures["seconds"], figures["sql_seconds"]
            peak = max(peak, figures["peak_mb"])
            print(
                f"{name}: median {seconds:.2f} s (first run {figures['first']:.2f} s), "
                f"{figures['bytes']:,} bytes, "
                f"peak {figures['peak_mb']:.0f}"
                f" MB; plain SQL aggregate {sql_seconds * 1000:.0f} ms "
                f"(report / SQL = {seconds / sql_seconds:.1f}×)"
            )
            passed &= result(name, f"{seconds:.2f} s", f"< {target:g} s", seconds < target)
        passed &= result(
            "peak memory (largest process)",
            f"{peak:.0f} MB",
            f"< {MEMORY_TARGET_MB:g} MB",
            peak < MEMORY_TARGET_MB,
        )
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
