"""``tidtam run`` SIGKILLed at random moments while people report: nothing lost, nothing twice.

A smaller run of the kill scenario of ``bench/faults.py`` (which kills at
least 20 times during 500 submissions by 50 people), with a ``tidtam backup``
taken in the middle of it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.faults.scenarios import kill_scenario

pytestmark = pytest.mark.slow

PEOPLE = 7


async def test_every_confirmed_entry_survives_sigkill_exactly_once(tmp_path: Path):
    outcome = await kill_scenario(
        tmp_path, people=PEOPLE, extra_kpis=4, kills=5, mean_uptime=2.0, backup_after=20
    )
    findings = outcome.findings
    ledger = outcome.ledger

    assert outcome.kills == 5
    assert ledger.stuck == {}
    assert findings.stored_rows >= 60
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
    # whose "saved" message a kill swallowed
    assert findings.stored == findings.owed
    assert ledger.status_complete == {school.school_code for school in outcome.district.schools}
    assert findings.drafts_left == 0
    # reminder passes ran throughout (some cut off mid-send), and none reached anyone twice
    assert findings.reminders_received > 0
    assert findings.reminders_twice == 0
    assert findings.reminders_beyond_log == []
    assert outcome.violations == 0
    # `tidtam backup`, run while the bot was writing (and being killed), holds every
    # entry confirmed before it began, once
    backup = outcome.backup
    assert backup is not None and backup.exit_code == 0
    assert backup.integrity == "ok"
    assert backup.confirmed_before >= 20
    assert backup.missing == []
    assert backup.duplicates == 0
