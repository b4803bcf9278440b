"""One reminder pass, and the recurring job that runs it.

A pass at ``now``:

1. closes claims that no process confirmed within the claim lease (their
   process stopped mid-send; see the rule below);
2. plans (:func:`scheduler.planner.plan_pass`) from a read snapshot;
3. records superseded steps as skipped and gives up holds that are no
   longer wanted;
4. claims each reminder by inserting its send-log row, right before sending
   it — the unique (round, person, step) key lets exactly one process win —
   holds it instead when the person is in a flow, and releases earlier holds
   by turning ``held`` into ``claimed`` (again only one process wins);
5. sends, and marks each row ``sent`` or ``failed``; a person who blocked the
   bot is marked unreachable.

The rule after a crash: a row still ``claimed`` when its lease has passed was
being sent when its process stopped. Telegram may or may not have delivered
it, and the product promise is that no reminder is ever sent twice, so it is
marked ``failed`` ("interrupted") and never resent; the next step of the
ladder reaches the person as usual. Rows that were only ``held`` were never
handed to Telegram and are sent normally.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from telegram import Bot
from telegram.ext import CallbackContext, Job, JobQueue

from scheduler.delivery import DeliveryReport, Outcome, Outgoing, deliver
from scheduler.planner import Action, Plan, PlannedMessage, ReminderConfig, plan_pass
from storage.database import Database

log = logging.getLogger(__name__)

JOB_NAME = "reminders"
JOB_INTERVAL = dt.timedelta(minutes=1)
INTERRUPTED = "interrupted: the process stopped before delivery was confirmed; not resent"


@dataclass(frozen=True, slots=True)
class LogKey:
    """The send-log key of one reminder."""

    round_id: int
    person_id: int
    step: str


@dataclass(slots=True)
class PassReport:
    """What one pass did."""

    plan: Plan
    delivery: DeliveryReport = field(default_factory=DeliveryReport)
    held: list[PlannedMessage] = field(default_factory=list)
    expired: int = 0

    @property
    def sent(self) -> list[Outcome]:
        """Reminders Telegram accepted."""
        return self.delivery.delivered

    @property
    def failed(self) -> list[Outcome]:
        """Reminders that did not go out."""
        return self.delivery.failed


def outgoing(message: PlannedMessage) -> Outgoing:
    """The message to send for a planned reminder, tagged with its log key."""
    return Outgoing(
        chat_id=message.recipient.telegram_user_id,
        texts=message.texts,
        buttons=message.buttons,
        tag=(LogKey(message.round_.id, message.recipient.person_id, message.step), message),
    )


async def dry_run(database: Database, *, now: dt.datetime, config: ReminderConfig) -> Plan:
    """What a pass at ``now`` would do; changes nothing."""
    async with database.read() as repos:
        return await plan_pass(repos, now=now, config=config)


async def run_pass(
    bot: Bot, database: Database, *, now: dt.datetime, config: ReminderConfig
) -> PassReport:
    """Run one reminder pass as of ``now``; see the module docstring."""
    async with database.transaction() as repos:
        expired = await repos.reminders.expire_claims(
            claimed_before=now - config.claim_lease, reason=INTERRUPTED
        )
    if expired:
        log.warning("%d reminders were interrupted mid-send and are not resent", len(expired))
    async with database.read() as repos:
        plan = await plan_pass(repos, now=now, config=config)
    report = PassReport(plan=plan, expired=len(expired))
    if not plan.messages and not plan.dropped:
        return report

    async with database.transaction() as repos:
        for dropped in plan.dropped:
            await repos.reminders.skip_held(
                round_id=dropped.round_id,
                person_id=dropped.person_id,
                step=dropped.step,
                reason=dropped.reason,
            )
        for message in plan.messages:
            if message.superseded:
                await repos.reminders.record_skipped(
                    round_id=message.round_.id,
                    person_id=message.recipient.person_id,
                    steps=message.superseded,
                    now=now,
                    reason=f"superseded by {message.step}",
                )
        for message in plan.messages:
            if message.action is Action.HOLD and await repos.reminders.claim(
                round_id=message.round_.id,
                person_id=message.recipient.person_id,
                step=message.step,
                now=now,
                hold=True,
            ):
                report.held.append(message)

    to_send = [outgoing(message) for message in plan.messages if message.action is not Action.HOLD]
    report.delivery = await send_logged(bot, database, to_send, now=now)
    return report


async def send_logged(
    bot: Bot, database: Database, items: list[Outgoing], *, now: dt.datetime
) -> DeliveryReport:
    """Send reminders tagged with (LogKey, PlannedMessage), each claimed just before it goes."""

    async def claim(item: Outgoing) -> bool:
        key, message = item.tag
        async with database.transaction() as repos:
            if message.action is Action.RELEASE:
                return await repos.reminders.release(
                    round_id=key.round_id, person_id=key.person_id, step=key.step, now=now
                )
            return await repos.reminders.claim(
                round_id=key.round_id, person_id=key.person_id, step=key.step, now=now
            )

    async def record(outcome: Outcome) -> None:
        key, _ = outcome.outgoing.tag
        async with database.transaction() as repos:
            if outcome.delivered:
                await repos.reminders.mark_sent(
                    round_id=key.round_id,
                    person_id=key.person_id,
                    step=key.step,
                    now=now,
                    attempts=outcome.attempts,
                )
            else:
                await repos.reminders.mark_failed(
                    round_id=key.round_id,
                    person_id=key.person_id,
                    step=key.step,
                    attempts=outcome.attempts,
                    error=outcome.error or "not delivered",
                )
                if outcome.unreachable:
                    await repos.reminders.mark_unreachable(key.person_id, now=now)

    return await deliver(bot, items, claim=claim, record=record)


def register_job(
    job_queue: JobQueue[Any],
    *,
    database: Database,
    clock: Callable[[], dt.datetime],
    config: ReminderConfig,
    interval: dt.timedelta = JOB_INTERVAL,
) -> Job[Any]:
    """Run a reminder pass every ``interval`` while the bot runs.

    The pass decides from the database what is due, so a missed or repeated
    run changes nothing: the job may run in several processes at once.
    """

    async def reminder_job(context: CallbackContext[Any, Any, Any, Any]) -> None:
        try:
            report = await run_pass(context.bot, database, now=clock(), config=config)
        except Exception:
            log.exception("the reminder pass failed; the next run will try again")
            return
        if report.delivery.outcomes or report.held:
            log.info(
                "reminders: %d sent, %d failed, %d held",
                len(report.sent),
                len(report.failed),
                len(report.held),
            )

    return job_queue.run_repeating(
        reminder_job,
        interval=interval,
        first=interval,
        name=JOB_NAME,
        job_kwargs={"max_instances": 1, "coalesce": True},
    )


__all__ = [
    "JOB_NAME",
    "LogKey",
    "PassReport",
    "dry_run",
    "register_job",
    "run_pass",
    "send_logged",
]
