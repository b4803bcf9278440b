"""Officers invite in chat (QR image); administrators manage people — through the emulator."""

from __future__ import annotations

import io

import zxingcpp
from PIL import Image

from bot.harness import LocalBot
from domain.values import Role
from emulator import SimUser
from storage.sample import OFFICE_CODE


async def member(bot: LocalBot, user_id: int, school: str, role: Role, lang: str = "th") -> SimUser:
    code = await bot.invite(school, role)
    user = bot.emulator.user(user_id, f"User{user_id}", language_code=lang)
    await user.send_text(f"/start {code}")
    await user.expect()
    return user


async def person_id(bot: LocalBot, telegram_user_id: int) -> int:
    assert bot.database is not None
    async with bot.database.read() as repos:
        person = await repos.people.by_telegram_id(telegram_user_id)
    assert person is not None
    return person.id


async def test_an_officer_invites_a_reporter_and_the_qr_image_registers_the_person(bot: LocalBot):
    officer = await member(bot, 401, OFFICE_CODE, Role.OFFICER)
    await officer.send_text("/invite")
    units = await officer.expect()
    assert "หน้า 1/6" in units.plain_text
    assert units.button_texts()[0].startswith("🏢 สำนักงานเขตพื้นที่การศึกษา")
    await officer.press("inv:page:1", message_id=units.message_id)
    second = await officer.expect()
    assert "หน้า 2/6" in second.plain_text and second.button_texts()[0].startswith("CB10 ")
    await officer.press("inv:page:0", message_id=second.message_id)
    page = await officer.expect()
    school_button = next(b for b in page.buttons for b in b if b.text.startswith("CB05 "))
    await officer.press(school_button.callback_data, message_id=page.message_id)
    roles = await officer.expect()
    assert "โรงเรียนชลกันยานุกูล" in roles.plain_text
    assert roles.button_texts()[:2] == ["ครูผู้รับผิดชอบ", "ผู้บริหารสถานศึกษา"]
    await officer.press(roles.callback_data()[0], message_id=roles.message_id)
    edited = await officer.expect()
    assert edited.is_edit and "สร้างรหัสเชิญสำหรับ โรงเรียนชลกันยานุกูล แล้ว" in edited.plain_text
    photo = await officer.expect()
    assert photo.kind == "photo"
    (link,) = [
        code.text for code in zxingcpp.read_barcodes(Image.open(io.BytesIO(photo.photo_bytes)))
    ]
    assert link.startswith("https://t.me/tidtam_demo_bot?start=")
    assert link in photo.plain_text
    assert "ใช้ได้ 1 คน ถึง 19 ม.ค. 2570" in photo.plain_text

    newcomer = bot.emulator.user(402, "มานะ", language_code="th")
    await newcomer.send_text(f"/start {link.rsplit('=', 1)[1]}")
    welcome = await newcomer.expect()
    assert "ลงทะเบียนเรียบร้อยแล้ว" in welcome.plain_text
    assert "โรงเรียนชลกันยานุกูล" in welcome.plain_text


async def test_only_an_admin_may_invite_an_admin_and_staff_cannot_invite(bot: LocalBot):
    officer = await member(bot, 403, OFFICE_CODE, Role.OFFICER, lang="en")
    admin = await member(bot, 404, OFFICE_CODE, Role.ADMIN, lang="en")
    reporter = await member(bot, 405, "CB01", Role.REPORTER, lang="en")
    await officer.send_text(f"/invite {OFFICE_CODE}")
    assert (await officer.expect()).button_texts()[:-1] == ["Monitoring and evaluation officer"]
    await officer.press("inv:role:1:admin", forge=True)
    refused = await officer.expect()
    assert "Only administrators can invite with this role." in refused.plain_text
    await admin.send_text(f"/invite {OFFICE_CODE}")
    assert (await admin.expect()).button_texts()[:-1] == [
        "Monitoring and evaluation officer",
        "Administrator",
    ]
    await reporter.send_text("/invite")
    assert "for district office staff only" in (await reporter.expect()).plain_text


async def test_an_admin_deactivates_a_reporter_who_then_only_reads_a_polite_refusal(bot: LocalBot):
    admin = await member(bot, 406, OFFICE_CODE, Role.ADMIN)
    reporter = await member(bot, 407, "CB05", Role.REPORTER)
    reporter_id = await person_id(bot, 407)
    await admin.send_text("/people")
    menu = await admin.expect()
    assert menu.callback_data() == ["ppl:units:0", "ppl:notjoined"]
    school_id = await _school_id(bot, "CB05")
    await admin.press(f"ppl:unit:{school_id}", forge=True)
    listing = await admin.expect()
    assert "บุคลากร 1 คน" in listing.plain_text
    await admin.press(f"ppl:person:{reporter_id}", message_id=listing.message_id)
    card = await admin.expect()
    assert "สถานะ: ใช้งาน" in card.plain_text
    assert card.callback_data()[:2] == [f"ppl:deact:{reporter_id}", f"ppl:role:{reporter_id}:head"]
    await admin.press(f"ppl:deact:{reporter_id}", message_id=card.message_id)
    confirm = await admin.expect()
    assert "ยืนยันการระงับการใช้งาน" in confirm.plain_text
    await admin.press(f"ppl:deact_ok:{reporter_id}", message_id=confirm.message_id)
    done = await admin.expect()
    assert "ระงับการใช้งานของ User407 แล้ว" in done.plain_text
    assert "สถานะ: ระงับการใช้งาน" in done.plain_text

    for text in ("/start", "/kpi", "/invite"):
        await reporter.send_text(text)
        refusal = await reporter.expect()
        assert "บัญชีของคุณถูกระงับการใช้งาน" in refusal.plain_text

    await admin.press(f"ppl:react:{reporter_id}", message_id=done.message_id)
    back = await admin.expect()
    assert "เปิดการใช้งานของ User407 อีกครั้งแล้ว" in back.plain_text
    await reporter.send_text("/start")
    assert "เลือกสิ่งที่ต้องการทำ" in (await reporter.expect()).plain_text


async def test_an_admin_changes_a_role_but_never_their_own_account(bot: LocalBot):
    admin = await member(bot, 408, OFFICE_CODE, Role.ADMIN, lang="en")
    await member(bot, 409, "CB05", Role.REPORTER)
    reporter_id, admin_id = await person_id(bot, 409), await person_id(bot, 408)
    await admin.press(f"ppl:role:{reporter_id}:head", forge=True)
    changed = await admin.expect()
    assert "User409 is now School head." in changed.plain_text
    assert bot.database is not None
    async with bot.database.read() as repos:
        assert (await repos.people.get(reporter_id)).role is Role.HEAD
    await admin.press(f"ppl:person:{admin_id}", forge=True)
    own = await admin.expect()
    assert own.callback_data() == [f"ppl:unit:{await _school_id(bot, OFFICE_CODE)}"]
    await admin.press(f"ppl:deact_ok:{admin_id}", forge=True)
    refused = await admin.expect()
    assert "You cannot change your own account" in refused.plain_text


async def test_not_joined_lists_schools_without_anyone_and_officers_cannot_manage(bot: LocalBot):
    admin = await member(bot, 410, OFFICE_CODE, Role.ADMIN, lang="en")
    await member(bot, 411, "CB05", Role.REPORTER)
    officer = await member(bot, 412, OFFICE_CODE, Role.OFFICER, lang="en")
    await admin.send_text("/people")
    menu = await admin.expect()
    await admin.press("ppl:notjoined", message_id=menu.message_id)
    waiting = await admin.expect()
    assert "Schools where nobody has joined yet (50)" in waiting.plain_text
    assert "CB01" in waiting.plain_text and "CB05" not in waiting.plain_text
    assert "…and 10 more" in waiting.plain_text
    await officer.send_text("/people")
    assert "Only administrators can manage people." in (await officer.expect()).plain_text


async def test_menus_and_command_lists_show_the_new_commands_by_role(bot: LocalBot):
    admin = await member(bot, 413, OFFICE_CODE, Role.ADMIN, lang="en")
    officer = await member(bot, 414, OFFICE_CODE, Role.OFFICER, lang="en")
    await admin.send_text("/start")
    assert {"inv:start", "ppl:start", "planimport:start"} <= set(
        (await admin.expect()).callback_data()
    )
    await officer.send_text("/start")
    officer_menu = set((await officer.expect()).callback_data())
    assert "inv:start" in officer_menu and "ppl:start" not in officer_menu
    await bot.settle()
    scoped = [
        r.params
        for r in bot.emulator.requests
        if r.method == "setMyCommands" and r.params["scope"].get("type") == "chat"
    ]
    commands = {str(p["scope"]["chat_id"]): str(p["commands"]) for p in scoped}
    assert "people" in commands["413"] and "import" in commands["413"]
    assert "invite" in commands["414"] and "people" not in commands["414"]


async def _school_id(bot: LocalBot, code: str) -> int:
    assert bot.database is not None
    async with bot.database.read() as repos:
        school = await repos.schools.by_code(code)
    assert school is not None
    return school.id
