"""Faults: Bot API failures and SIGKILLs while people report — nothing lost, nothing twice.

Two scenarios (the same code as ``tests/faults/``, at full size):

- **Bot API faults**: the bot, with the rate limiter it runs with, talks to
  an emulator that answers a share of requests with 5xx, flood control,
  timeouts past the read timeout, and lost answers (carried out, answer
  dropped); scripted reporters of 10 schools report everything their school
  owes while reminder passes run two at a time.
- **SIGKILL**: ``tidtam run`` as a real process, killed with SIGKILL at random
  moments at least 20 times and started again each time, while 50 scripted
  reporters make more than 500 submissions (indicator values and project
  progress reports) and reminder passes run through the whole ladder, two at
  a time, one now and then cut off mid-send. Halfway, ``tidtam backup`` copies
  the database while the bot writes; the copy must hold every entry
  confirmed before the backup began, once, and pass SQLite's integrity check.

Afterwards the database is compared with what the people saw. An entry
counts as *confirmed* when its person received the "saved" message, or when
that message was lost (the entry commits before the message goes out) and
the person's next /status shows it reported. Checked: confirmed = stored,
each exactly once; nothing stored that was not confirmed or with another
value than typed; no half-written entry (progress report without its
evidence, batch in part, entry without its audit row); no unfinished draft;
no reminder received twice.

Run: ``.venv/bin/python bench/faults.py`` (about five minutes on 2 cores).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from rich.console import Console
from rich.table import Table

from bench._common import machine, result
from tests.faults.scenarios import Outcome, api_fault_scenario, kill_scenario

MIN_KILLS = 20
MIN_SUBMISSIONS = 500
MIN_PEOPLE = 50
TIME_LIMIT_SECONDS = 480


def mark(ok: bool) -> str:
    return "✓" if ok else "✗"


def confirmed(outcome: Outcome) -> int:
    """Entries confirmed to their person: the "saved" message, or /status after it was lost."""
    findings = outcome.findings
    return findings.confirmed + findings.confirmed_by_status


def table(outcomes: list[Outcome]) -> Table:
    grid = Table(title="Faults injected and what the people's entries came to")
    for column in (
        "scenario",
        "faults injected",
        "kills",
        "entries confirmed",
        "entries stored",
        "duplicates",
        "half-written / unconfirmed",
        "reminders sent",
        "reminders sent twice",
        "drafts resumed",
        "time",
    ):
        grid.add_column(column, overflow="fold")
    for outcome in outcomes:
        findings = outcome.findings
        faults = ", ".join(f"{kind} {count}" for kind, count in sorted(outcome.faults.items()))
        bad = (
            len(findings.half_written)
            + len(findings.partial_batches)
            + len(findings.unconfirmed_stored)
            + len(findings.wrong_values)
        )
        grid.add_row(
            outcome.name,
            faults or "—",
            str(outcome.kills),
            f"{confirmed(outcome)} ({findings.confirmed} saved msg + "
            f"{findings.confirmed_by_status} /status)",
            f"{findings.stored} {mark(confirmed(outcome) == findings.stored)}",
            f"{findings.duplicates} {mark(findings.duplicates == 0)}",
            f"{bad} {mark(bad == 0)}",
            str(findings.reminders_received),
            f"{findings.reminders_twice} {mark(findings.reminders_twice == 0)}",
            str(outcome.ledger.resumed),
            f"{outcome.seconds:.0f} s",
        )
    return grid


def results(outcome: Outcome, short: str) -> bool:
    findings = outcome.findings
    ok = True
    ok &= result(
        f"{short}: confirmed = stored",
        f"{confirmed(outcome)} = {findings.stored}",
        "equal",
        confirmed(outcome) == findings.stored and not findings.confirmed_missing,
    )
    ok &= result(
        f"{short}: everything owed stored",
        f"{findings.stored} of {findings.owed}",
        "all",
        findings.stored == findings.owed and not outcome.ledger.stuck,
    )
    ok &= result(f"{short}: duplicates", str(findings.duplicates), "0", findings.duplicates == 0)
    bad = (
        len(findings.half_written)
        + len(findings.partial_batches)
        + len(findings.unconfirmed_stored)
        + len(findings.wrong_values)
    )
    ok &= result(f"{short}: half-written or unconfirmed entries", str(bad), "0", bad == 0)
    ok &= result(
        f"{short}: unfinished drafts left",
        str(findings.drafts_left),
        "0",
        findings.drafts_left == 0,
    )
    ok &= result(
        f"{short}: reminders sent twice",
        f"{findings.reminders_twice} of {findings.reminders_received}",
        "0",
        findings.reminders_twice == 0
        and not findings.reminders_beyond_log
        and findings.reminders_received > 0,
    )
    ok &= result(
        f"{short}: Bot API violations", str(outcome.violations), "0", outcome.violations == 0
    )
    for problem in findings.problems:
        print(f"  problem: {problem}")
    for school, why in sorted(outcome.ledger.stuck.items()):
        print(f"  stuck: {school}: {why}")
    return ok


async def main(args: argparse.Namespace) -> int:
    print(f"machine: {machine()}")
    started = time.monotonic()
    outcomes = []
    with tempfile.TemporaryDirectory() as folder:
        print(
            f"Bot API faults: {args.api_people} people, {args.share:.0%} of requests failing …",
            flush=True,
        )
        (Path(folder) / "api").mkdir()
        api = await api_fault_scenario(
            Path(folder) / "api", people=args.api_people, extra_kpis=3, share=args.share
        )
        outcomes.append(api)
        print(f"SIGKILL: {args.people} people, at least {args.kills} kills …", flush=True)
        (Path(folder) / "kill").mkdir()
        killed = await kill_scenario(
            Path(folder) / "kill",
            people=args.people,
            extra_kpis=args.extra_kpis,
            kills=args.kills,
            mean_uptime=args.mean_uptime,
            backup_after=args.backup_after,
            progress=(lambda line: print(f"  {line}", flush=True)) if args.verbose else None,
        )
        outcomes.append(killed)
    elapsed = time.monotonic() - started

    Console(width=200).print(table(outcomes))
    ok = results(api, "Bot API faults")
    ok &= result(
        "Bot API faults injected",
        ", ".join(f"{kind} {count}" for kind, count in sorted(api.faults.items())),
        "every kind",
        all(api.faults[kind] > 0 for kind in ("server_error", "flood", "timeout", "lost_answer")),
    )
    ok &= results(killed, "SIGKILL")
    backup = killed.backup
    ok &= result(
        "tidtam backup during the kills: confirmed entries in the copy",
        "did not run"
        if backup is None
        else f"{backup.confirmed_before - len(backup.missing)} of {backup.confirmed_before}, "
        f"{backup.duplicates} twice, integrity {backup.integrity or 'not checked'}",
        "all, once, ok",
        backup is not None
        and backup.exit_code == 0
        and backup.confirmed_before > 0
        and not backup.missing
        and backup.duplicates == 0
        and backup.integrity == "ok",
    )
    ok &= result("SIGKILLs", str(killed.kills), f">= {MIN_KILLS}", killed.kills >= MIN_KILLS)
    people = len(killed.district.schools)
    ok &= result(
        "submissions under SIGKILL",
        f"{killed.findings.stored_rows} by {people} people",
        f">= {MIN_SUBMISSIONS} by {MIN_PEOPLE}",
        killed.findings.stored_rows >= MIN_SUBMISSIONS and people >= MIN_PEOPLE,
    )
    ok &= result(
        "total time", f"{elapsed:.0f} s", f"< {TIME_LIMIT_SECONDS} s", elapsed < TIME_LIMIT_SECONDS
    )
    return 0 if ok else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, default=MIN_PEOPLE, help="reporters in the kill run")
    parser.add_argument("--extra-kpis", type=int, default=5, help="indicators added to the sample")
    parser.add_argument("--kills", type=int, default=22, help="SIGKILLs to aim for")
    parser.add_argument("--mean-uptime", type=float, default=3.0, help="seconds, roughly")
    parser.add_argument(
        "--backup-after", type=int, default=250, help="run tidtam backup after this many saved"
    )
    parser.add_argument("--api-people", type=int, default=10, help="reporters in the API run")
    parser.add_argument("--share", type=float, default=0.06, help="share of requests failing")
    parser.add_argument("--verbose", action="store_true", help="print each kill")
    # the scenarios provoke failures on purpose; their tracebacks are not news here
    logging.basicConfig(level=logging.CRITICAL)
    sys.exit(asyncio.run(main(parser.parse_args())))
