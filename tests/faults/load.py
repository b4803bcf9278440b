"""Scripted people reporting under faults, and the checks of what they were told against the rows.

Shared by the fault tests and ``bench/faults.py``. Each scripted person is a
school reporter who works through the school's indicator batch (/kpi) and
every project (/report, with an evidence document on the first project),
then asks /status. They read the chat as a person would, from what the bot
shows: the newest message with flow buttons is the question in front of
them. When the bot does not answer (a fault, a killed process) they wait,
then type the flow's command again, which offers their draft back ("continue
where you left off") or starts over. They keep a ledger of what they saw:
the review cards they confirmed and the "saved" messages they received.

:func:`check` compares that ledger with the database: every entry a person
was told is saved is stored exactly once; nothing is stored that the person
did not confirm, or with another value than typed; no progress report lacks
its evidence; no confirmed batch is stored in part; every stored entry has
its audit row; and no reminder reached anyone twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import random
import re
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from telegram.ext import AIORateLimiter, ExtBot

from domain.values import Role
from emulator import BotApiEmulator, BotMessage, SimUser
from handlers.flow import UNANSWERED_STEPS
from scheduler.planner import ReminderConfig
from scheduler.runner import run_pass
from storage.database import Database
from storage.schema import (
    audit_log,
    drafts,
    evidence,
    kpi_values,
    progress_reports,
    reminder_log,
)
from storage.schema import kpis as kpi_table

FIRST_USER_ID = 70_000
EXTRA_TARGET = Decimal(60)
FLOW_MARKS = (
    "flow:resume:",
    "kpi:skip",
    "kpi:confirm",
    "kpi:v:",
    "kpi:change",
    "kpi:round:",
    "kpi:cancel",
    "report:pick:",
    "report:status:",
    "report:pct:",
    "report:skip",
    "report:confirm",
    "report:change",
    "report:round:",
    "report:cancel",
)
"""Buttons only a reporting flow's own message carries (reminders carry kpi:start/report:start)."""


# ---------------------------------------------------------------- the district


@dataclass(frozen=True, slots=True)
class KpiPlan:
    """An indicator as a scripted person knows it: English name, type, target."""

    code: str
    name_en: str
    value_type: str
    target: Decimal


@dataclass(frozen=True, slots=True)
class ProjectPlan:
    """A project as a scripted person knows it."""

    id: int
    code: str
    name: str
    with_evidence: bool


@dataclass(frozen=True, slots=True)
class SchoolPlan:
    """One reporter of one school, and what the school owes."""

    index: int
    school_id: int
    school_code: str
    person_id: int
    user_id: int
    projects: tuple[ProjectPlan, ...]


@dataclass(frozen=True, slots=True)
class District:
    """The schools taking part and the indicators of the round."""

    round_id: int
    kpis: tuple[KpiPlan, ...]
    schools: tuple[SchoolPlan, ...]

    @property
    def owed(self) -> int:
        """Entries the schools owe in the round: every indicator and every project."""
        return sum(len(self.kpis) + len(school.projects) for school in self.schools)


def extra_kpi_name(number: int) -> str:
    """English name of the ``number``-th added indicator (names never contain one another)."""
    return f"Additional load indicator {chr(ord('A') + number)}"


async def prepare_district(
    database: Database, *, people: int, extra_kpis: int, now: dt.datetime
) -> District:
    """The sample district (loaded already), ``extra_kpis`` more indicators, one reporter per
    school for the first ``people`` schools, registered as an invite would register them."""
    async with database.transaction() as repos:
        round_ = await repos.plan.current_round(now)
        assert round_ is not None, "load the sample district first"
        schools = (await repos.schools.list(kind="school"))[:people]
        assert len(schools) == people, f"the sample has {len(schools)} schools"
        for number in range(extra_kpis):
            kpi_id = await repos.plan.create_kpi(
                code=f"X{number + 1:02d}",
                name_th=f"ตัวชี้วัดเพิ่มเติม {number + 1}",
                name_en=extra_kpi_name(number),
                unit_th="ร้อยละ",
                unit_en="%",
                value_type="percent",
                sort_order=100 + number,
                now=now,
            )
            for school in await repos.schools.list(kind="school"):
                await repos.plan.set_target(
                    school_id=school.id,
                    kpi_id=kpi_id,
                    fiscal_year=round_.fiscal_year,
                    value=EXTRA_TARGET,
                    now=now,
                )
        plans = []
        kpis: tuple[KpiPlan, ...] = ()
        for index, school in enumerate(schools):
            expected = await repos.plan.expected_kpis(school_id=school.id, round_=round_)
            if not kpis:
                kpis = tuple(
                    KpiPlan(kpi.code, kpi.name("en"), kpi.value_type.value, target)
                    for kpi, target in expected
                )
            user_id = FIRST_USER_ID + index
            person = await repos.people.create(
                full_name=f"Reporter {school.code}",
                role=Role.REPORTER,
                school_id=school.id,
                telegram_user_id=user_id,
                language="en",
                now=round_.opens_at - dt.timedelta(days=1),  # joined before the round opened
            )
            projects = await repos.plan.expected_projects(school_id=school.id, round_=round_)
            plans.append(
                SchoolPlan(
                    index=index,
                    school_id=school.id,
                    school_code=school.code,
                    person_id=person.id,
                    user_id=user_id,
                    projects=tuple(
                        ProjectPlan(p.id, p.code, p.name, with_evidence=n == 0)
                        for n, p in enumerate(projects)
                    ),
                )
            )
    return District(round_.id, kpis, tuple(plans))


def intended_value(school: SchoolPlan, kpi: KpiPlan) -> Decimal:
    """What the school's reporter types for an indicator: unique per school, near the target."""
    if kpi.value_type == "level":
        return Decimal(4)
    if kpi.value_type == "yes_no":
        return Decimal(1)
    number = int(kpi.code[1:])
    return kpi.target + Decimal(school.index % 9 + 1) + Decimal(number) / 100


def intended_spent(project: ProjectPlan) -> Decimal:
    """What the reporter types as the budget spent on a project."""
    return Decimal(1000 + project.id)


# ---------------------------------------------------------------- the ledger


@dataclass
class Ledger:
    """What the scripted people did and were told, for the checks."""

    # (school code, "kpi"|"project", item code) → value the person confirmed on a review card
    confirmed_cards: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)
    # (school code, "kpi"|"project", item code) the person was told is saved
    acknowledged: set[tuple[str, str, str]] = field(default_factory=set)
    # evidence files shown on the confirmed review card of each project
    evidence_on_card: dict[tuple[str, str], int] = field(default_factory=dict)
    resumed: int = 0
    retried: int = 0
    actions: int = 0
    finished: set[str] = field(default_factory=set)
    status_complete: set[str] = field(default_factory=set)
    stuck: dict[str, str] = field(default_factory=dict)

    def pressed_confirm(self, school: str, kind: str, items: dict[str, str]) -> None:
        """The person pressed Confirm on a card showing ``items``."""
        self.confirmed_cards.append((school, kind, dict(items)))


# ---------------------------------------------------------------- a scripted person

REVIEW_LINE = re.compile(r"^\d+\. (?P<name>.+)\n\s+Result: (?P<value>.+?) · Target", re.MULTILINE)
SAVED_LINE = re.compile(r"^• (?P<name>.+): (?P<value>.+)$", re.MULTILINE)
STEP = re.compile(r"step (?P<n>\d) of 7")


class ScriptedPerson:
    """One school reporter working through everything the school owes."""

    def __init__(
        self,
        emulator: BotApiEmulator,
        district: District,
        school: SchoolPlan,
        ledger: Ledger,
        *,
        pace: float = 0.55,
        answer_timeout: float = 8.0,
        quiet: float = 0.35,
        max_actions: int = 400,
    ) -> None:
        self.emulator = emulator
        self.district = district
        self.school = school
        self.ledger = ledger
        self.user: SimUser = emulator.user(
            school.user_id, f"Reporter {school.school_code}", language_code="en"
        )
        self.pace = pace
        self.answer_timeout = answer_timeout
        self.quiet = quiet
        self.max_actions = max_actions
        self._last_action = 0.0
        self._ack_cursor = 0
        self._task_start = 0
        self._attached: set[str] = set()
        self._names = sorted(district.kpis, key=lambda k: -len(k.name_en))

    # ------------------------------------------------------------ acting

    async def _act(self, what: str, action: Any) -> bool:
        """Do one thing in the chat (paced), then wait for the bot's answer; whether it came."""
        wait = self._last_action + self.pace - time.monotonic()
        if wait > 0:
            await asyncio.sleep(wait)
        self._last_action = time.monotonic()
        self.ledger.actions += 1
        mark = len(self.user.inbox)
        await action
        answered = await self._await_answer(mark)
        self._read_acknowledgements()
        return answered

    async def _await_answer(self, mark: int) -> bool:
        deadline = time.monotonic() + self.answer_timeout
        while len(self.user.inbox) <= mark:
            if time.monotonic() > deadline:
                return False
            await asyncio.sleep(0.05)
        # more may follow (a stripped keyboard, then the next question): wait for quiet
        seen = len(self.user.inbox)
        quiet_since = time.monotonic()
        while time.monotonic() - quiet_since < self.quiet:
            await asyncio.sleep(0.05)
            if len(self.user.inbox) != seen:
                seen = len(self.user.inbox)
                quiet_since = time.monotonic()
        return True

    async def _type(self, text: str) -> bool:
        return await self._act(text, self.user.send_text(text))

    async def _press(self, message: BotMessage, data: str) -> bool:
        return await self._act(data, self.user.press(data, message_id=message.message_id))

    # ------------------------------------------------------------ reading

    def _screen(self) -> BotMessage | None:
        """The question in front of the person: the bot's latest message, or the one just
        above a notice (an apology, a reminder) that came after it.

        Older messages are not looked at, even when they still carry buttons: a person
        answers what is at the bottom of the chat, and waits when that is not a question.
        """
        messages = self.emulator.chat_messages(self.user.chat_id)
        for message in messages[::-1][:2]:
            if any(d.startswith(FLOW_MARKS) for d in message.callback_data()):
                return message
        return None

    def _said_since_task(self) -> list[str]:
        return [m.plain_text for m in self.user.inbox[self._task_start :]]

    def _read_acknowledgements(self) -> None:
        inbox = self.user.inbox
        for message in inbox[self._ack_cursor :]:
            text = message.plain_text
            if not text.startswith("Saved ✅"):
                continue
            school = self.school.school_code
            if "indicator value(s)" in text.split("\n", 1)[0]:
                for match in SAVED_LINE.finditer(text):
                    kpi = self._kpi_named(match["name"])
                    if kpi is not None:
                        self.ledger.acknowledged.add((school, "kpi", kpi.code))
            else:
                project = self._project_in(text.split("\n", 1)[0])
                if project is not None:
                    self.ledger.acknowledged.add((school, "project", project.code))
        self._ack_cursor = len(inbox)

    def _kpi_named(self, name: str) -> KpiPlan | None:
        name = name.rstrip("…")
        return next((k for k in self._names if k.name_en.startswith(name)), None)

    def _kpi_in(self, text: str) -> KpiPlan | None:
        return next((k for k in self._names if k.name_en in text), None)

    def _project_in(self, text: str) -> ProjectPlan | None:
        found = [p for p in self.school.projects if p.name in text]
        return max(found, key=lambda p: len(p.name)) if found else None

    # ------------------------------------------------------------ the work

    async def run(self) -> None:
        """Report the indicator batch, every project, then read /status."""
        try:
            await self._task("kpi", done=self._kpi_done)
            await self._task("report", done=self._report_done)
            for _ in range(6):
                if await self._type("/status") and any(
                    "Everything is reported" in text for text in self._said_since_task()[-3:]
                ):
                    self.ledger.status_complete.add(self.school.school_code)
                    break
                self._task_start = len(self.user.inbox)
            self.ledger.finished.add(self.school.school_code)
        except _Stuck as stuck:
            self.ledger.stuck[self.school.school_code] = str(stuck)

    def _kpi_done(self) -> bool:
        return any(
            "has reported every indicator" in text
            or "reported everything" in text
            or "and 0 indicators." in text
            for text in self._said_since_task()
        )

    def _report_done(self) -> bool:
        return any(
            "Every project is reported" in text
            or "reported everything" in text
            or "0 projects and" in text
            for text in self._said_since_task()
        )

    async def _task(self, flow: str, *, done: Any) -> None:
        command = f"/{flow}"
        self._task_start = len(self.user.inbox)
        answered = await self._type(command)
        seen: Counter[tuple[int, str]] = Counter()
        for _ in range(self.max_actions):
            if done():
                return
            screen = self._screen() if answered else None
            # the bot answered but no question is at the bottom yet: give it a moment
            if screen is None and answered and await self._await_answer(len(self.user.inbox)):
                self._read_acknowledgements()
                continue
            if screen is not None:
                # the same question answered three times without moving on: as a
                # person would, give up on it and type the command instead
                seen[(screen.message_id, screen.plain_text)] += 1
                if seen[(screen.message_id, screen.plain_text)] > 3:
                    seen.clear()
                    screen = None
            if screen is None or not await self._step(flow, screen):
                # no answer, or nothing to act on: the flow's command offers the draft back
                self.ledger.retried += 1
                answered = await self._type(command)
                continue
            answered = True
        screen = self._screen()
        raise _Stuck(
            f"{flow} not finished after {self.max_actions} actions; on screen: "
            f"{None if screen is None else (screen.plain_text[:300], screen.callback_data())}; "
            f"last said: {[m.plain_text[:120] for m in self.user.inbox[-4:]]}"
        )

    async def _step(self, flow: str, screen: BotMessage) -> bool:
        """Act on the question in front of the person; False when it needs the command again."""
        data = screen.callback_data()
        if f"flow:resume:{flow}" in data:
            self.ledger.resumed += 1
            return await self._press(screen, f"flow:resume:{flow}")
        other = next((d for d in data if d.startswith("flow:resume:")), None)
        if other is not None:
            return await self._press(screen, other.replace("resume", "discard"))
        if flow == "kpi" and any(d.startswith("kpi:") for d in data):
            return await self._kpi_step(screen, data)
        if flow == "report" and any(d.startswith("report:") for d in data):
            return await self._report_step(screen, data)
        return False

    async def _kpi_step(self, screen: BotMessage, data: list[str]) -> bool:
        text = screen.plain_text
        if "kpi:confirm" in data:
            items = {}
            for match in REVIEW_LINE.finditer(text):
                kpi = self._kpi_named(match["name"])
                if kpi is not None:
                    items[kpi.code] = match["value"]
            self.ledger.pressed_confirm(self.school.school_code, "kpi", items)
            return await self._press(screen, "kpi:confirm")
        if "kpi:change" in data:
            return await self._type("Checked with the school's records")
        rounds = [d for d in data if d.startswith("kpi:round:")]
        if rounds:
            return await self._press(screen, rounds[0])
        if "kpi:skip" not in data:
            return False
        kpi = self._kpi_in(text)
        if kpi is None:
            return False
        value = intended_value(self.school, kpi)
        buttons = [d for d in data if d.startswith("kpi:v:")]
        if buttons:
            wanted = [d for d in buttons if d.endswith(f":{value}")]
            return await self._press(screen, wanted[0]) if wanted else False
        return await self._type(f"{value}")

    async def _report_step(self, screen: BotMessage, data: list[str]) -> bool:
        text = screen.plain_text
        picks = [d for d in data if d.startswith("report:pick:")]
        if picks:
            return await self._press(screen, picks[0])
        rounds = [d for d in data if d.startswith("report:round:")]
        if rounds:
            return await self._press(screen, rounds[0])
        project = self._project_in(text)
        if project is None:
            return False
        if "report:confirm" in data:
            files = re.search(r"Evidence: (.+)", text)
            shown = 0 if files is None or files[1].strip() == "—" else len(files[1].split(", "))
            self.ledger.evidence_on_card[(self.school.school_code, project.code)] = shown
            self.ledger.pressed_confirm(
                self.school.school_code, "project", {project.code: str(intended_spent(project))}
            )
            return await self._press(screen, "report:confirm")
        if "report:change" in data:
            return await self._type("Checked with the school's records")
        if any(d.startswith("report:status:") for d in data):
            return await self._press(screen, "report:status:in_progress")
        if any(d.startswith("report:pct:") for d in data):
            return await self._press(screen, "report:pct:50")
        step = STEP.search(text)
        if step is None:
            return False
        number = int(step["n"])
        if number == 3:
            return await self._type(f"{intended_spent(project)}")
        if number == 4:
            return await self._type(f"Outputs of {project.code}: two workshops")
        if number == 5 and "report:skip" in data:
            return await self._press(screen, "report:skip")
        if number == 6:
            return await self._type("Continue next term")
        if number == 7:
            if project.with_evidence and "Attached:" not in text:
                self._attached.add(project.code)
                return await self._act(
                    "evidence",
                    self.user.send_document(
                        f"{project.code}-evidence.pdf", b"%PDF-1.4 evidence", "application/pdf"
                    ),
                )
            return await self._press(screen, "report:skip")
        return False


class _Stuck(Exception):
    """A scripted person could not finish (the checks report it)."""


# ---------------------------------------------------------------- reminders under load


@dataclass
class ReminderLoad:
    """Reminder passes during the load, as separate processes would run them.

    Each round of passes runs two passes at once (two processes, each with
    its own database engine and Bot API client) at the next moment; now and
    then one is cancelled in the middle of sending, as a killed process
    would stop.
    """

    emulator: BotApiEmulator
    database_url: str
    token: str
    moments: list[dt.datetime]
    config: ReminderConfig = field(default_factory=ReminderConfig)
    seed: int = 0
    interval: float = 1.0
    passes: int = 0
    cancelled: int = 0

    async def run(self, stop: asyncio.Event) -> None:
        """Run passes at the moments in turn (the last one repeats) until ``stop`` is set."""
        rng = random.Random(self.seed)
        index = 0
        engines = [Database(self.database_url), Database(self.database_url)]
        bots = [
            ExtBot(
                self.token,
                base_url=self.emulator.base_url,
                base_file_url=self.emulator.file_url,
                rate_limiter=AIORateLimiter(max_retries=5),
            )
            for _ in engines
        ]
        try:
            for bot in bots:
                await bot.initialize()
            while True:
                moment = self.moments[min(index, len(self.moments) - 1)]
                index += 1
                tasks = [
                    asyncio.create_task(run_pass(bot, engine, now=moment, config=self.config))
                    for bot, engine in zip(bots, engines, strict=True)
                ]
                if rng.random() < 0.3:
                    await asyncio.sleep(rng.uniform(0.05, 0.5))
                    tasks[0].cancel()
                    self.cancelled += 1
                for task in tasks:
                    try:
                        await task
                    except asyncio.CancelledError:
                        if not task.cancelled():
                            raise
                    except Exception:  # a pass that fails is retried by the next one
                        pass
                self.passes += len(tasks)
                if stop.is_set() and index >= len(self.moments):
                    return
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=self.interval)
        finally:
            for bot in bots:
                await bot.shutdown()
            for engine in engines:
                await engine.dispose()


def reminder_messages(user: SimUser) -> list[str]:
    """The reminders in a person's chat: new messages with a way into a flow and a deadline."""
    return [
        message.plain_text
        for message in user.inbox
        if not message.is_edit
        and {"kpi:start", "report:start"} & set(message.callback_data())
        and re.search(r"^Due .+ · ", message.plain_text, re.MULTILINE)
    ]


# ---------------------------------------------------------------- the checks


@dataclass
class Findings:
    """What the run came to, each figure with the rows behind it."""

    owed: int = 0
    confirmed: int = 0  # entries the people were told are saved
    stored: int = 0  # distinct entries in the database
    stored_rows: int = 0
    duplicates: int = 0
    confirmed_missing: list[Any] = field(default_factory=list)
    unconfirmed_stored: list[Any] = field(default_factory=list)
    wrong_values: list[Any] = field(default_factory=list)
    half_written: list[Any] = field(default_factory=list)
    partial_batches: list[Any] = field(default_factory=list)
    stored_unacknowledged: int = 0
    confirmed_by_status: int = 0  # stored, "saved" lost, and /status showed it reported
    drafts_left: int = 0
    reminders_received: int = 0
    reminders_twice: int = 0
    reminders_beyond_log: list[Any] = field(default_factory=list)
    reminder_log: Counter[str] = field(default_factory=Counter)

    @property
    def problems(self) -> list[str]:
        """Everything that is wrong, one line each (empty: all good)."""
        lines = []
        for name in (
            "confirmed_missing",
            "unconfirmed_stored",
            "wrong_values",
            "half_written",
            "partial_batches",
            "reminders_beyond_log",
        ):
            found = getattr(self, name)
            if found:
                lines.append(f"{name}: {found[:5]}")
        if self.duplicates:
            lines.append(f"duplicates: {self.duplicates}")
        if self.reminders_twice:
            lines.append(f"reminders sent twice: {self.reminders_twice}")
        return lines


async def check(
    database: Database, district: District, ledger: Ledger, people: list[ScriptedPerson]
) -> Findings:
    """Compare what the people saw with what is stored; see the module docstring."""
    findings = Findings(owed=district.owed)
    codes = {s.school_id: s.school_code for s in district.schools}
    by_code = {s.school_code: s for s in district.schools}
    async with database.read() as repos:
        connection = repos.connection
        kpi_codes = {
            row.id: row.code
            for row in (await connection.execute(select(kpi_table.c.id, kpi_table.c.code))).all()
        }
        kv_rows = (await connection.execute(select(kpi_values))).all()
        pr_rows = (await connection.execute(select(progress_reports))).all()
        ev_rows = (await connection.execute(select(evidence))).all()
        audit_rows = (
            await connection.execute(
                select(audit_log.c.entity, audit_log.c.entity_id, audit_log.c.action)
            )
        ).all()
        findings.drafts_left = sum(
            1
            for row in (await connection.execute(select(drafts.c.step))).all()
            if row.step not in UNANSWERED_STEPS  # a list shown is not work left unfinished
        )
        log_rows = (await connection.execute(select(reminder_log))).all()
        project_school = {p.id: (s.school_code, p) for s in district.schools for p in s.projects}

    audited = Counter((row.entity, row.entity_id) for row in audit_rows if row.action == "submit")
    evidence_of = Counter(row.progress_report_id for row in ev_rows if row.progress_report_id)
    stored: Counter[tuple[str, str, str]] = Counter()
    values: dict[tuple[str, str, str], Decimal] = {}
    batches: dict[tuple[str, dt.datetime], set[str]] = defaultdict(set)
    for row in kv_rows:
        key = (codes.get(row.school_id, "?"), "kpi", kpi_codes[row.kpi_id])
        stored[key] += 1
        values[key] = row.value
        batches[(key[0], row.submitted_at)].add(key[2])
        if audited[("kpi_value", str(row.id))] != 1:
            findings.half_written.append(("kpi value without one audit row", key))
    for row in pr_rows:
        school_code, project = project_school.get(row.project_id, ("?", None))
        code = project.code if project is not None else str(row.project_id)
        key = (school_code, "project", code)
        stored[key] += 1
        values[key] = row.budget_spent
        if audited[("progress_report", str(row.id))] != 1:
            findings.half_written.append(("progress report without one audit row", key))
        on_card = ledger.evidence_on_card.get((school_code, code))
        if on_card is None or evidence_of[row.id] != on_card:
            findings.half_written.append(
                ("evidence rows differ from the confirmed card", key, evidence_of[row.id], on_card)
            )

    findings.stored = len(stored)
    findings.stored_rows = sum(stored.values())
    findings.duplicates = sum(n - 1 for n in stored.values())
    findings.confirmed = len(ledger.acknowledged)
    findings.confirmed_missing = sorted(k for k in ledger.acknowledged if stored[k] != 1)

    confirmed_items: dict[tuple[str, str, str], set[str]] = defaultdict(set)
    kpi_cards: dict[str, list[set[str]]] = defaultdict(list)
    for school, kind, items in ledger.confirmed_cards:
        for code, shown in items.items():
            confirmed_items[(school, kind, code)].add(shown)
        if kind == "kpi":
            kpi_cards[school].append(set(items))
    for key in stored:
        school, kind, code = key
        if key not in confirmed_items:
            findings.unconfirmed_stored.append(key)
            continue
        plan = by_code.get(school)
        if plan is None:
            continue
        if kind == "kpi":
            kpi = next(k for k in district.kpis if k.code == code)
            expected = intended_value(plan, kpi)
        else:
            project = next(p for p in plan.projects if p.code == code)
            expected = intended_spent(project)
        if values[key] != expected:
            findings.wrong_values.append((key, str(values[key]), str(expected)))
    for (school, _at), items in batches.items():
        if items not in kpi_cards[school]:
            findings.partial_batches.append((school, sorted(items)))
    unacknowledged = set(stored) - ledger.acknowledged
    findings.stored_unacknowledged = len(unacknowledged)
    findings.confirmed_by_status = sum(
        1 for key in unacknowledged if key[0] in ledger.status_complete
    )

    logged = Counter(
        row.person_id for row in log_rows if row.status in ("sent", "failed", "claimed")
    )
    findings.reminder_log = Counter(row.status for row in log_rows)
    for person in people:
        received = reminder_messages(person.user)
        findings.reminders_received += len(received)
        findings.reminders_twice += len(received) - len(set(received))
        if len(received) > logged[person.school.person_id]:
            findings.reminders_beyond_log.append(
                (person.school.school_code, len(received), logged[person.school.person_id])
            )
    return findings
