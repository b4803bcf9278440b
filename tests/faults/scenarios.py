"""The two fault scenarios, as the tests and ``bench/faults.py`` run them.

- :func:`api_fault_scenario`: the bot (in this process, with the rate limiter
  it runs with in production) talks to an emulator that fails a share of its
  requests with 5xx answers, flood control, timeouts and lost answers, while
  scripted people report and reminder passes run.
- :func:`kill_scenario`: ``tidtam run`` as a real process, killed with
  SIGKILL at random moments and started again, while scripted people report
  and reminder passes run (two at a time, one now and then cancelled
  mid-send, as a killed process would stop).

Both end with :func:`tests.faults.load.check` on the database.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import random
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.harness import LOCAL_TOKEN, LOCAL_USERNAME, LocalBot
from domain.calendar import utc_now
from emulator import BotApiEmulator
from storage.database import Database
from storage.sample import load_sample
from storage.schema import kpi_values, kpis, progress_reports
from tests.faults.load import (
    District,
    Findings,
    Ledger,
    ReminderLoad,
    ScriptedPerson,
    check,
    prepare_district,
)

BANGKOK = ZoneInfo("Asia/Bangkok")
API_FAULT_MOMENT = dt.datetime(2027, 1, 12, 2, 0, tzinfo=dt.UTC)
"""09:00 on Tuesday 12 Jan 2027 in Bangkok: office hours, with the sample round open."""


FAULT_MIX = ("server_error", "flood", "lost_answer") * 2 + ("timeout",)
"""Faults drawn evenly from this list: a timeout holds the bot for its whole read
timeout (5 s), so it is one fault in seven and the run stays a few minutes long."""


@dataclass
class Outcome:
    """One scenario's figures."""

    name: str
    district: District
    ledger: Ledger
    findings: Findings
    faults: Counter[str] = field(default_factory=Counter)
    kills: int = 0
    reminder_passes: int = 0
    cancelled_passes: int = 0
    seconds: float = 0.0
    violations: int = 0
    backup: BackupCheck | None = None
    transcripts: dict[str, str] = field(default_factory=dict)


@dataclass
class BackupCheck:
    """A ``tidtam backup`` taken during the run, and what the copy holds."""

    exit_code: int
    confirmed_before: int = 0  # entries people were told are saved before the backup began
    missing: list[tuple[str, str, str]] = field(default_factory=list)
    duplicates: int = 0
    integrity: str = ""


def assert_nothing_lost(outcome: Outcome) -> None:
    """What every scenario must come to, whatever was injected."""
    findings = outcome.findings
    ledger = outcome.ledger
    assert ledger.stuck == {}
    # every entry a person was told is saved is stored exactly once
    assert findings.confirmed_missing == []
    assert findings.duplicates == 0
    # nothing stored that its person did not confirm, or with another value than typed
    assert findings.unconfirmed_stored == []
    assert findings.wrong_values == []
    # no report without its evidence, no batch in part, no entry without its audit row
    assert findings.half_written == []
    assert findings.partial_batches == []
    # everything owed is stored, and /status tells each person so, including entries
    # whose "saved" message a fault swallowed
    assert findings.stored == findings.owed
    assert ledger.status_complete == {school.school_code for school in outcome.district.schools}
    assert findings.drafts_left == 0
    # reminder passes ran throughout (some cut off mid-send), and none reached anyone twice
    assert findings.reminders_received > 0
    assert findings.reminders_twice == 0
    assert findings.reminders_beyond_log == []
    assert outcome.violations == 0


def problem_transcripts(
    emulator: BotApiEmulator, district: District, findings: Findings
) -> dict[str, str]:
    """The chat of each school with a problem in the findings, to see how it came about."""
    schools = {key[0][0] for key in findings.wrong_values}
    schools |= {key[0] for key in findings.unconfirmed_stored}
    schools |= {key[0] for key in findings.confirmed_missing}
    return {
        school.school_code: emulator.format_transcript(school.user_id)
        for school in district.schools
        if school.school_code in schools
    }


async def until(condition: Callable[[], bool], *, timeout: float) -> bool:
    """Wait until ``condition()`` holds (polling); whether it did within ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        if condition():
            return True
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.05)


async def _run_people(people: list[ScriptedPerson], *, stagger: float) -> None:
    async def one(index: int, person: ScriptedPerson) -> None:
        await asyncio.sleep(index * stagger)
        await person.run()

    await asyncio.gather(*(one(n, p) for n, p in enumerate(people)))


# ---------------------------------------------------------------- Bot API faults


async def api_fault_scenario(
    workdir: Path,
    *,
    people: int,
    extra_kpis: int,
    share: float,
    kinds: tuple[str, ...] = FAULT_MIX,
    seed: int = 7,
    timeout_seconds: float = 6.0,
) -> Outcome:
    """Scripted people report while the Bot API fails a ``share`` of requests."""
    started = time.monotonic()
    moment = API_FAULT_MOMENT
    local = LocalBot(workdir / "faults.db", clock=lambda: moment, rate_limit=True)
    await local.start()
    try:
        await local.load_sample()
        assert local.database is not None
        district = await prepare_district(
            local.database, people=people, extra_kpis=extra_kpis, now=moment
        )
        ledger = Ledger()
        # a timeout fault holds the bot for its whole read timeout (5 s)
        patience = 8.0 if "timeout" in kinds else 4.0
        scripted = [
            ScriptedPerson(local.emulator, district, school, ledger, answer_timeout=patience)
            for school in district.schools
        ]
        reminders = ReminderLoad(
            local.emulator,
            local.settings.database_url,
            LOCAL_TOKEN,
            moments=[moment],
            seed=seed,
            interval=1.5,
        )
        local.emulator.set_fault_rate(
            share, kinds=kinds, seed=seed, timeout_seconds=timeout_seconds
        )
        stop = asyncio.Event()
        reminding = asyncio.create_task(reminders.run(stop))
        try:
            await _run_people(scripted, stagger=0.2)
        finally:
            stop.set()
            await reminding
        faults = Counter(local.emulator.fault_counts)
        local.emulator.set_fault_rate(0)
        await local.settle(timeout=30)
        findings = await check(local.database, district, ledger, scripted)
        violations = len(local.emulator.violations)
        transcripts = problem_transcripts(local.emulator, district, findings)
    finally:
        await local.stop()
    return Outcome(
        "Bot API faults",
        district,
        ledger,
        findings,
        faults=faults,
        reminder_passes=reminders.passes,
        cancelled_passes=reminders.cancelled,
        seconds=time.monotonic() - started,
        violations=violations,
        transcripts=transcripts,
    )


async def _check_copy(
    copy: Path, district: District, expected: set[tuple[str, str, str]], found: BackupCheck
) -> None:
    """Open the copy as a restored database would be and look for every expected entry."""
    restored = Database(f"sqlite+aiosqlite:///{copy}")
    try:
        async with restored.read() as repos:
            connection = repos.connection
            found.integrity = str(
                (await connection.exec_driver_sql("PRAGMA integrity_check")).scalar_one()
            )
            kpi_codes = dict((await connection.execute(select(kpis.c.id, kpis.c.code))).all())
            schools = {s.school_id: s.school_code for s in district.schools}
            projects = {p.id: (s.school_code, p.code) for s in district.schools for p in s.projects}
            keys: Counter[tuple[str, str, str]] = Counter()
            for row in (await connection.execute(select(kpi_values))).all():
                keys[(schools.get(row.school_id, "?"), "kpi", kpi_codes[row.kpi_id])] += 1
            for row in (await connection.execute(select(progress_reports))).all():
                school, code = projects.get(row.project_id, ("?", str(row.project_id)))
                keys[(school, "project", code)] += 1
    finally:
        await restored.dispose()
    found.missing = sorted(key for key in expected if keys[key] == 0)
    found.duplicates = sum(n - 1 for n in keys.values())


# ---------------------------------------------------------------- SIGKILL


def bot_environment(emulator: BotApiEmulator, database_url: str) -> dict[str, str]:
    """The environment of ``tidtam run`` against the emulator."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TIDTAM_")}
    return env | {
        "TIDTAM_BOT_TOKEN": LOCAL_TOKEN,
        "TIDTAM_API_BASE_URL": emulator.base_url,
        "TIDTAM_API_FILE_URL": emulator.file_url,
        "TIDTAM_DATABASE_URL": database_url,
        "TIDTAM_LOG_LEVEL": "WARNING",
    }


def ladder_moments(opens_at: dt.datetime, due_at: dt.datetime) -> list[dt.datetime]:
    """09:00 office time on every day from the round's opening to a week past due."""
    day = opens_at.astimezone(BANGKOK).date()
    last = due_at.astimezone(BANGKOK).date() + dt.timedelta(days=8)
    moments = []
    while day <= last:
        moments.append(dt.datetime(day.year, day.month, day.day, 9, 0, tzinfo=BANGKOK))
        day += dt.timedelta(days=1)
    return [m.astimezone(dt.UTC) for m in moments]


class BotProcess:
    """``tidtam run`` in a process of its own, killed and started again on demand."""

    def __init__(self, emulator: BotApiEmulator, database_url: str, workdir: Path) -> None:
        self.emulator = emulator
        self.env = bot_environment(emulator, database_url)
        self.workdir = workdir
        self.process: asyncio.subprocess.Process | None = None
        self.starts = 0
        self._published_before = 0

    async def start(self) -> None:
        """Start a new process (it is ready once it has published its commands)."""
        self.starts += 1
        self._published_before = len(self.emulator.calls("setMyCommands"))
        with (self.workdir / "bot.log").open("ab") as log:
            self.process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "bot",
                "run",
                env=self.env,
                cwd=self.workdir,
                stdout=asyncio.subprocess.DEVNULL,
                stderr=log,
            )

    def ready(self) -> bool:
        """Whether the newest process has finished starting (it publishes 3 command lists)."""
        return len(self.emulator.calls("setMyCommands")) >= self._published_before + 3

    async def kill(self) -> None:
        """SIGKILL: no shutdown, no flush, nothing."""
        assert self.process is not None
        self.process.kill()
        await self.process.wait()

    async def stop(self) -> None:
        """SIGTERM, as an operator stops the bot."""
        if self.process is None or self.process.returncode is not None:
            return
        self.process.terminate()
        try:
            await asyncio.wait_for(self.process.wait(), timeout=20)
        except TimeoutError:
            self.process.kill()
            await self.process.wait()


async def kill_scenario(
    workdir: Path,
    *,
    people: int,
    extra_kpis: int,
    kills: int,
    mean_uptime: float,
    seed: int = 11,
    backup_after: int | None = None,
    progress: Callable[[str], None] | None = None,
) -> Outcome:
    """Scripted people report while ``tidtam run`` is SIGKILLed at random moments.

    The process is killed ``kills`` times (fewer if the people finish first),
    each time at a random moment: mostly up to twice ``mean_uptime`` seconds
    after it is ready, sometimes while it is still starting. With
    ``backup_after``, ``tidtam backup`` runs (as its own process) once people
    have been told of that many saved entries, and the copy is checked for
    every entry confirmed before it began.
    """
    started = time.monotonic()
    rng = random.Random(seed)
    database_url = f"sqlite+aiosqlite:///{workdir / 'kill.db'}"
    emulator = BotApiEmulator(token=LOCAL_TOKEN, bot_username=LOCAL_USERNAME)
    await emulator.start()
    database = Database(database_url)
    bot = BotProcess(emulator, database_url, workdir)
    wanted = kills
    kills = 0
    try:
        await database.migrate()
        now = utc_now()
        async with database.transaction() as repos:
            await load_sample(repos, now=now)
        district = await prepare_district(database, people=people, extra_kpis=extra_kpis, now=now)
        async with database.read() as repos:
            round_ = await repos.plan.round(district.round_id)
        assert round_ is not None
        ledger = Ledger()
        scripted = [
            ScriptedPerson(emulator, district, school, ledger, answer_timeout=6.0)
            for school in district.schools
        ]
        reminders = ReminderLoad(
            emulator,
            database_url,
            LOCAL_TOKEN,
            moments=ladder_moments(round_.opens_at, round_.due_at),
            seed=seed,
            interval=0.7,
        )
        await bot.start()
        done = asyncio.Event()

        async def killer() -> None:
            nonlocal kills
            while not done.is_set() and kills < wanted:
                if rng.random() < 0.15:  # now and then while it is still starting up
                    await asyncio.sleep(rng.uniform(0.2, 2.5))
                else:
                    await until(lambda: bot.ready() or done.is_set(), timeout=120)
                    await asyncio.sleep(rng.uniform(0.2, 2 * mean_uptime))
                if done.is_set():
                    return
                await bot.kill()
                kills += 1
                if progress is not None:
                    progress(f"kill {kills}: {len(ledger.finished)} of {people} people done")
                await bot.start()

        async def backer_up() -> BackupCheck | None:
            if backup_after is None:
                return None
            await until(lambda: len(ledger.acknowledged) >= backup_after, timeout=600)
            confirmed_before = set(ledger.acknowledged)
            copy = workdir / "backup.db"
            process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "bot",
                "backup",
                str(copy),
                env=bot.env,
                cwd=workdir,
                stdout=asyncio.subprocess.DEVNULL,
                stderr=asyncio.subprocess.DEVNULL,
            )
            code = await process.wait()
            found = BackupCheck(code, confirmed_before=len(confirmed_before))
            if code == 0:
                await _check_copy(copy, district, confirmed_before, found)
            return found

        killing = asyncio.create_task(killer())
        backing_up = asyncio.create_task(backer_up())
        stop = asyncio.Event()
        reminding = asyncio.create_task(reminders.run(stop))
        try:
            await _run_people(scripted, stagger=0.1)
        finally:
            done.set()
            await killing
            stop.set()
            await reminding
            backup = await backing_up
        await until(bot.ready, timeout=60)  # let the last start finish
        await emulator.settle(timeout=30)
        await bot.stop()
        findings = await check(database, district, ledger, scripted)
        violations = len(emulator.violations)
        transcripts = problem_transcripts(emulator, district, findings)
    finally:
        await bot.stop()
        await database.dispose()
        await emulator.stop()
    return Outcome(
        "SIGKILL",
        district,
        ledger,
        findings,
        kills=kills,
        reminder_passes=reminders.passes,
        cancelled_passes=reminders.cancelled,
        seconds=time.monotonic() - started,
        violations=violations,
        transcripts=transcripts,
        backup=backup,
    )
