"""Run every benchmark in bench/ and print one table of results.

Each script runs in its own process (so memory figures are its own) and
reports ``RESULT | name | measured | target | PASS/FAIL`` lines (INFO for a
figure without a target); a script that fails to run counts as a FAIL. Exit
status is non-zero when anything failed.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from rich.console import Console
from rich.table import Table

from bench._common import machine

HERE = Path(__file__).resolve().parent
TIMEOUT_SECONDS = 1200


def scripts() -> list[Path]:
    return sorted(
        p for p in HERE.glob("*.py") if not p.name.startswith("_") and p.name != "run_all.py"
    )


def main() -> int:
    console = Console()
    rows: list[tuple[str, str, str, str, str]] = []
    for script in scripts():
        console.rule(f"[bold]{script.name}")
        started = time.perf_counter()
        try:
            completed = subprocess.run(
                [sys.executable, str(script)],
                capture_output=True,
                text=True,
                timeout=TIMEOUT_SECONDS,
                check=False,
                cwd=HERE.parent,
            )
            output, code = completed.stdout + completed.stderr, completed.returncode
        except subprocess.TimeoutExpired:
            output, code = f"timed out after {TIMEOUT_SECONDS} s", -1
        console.print(output.rstrip(), markup=False, highlight=False)
        found = [line for line in output.splitlines() if line.startswith("RESULT |")]
        for line in found:
            _, name, measured, target, verdict = (part.strip() for part in line.split("|"))
            rows.append((script.stem, name, measured, target, verdict))
        if code != 0 and not any(r[0] == script.stem and r[4] == "FAIL" for r in rows):
            rows.append((script.stem, "script", f"exit {code}", "runs", "FAIL"))
        console.print(f"[dim]{script.name}: {time.perf_counter() - started:.1f} s[/dim]")

    table = Table(title=f"Tidtam benchmarks — {machine()}")
    for column in ("benchmark", "figure", "measured", "target", "result"):
        table.add_column(column)
    for bench, name, measured, target, verdict in rows:
        style = {"PASS": "green", "INFO": "dim"}.get(verdict, "bold red")
        table.add_row(bench, name, measured, target, f"[{style}]{verdict}[/{style}]")
    console.print(table)
    return 0 if rows and all(r[4] in ("PASS", "INFO") for r in rows) else 1


if __name__ == "__main__":
    raise SystemExit(main())
