"""/kpi walks the school's outstanding indicators as one batch, end to end."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import update

from bot.harness import LocalBot
from storage.database import connection_of
from storage.schema import kpis
from tests.e2e.reporting_support import (
    add_previous_round,
    distinct_messages,
    draft_rows,
    evidence_rows,
    kpi_rows,
    registered,
    reply,
    say,
    tap,
)


async def test_a_thai_reporter_reports_the_whole_batch_with_one_confirm(bot: LocalBot):
    user = await registered(bot, 101, "CB05")
    first = await say(bot, user, "/kpi")
    assert "ตัวชี้วัดที่ 1 จาก 3" in first.plain_text
    assert "O-NET" in first.plain_text and "ค่าเป้าหมาย: 50%" in first.plain_text
    assert "ยังไม่มีผลของรอบก่อนหน้า" in first.plain_text
    second = await say(bot, user, "๗๒.๕")
    assert "ตัวชี้วัดที่ 2 จาก 3" in second.plain_text
    # a typed answer gets the next question below it; the old question loses its buttons
    assert second.message_id != first.message_id
    old = next(m for m in bot.emulator.chat_messages(user.id) if m.message_id == first.message_id)
    assert old.callback_data() == []
    third = await say(bot, user, "ร้อยละ 85")
    assert third.callback_data()[:5] == [f"kpi:v:3:{n}" for n in range(1, 6)]
    review = await tap(bot, user, "kpi:v:3:4", third)
    assert review.message_id == third.message_id  # a button edits in place
    assert "ตรวจสอบก่อนบันทึก" in review.plain_text
    assert "72.5%" in review.plain_text and "85%" in review.plain_text
    assert "ระดับ 4" in review.plain_text
    assert await kpi_rows(bot) == []  # nothing is stored before the confirm
    saved = await tap(bot, user, "kpi:confirm", review)
    assert saved.message_id == review.message_id
    assert "บันทึกแล้ว ✅ ผลตัวชี้วัด 3 รายการ" in saved.plain_text
    assert await kpi_rows(bot) == [
        ("K01", Decimal("72.5"), 1, None, None),
        ("K02", Decimal(85), 1, None, None),
        ("K03", Decimal(4), 1, None, None),
    ]
    assert await draft_rows(bot) == []
    # projects are still owed: the next outstanding item is offered
    assert "report:start" in saved.callback_data()


async def seed_kpis(bot: LocalBot, school: str, specs: list[tuple[str, str, str]]) -> None:
    """More each-round KPIs (code, value type, target) with targets for one school."""
    assert bot.database is not None
    now = bot.clock()
    async with bot.database.transaction() as repos:
        found = await repos.schools.by_code(school)
        round_ = await repos.plan.current_round(now)
        assert found is not None and round_ is not None
        for order, (code, value_type, target) in enumerate(specs, start=10):
            kpi_id = await repos.plan.create_kpi(
                code=code,
                name_th=f"ตัวชี้วัดทดสอบ {code}",
                name_en=f"Test indicator {code}",
                unit_th="หน่วย",
                unit_en="unit",
                value_type=value_type,
                sort_order=order,
                now=now,
            )
            await repos.plan.set_target(
                school_id=found.id,
                kpi_id=kpi_id,
                fiscal_year=round_.fiscal_year,
                value=Decimal(target),
                now=now,
            )


TEN_MORE = [
    ("T01", "number", "1200"),
    ("T02", "count", "150"),
    ("T03", "yes_no", "1"),
    ("T04", "percent", "70"),
    ("T05", "level", "3"),
    ("T06", "number", "40"),
    ("T07", "count", "12"),
]


# what the person answers, by a word of the question: typed text, or the button's value
TEN_ANSWERS = {
    "O-NET": ("type", "61.5"),
    "STEM": ("type", "80%"),
    "learner quality": ("press", "4"),
    "T01": ("type", "1,250"),
    "T02": ("type", "140"),
    "T03": ("press", "1"),
    "T04": ("type", "72"),
    "T05": ("press", "3"),
    "T06": ("type", "38"),
    "T07": ("type", "12"),
}


async def test_ten_kpis_take_at_most_about_twelve_bot_messages(bot: LocalBot):
    await seed_kpis(bot, "CB05", TEN_MORE)  # with K01–K03: ten KPIs owed
    user = await registered(bot, 102, "CB05", lang="en")
    before = len(user.inbox)
    message = await say(bot, user, "/kpi")
    assert "indicator 1 of 10" in message.plain_text
    for _ in range(10):
        how, answer = next(a for word, a in TEN_ANSWERS.items() if word in message.plain_text)
        if how == "type":
            message = await say(bot, user, answer)
        else:
            button = next(d for d in message.callback_data() if d.startswith("kpi:v:"))
            message = await tap(bot, user, f"{button.rsplit(':', 1)[0]}:{answer}", message)
    assert "10 of 10 indicators answered" in message.plain_text
    saved = await tap(bot, user, "kpi:confirm", message)
    assert "Saved ✅ 10 indicator value(s)" in saved.plain_text
    assert len(await kpi_rows(bot)) == 10
    # the first question and one message per typed answer (eight here); buttons and
    # the confirm edit in place, so even ten typed answers stay within twelve
    assert distinct_messages(user, after=before) <= 12


@pytest.mark.parametrize(
    ("typed", "explained"),
    [
        ("ห้าสิบ", "ไม่ใช่ตัวเลข"),
        ("120%", "ร้อยละต้องไม่เกิน 100"),
        ("-3", "ร้อยละต้องไม่ติดลบ"),
        ("12,34", "ไม่ใช่ตัวเลข"),
    ],
)
async def test_a_hard_error_explains_the_form_and_asks_the_same_question(
    bot: LocalBot, typed: str, explained: str
):
    user = await registered(bot, 103, "CB05")
    first = await say(bot, user, "/kpi")
    answer = await say(bot, user, typed)
    assert explained in answer.plain_text
    assert "เช่น" in answer.plain_text  # an example of the expected form
    assert "ตัวชี้วัดที่ 1 จาก 3" in answer.plain_text and "O-NET" in answer.plain_text
    assert first.message_id != answer.message_id
    drafts = await draft_rows(bot)
    assert drafts[0]["answers"]["values"] == {}  # nothing kept, not even in the draft
    assert await kpi_rows(bot) == []


async def test_a_count_with_decimals_and_a_percent_sign_are_refused_in_english(bot: LocalBot):
    await seed_kpis(bot, "CB05", [("T02", "count", "150")])
    user = await registered(bot, 104, "CB05", lang="en")
    await say(bot, user, "/kpi")
    for _ in range(3):
        await tap(bot, user, "kpi:skip")
    wrong = await say(bot, user, "12.5")
    assert "A count must be a whole number" in wrong.plain_text
    wrong = await say(bot, user, "12%")
    assert "not reported as a percentage" in wrong.plain_text
    assert "T02" in wrong.plain_text
    review = await say(bot, user, "120")
    assert "1 of 4 indicators answered" in review.plain_text
    assert await kpi_rows(bot) == []


async def test_a_value_far_from_last_rounds_is_confirmed_with_a_note(bot: LocalBot):
    await add_previous_round(bot, school="CB05", kpi_values_by_code={"K01": "20"})
    user = await registered(bot, 105, "CB05")
    first = await say(bot, user, "/kpi")
    assert "ผลรอบที่แล้ว: 20%" in first.plain_text
    check = await say(bot, user, "72.5")
    assert "72.5% แตกต่างจากรอบที่แล้ว (20%)" in check.plain_text
    assert "kpi:change" in check.callback_data()
    following = await say(bot, user, "ปีนี้จัดติวเข้มทุกวันเสาร์")
    assert "ตัวชี้วัดที่ 2 จาก 3" in following.plain_text
    await tap(bot, user, "kpi:skip")
    review = await tap(bot, user, "kpi:skip")
    assert "หมายเหตุ: ปีนี้จัดติวเข้มทุกวันเสาร์" in review.plain_text
    await tap(bot, user, "kpi:confirm", review)
    stored = await kpi_rows(bot)
    assert stored[-1] == ("K01", Decimal("72.5"), 1, "ปีนี้จัดติวเข้มทุกวันเสาร์", None)
    assert len(stored) == 2  # last round's value and this one


async def test_a_value_over_twice_the_target_can_be_changed_instead(bot: LocalBot):
    await seed_kpis(bot, "CB05", [("T01", "number", "1200")])
    user = await registered(bot, 106, "CB05", lang="en")
    await say(bot, user, "/kpi")
    for _ in range(3):
        await tap(bot, user, "kpi:skip")
    check = await say(bot, user, "3,000")
    assert "more than twice the target" in check.plain_text
    again = await tap(bot, user, "kpi:change", check)
    assert "T01" in again.plain_text and "Type a number" in again.plain_text
    review = await say(bot, user, "1,300")
    assert "1,300" in review.plain_text and "Check before saving" in review.plain_text


async def test_back_skip_edit_and_note_from_the_review_card(bot: LocalBot):
    user = await registered(bot, 107, "CB05", lang="en")
    await say(bot, user, "/kpi")
    second = await say(bot, user, "55")
    back = await tap(bot, user, "kpi:back", second)
    assert "indicator 1 of 3" in back.plain_text and "Your answer so far: 55%" in back.plain_text
    await tap(bot, user, "kpi:skip", back)
    third = await tap(bot, user, "kpi:skip")  # K02 left unanswered
    review = await tap(bot, user, "kpi:v:3:5", third)
    assert "skipped — not saved this time" in review.plain_text
    asked = await tap(bot, user, "kpi:edit:2", review)
    assert "indicator 2 of 3" in asked.plain_text
    review = await say(bot, user, "90")
    assert "3 of 3 indicators answered" in review.plain_text
    note = await tap(bot, user, "kpi:note:3", review)
    assert "Type a note" in note.plain_text
    review = await say(bot, user, "Assessed by the school's <quality> committee")
    assert "Note: Assessed by the school's <quality> committee" in review.plain_text
    assert "&lt;quality&gt;" in review.text  # what the person typed is escaped
    saved = await tap(bot, user, "kpi:confirm", review)
    assert "Saved ✅ 3" in saved.plain_text
    assert await kpi_rows(bot) == [
        ("K01", Decimal(55), 1, None, None),
        ("K02", Decimal(90), 1, None, None),
        ("K03", Decimal(5), 1, "Assessed by the school's <quality> committee", None),
    ]


async def test_a_photo_sent_at_a_question_is_kept_as_that_kpis_evidence(bot: LocalBot):
    user = await registered(bot, 108, "CB05", lang="en")
    await say(bot, user, "/kpi")
    await user.send_photo(b"\x89PNG\r\n\x1a\n" + bytes(64))
    attached = await reply(bot, user)
    assert "1 evidence file(s) attached" in attached.plain_text
    assert "indicator 1 of 3" in attached.plain_text
    await say(bot, user, "66")
    await tap(bot, user, "kpi:skip")
    review = await tap(bot, user, "kpi:skip")
    await tap(bot, user, "kpi:confirm", review)
    [stored] = await evidence_rows(bot)
    values = await kpi_rows(bot)
    assert values == [("K01", Decimal(66), 1, None, None)]
    assert stored["kind"] == "photo" and stored["kpi_value_id"] == 1
    assert stored["progress_report_id"] is None and stored["telegram_file_id"]


async def test_a_forged_value_button_for_another_kpi_changes_nothing(bot: LocalBot):
    user = await registered(bot, 109, "CB05", lang="en")
    first = await say(bot, user, "/kpi")
    await user.press("kpi:v:4:1", message_id=first.message_id, forge=True)
    refused = await reply(bot, user)
    assert "not available to you" in refused.plain_text
    drafts = await draft_rows(bot)
    assert drafts[0]["answers"]["values"] == {}


async def test_a_button_on_an_old_question_is_answered_kindly(bot: LocalBot):
    user = await registered(bot, 110, "CB05", lang="en")
    first = await say(bot, user, "/kpi")
    await say(bot, user, "55")
    query_id = await user.press("kpi:skip", message_id=first.message_id, forge=True)
    await bot.settle()
    answer = user.callback_answers[query_id]
    assert "earlier message" in answer["text"] and answer.get("show_alert") is True
    drafts = await draft_rows(bot)
    assert drafts[0]["answers"]["i"] == 1  # still at the second indicator


async def test_a_sticker_mid_flow_gets_a_hint_for_the_current_question(bot: LocalBot):
    user = await registered(bot, 111, "CB05", lang="en")
    await say(bot, user, "/kpi")
    await user.send_sticker()
    hint = await reply(bot, user)
    assert "Please answer the question above" in hint.plain_text
    assert "Type a percentage from 0 to 100" in hint.plain_text
    await user.send_voice()
    assert "Please answer the question above" in (await reply(bot, user)).plain_text


async def test_cancel_mid_batch_stores_nothing_and_forgets_the_draft(bot: LocalBot):
    user = await registered(bot, 112, "CB05", lang="en")
    await say(bot, user, "/kpi")
    await say(bot, user, "60")
    cancelled = await say(bot, user, "/cancel")
    assert "Nothing was saved" in cancelled.plain_text
    assert await draft_rows(bot) == [] and await kpi_rows(bot) == []
    again = await say(bot, user, "/kpi")
    assert "indicator 1 of 3" in again.plain_text  # no resume offer: nothing to resume


async def test_a_restart_resumes_at_the_same_step_with_the_answers_so_far(bot: LocalBot):
    user = await registered(bot, 113, "CB05", lang="en")
    await say(bot, user, "/kpi")
    second = await say(bot, user, "61")
    await bot.restart()
    third = await say(bot, user, "70")  # the answer to the second question, after the restart
    assert "indicator 3 of 3" in third.plain_text
    review = await tap(bot, user, "kpi:v:3:4", third)
    assert "61%" in review.plain_text and "70%" in review.plain_text
    assert second.message_id != third.message_id
    await tap(bot, user, "kpi:confirm", review)
    assert [row[:2] for row in await kpi_rows(bot)] == [
        ("K01", Decimal(61)),
        ("K02", Decimal(70)),
        ("K03", Decimal(4)),
    ]


async def test_another_command_pauses_the_flow_and_kpi_offers_to_continue(bot: LocalBot):
    user = await registered(bot, 114, "CB05", lang="en")
    await say(bot, user, "/kpi")
    await say(bot, user, "61")
    await say(bot, user, "/help")
    stray = await say(bot, user, "70")  # not taken as an answer after another command
    assert "indicator" not in stray.plain_text
    [draft] = await draft_rows(bot)
    assert draft["answers"]["values"] == {"1": "61"}
    offer = await say(bot, user, "/kpi")
    assert "Continue where you left off?" in offer.plain_text
    assert "1 of 3 answered" in offer.plain_text
    resumed = await tap(bot, user, "flow:resume:kpi", offer)
    assert resumed.message_id == offer.message_id
    assert "indicator 2 of 3" in resumed.plain_text
    third = await say(bot, user, "70")
    assert "indicator 3 of 3" in third.plain_text


async def test_a_draft_expires_after_the_configured_time(bot: LocalBot, clock):
    user = await registered(bot, 115, "CB05", lang="en")
    await say(bot, user, "/kpi")
    await say(bot, user, "61")
    clock.advance(days=3, minutes=1)
    fresh = await say(bot, user, "/kpi")
    assert "Continue where you left off?" not in fresh.plain_text
    assert "indicator 1 of 3" in fresh.plain_text


async def test_a_plan_changed_mid_batch_keeps_the_questions_and_is_checked_at_review_and_confirm(
    bot: LocalBot,
):
    """Typing a value reads the form kept in the draft; the review and the
    confirm read the plan as it is now (another process may have imported it)."""
    assert bot.database is not None
    user = await registered(bot, 120, "CB05", lang="en")
    first = await say(bot, user, "/kpi")
    assert "Target: 50%" in first.plain_text
    await say(bot, user, "61")
    now = bot.clock()
    async with bot.database.transaction() as repos:
        school = await repos.schools.by_code("CB05")
        round_ = await repos.plan.current_round(now)
        assert school is not None and round_ is not None
        o_net, stem = (await repos.plan.expected_kpis(school_id=school.id, round_=round_))[:2]
        await repos.plan.set_target(
            school_id=school.id,
            kpi_id=o_net[0].id,
            fiscal_year=round_.fiscal_year,
            value=Decimal(65),
            now=now,
        )
        connection = await connection_of(repos)
        await connection.execute(update(kpis).where(kpis.c.id == stem[0].id).values(active=False))
    third = await say(bot, user, "70")  # the second question, as the batch began
    assert "indicator 3 of 3" in third.plain_text
    review = await tap(bot, user, "kpi:v:3:4", third)
    assert "2 of 2 indicators answered" in review.plain_text
    assert "Target: 65%" in review.plain_text
    assert "70%" not in review.plain_text  # the indicator no longer expected is not offered
    await tap(bot, user, "kpi:confirm", review)
    assert [row[:2] for row in await kpi_rows(bot)] == [("K01", Decimal(61)), ("K03", Decimal(4))]


async def test_the_second_to_confirm_sees_both_values_and_theirs_is_not_stored(bot: LocalBot):
    first = await registered(bot, 116, "CB05", lang="en")
    second = await registered(bot, 117, "CB05", lang="en")
    for user, value in ((first, "61"), (second, "64")):
        await say(bot, user, "/kpi")
        await say(bot, user, value)
        await tap(bot, user, "kpi:skip")
        await tap(bot, user, "kpi:skip")
    await tap(bot, first, "kpi:confirm")
    told = await tap(bot, second, "kpi:confirm")
    assert "was reported by User116" in told.plain_text
    assert "Stored: 61% · Yours: 64%" in told.plain_text
    assert "fix:kv:1" in told.callback_data()
    assert [row[:3] for row in await kpi_rows(bot)] == [("K01", Decimal(61), 1)]


async def test_with_two_open_rounds_the_person_chooses_one(bot: LocalBot):
    assert bot.database is not None
    now = bot.clock()
    async with bot.database.transaction() as repos:
        current = await repos.plan.current_round(now)
        assert current is not None
        annual = await repos.plan.create_round(
            code="ANNUAL",
            fiscal_year=current.fiscal_year,
            name_th="รายงานประจำปี",
            name_en="Annual report",
            opens_at=current.opens_at,
            due_at=current.due_at + dt.timedelta(days=30),
            includes_progress=False,
            kpi_frequencies="each_round,annual",
            now=now,
        )
    user = await registered(bot, 118, "CB05", lang="en")
    choose = await say(bot, user, "/kpi")
    assert "More than one reporting round is open" in choose.plain_text
    assert f"kpi:round:{annual}" in choose.callback_data()
    await user.press("kpi:round:999", message_id=choose.message_id, forge=True)
    assert "not available to you" in (await reply(bot, user)).plain_text
    await tap(bot, user, f"kpi:round:{annual}", choose)
    [first] = [m for m in bot.emulator.chat_messages(user.id) if m.message_id == choose.message_id]
    assert "Annual report · indicator 1 of 4" in first.plain_text
    # /report offers only rounds that ask for project progress: no choice to make
    listing = await say(bot, user, "/report")
    assert "Quarter 2 report" in listing.plain_text and "Projects reported" in listing.plain_text
