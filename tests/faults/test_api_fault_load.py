"""People report while the Bot API fails a share of requests: nothing lost, nothing twice.

A smaller run of the Bot API scenario of ``bench/faults.py`` (which adds
timeouts, costly here because each holds the bot for its read timeout).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.faults.scenarios import api_fault_scenario

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
    findings = outcome.findings
    ledger = outcome.ledger

    assert {
        kind: outcome.faults[kind] > 0 for kind in ("server_error", "flood", "lost_answer")
    } == {
        "server_error": True,
        "flood": True,
        "lost_answer": True,
    }
    assert ledger.stuck == {}
    assert findings.confirmed_missing == []
    assert findings.duplicates == 0
    assert findings.unconfirmed_stored == []
    assert findings.wrong_values == []
    assert findings.half_written == []
    assert findings.partial_batches == []
    assert findings.stored == findings.owed
    assert ledger.status_complete == {school.school_code for school in outcome.district.schools}
    assert findings.drafts_left == 0
    assert findings.reminders_received > 0
    assert findings.reminders_twice == 0
    assert findings.reminders_beyond_log == []
    assert outcome.violations == 0
