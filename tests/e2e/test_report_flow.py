"""/report: a project's progress, step by step, through the Bot API emulator."""

from __future__ import annotations

from decimal import Decimal

import pytest

from bot.harness import LocalBot
from domain.values import Role
from tests.e2e.reporting_support import (
    add_previous_round,
    draft_rows,
    evidence_rows,
    progress_rows,
    registered,
    reply,
    say,
    school_projects,
    tap,
)

PLC = "โครงการพัฒนาครูสู่ครูมืออาชีพด้วยชุมชนการเรียนรู้ทางวิชาชีพ (PLC)"


async def first_project_id(bot: LocalBot, school: str = "CB05") -> int:
    return (await school_projects(bot, school))[0].id


async def test_a_thai_reporter_reports_a_project_end_to_end(bot: LocalBot):
    user = await registered(bot, 201, "CB05")
    project_id = await first_project_id(bot)
    listing = await say(bot, user, "/report")
    assert "รายงานโครงการแล้ว 0 จาก 2 โครงการ" in listing.plain_text
    assert f"⬜ {PLC}" in listing.plain_text
    assert f"report:pick:{project_id}" in listing.callback_data()
    status = await tap(bot, user, f"report:pick:{project_id}", listing)
    assert status.message_id == listing.message_id
    assert "ขั้นที่ 1 จาก 7" in status.plain_text and "สถานะ" in status.plain_text
    percent = await tap(bot, user, "report:status:in_progress", status)
    assert [d for d in percent.callback_data() if d.startswith("report:pct:")] == [
        f"report:pct:{n}" for n in (0, 25, 50, 75, 100)
    ]
    spent = await tap(bot, user, "report:pct:50", percent)
    assert "ได้รับจัดสรร 45,000.00 บาท" in spent.plain_text
    outputs = await say(bot, user, "๑๒,๕๐๐ บาท")
    assert "ผลผลิตและผลลัพธ์" in outputs.plain_text
    problems = await say(bot, user, "จัดอบรม PLC แล้ว 3 ครั้ง ครูเข้าร่วม 45 คน")
    await tap(bot, user, "report:skip", problems)
    evidence = await say(bot, user, "ควรจัดต่อเนื่องทุกภาคเรียน")
    assert "หลักฐาน" in evidence.plain_text
    await user.send_document("รายงานกิจกรรม.pdf", b"%PDF-1.4 test", "application/pdf")
    attached = await reply(bot, user)
    assert "แนบแล้ว: รายงานกิจกรรม.pdf" in attached.plain_text
    review = await tap(bot, user, "report:skip", attached)
    assert "ตรวจสอบก่อนบันทึก" in review.plain_text
    for shown in (
        "สถานะ: อยู่ระหว่างดำเนินการ",
        "ความก้าวหน้า: 50%",
        "งบประมาณที่ใช้: 12,500.00 บาท จาก 45,000.00 บาท",
        "ผลผลิตและผลลัพธ์: จัดอบรม PLC แล้ว 3 ครั้ง ครูเข้าร่วม 45 คน",
        "ปัญหาอุปสรรค: —",
        "ข้อเสนอแนะ: ควรจัดต่อเนื่องทุกภาคเรียน",
    ):
        assert shown in review.plain_text
    assert {f"report:edit:{f}" for f in ("status", "percent", "spent", "outputs")} <= set(
        review.callback_data()
    )
    assert await progress_rows(bot) == []  # nothing before the confirm
    saved = await tap(bot, user, "report:confirm", review)
    assert "บันทึกแล้ว ✅" in saved.plain_text and "ไฟล์หลักฐาน: 1 ไฟล์" in saved.plain_text
    [row] = await progress_rows(bot)
    assert (row["project_id"], row["version"], row["status"]) == (project_id, 1, "in_progress")
    assert (row["percent_complete"], row["budget_spent"]) == (Decimal(50), Decimal(12500))
    assert row["problems"] is None and row["suggestions"] == "ควรจัดต่อเนื่องทุกภาคเรียน"
    [file] = await evidence_rows(bot)
    assert (file["kind"], file["file_name"], file["progress_report_id"]) == (
        "document",
        "รายงานกิจกรรม.pdf",
        row["id"],
    )
    # the next outstanding project is offered directly
    second = (await school_projects(bot, "CB05"))[1]
    assert any(d.endswith(f":{second.id}") for d in saved.callback_data())
    assert await draft_rows(bot) == []


async def test_an_english_reporter_types_every_answer(bot: LocalBot):
    user = await registered(bot, 202, "RY01", lang="en")
    project_id = await first_project_id(bot, "RY01")
    listing = await say(bot, user, "/report")
    assert "Projects reported: 0 of 3" in listing.plain_text
    await tap(bot, user, f"report:pick:{project_id}", listing)
    await tap(bot, user, "report:status:completed")
    await say(bot, user, "ร้อยละ ๑๐๐")
    await say(bot, user, "฿24,000.50")
    await say(bot, user, "Integrity camp for 300 students")
    await say(bot, user, "Rain postponed one day")
    await say(bot, user, "Involve parents")
    review = await tap(bot, user, "report:skip")
    assert "Progress: 100%" in review.plain_text
    assert "Budget spent: THB 24,000.50 of THB 25,000.00" in review.plain_text
    assert "Problems and obstacles: Rain postponed one day" in review.plain_text
    saved = await tap(bot, user, "report:confirm", review)
    assert "Saved ✅" in saved.plain_text
    [row] = await progress_rows(bot)
    assert row["budget_spent"] == Decimal("24000.50") and row["status"] == "completed"


async def start_project(bot: LocalBot, user, school: str = "CB05"):
    project_id = await first_project_id(bot, school)
    listing = await say(bot, user, "/report")
    await tap(bot, user, f"report:pick:{project_id}", listing)
    return await tap(bot, user, "report:status:in_progress")


@pytest.mark.parametrize(
    ("step_answers", "typed", "explained"),
    [
        ([], "150", "A percentage cannot be over 100"),
        ([], "half", "is not a number I can read"),
        (["40"], "-500", "An amount of money cannot be negative"),
        (["40"], "30%", "not as a percentage"),
        (["40", "1000"], "ก" * 1001, "more than can be saved (1000 characters)"),
    ],
)
async def test_hard_errors_in_a_progress_report_keep_the_question_and_store_nothing(
    bot: LocalBot, step_answers: list[str], typed: str, explained: str
):
    user = await registered(bot, 203, "CB05", lang="en")
    question = await start_project(bot, user)
    for answer in step_answers:
        question = await say(bot, user, answer)
    step = question.plain_text.split("\n")[1]  # "… · step n of 7"
    wrong = await say(bot, user, typed)
    assert explained in wrong.plain_text
    assert step in wrong.plain_text  # the same question again
    assert await progress_rows(bot) == []
    [draft] = await draft_rows(bot)
    assert typed not in str(draft["answers"])


async def test_spending_over_the_allocation_is_confirmed_with_a_note(bot: LocalBot):
    user = await registered(bot, 204, "CB05", lang="en")
    await start_project(bot, user)
    await say(bot, user, "60")
    check = await say(bot, user, "50,000")
    assert "more than the budget allocated (THB 45,000.00)" in check.plain_text
    outputs = await say(bot, user, "Extra funds from the parents' association")
    assert "outputs and results so far" in outputs.plain_text
    await say(bot, user, "Two workshops")
    await say(bot, user, "Late delivery of materials")
    await tap(bot, user, "report:skip")
    review = await tap(bot, user, "report:skip")
    assert "Note on unusual values: Extra funds from the parents' association" in review.plain_text
    await tap(bot, user, "report:confirm", review)
    [row] = await progress_rows(bot)
    assert row["problems"] == (
        "Extra funds from the parents' association\n\nLate delivery of materials"
    )


async def test_progress_lower_than_last_rounds_is_questioned(bot: LocalBot):
    projects = await school_projects(bot, "CB05")
    await add_previous_round(
        bot, school="CB05", kpi_values_by_code={}, project_percent={projects[0].code: "70"}
    )
    user = await registered(bot, 205, "CB05")
    status = await start_project(bot, user)
    assert "รอบที่แล้ว: อยู่ระหว่างดำเนินการ · 70%" in status.plain_text
    check = await say(bot, user, "40")
    assert "ความก้าวหน้า 40%" in check.plain_text and "(70%)" in check.plain_text
    again = await tap(bot, user, "report:change", check)
    assert "ร้อยละเท่าใด" in again.plain_text
    spent = await say(bot, user, "75")
    assert "งบประมาณ" in spent.plain_text


async def test_a_field_edited_from_the_review_card_returns_to_the_card(bot: LocalBot):
    user = await registered(bot, 206, "CB05", lang="en")
    await start_project(bot, user)
    await tap(bot, user, "report:pct:25")
    await say(bot, user, "1000")
    await say(bot, user, "Kick-off meeting")
    await tap(bot, user, "report:skip")
    await tap(bot, user, "report:skip")
    review = await tap(bot, user, "report:skip")
    asked = await tap(bot, user, "report:edit:percent", review)
    assert "percent complete" in asked.plain_text and "report:review" in asked.callback_data()
    review = await tap(bot, user, "report:pct:75", asked)
    assert "Progress: 75%" in review.plain_text and "Check before saving" in review.plain_text


async def test_a_report_resumes_after_a_restart_with_the_answers_so_far(bot: LocalBot):
    user = await registered(bot, 207, "CB05", lang="en")
    await start_project(bot, user)
    await tap(bot, user, "report:pct:50")
    outputs = await say(bot, user, "2,000")
    await bot.restart()
    problems = await say(bot, user, "Training done")  # answers the outputs question
    assert "problems or obstacles" in problems.plain_text
    assert outputs.message_id != problems.message_id
    await tap(bot, user, "report:skip")
    await tap(bot, user, "report:skip")
    review = await tap(bot, user, "report:skip")
    assert "Progress: 50%" in review.plain_text and "THB 2,000.00" in review.plain_text
    assert "Outputs and results: Training done" in review.plain_text


async def test_report_after_another_command_offers_to_continue(bot: LocalBot):
    user = await registered(bot, 208, "CB05", lang="en")
    await start_project(bot, user)
    await tap(bot, user, "report:pct:50")
    status = await say(bot, user, "/status")
    assert "You have unfinished work you can continue" in status.plain_text
    assert "flow:resume:report" in status.callback_data()
    resumed = await tap(bot, user, "flow:resume:report", status)
    assert "Budget spent" in resumed.plain_text or "spent to date" in resumed.plain_text


async def test_a_forged_pick_of_another_schools_project_is_refused(bot: LocalBot):
    user = await registered(bot, 209, "CB05", lang="en")
    other = await first_project_id(bot, "RY01")
    listing = await say(bot, user, "/report")
    await user.press(f"report:pick:{other}", message_id=listing.message_id, forge=True)
    refused = await reply(bot, user)
    assert "not one your school reports" in refused.plain_text
    await user.press(f"report:go:1:{other}", forge=True)
    refused = await reply(bot, user)
    assert "not one your school reports" in refused.plain_text
    assert await progress_rows(bot) == []


async def test_two_staff_reporting_one_project_see_both_reports(bot: LocalBot):
    first = await registered(bot, 210, "CB05", lang="en")
    second = await registered(bot, 211, "CB05", Role.HEAD, lang="en")
    for user, percent in ((first, "report:pct:50"), (second, "report:pct:75")):
        await start_project(bot, user)
        await tap(bot, user, percent)
        await say(bot, user, "1000")
        await say(bot, user, "Done")
        await tap(bot, user, "report:skip")
        await tap(bot, user, "report:skip")
        await tap(bot, user, "report:skip")
    await tap(bot, first, "report:confirm")
    told = await tap(bot, second, "report:confirm")
    assert "was saved by User210" in told.plain_text
    assert "Stored: In progress · 50%" in told.plain_text
    assert "Yours: In progress · 75%" in told.plain_text
    assert [row["percent_complete"] for row in await progress_rows(bot)] == [Decimal(50)]


async def test_a_colleagues_draft_is_marked_on_the_project_list(bot: LocalBot):
    first = await registered(bot, 212, "CB05")
    second = await registered(bot, 213, "CB05")
    await start_project(bot, first)
    listing = await say(bot, second, "/report")
    assert f"📝 {PLC} — เพื่อนครูกำลังกรอกอยู่" in listing.plain_text


async def test_report_in_a_group_points_to_the_private_chat(bot: LocalBot):
    user = await registered(bot, 214, "CB05", lang="en")
    group = bot.emulator.group(-5001, "ครูชลกันยา")
    await group.send_text(user, "/report")
    answer = await group.expect()
    assert "private chat" in answer.plain_text
    assert await draft_rows(bot) == []


async def test_answers_at_the_stored_limit_are_kept_whole_and_the_card_fits(bot: LocalBot):
    user = await registered(bot, 215, "CB05", lang="en")
    await start_project(bot, user)
    await tap(bot, user, "report:pct:50")
    await say(bot, user, "99,000")  # over the allocation: a note is asked for
    long = {name: (name[0] + "&<") * 333 + name[0] for name in ("note", "out", "pro", "sug")}
    await say(bot, user, long["note"])
    await say(bot, user, long["out"])
    await say(bot, user, long["pro"])
    await say(bot, user, long["sug"])
    review = await tap(bot, user, "report:skip")
    assert "Check before saving" in review.plain_text
    assert len(review.plain_text) <= 4096
    await tap(bot, user, "report:confirm", review)
    [row] = await progress_rows(bot)
    assert row["outputs"] == long["out"] and len(row["outputs"]) == 1000
    assert row["problems"] == long["note"] + "\n\n" + long["pro"]
