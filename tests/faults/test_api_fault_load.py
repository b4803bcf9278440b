"""People report while the Bot API fails a share of requests: nothing lost, nothing twice.

A smaller run of the Bot API scenario of ``bench/faults.py`` (which adds
timeouts, costly here because each holds the bot for its read timeout).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.faults.scenarios import api_fault_scenario, assert_nothing_lost

pytestmark = [
    pytest.mark.slow,
    # reading RetryAfter.retry_after warns about its future type; irrelevant here
    pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning"),
]


async def test_confirmed_entries_are_stored_once_while_requests_fail(tmp_path: Path):
    outcome = await api_fault_scenario(
        tmp_path,
        people=4,
        extra_kpis=2,
        share=0.12,
        kinds=("server_error", "flood", "lost_answer"),
    )
    injected = {kind for kind, count in outcome.faults.items() if count > 0}
    assert injected == {"server_error", "flood", "lost_answer"}
    assert_nothing_lost(outcome)
