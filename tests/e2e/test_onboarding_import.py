"""An administrator imports the plan in chat: check, report, confirm — through the emulator."""

from __future__ import annotations

from sqlalchemy import func, select

from bot.harness import LocalBot
from domain.values import Role
from emulator import SimUser
from onboarding.exporter import export_plan
from storage.sample import OFFICE_CODE
from storage.schema import schools, targets
from tests.onboarding.plan_support import small_plan, workbook

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


async def member(bot: LocalBot, user_id: int, school: str, role: Role, lang: str = "th") -> SimUser:
    code = await bot.invite(school, role)
    user = bot.emulator.user(user_id, f"User{user_id}", language_code=lang)
    await user.send_text(f"/start {code}")
    await user.expect()
    return user


async def count(bot: LocalBot, table) -> int:
    assert bot.database is not None
    async with bot.database.read() as repos:
        query = select(func.count()).select_from(table)
        return int((await repos.connection.execute(query)).scalar_one())


def new_schools_plan() -> dict:
    """Two new schools with targets for the sample's K01, next to the sample district."""
    return {
        "schools": [
            {"code": "NEW1", "name_th": "โรงเรียนใหม่หนึ่ง"},
            {"code": "NEW2", "name_th": "โรงเรียนใหม่สอง"},
        ],
        "targets": [
            {"school_code": "NEW1", "kpi_code": "K01", "fiscal_year": 2570, "target_value": 60},
            {"school_code": "NEW2", "kpi_code": "K01", "fiscal_year": 2570, "target_value": 65},
        ],
    }


async def test_an_admin_imports_a_workbook_only_after_confirming(bot: LocalBot):
    admin = await member(bot, 301, OFFICE_CODE, Role.ADMIN)
    before = await count(bot, schools)
    await admin.send_document("แผน 2570.xlsx", workbook(new_schools_plan()), XLSX)
    report = await admin.expect()
    assert "ตรวจสอบไฟล์ แผน 2570.xlsx แล้ว ไม่พบปัญหา" in report.plain_text
    assert "โรงเรียน (schools): เพิ่มใหม่ 2 · ปรับปรุง 0 · ไม่เปลี่ยนแปลง 0" in report.plain_text
    assert report.callback_data() == ["planimport:confirm", "planimport:cancel"]
    await bot.settle()
    assert await count(bot, schools) == before  # nothing until confirmed

    await admin.press("planimport:confirm", message_id=report.message_id)
    done = await admin.expect()
    assert done.is_edit and done.message_id == report.message_id
    assert "นำเข้าไฟล์ แผน 2570.xlsx เรียบร้อยแล้ว" in done.plain_text
    assert done.callback_data() == []
    assert await count(bot, schools) == before + 2


async def test_cancel_imports_nothing(bot: LocalBot):
    admin = await member(bot, 302, OFFICE_CODE, Role.ADMIN, lang="en")
    before = await count(bot, targets)
    await admin.send_document("plan.xlsx", workbook(new_schools_plan()), XLSX)
    report = await admin.expect()
    await admin.press("planimport:cancel", message_id=report.message_id)
    cancelled = await admin.expect()
    assert "Cancelled. Nothing was imported." in cancelled.plain_text
    await bot.settle()
    assert await count(bot, targets) == before


async def test_a_bad_cell_is_named_and_nothing_can_be_imported(bot: LocalBot):
    admin = await member(bot, 303, OFFICE_CODE, Role.ADMIN, lang="en")
    plan = new_schools_plan()
    plan["targets"][1]["target_value"] = 120
    plan["targets"][0]["kpi_code"] = "K99"
    before = await count(bot, schools)
    await admin.send_document("plan.xlsx", workbook(plan), XLSX)
    report = await admin.expect()
    assert "2 problems found, so nothing was imported" in report.plain_text
    assert "Sheet targets, row 3, column kpi_code (KPI code): “K99”" in report.plain_text
    assert "Sheet targets, row 4, column target_value (Target): “120”" in report.plain_text
    assert report.callback_data() == []
    await bot.settle()
    assert await count(bot, schools) == before


async def test_a_long_report_comes_with_the_full_list_as_a_file(bot: LocalBot):
    admin = await member(bot, 304, OFFICE_CODE, Role.ADMIN)
    plan = {
        "targets": [
            {"school_code": f"X{n:02d}", "kpi_code": "K01", "fiscal_year": 2570, "target_value": 1}
            for n in range(30)
        ]
    }
    await admin.send_document("plan.xlsx", workbook(plan), XLSX)
    attachment = await admin.expect()
    assert attachment.kind == "document"
    assert attachment.document_name == "plan.xlsx.report.txt"
    lines = attachment.document_bytes.decode("utf-8").splitlines()
    assert len(lines) == 31 and lines[30].startswith("30. แผ่นงาน targets แถว 32")
    report = await admin.expect()
    assert "พบปัญหา 30 รายการ" in report.plain_text
    assert "…และอีก 15 รายการ" in report.plain_text


async def test_wrong_type_corrupt_and_oversized_files_get_clear_messages(bot: LocalBot):
    admin = await member(bot, 305, OFFICE_CODE, Role.ADMIN, lang="en")
    before = await count(bot, schools)
    await admin.send_document("plan.pdf", b"%PDF-1.7 not a plan", "application/pdf")
    wrong = await admin.expect()
    assert "plan.pdf is not an Excel workbook (.xlsx) or a CSV file" in wrong.plain_text
    await admin.send_document("plan.xlsx", b"PK\x03\x04broken", XLSX)
    corrupt = await admin.expect()
    assert "plan.xlsx cannot be opened; it may be damaged" in corrupt.plain_text
    await admin.send_document("huge.xlsx", b"PK\x03\x04" + bytes(11 * 1024 * 1024), XLSX)
    huge = await admin.expect()
    assert "huge.xlsx is 11.0 MB, more than the 10 MB allowed" in huge.plain_text
    await bot.settle()
    assert await count(bot, schools) == before
    # the oversized file was refused on its size alone, without downloading it
    assert not [r for r in bot.emulator.requests if r.method == "getFile"][2:]


async def test_an_export_of_the_sample_reports_nothing_to_import(bot: LocalBot):
    admin = await member(bot, 306, OFFICE_CODE, Role.ADMIN, lang="en")
    assert bot.database is not None
    content = await export_plan(bot.database, tz=bot.settings.tz)
    await admin.send_document("export.xlsx", content, XLSX)
    report = await admin.expect()
    assert "Everything in the file is already in Tidtam; nothing changed." in report.plain_text
    assert report.callback_data() == []


async def test_import_command_explains_and_sends_the_template(bot: LocalBot):
    admin = await member(bot, 307, OFFICE_CODE, Role.ADMIN)
    await admin.send_text("/import")
    how = await admin.expect()
    assert "นำเข้าแผนปฏิบัติการ" in how.plain_text and "10 MB" in how.plain_text
    template = await admin.expect()
    assert template.kind == "document" and template.document_name == "tidtam-plan-template.xlsx"
    assert template.document_bytes.startswith(b"PK")


async def test_staff_and_officers_cannot_import(bot: LocalBot):
    reporter = await member(bot, 308, "CB05", Role.REPORTER)
    officer = await member(bot, 309, OFFICE_CODE, Role.OFFICER, lang="en")
    before = await count(bot, schools)
    await reporter.send_document("plan.xlsx", workbook(small_plan()), XLSX)
    hint = await reporter.expect()
    assert "พิมพ์ /start เพื่อเปิดเมนู" in hint.plain_text
    await officer.send_text("/import")
    refused = await officer.expect()
    assert "Only administrators can import the plan" in refused.plain_text
    await bot.settle()
    assert await count(bot, schools) == before
