"""Secrets and records: the token never reaches a log; every change is audited.

One bot session does a little of everything — registration, a KPI entry and
its correction, a language change, an officer's return, a head's
certification, a crash in a handler, a Bot API fault, a reminder pass and a
block — with every logger at DEBUG through the product's own logging setup.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import select

from bot.harness import LOCAL_TOKEN, LocalBot
from bot.logs import configure_logging
from domain.values import Role
from emulator import SimUser
from storage.repositories.plan import Plan
from storage.schema import audit_log, reminder_log
from tests.e2e.reminder_support import one_pass
from tests.e2e.reporting_support import registered
from tests.security.support import changed_tables, person_id, snapshot

TOKEN_SECRET = LOCAL_TOKEN.split(":", 1)[1]

AUDITED_AS = {
    "people": {"person"},
    "invites": {"person", "invite"},  # redeeming uses the invite up and registers the person
    "invite_redemptions": {"person", "invite"},
    "kpi_values": {"kpi_value"},
    "progress_reports": {"progress_report"},
    "evidence": {"kpi_value", "progress_report"},
    "certifications": {"certification"},
}
"""Which audit entity records a change of each table.

``reminder_log`` is left out on purpose: it is itself the record of every
reminder (round, person, step, when) and is checked as such below.
"""


class _Raw(logging.Handler):
    """Keeps every record as the code logged it, before any redaction; ``written``
    is what the product's own log handler wrote."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []
        self.written = io.StringIO()

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def debug_logs() -> Iterator[_Raw]:
    """The product's logging at DEBUG for every logger (httpx included), restored after."""
    root = logging.getLogger()
    saved_handlers, saved_level = root.handlers[:], root.level
    noisy = ("httpx", "httpcore", "telegram", "apscheduler", "alembic", "aiosqlite")
    saved_levels = {name: logging.getLogger(name).level for name in noisy}
    configure_logging("DEBUG", secrets=(LOCAL_TOKEN,))
    for name in noisy:
        logging.getLogger(name).setLevel(logging.DEBUG)  # the loudest case: URLs carry the token
    raw = _Raw()
    [ours] = [handler for handler in root.handlers if handler.get_name() == "tidtam"]
    assert isinstance(ours, logging.StreamHandler)
    ours.setStream(raw.written)  # the product's handler, filter and format; kept in memory
    root.addHandler(raw)
    try:
        yield raw
    finally:
        root.handlers[:] = saved_handlers
        root.setLevel(saved_level)
        for name, level in saved_levels.items():
            logging.getLogger(name).setLevel(level)


async def _audit_since(bot: LocalBot, last_id: int) -> list[Any]:
    assert bot.database is not None
    async with bot.database.read() as repos:
        return list(
            (
                await repos.connection.execute(
                    select(audit_log).where(audit_log.c.id > last_id).order_by(audit_log.c.id)
                )
            ).all()
        )


async def _last_audit_id(bot: LocalBot) -> int:
    rows = await _audit_since(bot, 0)
    return rows[-1].id if rows else 0


async def test_the_token_never_reaches_a_log_and_every_change_is_audited(
    bot: LocalBot,
    debug_logs: _Raw,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    problems: list[str] = []
    changes_seen: set[str] = set()

    async def step(
        name: str, actor: Callable[[], Awaitable[int | None]], action: Callable[[], Awaitable[Any]]
    ) -> None:
        """Run one action; every table it changed must have an audit entry with who and when."""
        before, last = await snapshot(bot), await _last_audit_id(bot)
        await action()
        await bot.settle()
        changed = changed_tables(before, await snapshot(bot)) - {"reminder_log"}
        entries = await _audit_since(bot, last)
        who = await actor()
        for table in changed:
            changes_seen.add(table)
            entities = AUDITED_AS.get(table)
            if entities is None:
                problems.append(f"{name}: {table} changed, and no audit entity is known for it")
                continue
            if not any(
                e.entity in entities and e.at == bot.clock() and e.actor_person_id == who
                for e in entries
            ):
                problems.append(f"{name}: {table} changed without an audit entry by {who}")

    async def nobody() -> None:
        return None

    def by(user: SimUser) -> Callable[[], Awaitable[int]]:
        async def actor() -> int:
            return await person_id(bot, user.id)

        return actor

    # registration (by deep link)
    code = await bot.invite("CB05", Role.REPORTER)
    reporter = bot.emulator.user(8001, "Somchai", language_code="th")
    await step("register", by(reporter), lambda: reporter.send_text(f"/start {code}"))
    head = await registered(bot, 8002, "CB05", Role.HEAD, lang="en")
    officer = await registered(bot, 8003, "SESAO-CBRY", Role.OFFICER, lang="en")

    # a KPI entry, confirmed
    async def enter_kpi() -> None:
        await reporter.send_text("/kpi")
        await bot.settle()
        await reporter.send_text("61")
        await bot.settle()
        await reporter.press("kpi:review")
        await bot.settle()
        await reporter.press("kpi:confirm")

    await step("kpi entry", by(reporter), enter_kpi)

    # its correction, with a reason
    async def correct() -> None:
        await reporter.send_text("/history")
        await bot.settle()
        await reporter.press("fix:kv:1")
        await bot.settle()
        await reporter.send_text("66")
        await bot.settle()
        await reporter.send_text("พิมพ์ผิด")
        await bot.settle()
        await reporter.press("fix:confirm")

    await step("correction", by(reporter), correct)

    # a language change
    async def language() -> None:
        await reporter.send_text("/language")
        await bot.settle()
        await reporter.press("lang:set:en")

    await step("language", by(reporter), language)

    # an officer returns the entry
    async def give_back() -> None:
        await officer.send_text("/return CB05")
        await bot.settle()
        await officer.press("ret:entry:kv:2")
        await bot.settle()
        await officer.send_text("Please check against the SAR")
        await bot.settle()
        await officer.press("ret:confirm")

    await step("return", by(officer), give_back)

    # the head certifies the round
    async def certify() -> None:
        await head.send_text("/certify")
        await bot.settle()
        certify_button = next(d for d in head.last.callback_data() if d.startswith("cert:do:"))  # type: ignore[union-attr]
        await head.press(certify_button)

    await step("certify", by(head), certify)

    # a crash in a handler: logged with its traceback, nothing changed
    async def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError(f"failure while calling {LOCAL_TOKEN}")

    with monkeypatch.context() as patch:
        patch.setattr(Plan, "open_rounds", broken)
        await step("crash", nobody, lambda: head.send_text("/status"))

    # Bot API faults: a server error on a reply, and flood control
    bot.emulator.fail_next("sendMessage", error_code=502, description="Bad Gateway")
    await step("api fault", nobody, lambda: officer.send_text("/help"))
    bot.emulator.fail_next("sendMessage", retry_after=1)
    await step("flood", nobody, lambda: officer.send_text("/help"))

    # a reminder pass, with one of its sends failing
    bot.clock.advance(days=7)  # type: ignore[attr-defined]  # a week before the due day
    bot.emulator.fail_next("sendMessage", error_code=500)
    report = await one_pass(bot)
    await bot.settle()
    assert bot.database is not None
    async with bot.database.read() as repos:
        sends = (await repos.connection.execute(select(reminder_log))).all()
    # the reminder log is the record of reminders: who, which step, when, how it went
    assert sends and all(r.person_id and r.claimed_at == bot.clock() for r in sends)
    assert {r.status for r in sends} <= {"sent", "failed", "held"}

    # a person blocks the bot
    async def block() -> None:
        reporter.block()

    await step("block", by(reporter), block)

    # ---- the records
    assert not problems, "\n".join(problems)
    assert {"people", "invites", "kpi_values", "certifications"} <= changes_seen
    assert report.plan.messages, "the reminder pass had something to send"

    # ---- the logs
    written = debug_logs.written.getvalue()
    assert "failure while calling" in written  # the crash was logged ...
    assert "Traceback" in written
    assert "<token>" in written  # ... with the token redacted where it appeared
    assert LOCAL_TOKEN not in written and TOKEN_SECRET not in written
    ours = [
        r
        for r in debug_logs.records
        if r.name.split(".")[0] in ("bot", "handlers", "storage", "scheduler", "reports", "tidtam")
    ]
    assert ours, "the product logged nothing at DEBUG"
    for record in ours:
        if "failure while calling" in record.getMessage():
            continue  # the message the test itself planted (redacted in the output above)
        assert TOKEN_SECRET not in record.getMessage(), record.name
    # and no person was ever shown the token or a traceback
    for user in (reporter, head, officer):
        for message in user.inbox:
            assert TOKEN_SECRET not in message.text and "Traceback" not in message.text
