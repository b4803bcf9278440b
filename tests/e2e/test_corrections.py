"""/status, /history and corrections: every version kept, with who, when and why."""

from __future__ import annotations

from decimal import Decimal

from bot.harness import LocalBot
from tests.e2e.reporting_support import (
    kpi_rows,
    progress_rows,
    registered,
    reply,
    say,
    school_projects,
    tap,
)


async def report_k01(bot: LocalBot, user, value: str = "61") -> None:
    await say(bot, user, "/kpi")
    await say(bot, user, value)
    await tap(bot, user, "kpi:skip")
    review = await tap(bot, user, "kpi:skip")
    await tap(bot, user, "kpi:confirm", review)


async def report_first_project(bot: LocalBot, user, school: str = "CB05") -> None:
    project = (await school_projects(bot, school))[0]
    listing = await say(bot, user, "/report")
    await tap(bot, user, f"report:pick:{project.id}", listing)
    await tap(bot, user, "report:status:in_progress")
    await tap(bot, user, "report:pct:50")
    await say(bot, user, "1,000")
    await say(bot, user, "Workshops held")
    for _ in range(3):
        await tap(bot, user, "report:skip")
    await tap(bot, user, "report:confirm")


async def test_status_lists_what_is_owed_with_the_deadline_in_buddhist_era(bot: LocalBot, clock):
    user = await registered(bot, 301, "CB05")
    await report_k01(bot, user)
    status = await say(bot, user, "/status")
    assert "กำหนดส่ง 19 ม.ค. 2570 16:30 น. — เหลืออีก 14 วัน" in status.plain_text
    assert "ยังไม่ได้รายงาน 4 รายการ" in status.plain_text
    assert "โครงการ (2):" in status.plain_text and "ตัวชี้วัด (2):" in status.plain_text
    assert "O-NET" not in status.plain_text  # reported already
    assert {"report:start", "kpi:start"} <= set(status.callback_data())
    clock.advance(days=17)
    late = await say(bot, user, "/status")
    assert "เลยกำหนดมาแล้ว 3 วัน" in late.plain_text


async def test_status_in_english_counts_days_left(bot: LocalBot):
    user = await registered(bot, 302, "RY01", lang="en")
    status = await say(bot, user, "/status")
    assert "Due 19 Jan 2027 16:30 — 14 days left" in status.plain_text
    assert "Still to report: 6 items" in status.plain_text


async def test_a_kpi_correction_adds_a_version_with_the_reason(bot: LocalBot):
    user = await registered(bot, 303, "CB05", lang="en")
    await report_k01(bot, user, "61")
    history = await say(bot, user, "/history")
    assert "v1: 61% — User303" in history.plain_text
    assert "fix:kv:1" in history.callback_data()
    ask = await tap(bot, user, "fix:kv:1", history)
    assert ask.message_id != history.message_id  # the history stays readable
    assert "Current value: 61%" in ask.plain_text
    same = await say(bot, user, "61")
    assert "same as the current value" in same.plain_text
    wrong = await say(bot, user, "161")
    assert "cannot be over 100" in wrong.plain_text
    reason = await say(bot, user, "66")
    assert "reason" in reason.plain_text
    review = await say(bot, user, "Typing mistake <b>")
    assert "61% → 66%" in review.plain_text and "Typing mistake <b>" in review.plain_text
    assert await kpi_rows(bot) == [("K01", Decimal(61), 1, None, None)]
    saved = await tap(bot, user, "fix:confirm", review)
    assert "Correction saved ✅" in saved.plain_text and "(version 2)" in saved.plain_text
    assert await kpi_rows(bot) == [
        ("K01", Decimal(61), 1, None, None),
        ("K01", Decimal(66), 2, None, "Typing mistake <b>"),
    ]
    history = await say(bot, user, "/history")
    assert "v1: 61% — User303" in history.plain_text
    assert "v2: 66% — User303" in history.plain_text
    assert "reason: Typing mistake <b>" in history.plain_text
    assert "&lt;b&gt;" in history.text


async def test_a_progress_correction_changes_one_field_and_keeps_the_rest(bot: LocalBot):
    user = await registered(bot, 304, "CB05")
    await report_first_project(bot, user)
    history = await say(bot, user, "/history")
    entry = next(d for d in history.callback_data() if d.startswith("fix:pr:"))
    which = await tap(bot, user, entry, history)
    assert "ต้องการแก้ไขหัวข้อใด" in which.plain_text
    asked = await tap(bot, user, "fix:field:spent", which)
    assert "ค่าปัจจุบัน: 1,000.00 บาท" in asked.plain_text
    negative = await say(bot, user, "-200")
    assert "จำนวนเงินต้องไม่ติดลบ" in negative.plain_text
    await say(bot, user, "1,500")
    review = await say(bot, user, "ลืมรวมค่าอาหารว่าง")
    assert "1,000.00 บาท → 1,500.00 บาท" in review.plain_text
    await tap(bot, user, "fix:confirm", review)
    first, second = await progress_rows(bot)
    assert (second["version"], second["budget_spent"], second["reason"]) == (
        2,
        Decimal(1500),
        "ลืมรวมค่าอาหารว่าง",
    )
    assert (second["percent_complete"], second["outputs"]) == (
        first["percent_complete"],
        first["outputs"],
    )


async def test_a_forged_correction_of_another_schools_entry_is_refused(bot: LocalBot):
    other = await registered(bot, 305, "RY01", lang="en")
    await report_k01(bot, other, "70")
    user = await registered(bot, 306, "CB05", lang="en")
    await say(bot, user, "/history")
    await user.press("fix:kv:1", forge=True)
    refused = await reply(bot, user)
    assert "not one of your school's" in refused.plain_text
    await user.press("fix:pr:1", forge=True)
    assert "not one of your school's" in (await reply(bot, user)).plain_text
    assert await kpi_rows(bot) == [("K01", Decimal(70), 1, None, None)]


async def test_two_corrections_at_once_the_second_sees_both(bot: LocalBot):
    first = await registered(bot, 307, "CB05", lang="en")
    second = await registered(bot, 308, "CB05", lang="en")
    await report_k01(bot, first, "61")
    for user, value in ((first, "62"), (second, "63")):
        history = await say(bot, user, "/history")
        await tap(bot, user, "fix:kv:1", history)
        await say(bot, user, value)
        await say(bot, user, "Recounted")
    await tap(bot, first, "fix:confirm")
    told = await tap(bot, second, "fix:confirm")
    assert "was changed by User307" in told.plain_text
    assert "Stored now: 62% · Yours: 63%" in told.plain_text
    assert [row[1:3] for row in await kpi_rows(bot)] == [(Decimal(61), 1), (Decimal(62), 2)]
