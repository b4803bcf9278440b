"""Per-process limits on how fast one person may send updates."""

from __future__ import annotations

import collections
import time
from collections.abc import Callable
from typing import Final

BURST_LIMIT: Final = 20
BURST_WINDOW: Final = 10.0  # seconds


class BurstLimiter:
    """Sliding-window count of updates per person, kept in memory."""

    def __init__(
        self,
        *,
        limit: int = BURST_LIMIT,
        window: float = BURST_WINDOW,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.limit = limit
        self.window = window
        self._monotonic = monotonic
        self._seen: dict[int, collections.deque[float]] = {}
        self._warned_until: dict[int, float] = {}

    def allow(self, user_id: int) -> bool:
        """Count one update; False when the person is over the limit."""
        now = self._monotonic()
        seen = self._seen.setdefault(user_id, collections.deque())
        while seen and now - seen[0] > self.window:
            seen.popleft()
        if len(seen) >= self.limit:
            return False
        seen.append(now)
        if len(self._seen) > 10_000:  # forget idle people so memory stays bounded
            self._forget_idle(now)
        return True

    def should_warn(self, user_id: int) -> bool:
        """Whether to tell the person to slow down (once per window)."""
        now = self._monotonic()
        if self._warned_until.get(user_id, 0.0) > now:
            return False
        self._warned_until[user_id] = now + self.window
        return True

    def _forget_idle(self, now: float) -> None:
        for user_id in [
            u for u, seen in self._seen.items() if not seen or now - seen[-1] > self.window
        ]:
            del self._seen[user_id]
            self._warned_until.pop(user_id, None)
