"""Registration by invite and access rules, through the Bot API emulator."""

from __future__ import annotations

from sqlalchemy import func, select

from bot.harness import LocalBot
from domain import invite_codes
from domain.values import Role
from storage.sample import OFFICE_CODE
from storage.schema import audit_log, people


async def count_people(bot: LocalBot) -> int:
    assert bot.database is not None
    async with bot.database.read() as repos:
        return int(
            (await repos.connection.execute(select(func.count()).select_from(people))).scalar_one()
        )


async def test_unregistered_start_asks_for_the_invite_code_in_thai(bot: LocalBot):
    user = bot.emulator.user(11, "สมชาย", language_code="th")
    await user.send_text("/start")
    reply = await user.expect()
    assert "รหัสเชิญ" in reply.plain_text
    assert "สมชาย" in reply.plain_text


async def test_unregistered_start_speaks_english_to_an_english_telegram_user(bot: LocalBot):
    user = bot.emulator.user(12, "Anna", language_code="en-US")
    await user.send_text("/start")
    reply = await user.expect()
    assert "invite code" in reply.plain_text


async def test_deep_link_code_registers_the_person_to_the_school_and_role(bot: LocalBot):
    code = await bot.invite("CB05", Role.REPORTER)
    user = bot.emulator.user(13, "มานี", last_name="มีนา", language_code="th")
    await user.send_text(f"/start {code}")
    reply = await user.expect()
    assert "ลงทะเบียนเรียบร้อยแล้ว" in reply.plain_text
    assert "โรงเรียนชลกันยานุกูล" in reply.plain_text
    assert "ครูผู้รับผิดชอบ" in reply.plain_text
    assert "kpi:start" in reply.callback_data()
    assert bot.database is not None
    async with bot.database.read() as repos:
        person = await repos.people.by_telegram_id(13)
        school = await repos.schools.get(person.school_id) if person else None
        audit = (await repos.connection.execute(select(audit_log.c.action))).scalars().all()
    assert person is not None and person.role is Role.REPORTER and person.full_name == "มานี มีนา"
    assert school is not None and school.code == "CB05"
    assert "register" in audit


async def test_typed_code_with_spaces_and_lower_case_registers(bot: LocalBot):
    code = await bot.invite("RY01", Role.HEAD)
    user = bot.emulator.user(14, "Preecha", language_code="th")
    await user.send_text("/start")
    await user.expect()
    await user.send_text("  " + invite_codes.format_code(code).lower().replace("-", " ") + " ")
    reply = await user.expect()
    assert "ผู้บริหารสถานศึกษา" in reply.plain_text


async def test_registration_sets_the_persons_command_menu_in_their_language(bot: LocalBot):
    code = await bot.invite("CB05", Role.REPORTER)
    user = bot.emulator.user(15, "Ann", language_code="en")
    await user.send_text(f"/start {code}")
    await user.expect()
    await bot.settle()
    scoped = [
        request
        for request in bot.emulator.requests
        if request.method == "setMyCommands" and request.params["scope"].get("type") == "chat"
    ]
    assert scoped, "no per-chat command menu was set"
    assert "kpi" in str(scoped[-1].params["commands"])
    assert "Report indicator values" in str(scoped[-1].params["commands"])
    assert "summary" not in str(scoped[-1].params["commands"])


async def test_wrong_code_is_explained_and_registers_nobody(bot: LocalBot):
    user = bot.emulator.user(16, "สมศรี", language_code="th")
    await user.send_text("/start ZZZZ-ZZZZ-ZZZZ-ZZZZ")
    reply = await user.expect()
    assert "รหัสเชิญไม่ถูกต้อง" in reply.plain_text
    assert await count_people(bot) == 0


async def test_used_code_is_refused_for_a_second_person(bot: LocalBot):
    code = await bot.invite("CB05", Role.REPORTER)
    first = bot.emulator.user(17, "A", language_code="en")
    second = bot.emulator.user(18, "B", language_code="en")
    await first.send_text(f"/start {code}")
    await first.expect()
    await second.send_text(f"/start {code}")
    reply = await second.expect()
    assert "already been used" in reply.plain_text
    assert await count_people(bot) == 1


async def test_expired_code_is_refused_with_its_buddhist_era_expiry(bot: LocalBot, clock):
    code = await bot.invite("CB05", Role.REPORTER)
    clock.advance(days=15)
    user = bot.emulator.user(19, "สมปอง", language_code="th")
    await user.send_text(f"/start {code}")
    reply = await user.expect()
    assert "หมดอายุแล้ว" in reply.plain_text
    assert "2570" in reply.plain_text  # 19 Jan 2027 shown in the Buddhist Era
    assert await count_people(bot) == 0


async def test_repeated_wrong_codes_lock_the_person_out_even_with_a_good_code(bot: LocalBot, clock):
    code = await bot.invite("CB05", Role.REPORTER)
    user = bot.emulator.user(20, "Guess", language_code="en")
    for attempt in range(invite_codes.MAX_FAILURES):
        await user.send_text(f"WRONG{attempt:011d}")
        await user.expect()
        clock.advance(seconds=60)  # past each slowdown
    await user.send_text(f"/start {code}")
    reply = await user.expect()
    assert "Too many wrong codes" in reply.plain_text
    assert await count_people(bot) == 0


async def test_unregistered_person_cannot_use_kpi_or_summary(bot: LocalBot):
    user = bot.emulator.user(21, "Nobody", language_code="en")
    for command in ("/kpi", "/summary"):
        await user.send_text(command)
        reply = await user.expect()
        assert "not registered" in reply.plain_text
    await bot.settle()
    assert await count_people(bot) == 0


async def test_reporter_cannot_use_summary(bot: LocalBot):
    code = await bot.invite("CB05", Role.REPORTER)
    user = bot.emulator.user(22, "Rep", language_code="en")
    await user.send_text(f"/start {code}")
    await user.expect()
    await user.send_text("/summary")
    reply = await user.expect()
    assert "district office staff only" in reply.plain_text


async def test_officer_cannot_enter_kpi_values(bot: LocalBot):
    code = await bot.invite(OFFICE_CODE, Role.OFFICER)
    user = bot.emulator.user(23, "Officer", language_code="en")
    await user.send_text(f"/start {code}")
    await user.expect()
    await user.send_text("/kpi")
    reply = await user.expect()
    assert "school reporters and school heads" in reply.plain_text


async def test_language_button_switches_the_conversation_to_english(bot: LocalBot):
    code = await bot.invite("CB05", Role.REPORTER)
    user = bot.emulator.user(24, "สมใจ", language_code="th")
    await user.send_text(f"/start {code}")
    await user.expect()
    await user.send_text("/language")
    menu = await user.expect()
    await user.press("lang:set:en", message_id=menu.message_id)
    changed = await user.expect()
    assert changed.plain_text == "Language set to English."
    await user.send_text("/help")
    help_text = await user.expect()
    assert "How to use Tidtam" in help_text.plain_text
    assert bot.database is not None
    async with bot.database.read() as repos:
        person = await repos.people.by_telegram_id(24)
    assert person is not None and person.language == "en"


async def test_commands_in_a_group_point_to_the_private_chat(bot: LocalBot):
    user = bot.emulator.user(25, "Grouper", language_code="en")
    group = bot.emulator.group(-100123, "ครูโรงเรียน")
    await group.send_text(user, "/kpi")
    await bot.settle()
    assert group.inbox, "the bot said nothing in the group"
    assert "private chat" in group.inbox[-1].plain_text


async def test_a_name_with_html_characters_is_escaped_in_replies(bot: LocalBot):
    code = await bot.invite("CB06", Role.REPORTER)
    user = bot.emulator.user(26, "<b>Tom</b> & Co", language_code="en")
    await user.send_text(f"/start {code}")
    reply = await user.expect()
    assert "<b>Tom</b> & Co" in reply.plain_text
    assert "&lt;b&gt;Tom&lt;/b&gt; &amp; Co" in reply.text
    # the school's name has quotes: ชลบุรี "สุขบท"
    assert '"สุขบท"' in reply.plain_text


async def test_stickers_from_strangers_get_a_hint_not_silence(bot: LocalBot):
    user = bot.emulator.user(27, "Sticker", language_code="en")
    await user.send_sticker()
    reply = await user.expect()
    assert "invite code" in reply.plain_text


async def test_a_guesser_is_slowed_down_before_any_code_is_looked_at(bot: LocalBot, clock):
    code = await bot.invite("CB05", Role.REPORTER)
    user = bot.emulator.user(24, "Guess", language_code="th")
    await user.send_text("WRONG00000000001")
    assert "รหัสเชิญไม่ถูกต้อง" in (await user.expect()).plain_text
    await user.send_text("WRONG00000000002")
    assert "ลองใหม่อีกครั้งใน 10 วินาที" in (await user.expect()).plain_text
    clock.advance(seconds=3)
    await user.send_text(f"/start {code}")
    assert "กรุณารอ 7 วินาที" in (await user.expect()).plain_text
    assert await count_people(bot) == 0
    clock.advance(seconds=7)
    await user.send_text(f"/start {code}")
    assert "ลงทะเบียนเรียบร้อยแล้ว" in (await user.expect()).plain_text
    assert await count_people(bot) == 1
