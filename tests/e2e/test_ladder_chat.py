"""/ladder in chat: officers see a round's reminder steps with their dates and change them."""

from __future__ import annotations

from reminder_support import CONFIG, add_person, add_round, bangkok, close_sample_round, db
from sqlalchemy import select

from bot.harness import LocalBot
from domain.values import Role
from emulator import BotMessage, SimUser
from scheduler.runner import dry_run
from storage.schema import audit_log, rounds


async def setup(bot: LocalBot, clock) -> int:
    """A round opened Mon 4 Jan 2027, due Fri 29 Jan 2027 16:30; today is Tue 5 Jan."""
    await close_sample_round(bot)
    return await add_round(
        bot,
        code="LAD",
        opens_at=bangkok(2027, 1, 4, 8, 30),
        due_at=bangkok(2027, 1, 29, 16, 30),
    )


async def stored_ladder(bot: LocalBot, round_id: int) -> object:
    async with db(bot).read() as repos:
        query = select(rounds.c.reminder_ladder).where(rounds.c.id == round_id)
        return (await repos.connection.execute(query)).scalar_one()


async def ladder_audit(bot: LocalBot) -> list[tuple[object, ...]]:
    async with db(bot).read() as repos:
        query = select(
            audit_log.c.actor_person_id,
            audit_log.c.entity_id,
            audit_log.c.before,
            audit_log.c.after,
        ).where(audit_log.c.action == "set_reminder_ladder")
        return [tuple(row) for row in await repos.connection.execute(query)]


async def person_id(bot: LocalBot, user: SimUser) -> int:
    async with db(bot).read() as repos:
        person = await repos.people.by_telegram_id(user.id)
    assert person is not None
    return person.id


async def pick_round(user: SimUser, round_id: int) -> BotMessage:
    await user.send_text("/ladder")
    picker = await user.expect()
    assert f"ladder:round:{round_id}" in picker.callback_data()
    await user.press(f"ladder:round:{round_id}", message_id=picker.message_id)
    return await user.expect()


async def test_an_officer_sees_the_steps_with_their_dates_then_types_new_ones_in_english(
    bot: LocalBot, clock
):
    round_id = await setup(bot, clock)
    officer = await add_person(bot, 800, "Wanida", "SESAO-CBRY", Role.OFFICER, "en")
    await add_person(bot, 801, "Arun", "CB05", Role.REPORTER, "en")

    shown = await pick_round(officer, round_id)
    text = shown.plain_text
    assert "Reminder steps: Test round LAD" in text
    assert "Opens 4 Jan 2027 08:30 · due 29 Jan 2027 16:30" in text
    assert "Steps: open,-7,-3,-1,0,1,3,7 (the default)" in text
    assert "• When the round opens — 4 Jan 2027 08:30 (passed)" in text
    assert "• 7 day(s) before the due date — 22 Jan 2027 08:30\n" in text
    assert "• On the due day — 29 Jan 2027 08:30" in text
    # Saturday 30 Jan moves to Monday 1 Feb, the same morning as the third overdue day
    assert "• 1 day(s) overdue — 1 Feb 2027 08:30" in text
    assert "• 3 day(s) overdue — 1 Feb 2027 08:30" in text
    assert shown.callback_data() == [
        f"ladder:type:{round_id}",
        f"ladder:default:{round_id}",
        "ladder:cancel",
    ]

    await officer.press(f"ladder:type:{round_id}", message_id=shown.message_id)
    ask = await officer.expect()
    assert "Please type the new reminder steps for Test round LAD" in ask.plain_text

    await officer.send_text("open, -10, soon")
    refused = await officer.expect()
    assert "“open, -10, soon” cannot be read as reminder steps" in refused.plain_text
    assert "from -120 to 120" in refused.plain_text
    assert "For example: open,-7,-3,-1,0,1,3,7" in refused.plain_text
    assert "Nothing was changed." in refused.plain_text
    assert await stored_ladder(bot, round_id) is None

    await officer.send_text("0, -5 ,2")
    review = await officer.expect()
    assert "Check before saving" in review.plain_text
    assert "New steps: -5,0,2" in review.plain_text
    # Sunday 24 Jan moves to Monday 25 Jan; Sunday 31 Jan to Monday 1 Feb
    assert "• 5 day(s) before the due date — 25 Jan 2027 08:30" in review.plain_text
    assert "• 2 day(s) overdue — 1 Feb 2027 08:30" in review.plain_text
    assert "before the due date — 22 Jan" not in review.plain_text
    assert await stored_ladder(bot, round_id) is None  # nothing stored before confirming

    await officer.press(f"ladder:save:{round_id}", message_id=review.message_id)
    saved = await officer.expect()
    assert "Saved ✅ Reminders for Test round LAD now follow -5,0,2" in saved.plain_text
    assert saved.callback_data() == []
    assert await stored_ladder(bot, round_id) == [-5, 0, 2]
    assert await ladder_audit(bot) == [
        (await person_id(bot, officer), str(round_id), {"ladder": None}, {"ladder": [-5, 0, 2]})
    ]

    # the reminder pass follows the new steps: nothing on 22 Jan, the new step on 25 Jan
    old_step = await dry_run(db(bot), now=bangkok(2027, 1, 22, 8, 30), config=CONFIG)
    assert old_step.messages == []
    new_step = await dry_run(db(bot), now=bangkok(2027, 1, 25, 8, 30), config=CONFIG)
    assert {(m.recipient.telegram_user_id, m.step) for m in new_step.messages} == {(801, "due-5")}


async def test_a_thai_officer_goes_back_to_the_default_steps_with_buddhist_era_dates(
    bot: LocalBot, clock
):
    round_id = await setup(bot, clock)
    async with db(bot).transaction() as repos:
        await repos.reminders.set_round_ladder(round_id, ["open", -2, 0], now=clock())
    officer = await add_person(bot, 810, "วนิดา", "SESAO-CBRY", Role.ADMIN, "th")

    shown = await pick_round(officer, round_id)
    assert "ขั้นการแจ้งเตือน: รอบทดสอบ LAD" in shown.plain_text
    assert "ขั้น: open,-2,0\n" in shown.plain_text
    assert "• ก่อนกำหนดส่ง 2 วัน — 27 ม.ค. 2570 08:30 น." in shown.plain_text

    await officer.press(f"ladder:type:{round_id}", message_id=shown.message_id)
    await officer.expect()
    await officer.send_text("เปิดรอบ,-3")
    refused = await officer.expect()
    assert "อ่าน “เปิดรอบ,-3” เป็นขั้นการแจ้งเตือนไม่ได้" in refused.plain_text
    assert "ตัวอย่าง: open,-7,-3,-1,0,1,3,7" in refused.plain_text
    assert "ยังไม่มีการเปลี่ยนแปลงใด ๆ" in refused.plain_text
    assert await stored_ladder(bot, round_id) == ["open", -2, 0]

    shown = await pick_round(officer, round_id)
    await officer.press(f"ladder:default:{round_id}", message_id=shown.message_id)
    review = await officer.expect()
    assert "ตรวจสอบก่อนบันทึก" in review.plain_text
    assert "ขั้นใหม่: open,-7,-3,-1,0,1,3,7 (ค่าเริ่มต้น)" in review.plain_text
    assert "• ก่อนกำหนดส่ง 7 วัน — 22 ม.ค. 2570 08:30 น." in review.plain_text
    assert "• วันเปิดรอบ — 4 ม.ค. 2570 08:30 น. (ผ่านไปแล้ว)" in review.plain_text
    await officer.press(f"ladder:save:{round_id}", message_id=review.message_id)
    saved = await officer.expect()
    assert "บันทึกแล้ว ✅" in saved.plain_text
    assert "open,-7,-3,-1,0,1,3,7 (ค่าเริ่มต้น)" in saved.plain_text
    assert await stored_ladder(bot, round_id) is None
    assert await ladder_audit(bot) == [
        (
            await person_id(bot, officer),
            str(round_id),
            {"ladder": ["open", -2, 0]},
            {"ladder": None},
        )
    ]


async def test_cancel_leaves_the_steps_as_they_were(bot: LocalBot, clock):
    round_id = await setup(bot, clock)
    officer = await add_person(bot, 820, "Wanida", "SESAO-CBRY", Role.OFFICER, "en")
    shown = await pick_round(officer, round_id)
    await officer.press(f"ladder:default:{round_id}", message_id=shown.message_id)
    review = await officer.expect()
    await officer.press("ladder:cancel", message_id=review.message_id)
    cancelled = await officer.expect()
    assert "Cancelled. The reminder steps were not changed." in cancelled.plain_text
    assert await stored_ladder(bot, round_id) is None
    assert await ladder_audit(bot) == []


async def test_reporters_and_heads_are_refused_politely(bot: LocalBot, clock):
    round_id = await setup(bot, clock)
    reporter = await add_person(bot, 830, "ครูสมใจ", "CB05", Role.REPORTER, "th")
    head = await add_person(bot, 831, "Head", "CB05", Role.HEAD, "en")
    await reporter.send_text("/ladder")
    refusal = await reporter.expect()
    assert "คำสั่งนี้สำหรับเจ้าหน้าที่ของสำนักงานเขตพื้นที่ฯ เท่านั้น" in refusal.plain_text
    await head.send_text("/ladder")
    refusal = await head.expect()
    assert refusal.plain_text == "This command is for district office staff only."
    # a round button they were never offered changes nothing either
    await head.press(f"ladder:round:{round_id}", forge=True)
    await bot.settle()
    assert not any("Reminder steps" in message.plain_text for message in head.inbox)
    assert await stored_ladder(bot, round_id) is None


async def test_forged_round_ids_are_refused_and_change_nothing(bot: LocalBot, clock):
    round_id = await setup(bot, clock)
    other = await add_round(
        bot,
        code="OTHER",
        opens_at=bangkok(2027, 2, 1, 8, 30),
        due_at=bangkok(2027, 2, 26, 16, 30),
    )
    officer = await add_person(bot, 840, "Wanida", "SESAO-CBRY", Role.OFFICER, "en")

    await officer.send_text("/ladder")
    picker = await officer.expect()
    await officer.press("ladder:round:999999", message_id=picker.message_id, forge=True)
    gone = await officer.expect()
    assert "That round does not exist or has been closed" in gone.plain_text
    assert "Nothing was changed." in gone.plain_text

    # the confirm button re-pointed at another round (or at none) stores nothing
    for forged in (f"ladder:save:{other}", "ladder:save:999999"):
        shown = await pick_round(officer, round_id)
        await officer.press(f"ladder:type:{round_id}", message_id=shown.message_id)
        await officer.expect()
        await officer.send_text("-1,0")
        review = await officer.expect()
        await officer.press(forged, message_id=review.message_id, forge=True)
        refused = await officer.expect()
        assert "That round does not exist or has been closed" in refused.plain_text
    assert await stored_ladder(bot, round_id) is None
    assert await stored_ladder(bot, other) is None
    assert await ladder_audit(bot) == []


async def test_help_for_district_staff_lists_ladder(bot: LocalBot, clock):
    officer = await add_person(bot, 850, "วนิดา", "SESAO-CBRY", Role.OFFICER, "th")
    await officer.send_text("/help")
    help_text = await officer.expect()
    assert "/ladder ดูหรือปรับวันส่งการแจ้งเตือนของรอบการรายงาน" in help_text.plain_text
