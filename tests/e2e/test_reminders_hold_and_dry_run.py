"""Never into an open flow; and the dry run lists exactly what a pass then sends."""

from __future__ import annotations

import asyncio
import datetime as dt

from reminder_support import CONFIG, SAMPLE_DUE_7, add_people, db, one_pass, reminders_received

from bot.harness import LocalBot
from emulator import SimUser
from scheduler.planner import Action, people_in_flow
from scheduler.runner import dry_run


async def wait_flow(bot: LocalBot, user: SimUser, *, open_: bool) -> None:
    """Wait until the bot's persistence says the person's flow is open (or closed)."""
    for _ in range(100):
        async with db(bot).read() as repos:
            person = await repos.people.by_telegram_id(user.id)
            flows = await people_in_flow(repos, now=bot.clock(), config=CONFIG)
        in_flow = user.id in flows.chats or (person is not None and person.id in flows.people)
        if in_flow == open_:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"flow of {user.id} did not become {'open' if open_ else 'closed'}")


async def test_a_reminder_waits_until_the_flow_ends(bot: LocalBot, clock):
    busy, idle = await add_people(bot, 2)
    clock.now = SAMPLE_DUE_7 - dt.timedelta(minutes=20)
    await busy.send_text("/kpi")
    await busy.expect()
    await wait_flow(bot, busy, open_=True)

    clock.now = SAMPLE_DUE_7
    report = await one_pass(bot)
    await bot.settle()
    assert len(reminders_received(idle)) == 1
    assert reminders_received(busy) == []  # held: nothing lands in the middle of /kpi
    assert [message.recipient.telegram_user_id for message in report.held] == [busy.id]

    clock.advance(minutes=10)
    await one_pass(bot)
    await bot.settle()
    assert reminders_received(busy) == []  # still in the flow

    await busy.send_text("/cancel")
    await busy.expect()
    await wait_flow(bot, busy, open_=False)
    clock.advance(minutes=1)
    await one_pass(bot)
    await bot.settle()
    (reminder,) = reminders_received(busy)
    assert "เหลืออีก 7 วัน" in reminder.plain_text
    assert len(reminders_received(idle)) == 1


async def test_a_held_reminder_is_sent_at_the_latest_after_the_longest_hold(bot: LocalBot, clock):
    (busy,) = await add_people(bot, 1)
    clock.now = SAMPLE_DUE_7 - dt.timedelta(minutes=20)
    await busy.send_text("/kpi")
    await busy.expect()
    await wait_flow(bot, busy, open_=True)
    clock.now = SAMPLE_DUE_7
    await one_pass(bot)
    clock.advance(hours=1)
    await one_pass(bot)
    await bot.settle()
    assert reminders_received(busy) == []
    # two hours on, the flow is left as it is: the reminder goes out anyway
    clock.advance(hours=1, minutes=1)
    await one_pass(bot)
    await bot.settle()
    assert len(reminders_received(busy)) == 1
    async with db(bot).read() as repos:
        (entry,) = await repos.reminders.entries()
    assert (entry.step, entry.status) == ("due-7", "sent")


async def test_the_dry_run_lists_exactly_what_the_pass_then_sends(bot: LocalBot, clock):
    users = await add_people(bot, 6)
    heads = await add_people(bot, 2, first_id=20_000)
    clock.now = SAMPLE_DUE_7
    plan = await dry_run(db(bot), now=clock(), config=CONFIG)
    assert all(message.action is Action.SEND for message in plan.messages)
    planned = {
        message.recipient.telegram_user_id: (message.step, list(message.texts))
        for message in plan.messages
    }
    assert sorted(planned) == sorted(user.id for user in users + heads)
    assert await dry_run(db(bot), now=clock(), config=CONFIG) is not plan  # nothing stored
    async with db(bot).read() as repos:
        assert await repos.reminders.entries() == []

    await one_pass(bot)
    await bot.settle()
    sent = {}
    for user in users + heads:
        for message in reminders_received(user):
            sent[user.id] = ("due-7", [message.text])
    assert sent == planned


async def test_nothing_is_sent_on_a_weekend_or_outside_office_hours(bot: LocalBot, clock):
    users = await add_people(bot, 2)
    for moment in (
        dt.datetime(2027, 1, 9, 2, 0, tzinfo=dt.UTC),  # Saturday 09:00
        dt.datetime(2027, 1, 12, 1, 0, tzinfo=dt.UTC),  # Tuesday 08:00, before sending time
        dt.datetime(2027, 1, 12, 11, 0, tzinfo=dt.UTC),  # Tuesday 18:00, after office hours
    ):
        clock.now = moment
        plan = await dry_run(db(bot), now=clock(), config=CONFIG)
        assert not plan.in_window and plan.messages == []
        await one_pass(bot)
    await bot.settle()
    assert [reminders_received(user) for user in users] == [[], []]
