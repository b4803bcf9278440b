"""/summary end to end: pick a round and a report, page through it, get its files."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import openpyxl
import pypdf

from bot.harness import LocalBot
from domain.values import ProjectStatus, Role
from emulator import BotMessage, SimUser
from storage.sample import OFFICE_CODE


async def registered(
    bot: LocalBot, user_id: int, school: str, role: Role, lang: str = "th"
) -> SimUser:
    code = await bot.invite(school, role)
    user = bot.emulator.user(user_id, f"User{user_id}", language_code=lang)
    await user.send_text(f"/start {code}")
    await user.expect()
    return user


async def report_values(bot: LocalBot, values: dict[str, dict[str, Decimal]]) -> None:
    """Store current KPI values through the repositories (school code → KPI code → value)."""
    assert bot.database is not None
    async with bot.database.transaction() as repos:
        round_ = await repos.plan.current_round(bot.clock())
        assert round_ is not None
        kpis = {k.code: k for k in await repos.report_data.kpis()}
        for school_code, by_kpi in values.items():
            school = await repos.schools.by_code(school_code)
            assert school is not None
            person = await repos.people.create(
                full_name=f"ครู {school_code}",
                role=Role.REPORTER,
                school_id=school.id,
                now=bot.clock(),
            )
            for kpi_code, value in by_kpi.items():
                await repos.kpi_values.add_version(
                    school_id=school.id,
                    round_id=round_.id,
                    kpi_id=kpis[kpi_code].id,
                    value=value,
                    submitted_by_id=person.id,
                    now=bot.clock() - dt.timedelta(hours=1),
                )


def button(message: BotMessage, prefix: str) -> str:
    found = [data for data in message.callback_data() if data.startswith(prefix)]
    assert found, f"no button {prefix!r} in {message.callback_data()}"
    return found[0]


async def test_officer_picks_a_round_and_the_kpi_report_and_reads_the_figures(bot: LocalBot):
    await report_values(
        bot,
        {
            "CB05": {"K01": Decimal("72.5"), "K02": Decimal(90), "K03": Decimal(5)},
            "RY01": {"K01": Decimal("41.25"), "K02": Decimal(80)},
        },
    )
    officer = await registered(bot, 601, OFFICE_CODE, Role.OFFICER, lang="en")
    await officer.send_text("/summary")
    first = await officer.expect()
    assert "Reporting completeness" in first.plain_text
    await officer.press("sum:rounds", message_id=first.message_id)
    rounds = await officer.expect()
    assert rounds.is_edit and "Choose a reporting round" in rounds.plain_text
    await officer.press(button(rounds, "sum:r:"), message_id=rounds.message_id)
    kinds = await officer.expect()
    assert "Choose a report" in kinds.plain_text
    await officer.press(button(kinds, "sum:v:achievement:"), message_id=kinds.message_id)
    shown = await officer.expect()
    text = shown.plain_text
    assert "KPI achievement" in text
    # K01: 72.5 and 41.25 → mean 56.88 (half up), min 41.25, max 72.5, one meets the target of 50
    assert "reported 2/51 · mean 56.88 · min 41.25 · max 72.5 · met 1 (50.0%)" in text
    # K02: 90 and 80 against 80 → both met
    assert "reported 2/51 · mean 85.00 · min 80 · max 90 · met 2 (100.0%)" in text
    assert [b for b in shown.callback_data() if b.startswith("sum:f:")] == [
        f"sum:f:{fmt}:achievement:{shown.callback_data()[0].rsplit(':', 1)[1]}"
        for fmt in ("xlsx", "pdf", "png")
    ]
    await bot.settle()
    assert bot.emulator.calls("sendChatAction"), "the bot shows it is working"


async def test_the_xlsx_button_sends_a_workbook_with_the_chat_figures(bot: LocalBot):
    await report_values(bot, {"CB05": {"K01": Decimal("72.5")}, "CB06": {"K01": Decimal(30)}})
    officer = await registered(bot, 602, OFFICE_CODE, Role.OFFICER)
    await officer.send_text("/summary")
    summary = await officer.expect()
    assert "รายการที่ส่งแล้ว: 2 จาก" in summary.plain_text
    await officer.press(button(summary, "sum:f:xlsx:completeness:"), message_id=summary.message_id)
    sent = await officer.expect()
    assert sent.kind == "document"
    assert sent.document_name is not None and sent.document_name.endswith(".xlsx")
    book = openpyxl.load_workbook(io.BytesIO(sent.document_bytes or b""))
    overview = book[book.sheetnames[0]]
    headings = [cell.value for cell in overview[6]]
    assert "ส่งแล้ว" in headings
    totals = dict(zip(headings, [cell.value for cell in overview[7]], strict=True))
    assert totals["ส่งแล้ว"] == 2
    assert "สำนักงานเขตพื้นที่การศึกษามัธยมศึกษาชลบุรี ระยอง" in str(overview["A2"].value)
    assert "ปีงบประมาณ 2570" in str(overview["A3"].value)


async def test_the_pdf_and_chart_buttons_send_a_thai_pdf_and_a_photo(bot: LocalBot):
    await report_values(bot, {"CB05": {"K01": Decimal(60)}})
    officer = await registered(bot, 603, OFFICE_CODE, Role.OFFICER)
    await officer.send_text("/summary")
    summary = await officer.expect()
    await officer.press(button(summary, "sum:f:pdf:"), message_id=summary.message_id)
    pdf = await officer.expect()
    assert pdf.kind == "document" and (pdf.document_name or "").endswith(".pdf")
    reader = pypdf.PdfReader(io.BytesIO(pdf.document_bytes or b""))
    title_page = reader.pages[0].extract_text()
    assert "รายงานความครบถ้วนและความตรงเวลาของการรายงาน" in title_page
    assert "หน้า 1/" in title_page
    await officer.press(button(summary, "sum:f:png:"), message_id=summary.message_id)
    chart = await officer.expect()
    assert chart.kind == "photo"
    assert (chart.photo_bytes or b"").startswith(b"\x89PNG")
    await bot.settle()
    actions = {call.params.get("action") for call in bot.emulator.calls("sendChatAction")}
    assert {"upload_document", "upload_photo"} <= actions


async def test_a_long_list_is_paged_and_the_next_button_turns_the_page(bot: LocalBot):
    assert bot.database is not None
    async with bot.database.transaction() as repos:  # a district far larger than the sample
        round_ = await repos.plan.current_round(bot.clock())
        assert round_ is not None
        k01 = next(k for k in await repos.report_data.kpis() if k.code == "K01")
        for number in range(1, 201):
            school_id, _ = await repos.schools.upsert(
                code=f"X{number:03d}", name_th=f"โรงเรียนทดลองหมายเลข {number}", now=bot.clock()
            )
            await repos.plan.set_target(
                school_id=school_id,
                kpi_id=k01.id,
                fiscal_year=round_.fiscal_year,
                value=Decimal(50),
                now=bot.clock(),
            )
    officer = await registered(bot, 604, OFFICE_CODE, Role.OFFICER)
    await officer.send_text("/summary")
    first = await officer.expect()
    assert "หน้า 1/" in first.plain_text
    await officer.press(button(first, "sum:v:completeness:"), message_id=first.message_id)
    second = await officer.expect()
    assert second.is_edit and second.message_id == first.message_id
    assert "หน้า 2/" in second.plain_text
    assert "สรุปการส่งรายงาน" in second.plain_text  # every page says what it is
    assert len(second.plain_text) < 4096
    on_first, on_second = (
        {line for line in page.plain_text.splitlines() if "ทดลองหมายเลข" in line}
        for page in (first, second)
    )
    assert on_first and on_second
    assert not on_first & on_second  # the second page goes on where the first stopped


async def test_a_reporter_gets_no_summary_and_no_file_even_with_forged_buttons(bot: LocalBot):
    reporter = await registered(bot, 605, "CB05", Role.REPORTER, lang="en")
    await reporter.send_text("/summary")
    refused = await reporter.expect()
    assert "district office staff only" in refused.plain_text
    await reporter.press("sum:f:xlsx:completeness:r1", forge=True)
    await bot.settle()
    assert not [m for m in bot.emulator.chat_messages(605) if m.kind == "document"]


async def test_a_school_head_sees_only_the_own_school_scorecard(bot: LocalBot):
    await report_values(bot, {"CB05": {"K01": Decimal("72.5")}, "CB06": {"K01": Decimal("33.3")}})
    head = await registered(bot, 606, "CB05", Role.HEAD, lang="en")
    await head.send_text("/summary")
    card = await head.expect()
    assert "Indicator results of" in card.plain_text
    assert "result 72.5% · target 50% · 145.00% of target · ✅ met · score 4" in card.plain_text
    assert "33.3" not in card.plain_text
    assert "sum:rounds" not in card.callback_data()
    await head.press(button(card, "sum:f:xlsx:scorecard:"), message_id=card.message_id)
    sent = await head.expect()
    book = openpyxl.load_workbook(io.BytesIO(sent.document_bytes or b""))
    cells = [str(c.value) for row in book.worksheets[0].iter_rows() for c in row if c.value]
    assert "72.5" in cells and "33.3" not in cells
    # another school's scorecard, by a forged button: refused, nothing sent
    own = button(card, "sum:f:xlsx:scorecard:").rsplit(":", 1)[1]
    round_part = own.split("s")[0]
    await head.press(f"sum:v:scorecard:{round_part}s7:0", forge=True)
    await head.press("sum:v:completeness:" + round_part + ":0", forge=True)
    await bot.settle()
    answers = [a.get("text") for a in head.callback_answers.values()]
    assert answers.count("You can see your own school's results only.") == 2
    assert not [m for m in bot.emulator.chat_messages(606) if "33.3" in m.plain_text]


async def test_the_digest_csv_from_chat_lists_the_problems_in_thai(bot: LocalBot):
    assert bot.database is not None
    async with bot.database.transaction() as repos:
        round_ = await repos.plan.current_round(bot.clock())
        school = await repos.schools.by_code("CB05")
        assert round_ is not None and school is not None
        person = await repos.people.create(
            full_name="ครูทดสอบ", role=Role.REPORTER, school_id=school.id, now=bot.clock()
        )
        project_id = await repos.plan.create_project(
            code="T-CB05-1",
            fiscal_year=round_.fiscal_year,
            school_id=school.id,
            name="โครงการห้องเรียนสีเขียว",
            now=bot.clock(),
            budget_allocated=Decimal(50000),
        )
        await repos.progress.add_version(
            project_id=project_id,
            round_id=round_.id,
            status=ProjectStatus.IN_PROGRESS,
            percent_complete=Decimal(40),
            budget_spent=Decimal("12500.50"),
            submitted_by_id=person.id,
            now=bot.clock(),
            problems="ฝนตกหนัก <ทำให้เลื่อนกิจกรรม>",
        )
    officer = await registered(bot, 607, OFFICE_CODE, Role.OFFICER)
    await officer.send_text("/summary")
    summary = await officer.expect()
    await officer.press("sum:rounds", message_id=summary.message_id)
    rounds = await officer.expect()
    await officer.press(button(rounds, "sum:r:"), message_id=rounds.message_id)
    kinds = await officer.expect()
    await officer.press(button(kinds, "sum:v:digest:"), message_id=kinds.message_id)
    digest = await officer.expect()
    assert "ฝนตกหนัก <ทำให้เลื่อนกิจกรรม>" in digest.plain_text
    assert "&lt;ทำให้เลื่อนกิจกรรม&gt;" in digest.text
    assert "sum:f:png:" not in " ".join(digest.callback_data())
    await officer.press(button(digest, "sum:f:xlsx:digest:"), message_id=digest.message_id)
    sent = await officer.expect()
    book = openpyxl.load_workbook(io.BytesIO(sent.document_bytes or b""))
    values = [c.value for row in book.worksheets[0].iter_rows() for c in row]
    assert "ฝนตกหนัก <ทำให้เลื่อนกิจกรรม>" in values
