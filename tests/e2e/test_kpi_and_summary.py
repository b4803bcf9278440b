"""Reporting one KPI value and seeing it in the officer's summary, end to end."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select

from bot.harness import LocalBot
from domain.values import Role
from emulator import SimUser
from storage.sample import OFFICE_CODE
from storage.schema import kpi_values


async def registered(
    bot: LocalBot, user_id: int, school: str, role: Role, lang: str = "th"
) -> SimUser:
    code = await bot.invite(school, role)
    user = bot.emulator.user(user_id, f"User{user_id}", language_code=lang)
    await user.send_text(f"/start {code}")
    await user.expect()
    return user


async def stored_values(bot: LocalBot) -> list[tuple[str, Decimal, int]]:
    assert bot.database is not None
    async with bot.database.read() as repos:
        rows = await repos.connection.execute(
            select(kpi_values.c.kpi_id, kpi_values.c.value, kpi_values.c.version)
        )
        kpis = {k.id: k.code for k in [await repos.plan.kpi(i) for i in (1, 2, 3, 4)] if k}
        return [(kpis[row.kpi_id], row.value, row.version) for row in rows]


async def open_first_kpi(user: SimUser):
    await user.send_text("/kpi")
    listing = await user.expect()
    await user.press(listing.callback_data()[0], message_id=listing.message_id)
    return await user.expect()


async def test_kpi_lists_only_what_the_school_owes_this_round(bot: LocalBot):
    user = await registered(bot, 31, "CB05", Role.REPORTER)
    await user.send_text("/kpi")
    listing = await user.expect()
    assert "ยังไม่ได้รายงาน 3 ตัวชี้วัด" in listing.plain_text
    assert listing.callback_data()[:3] == ["kpi:pick:1", "kpi:pick:2", "kpi:pick:3"]
    # K04 is annual and this round asks only for each-round KPIs
    assert "kpi:pick:4" not in listing.callback_data()


async def test_a_typed_value_is_saved_only_after_confirm(bot: LocalBot):
    user = await registered(bot, 32, "CB05", Role.REPORTER)
    question = await open_first_kpi(user)
    assert "O-NET" in question.plain_text
    assert "ค่าเป้าหมาย: 50%" in question.plain_text
    await user.send_text("๗๒.๕")
    review = await user.expect()
    assert "ตรวจสอบก่อนบันทึก" in review.plain_text
    assert "72.5%" in review.plain_text
    await bot.settle()
    assert await stored_values(bot) == []
    await user.press("kpi:confirm", message_id=review.message_id)
    saved = await user.expect()
    assert saved.is_edit and saved.message_id == review.message_id
    assert "บันทึกแล้ว" in saved.plain_text
    assert await stored_values(bot) == [("K01", Decimal("72.5"), 1)]


async def test_percent_over_100_is_explained_and_nothing_is_stored(bot: LocalBot):
    user = await registered(bot, 33, "CB05", Role.REPORTER, lang="en")
    await open_first_kpi(user)
    await user.send_text("120%")
    reply = await user.expect()
    assert "100" in reply.plain_text
    assert "O-NET" in reply.plain_text  # the same question is asked again
    await bot.settle()
    assert await stored_values(bot) == []
    await user.send_text("85")
    review = await user.expect()
    assert "85%" in review.plain_text


async def test_text_that_is_not_a_number_is_explained_with_an_example(bot: LocalBot):
    user = await registered(bot, 34, "CB05", Role.REPORTER)
    await open_first_kpi(user)
    await user.send_text("<script>alert('x')</script> & ห้าสิบ")
    reply = await user.expect()
    assert "<script>" in reply.plain_text or "ตัวเลข" in reply.plain_text
    assert "&lt;script&gt;" in reply.text or "<script>" not in reply.text
    await bot.settle()
    assert await stored_values(bot) == []


async def test_level_kpi_is_answered_with_buttons(bot: LocalBot):
    user = await registered(bot, 35, "CB05", Role.REPORTER, lang="en")
    await user.send_text("/kpi")
    listing = await user.expect()
    await user.press("kpi:pick:3", message_id=listing.message_id)
    question = await user.expect()
    assert [b for b in question.callback_data() if b.startswith("kpi:value:")] == [
        f"kpi:value:{level}" for level in range(1, 6)
    ]
    await user.press("kpi:value:4", message_id=question.message_id)
    review = await user.expect()
    assert "Level 4" in review.plain_text
    await user.press("kpi:confirm", message_id=review.message_id)
    await user.expect()
    assert await stored_values(bot) == [("K03", Decimal(4), 1)]


async def test_cancel_stores_nothing(bot: LocalBot):
    user = await registered(bot, 36, "CB05", Role.REPORTER, lang="en")
    await open_first_kpi(user)
    await user.send_text("60")
    await user.expect()
    await user.send_text("/cancel")
    reply = await user.expect()
    assert "Nothing was saved" in reply.plain_text
    await bot.settle()
    assert await stored_values(bot) == []


async def test_a_forged_pick_for_a_kpi_the_school_does_not_owe_is_refused(bot: LocalBot):
    user = await registered(bot, 37, "CB05", Role.REPORTER, lang="en")
    await user.send_text("/kpi")
    await user.expect()
    await user.press("kpi:pick:4", forge=True)  # annual KPI, not due this round
    reply = await user.expect()
    assert "not one your school owes" in reply.plain_text
    await bot.settle()
    assert await stored_values(bot) == []


async def test_an_open_flow_resumes_after_a_restart(bot: LocalBot):
    user = await registered(bot, 38, "CB05", Role.REPORTER, lang="en")
    await open_first_kpi(user)
    await user.send_text("61")
    review = await user.expect()
    await bot.settle()
    await bot.restart()
    await user.press("kpi:confirm", message_id=review.message_id)
    saved = await user.expect()
    assert "Saved" in saved.plain_text
    assert await stored_values(bot) == [("K01", Decimal(61), 1)]


async def test_reported_value_appears_in_the_officers_summary(bot: LocalBot):
    reporter = await registered(bot, 39, "CB05", Role.REPORTER)
    officer = await registered(bot, 40, OFFICE_CODE, Role.OFFICER, lang="en")
    await officer.send_text("/summary")
    before = await officer.expect()
    assert "Schools complete: 0 of 51" in before.plain_text
    assert "Items submitted: 0 of 153" in before.plain_text

    for kpi_id, answer in ((1, "55"), (2, "ร้อยละ 90")):
        await reporter.send_text("/kpi")
        listing = await reporter.expect()
        await reporter.press(f"kpi:pick:{kpi_id}", message_id=listing.message_id)
        await reporter.expect()
        await reporter.send_text(answer)
        review = await reporter.expect()
        await reporter.press("kpi:confirm", message_id=review.message_id)
        await reporter.expect()
    await reporter.send_text("/kpi")
    last = await reporter.expect()
    await reporter.press("kpi:value:5", message_id=last.message_id)
    review = await reporter.expect()
    await reporter.press("kpi:confirm", message_id=review.message_id)
    done = await reporter.expect()
    assert "kpi:start" not in done.callback_data()  # nothing left to offer

    await officer.send_text("/summary")
    after = await officer.expect()
    assert "Schools complete: 1 of 51" in after.plain_text
    assert "Items submitted: 3 of 153" in after.plain_text
    assert "on time 3" in after.plain_text
    assert "ชลกันยานุกูล" not in after.plain_text  # complete schools are not listed as missing
    assert "โรงเรียนแกลง" in after.plain_text
