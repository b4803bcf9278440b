"""Sending many messages without losing one and without sending one twice.

python-telegram-bot's ``AIORateLimiter`` (configured in :mod:`bot.app`) keeps
the whole bot at about 30 messages a second. A batch here paces itself a
little below that, at :data:`BATCH_RATE`, so that it meets hardly any flood
control and leaves room for the replies of people using the bot meanwhile;
each chat is also paced to about one message a second. Each answer is dealt
with:

- flood control (429 ``RetryAfter``): wait as told and try again;
- an error answer from the server (5xx) or a connection that could not be
  made: the message did not go out, so back off and try again;
- a timeout, or a connection lost after the request was sent: Telegram may
  have delivered it, so it is NOT tried again (a reminder sent twice is worse
  than one reported as not confirmed);
- 403 ``Forbidden`` (the person blocked the bot): the person is unreachable,
  the batch goes on;
- any other refusal: recorded as failed, the batch goes on.

Messages to different chats go out concurrently, so one slow chat never
holds up the rest. Optional ``claim`` and ``record`` hooks let the caller make
each send exactly-once against its own log.
"""

from __future__ import annotations

import asyncio
import logging
import warnings
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError, TimedOut
from telegram.warnings import PTBDeprecationWarning

from domain.i18n import Html

log = logging.getLogger(__name__)

PER_CHAT_INTERVAL = 1.0
"""Seconds between two messages to one chat (Telegram allows about one a second)."""

BATCH_RATE = 28.5
"""Messages a second a batch sends at most (Telegram allows about 30 overall)."""

CONCURRENCY = 16
MAX_FLOOD_RETRIES = 12
MAX_NETWORK_RETRIES = 4
MAX_WAIT_SECONDS = 120.0


@dataclass(frozen=True, slots=True)
class Outgoing:
    """A message for one chat: one or more parts, buttons under the last part."""

    chat_id: int
    texts: Sequence[Html]
    buttons: Sequence[Sequence[tuple[str, str]]] = ()
    tag: Any = None
    """The caller's handle for this message (a log key, a person)."""

    def markup(self) -> InlineKeyboardMarkup | None:
        """The inline keyboard, if there are buttons."""
        rows = [
            [InlineKeyboardButton(label, callback_data=data) for label, data in row]
            for row in self.buttons
            if row
        ]
        return InlineKeyboardMarkup(rows) if rows else None


@dataclass(frozen=True, slots=True)
class Outcome:
    """What became of one outgoing message."""

    outgoing: Outgoing
    delivered: bool
    attempts: int
    parts_sent: int
    unreachable: bool = False
    error: str | None = None


@dataclass(slots=True)
class DeliveryReport:
    """Outcomes of a batch, in the order they finished."""

    outcomes: list[Outcome] = field(default_factory=list)
    not_claimed: int = 0

    @property
    def delivered(self) -> list[Outcome]:
        """Messages Telegram accepted."""
        return [outcome for outcome in self.outcomes if outcome.delivered]

    @property
    def failed(self) -> list[Outcome]:
        """Messages that did not go out."""
        return [outcome for outcome in self.outcomes if not outcome.delivered]

    @property
    def unreachable(self) -> list[Outcome]:
        """Messages to people who blocked the bot."""
        return [outcome for outcome in self.outcomes if outcome.unreachable]


Claim = Callable[[Outgoing], Awaitable[bool]]
Record = Callable[[Outcome], Awaitable[None]]


def retry_seconds(error: RetryAfter) -> float:
    """How long Telegram asked to wait, in seconds."""
    with warnings.catch_warnings():
        # python-telegram-bot is moving this attribute from int to timedelta
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = error.retry_after
    seconds = value if isinstance(value, (int, float)) else value.total_seconds()
    return float(min(max(seconds, 0.5), MAX_WAIT_SECONDS))


class _Pacer:
    """At most one message per chat per interval, and evenly spaced sends overall."""

    def __init__(self, interval: float, rate: float | None) -> None:
        self.interval = interval
        self.spacing = 1.0 / rate if rate else 0.0
        self.next_slot = 0.0
        self.next_at: dict[int, float] = {}
        self.locks: dict[int, asyncio.Lock] = {}

    def lock(self, chat_id: int) -> asyncio.Lock:
        return self.locks.setdefault(chat_id, asyncio.Lock())

    async def wait(self, chat_id: int) -> None:
        loop = asyncio.get_running_loop()
        delay = self.next_at.get(chat_id, 0.0) - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        if self.spacing:
            # each send takes the next free slot; no lock needed in one event loop
            now = loop.time()
            slot = max(now, self.next_slot)
            self.next_slot = slot + self.spacing
            if slot > now:
                await asyncio.sleep(slot - now)
        self.next_at[chat_id] = loop.time() + self.interval


def may_have_arrived(error: NetworkError) -> bool:
    """Whether Telegram may have carried out a request that failed with ``error``.

    python-telegram-bot raises :class:`NetworkError` both for an error answer
    (the server said no: nothing happened) and for a failure of the
    connection (chained from the HTTP library's exception). A connection that
    was never made cannot have delivered anything; one that broke after the
    request was written may have, and only the answer was lost.
    """
    cause = error.__cause__
    if cause is None or isinstance(cause, TelegramError):
        return False  # an answer came back (perhaps unreadable): the server refused it
    return not isinstance(cause, httpx.ConnectError)


async def _send_part(
    bot: Bot, item: Outgoing, text: Html, markup: InlineKeyboardMarkup | None
) -> tuple[bool, int, bool, str | None]:
    """Send one part with retries: (delivered, attempts, unreachable, error)."""
    attempts = 0
    floods = 0
    network = 0
    while True:
        attempts += 1
        try:
            await bot.send_message(item.chat_id, text, reply_markup=markup)
            return True, attempts, False, None
        except RetryAfter as error:
            floods += 1
            if floods > MAX_FLOOD_RETRIES:
                return False, attempts, False, f"flood control: {error}"
            await asyncio.sleep(retry_seconds(error))
        except TimedOut as error:
            # The request may have reached Telegram: sending again could duplicate it.
            return False, attempts, False, f"timed out, delivery not confirmed: {error}"
        except Forbidden as error:
            return False, attempts, True, f"forbidden: {error}"
        except BadRequest as error:
            return False, attempts, "chat not found" in str(error).lower(), f"refused: {error}"
        except NetworkError as error:
            if may_have_arrived(error):
                return False, attempts, False, f"delivery not confirmed: {error}"
            network += 1
            if network > MAX_NETWORK_RETRIES:
                return False, attempts, False, f"network: {error}"
            await asyncio.sleep(min(2.0 ** (network - 1), MAX_WAIT_SECONDS))
        except TelegramError as error:
            return False, attempts, False, f"error: {error}"


async def deliver(
    bot: Bot,
    items: Sequence[Outgoing],
    *,
    claim: Claim | None = None,
    record: Record | None = None,
    concurrency: int = CONCURRENCY,
    per_chat_interval: float = PER_CHAT_INTERVAL,
    rate: float | None = BATCH_RATE,
) -> DeliveryReport:
    """Send every item; return what became of each.

    ``claim`` is awaited right before an item is sent, and the item is left
    out when it answers False (another process has it). ``record`` is awaited
    with each outcome as soon as it is known. ``rate`` caps messages a second
    (None: only the bot's own rate limiter applies).
    """
    report = DeliveryReport()
    queue: asyncio.Queue[Outgoing] = asyncio.Queue()
    for item in items:
        queue.put_nowait(item)
    pacer = _Pacer(per_chat_interval, rate)

    async def worker() -> None:
        while True:
            try:
                item = queue.get_nowait()
            except asyncio.QueueEmpty:
                return
            async with pacer.lock(item.chat_id):
                if claim is not None and not await claim(item):
                    report.not_claimed += 1
                    continue
                outcome = await _send_all(bot, item, pacer)
            report.outcomes.append(outcome)
            if record is not None:
                await record(outcome)

    workers = [asyncio.create_task(worker()) for _ in range(max(1, min(concurrency, len(items))))]
    try:
        await asyncio.gather(*workers)
    finally:
        for task in workers:
            task.cancel()
    return report


async def _send_all(bot: Bot, item: Outgoing, pacer: _Pacer) -> Outcome:
    markup = item.markup()
    attempts = 0
    for index, text in enumerate(item.texts):
        await pacer.wait(item.chat_id)
        last = index == len(item.texts) - 1
        delivered, tries, unreachable, error = await _send_part(
            bot, item, text, markup if last else None
        )
        attempts += tries
        if not delivered:
            if index:
                error = f"{error} (after {index} of {len(item.texts)} parts)"
            log.warning("message to chat %s not delivered: %s", item.chat_id, error)
            return Outcome(item, False, attempts, index, unreachable=unreachable, error=error)
    return Outcome(item, True, attempts, len(item.texts))
