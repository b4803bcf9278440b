"""Approval-lite: a head certifies the round; an officer returns an entry with a comment."""

from __future__ import annotations

from sqlalchemy import select

from bot.harness import LocalBot
from domain.values import Role
from storage.sample import OFFICE_CODE
from storage.schema import certifications, kpi_values
from tests.e2e.reporting_support import kpi_rows, registered, reply, say, tap
from tests.e2e.test_corrections import report_first_project, report_k01


async def certification_rows(bot: LocalBot) -> list:
    assert bot.database is not None
    async with bot.database.read() as repos:
        return (await repos.connection.execute(select(certifications))).all()


async def test_a_head_certifies_and_a_later_correction_is_marked(bot: LocalBot, clock):
    head = await registered(bot, 401, "CB05", Role.HEAD)
    await report_k01(bot, head, "61")
    card = await say(bot, head, "/certify")
    assert "ส่งแล้ว 1 จาก 5 รายการ" in card.plain_text
    assert "ยังขาด (4):" in card.plain_text and "รอบนี้ยังไม่ได้รับรอง" in card.plain_text
    done = await tap(bot, head, card.callback_data()[0], card)
    assert "รับรองแล้ว ✅" in done.plain_text
    [row] = await certification_rows(bot)
    assert row.certified_by_id is not None
    clock.advance(hours=2)
    history = await say(bot, head, "/history")
    await tap(bot, head, "fix:kv:1", history)
    await say(bot, head, "65")
    await say(bot, head, "นับใหม่")
    await tap(bot, head, "fix:confirm")
    history = await say(bot, head, "/history")
    assert "ฉบับที่ 2: 65%" in history.plain_text
    assert "⚠️ แก้ไขหลังการรับรอง" in history.plain_text
    card = await say(bot, head, "/certify")
    assert "แก้ไขหลังการรับรอง (1):" in card.plain_text
    assert "✅ รับรองโดย User401" in card.plain_text


async def test_a_reporter_cannot_certify_even_with_a_forged_button(bot: LocalBot):
    reporter = await registered(bot, 402, "CB05", lang="en")
    refused = await say(bot, reporter, "/certify")
    assert "for school heads" in refused.plain_text
    query_id = await reporter.press("cert:do:1", forge=True)
    await bot.settle()
    assert "for school heads" in reporter.callback_answers[query_id]["text"]
    assert await certification_rows(bot) == []


async def test_an_officer_returns_an_entry_and_the_reporter_corrects_it(bot: LocalBot):
    reporter = await registered(bot, 403, "CB05")
    await report_k01(bot, reporter, "61")
    officer = await registered(bot, 404, OFFICE_CODE, Role.OFFICER, lang="en")
    search = await say(bot, officer, "/return ชลกันยา")
    assert "โรงเรียนชลกันยานุกูล" in search.plain_text
    assert "v1: 61% — User403" in search.plain_text
    ask = await tap(bot, officer, "ret:entry:kv:1", search)
    assert "Type the comment" in ask.plain_text
    review = await say(bot, officer, "ค่านี้ไม่ตรงกับรายงาน SAR กรุณาตรวจสอบ")
    done = await tap(bot, officer, "ret:confirm", review)
    assert "Returned ↩️" in done.plain_text and "1 person(s) notified" in done.plain_text

    notice = await reply(bot, reporter)
    assert "ส่ง" in notice.plain_text and "กลับให้แก้ไข" in notice.plain_text
    assert "ค่านี้ไม่ตรงกับรายงาน SAR กรุณาตรวจสอบ" in notice.plain_text
    assert notice.callback_data() == ["fix:kv:1"]
    status = await say(bot, reporter, "/status")
    assert "ส่งกลับให้แก้ไข (1):" in status.plain_text
    correcting = await tap(bot, reporter, "fix:kv:1", notice)
    assert "ส่งกลับให้แก้ไข: ค่านี้ไม่ตรงกับรายงาน SAR" in correcting.plain_text
    await say(bot, reporter, "58")
    review = await say(bot, reporter, "แก้ตามรายงาน SAR")
    await tap(bot, reporter, "fix:confirm", review)
    status = await say(bot, reporter, "/status")
    assert "ส่งกลับให้แก้ไข" not in status.plain_text
    assert bot.database is not None
    async with bot.database.read() as repos:
        rows = (await repos.connection.execute(select(kpi_values).order_by(kpi_values.c.id))).all()
    assert [(r.version, r.return_comment is not None) for r in rows] == [(1, True), (2, False)]


async def test_an_officer_finds_a_school_by_code_and_returns_a_project_report(bot: LocalBot):
    reporter = await registered(bot, 405, "RY01", lang="en")
    await report_first_project(bot, reporter, "RY01")
    officer = await registered(bot, 406, OFFICE_CODE, Role.OFFICER, lang="en")
    ask = await say(bot, officer, "/return")
    assert "Type the school's code" in ask.plain_text
    entries = await say(bot, officer, "ry01")
    assert "In progress · 50% · THB 1,000.00" in entries.plain_text
    entry = next(d for d in entries.callback_data() if d.startswith("ret:entry:pr:"))
    await tap(bot, officer, entry, entries)
    review = await say(bot, officer, "Please attach the workshop photos")
    await tap(bot, officer, "ret:confirm", review)
    notice = await reply(bot, reporter)
    assert "returned" in notice.plain_text and notice.callback_data() == [
        f"fix:pr:{entry.rsplit(':', 1)[-1]}"
    ]


async def test_a_reporter_cannot_return_entries(bot: LocalBot):
    reporter = await registered(bot, 407, "CB05", lang="en")
    await report_k01(bot, reporter, "61")
    refused = await say(bot, reporter, "/return CB05")
    assert "district office staff only" in refused.plain_text
    query_id = await reporter.press("ret:entry:kv:1", forge=True)
    await bot.settle()
    assert "district office staff only" in reporter.callback_answers[query_id]["text"]
    assert [row[2] for row in await kpi_rows(bot)] == [1]


async def test_the_menu_offers_reporting_and_heads_get_certify(bot: LocalBot):
    reporter = await registered(bot, 408, "CB05", lang="en")
    head = await registered(bot, 409, "CB05", Role.HEAD, lang="en")
    menu = await say(bot, reporter, "/start")
    assert {"report:start", "kpi:start", "status", "history"} <= set(menu.callback_data())
    assert "certify" not in menu.callback_data()
    assert "certify" in (await say(bot, head, "/start")).callback_data()
