"""Officers' /nudge and /announce: preview, confirm, delivery report."""

from __future__ import annotations

from reminder_support import (
    add_person,
    add_round,
    bangkok,
    close_sample_round,
    db,
    report_all_kpis,
)
from sqlalchemy import select, update

from bot.harness import LocalBot
from domain.values import Role
from emulator import BotMessage, SimUser
from storage.schema import people as people_table
from storage.schema import projects


async def next_new_message(user: SimUser) -> BotMessage:
    while True:
        message = await user.expect(timeout=15)
        if not message.is_edit:
            return message


async def setup_round(bot: LocalBot, clock) -> dict[str, SimUser]:
    """A round with one late project at CB02; CB01 has reported everything."""
    clock.now = bangkok(2027, 2, 3, 10, 0)
    await close_sample_round(bot)
    round_id = await add_round(
        bot,
        code="NUDGE",
        opens_at=bangkok(2027, 2, 1, 8, 30),
        due_at=bangkok(2027, 2, 26, 16, 30),
        includes_progress=True,
    )
    async with db(bot).transaction() as repos:
        cb01 = await repos.schools.by_code("CB01")
        cb02 = await repos.schools.by_code("CB02")
        assert cb01 is not None and cb02 is not None
        # CB01 owes no project in this test; CB02 owes (at least) TEST-P1
        await repos.connection.execute(
            update(projects).where(projects.c.school_id == cb01.id).values(active=False)
        )
        await repos.plan.create_project(
            code="TEST-P1", fiscal_year=2570, school_id=cb02.id, name="โครงการทดสอบ", now=clock()
        )
    people = {
        "officer": await add_person(bot, 900, "Wanida", "SESAO-CBRY", Role.OFFICER, "en"),
        "a": await add_person(bot, 901, "Arun", "CB01", Role.REPORTER),
        "b": await add_person(bot, 902, "Bee", "CB02", Role.REPORTER, "en"),
        "h": await add_person(bot, 903, "Head Two", "CB02", Role.HEAD),
        "c": await add_person(bot, 904, "Chai", "CB03", Role.REPORTER),
    }
    await report_all_kpis(bot, people["a"], round_id)
    return people


async def test_nudge_previews_then_reminds_only_the_late_schools(bot: LocalBot, clock):
    people = await setup_round(bot, clock)
    officer = people["officer"]
    await officer.send_text("/nudge")
    preview = await officer.expect()
    assert "Nudge late schools: Test round NUDGE" in preview.plain_text
    assert "50 schools are late; 3 people will get a reminder" in preview.plain_text
    assert "• CB02 " in preview.plain_text and "2 recipient(s)" in preview.plain_text
    assert "• CB01 " not in preview.plain_text
    assert "48 late schools have nobody who can be reached" in preview.plain_text
    await bot.settle()
    assert [user.inbox for user in (people["a"], people["b"], people["c"])] == [[], [], []]

    send_data = preview.callback_data()[0]
    assert send_data.startswith("nudge:send:")
    bot.emulator.fail_next(
        "sendMessage", error_code=403, description="Forbidden: bot was blocked by the user"
    )
    await officer.press(send_data, message_id=preview.message_id)
    sending = await officer.expect()
    assert "Sending reminders to 3 people" in sending.plain_text
    report = await next_new_message(officer)
    assert "Nudge sent: Test round NUDGE" in report.plain_text
    assert "Delivered: 2 of 3" in report.plain_text
    assert "Could not be reached (1)" in report.plain_text
    await bot.settle()

    reached = [user for user in (people["b"], people["h"], people["c"]) if user.inbox]
    assert len(reached) == 2
    assert people["a"].inbox == []  # CB01 has reported everything
    if people["b"].inbox:
        (reminder,) = people["b"].inbox
        assert "The district office asks for your report" in reminder.plain_text
        assert "TEST-P1" in reminder.plain_text
        assert reminder.callback_data() == ["report:start", "kpi:start"]
    missed = next(user for user in (people["b"], people["h"], people["c"]) if not user.inbox)
    async with db(bot).read() as repos:
        row = (
            await repos.connection.execute(
                select(people_table.c.unreachable_at).where(
                    people_table.c.telegram_user_id == missed.id
                )
            )
        ).one()
    assert row.unreachable_at is not None

    # the same button pressed again sends nothing twice
    await officer.press(send_data, message_id=preview.message_id, forge=True)
    await officer.expect()
    again = await next_new_message(officer)
    assert "already sent" in again.plain_text
    await bot.settle()
    assert sum(len(user.inbox) for user in (people["b"], people["h"], people["c"])) == 2


async def test_nudge_is_for_officers_only(bot: LocalBot, clock):
    people = await setup_round(bot, clock)
    await people["c"].send_text("/nudge")
    refusal = await people["c"].expect()
    assert "เจ้าหน้าที่ของสำนักงานเขตพื้นที่ฯ เท่านั้น" in refusal.plain_text


async def test_announce_to_chosen_schools_with_preview_and_report(bot: LocalBot, clock):
    people = await setup_round(bot, clock)
    officer = people["officer"]
    await officer.send_text("/announce")
    menu = await officer.expect()
    assert "Who should receive it?" in menu.plain_text
    await officer.press("announce:to:schools", message_id=menu.message_id)
    await officer.expect()
    await officer.send_text("CB02, XX99")
    wrong = await officer.expect()
    assert "not known: XX99" in wrong.plain_text
    await officer.send_text("cb02 cb03")
    await officer.expect()
    await officer.send_text("<b>ประชุม</b> วันศุกร์ & เวลา 9:00")
    preview = await officer.expect()
    assert "3 people at 2 schools" in preview.plain_text
    assert "<b>ประชุม</b> วันศุกร์ & เวลา 9:00" in preview.plain_text  # shown as typed
    await bot.settle()
    assert people["b"].inbox == []  # nothing before the send button

    await officer.press("announce:send", message_id=preview.message_id)
    await officer.expect()
    report = await next_new_message(officer)
    assert "Announcement sent" in report.plain_text and "Delivered: 3 of 3" in report.plain_text
    await bot.settle()
    (to_b,) = people["b"].inbox
    assert "Announcement from the district office" in to_b.plain_text
    assert "<b>ประชุม</b> วันศุกร์ & เวลา 9:00" in to_b.plain_text
    (to_c,) = people["c"].inbox
    assert "ประกาศจากสำนักงานเขตพื้นที่การศึกษา" in to_c.plain_text
    assert len(people["h"].inbox) == 1
    assert people["a"].inbox == []


async def test_announce_to_heads_reaches_only_heads(bot: LocalBot, clock):
    people = await setup_round(bot, clock)
    officer = people["officer"]
    await officer.send_text("/announce")
    menu = await officer.expect()
    await officer.press("announce:to:heads", message_id=menu.message_id)
    await officer.expect()
    await officer.send_text("Please certify your school's report by Friday.")
    preview = await officer.expect()
    assert "1 people at 1 schools" in preview.plain_text
    await officer.press("announce:cancel", message_id=preview.message_id)
    cancelled = await officer.expect()
    assert "Nothing was sent" in cancelled.plain_text
    await bot.settle()
    assert people["h"].inbox == []
