"""Reporting a school's round and seeing it in the officer's summary, end to end."""

from __future__ import annotations

from bot.harness import LocalBot
from domain.values import Role
from storage.sample import OFFICE_CODE
from tests.e2e.reporting_support import registered, say, school_projects, tap


async def test_reported_items_appear_in_the_officers_summary(bot: LocalBot):
    reporter = await registered(bot, 39, "CB05", lang="en")
    officer = await registered(bot, 40, OFFICE_CODE, Role.OFFICER, lang="en")
    before = await say(bot, officer, "/summary")
    assert "Schools complete: 0 of 51" in before.plain_text
    # 51 schools × 3 indicators, and 127 sample projects
    assert "Items submitted: 0 of 280" in before.plain_text

    await say(bot, reporter, "/kpi")
    await say(bot, reporter, "55")
    third = await say(bot, reporter, "ร้อยละ 90")
    review = await tap(bot, reporter, "kpi:v:3:5", third)
    done = await tap(bot, reporter, "kpi:confirm", review)
    assert "kpi:start" not in done.callback_data()  # no indicator left to offer
    assert "report:start" in done.callback_data()  # but the projects are

    middle = await say(bot, officer, "/summary")
    assert "Schools complete: 0 of 51" in middle.plain_text
    assert "Items submitted: 3 of 280" in middle.plain_text

    for project in await school_projects(bot, "CB05"):
        listing = await say(bot, reporter, "/report")
        await tap(bot, reporter, f"report:pick:{project.id}", listing)
        await tap(bot, reporter, "report:status:in_progress")
        await tap(bot, reporter, "report:pct:50")
        await say(bot, reporter, "1,000")
        await say(bot, reporter, "Workshops held")
        for _ in range(3):
            await tap(bot, reporter, "report:skip")
        await tap(bot, reporter, "report:confirm")

    after = await say(bot, officer, "/summary")
    assert "Schools complete: 1 of 51" in after.plain_text
    assert "Items submitted: 5 of 280" in after.plain_text
    assert "on time 5" in after.plain_text
    assert "ชลกันยานุกูล" not in after.plain_text  # complete schools are not listed as missing
    assert "โรงเรียนแกลง" in after.plain_text
