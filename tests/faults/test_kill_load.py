"""``tidtam run`` SIGKILLed at random moments while people report: nothing lost, nothing twice.

A smaller run of the kill scenario of ``bench/faults.py`` (which kills at
least 20 times during 500 submissions by 50 people), with a ``tidtam backup``
taken in the middle of it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.faults.scenarios import assert_nothing_lost, kill_scenario

pytestmark = pytest.mark.slow

PEOPLE = 7


async def test_every_confirmed_entry_survives_sigkill_exactly_once(tmp_path: Path):
    outcome = await kill_scenario(
        tmp_path, people=PEOPLE, extra_kpis=4, kills=5, mean_uptime=2.0, backup_after=20
    )
    assert outcome.kills == 5
    assert outcome.findings.stored_rows >= 60
    assert_nothing_lost(outcome)
    # `tidtam backup`, run while the bot was writing (and being killed), holds every
    # entry confirmed before it began, once
    backup = outcome.backup
    assert backup is not None and backup.exit_code == 0
    assert backup.integrity == "ok"
    assert backup.confirmed_before >= 20
    assert backup.missing == []
    assert backup.duplicates == 0
