"""A round simulated over six weeks: exactly the right reminders to exactly the right people."""

from __future__ import annotations

import datetime as dt

import pytest
from reminder_support import (
    BKK,
    Received,
    add_round,
    bangkok,
    close_sample_round,
    db,
    one_pass,
    register,
    report_all_kpis,
)

from bot.harness import LocalBot
from domain.values import Role

pytestmark = pytest.mark.slow


def local(moment: dt.datetime) -> tuple[str, str]:
    value = moment.astimezone(BKK)
    return value.strftime("%Y-%m-%d"), value.strftime("%H:%M")


async def test_six_weeks_of_a_round_send_exactly_the_expected_reminders(bot: LocalBot, clock):
    # Monday 22 March 2027, a week before the round opens
    clock.now = bangkok(2027, 3, 22, 9, 0)
    await close_sample_round(bot)
    round_id = await add_round(
        bot,
        code="SIM",
        opens_at=bangkok(2027, 3, 29, 8, 30),
        due_at=bangkok(2027, 4, 19, 16, 30),
    )
    async with db(bot).transaction() as repos:
        # the office gives Monday 12 April off before Songkran, and works Saturday 24 April
        await repos.reminders.set_calendar_day(dt.date(2027, 4, 12), working=False, note="หยุดชดเชย")
        await repos.reminders.set_calendar_day(
            dt.date(2027, 4, 24), working=True, note="ทำงานชดเชย"
        )

    people = {
        "A": await register(bot, 101, "Arun", "CB01", Role.REPORTER),
        "B": await register(bot, 102, "Bee", "CB02", Role.REPORTER, lang="en"),
        "H": await register(bot, 103, "Head", "CB02", Role.HEAD),
        "C": await register(bot, 104, "Chai", "CB03", Role.REPORTER),
        "D": await register(bot, 105, "Dao", "CB04", Role.REPORTER),
        "O": await register(bot, 201, "Officer", "SESAO-CBRY", Role.OFFICER, lang="en"),
    }
    received = Received(people)

    end = bangkok(2027, 5, 3, 23, 30)
    while clock.now <= end:
        day, hm = local(clock.now)
        if day == "2027-04-01" and hm == "12:00":
            people["D"].block()  # D blocks the bot before the next reminder
        if day == "2027-04-14" and hm == "10:00":
            await report_all_kpis(bot, people["A"], round_id)
        if day == "2027-04-20" and hm == "10:00":
            await report_all_kpis(bot, people["C"], round_id)
        await one_pass(bot)
        received.collect(clock.now)
        clock.advance(minutes=30)
    await bot.settle()

    def sent(name: str) -> list[str]:
        return [local(at)[0] for at, _ in received.of(name)]

    assert sent("A") == ["2027-03-29"]
    assert sent("B") == [
        "2027-03-29",  # opening
        "2027-04-16",  # 3 days before; the 7-day step moved past Songkran onto the same day
        "2027-04-19",  # due day (the 1-day step fell on Sunday and moved onto it)
        "2027-04-20",
        "2027-04-22",
        "2027-04-26",
    ]
    assert sent("H") == ["2027-04-20", "2027-04-22", "2027-04-26"]
    assert sent("C") == ["2027-03-29", "2027-04-16", "2027-04-19", "2027-04-20"]
    assert sent("D") == ["2027-03-29"]  # blocked since 1 April: nothing delivered after
    digest_days = sorted({local(at)[0] for at, _ in received.of("O")})
    assert digest_days == [
        "2027-04-22",
        "2027-04-23",
        "2027-04-24",  # the office's working Saturday
        "2027-04-26",
        "2027-04-27",
        "2027-04-28",
        "2027-04-29",
        "2027-04-30",
    ]  # 3 May is a holiday in lieu of Labour Day
    for name in people:
        for at, _ in received.of(name):
            assert local(at)[1] == "08:30", (name, at)

    # what the people read
    first_b = received.of("B")[0][1]
    assert "Reporting is open: Test round SIM" in first_b.plain_text
    assert "Indicators (3)" in first_b.plain_text
    assert "K01" in first_b.plain_text and "K03" in first_b.plain_text
    assert "K04" not in first_b.plain_text  # annual, not asked in this round
    assert first_b.callback_data() == ["kpi:start"]
    due_b = received.of("B")[2][1]
    assert "Last day to report" in due_b.plain_text and "due today" in due_b.plain_text
    escalation = received.of("H")[0][1]
    assert "เรียนผู้อำนวยการโรงเรียน" in escalation.plain_text
    assert "เลยกำหนดมาแล้ว 1 วัน" in escalation.plain_text
    assert "K02" in escalation.plain_text
    opening_a = received.of("A")[0][1]
    assert "เปิดรับรายงานแล้ว" in opening_a.plain_text
    digest = "\n".join(m.plain_text for at, m in received.of("O") if local(at)[0] == "2027-04-22")
    assert "49 of 51 schools have not finished" in digest  # CB01 and CB03 are complete
    assert "• CB02 " in digest and "• CB04 " in digest
    assert "• CB01 " not in digest and "• CB03 " not in digest
    assert "Dao — Responsible teacher, CB04" in digest.split("Could not be reached")[1]
    assert "48 of these schools have nobody who can be reached" in digest

    async with db(bot).read() as repos:
        log = await repos.reminders.entries(round_id=round_id)
        b = await repos.people.by_telegram_id(102)
        d = await repos.people.by_telegram_id(105)
    assert b is not None and d is not None
    b_steps = {entry.step: entry.status for entry in log if entry.person_id == b.id}
    assert b_steps == {
        "open": "sent",
        "due-7": "skipped",
        "due-3": "sent",
        "due-1": "skipped",
        "due": "sent",
        "due+1": "sent",
        "due+3": "sent",
        "due+7": "sent",
    }
    d_steps = {entry.step: entry.status for entry in log if entry.person_id == d.id}
    # the block is noticed (from Telegram's update or a refused send) and D is not tried again
    assert d_steps["open"] == "sent"
    assert [status for step, status in d_steps.items() if step != "open"] in ([], ["failed"])
