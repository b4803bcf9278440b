"""Invite codes: generation, normalisation of what people type, hashing.

A code is 16 characters from a 32-letter alphabet without look-alikes
(no 0/O, 1/I): 80 bits of randomness, short enough to type from paper and
valid as a Telegram deep-link payload. People may type it in lower case,
with spaces or dashes, or with O/I/L look-alikes; all of that is forgiven.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import math
import secrets
from dataclasses import dataclass
from typing import Final

ALPHABET: Final = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
LENGTH: Final = 16
RANDOM_BITS: Final = 80  # LENGTH * log2(len(ALPHABET))

MAX_FAILURES: Final = 5
FAILURE_WINDOW: Final = dt.timedelta(minutes=15)
LOCK_DURATION: Final = dt.timedelta(minutes=15)
SLOWDOWN: Final = (
    dt.timedelta(0),
    dt.timedelta(seconds=10),
    dt.timedelta(seconds=30),
    dt.timedelta(minutes=1),
)
"""How long an account waits after its 1st … 4th wrong code in a window before
another code is looked at: a person who mistypes once retries at once, a
guesser is slowed more with every miss, and the fifth miss locks the account."""

_LOOKALIKES = str.maketrans({"O": "0", "I": "1"})


def new_code() -> str:
    """A fresh random code (unformatted, as used in deep links)."""
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def format_code(code: str) -> str:
    """Groups of four for reading aloud and printing: ``ABCD-EFGH-JKLM-NPQR``."""
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


def normalize(text: str) -> str | None:
    """The canonical code a person meant, or None when it cannot be a code."""
    cleaned = "".join(ch for ch in text.upper() if ch not in " -_\t\n").translate(_LOOKALIKES)
    if len(cleaned) != LENGTH or any(ch not in ALPHABET for ch in cleaned):
        return None
    return cleaned


def hash_code(code: str) -> str:
    """What is stored instead of the code."""
    return hashlib.sha256(code.encode("ascii")).hexdigest()


def same_hash(left: str, right: str) -> bool:
    """Compare two hashes in constant time."""
    return hmac.compare_digest(left.encode("ascii"), right.encode("ascii"))


@dataclass(frozen=True, slots=True)
class AttemptState:
    """Failed attempts of one Telegram account.

    ``locked_until`` is when the next code will be looked at: the end of a
    lock (``failures`` back at 0) or of a slowdown (``failures`` 1 … 4).
    """

    failures: int
    window_started_at: dt.datetime
    locked_until: dt.datetime | None


def _waiting(state: AttemptState | None, now: dt.datetime) -> bool:
    return state is not None and state.locked_until is not None and now < state.locked_until


def is_locked(state: AttemptState | None, now: dt.datetime) -> bool:
    """Whether the account is locked out after too many wrong codes."""
    return _waiting(state, now) and state is not None and state.failures == 0


def wait_needed(state: AttemptState | None, now: dt.datetime) -> dt.timedelta | None:
    """How much longer a slowed account waits before its next code is looked at."""
    if not _waiting(state, now) or state is None or state.locked_until is None:
        return None
    return state.locked_until - now


def after_failure(state: AttemptState | None, now: dt.datetime) -> AttemptState:
    """The attempt state after one more wrong code."""
    if state is None or now - state.window_started_at > FAILURE_WINDOW:
        state = AttemptState(failures=0, window_started_at=now, locked_until=None)
    failures = state.failures + 1
    if failures >= MAX_FAILURES:
        # after a lock the count starts again, so the next lock needs five more
        return AttemptState(failures=0, window_started_at=now, locked_until=now + LOCK_DURATION)
    slowdown = SLOWDOWN[failures - 1]
    return AttemptState(
        failures=failures,
        window_started_at=state.window_started_at,
        locked_until=now + slowdown if slowdown else None,
    )


def seconds_to_wait(wait: dt.timedelta) -> int:
    """A wait as whole seconds to tell a person, never 0."""
    return max(1, math.ceil(wait.total_seconds()))
