"""The files: Thai in the PDF reads back, a page renders right, the public edition is anonymous."""

from __future__ import annotations

import io
import zipfile

import pypdf
import pypdfium2
import pytest
from typer.testing import CliRunner

from domain.i18n import Lang
from reports.engine import ReportKind, ReportRequest, load_report
from reports.render import Format, NoChart, render
from storage.database import Database
from tests.reports.seeding import NOW, PROBLEM_NAMING_A_PERSON, Seeded, seed_district

OFFICE = "สำนักงานเขตพื้นที่การศึกษามัธยมศึกษาชลบุรี ระยอง"


@pytest.fixture
async def seeded(database: Database) -> Seeded:
    return await seed_district(database)


async def rendered(
    database: Database, kind: ReportKind, fmt: Format, lang: Lang, seeded: Seeded
) -> bytes:
    async with database.read() as repos:
        round_ = await repos.plan.round(seeded.q1_id)
        school = (await repos.schools.list())[0]
        request = ReportRequest(kind, round=round_, fiscal_year=seeded.fiscal_year, school=school)
        report = await load_report(repos, request, now=NOW)
    return render(report, fmt, lang, office=OFFICE, kind=kind, scope="FY2570").content


async def test_thai_in_the_pdf_is_extractable_and_correct(database: Database, seeded: Seeded):
    content = await rendered(database, ReportKind.ANNUAL, Format.PDF, "th", seeded)
    reader = pypdf.PdfReader(io.BytesIO(content))
    title_page = reader.pages[0].extract_text()
    assert OFFICE in title_page
    assert "รายงานผลการดำเนินงานประจำปี" in title_page
    assert "ปีงบประมาณ 2570 (ต.ค. 2569 – ก.ย. 2570)" in title_page
    assert "จัดทำเมื่อ 5 ม.ค. 2570 09:00 น." in title_page  # Buddhist Era
    assert f"หน้า 1/{len(reader.pages)}" in title_page
    everything = "\n".join(page.extract_text() for page in reader.pages)
    assert "โรงเรียนชลกันยานุกูล" in everything  # a school name with above and below marks
    assert "ร้อยละของนักเรียนตกหล่นและนักเรียนออกกลางคัน" in everything
    fonts = {
        str(font["/BaseFont"])
        for page in reader.pages
        for font in page["/Resources"]["/Font"].values()  # type: ignore[union-attr]
    }
    assert any("NotoSansThai" in name for name in fonts)  # embedded, not a viewer's fallback


async def test_a_pdf_page_rendered_to_an_image_reads_correctly(
    database: Database, seeded: Seeded, tmp_path
):
    content = await rendered(database, ReportKind.COMPLETENESS, Format.PDF, "th", seeded)
    document = pypdfium2.PdfDocument(content)
    scale = 2
    image = document[0].render(scale=scale).to_pil().convert("L")
    document.close()
    image.save(tmp_path / "title.png")  # kept for a person to look at when this fails
    width, height = image.size
    assert image.crop((0, 0, width, int(height * 0.03))).getextrema()[1] == 255  # white margin
    # the title line: find its band of ink below the office line and measure it
    dark_rows = [
        y
        for y in range(int(height * 0.12), int(height * 0.3))
        if image.crop((0, y, width, y + 1)).getextrema()[0] < 100
    ]
    assert dark_rows, "no ink where the title should be"
    bands: list[list[int]] = [[dark_rows[0]]]
    for y in dark_rows[1:]:
        if y - bands[-1][-1] > 3:
            bands.append([])
        bands[-1].append(y)
    title_band = max(bands, key=len)  # the 22 pt title is the tallest line
    strip = image.crop((0, title_band[0], width, title_band[-1] + 1))
    inked = [
        x for x in range(width) if strip.crop((x, 0, x + 1, strip.height)).getextrema()[0] < 100
    ]
    ink_width_mm = (inked[-1] - inked[0]) / scale * 25.4 / 72
    # the same title, shaped with the same font and size, measured by fpdf2 itself
    from fpdf import FPDF

    from reports.fonts import thai_font_path

    probe = FPDF()
    probe.add_font("probe", "", thai_font_path(), variations={"wght": 700.0})
    probe.set_text_shaping(True)
    probe.set_font("probe", "", 22)
    expected_mm = probe.get_string_width("รายงานความครบถ้วนและความตรงเวลาของการรายงาน")
    assert abs(ink_width_mm - expected_mm) / expected_mm < 0.04
    centre_mm = (inked[0] + inked[-1]) / 2 / scale * 25.4 / 72
    assert abs(centre_mm - 105) < 3  # centred on the A4 page


def _visible_text(fmt: Format, content: bytes) -> str:
    match fmt:
        case Format.PDF:
            return "\n".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(content)).pages)
        case Format.XLSX:
            with zipfile.ZipFile(io.BytesIO(content)) as archive:
                return "\n".join(
                    archive.read(name).decode("utf-8")
                    for name in archive.namelist()
                    if name.endswith(".xml")
                )
        case Format.PNG:
            return ""
        case _:
            return content.decode("utf-8-sig")


@pytest.mark.parametrize("lang", ["th", "en"])
async def test_the_public_edition_names_no_person_and_no_telegram_id(
    database: Database, seeded: Seeded, lang: Lang
):
    texts = {}
    for fmt in (Format.TEXT, Format.CSV, Format.HTML, Format.XLSX, Format.PDF):
        content = await rendered(database, ReportKind.PUBLIC, fmt, lang, seeded)
        texts[fmt] = _visible_text(fmt, content)
    for fmt, text in texts.items():
        for name in seeded.person_names:
            assert name not in text, f"{fmt}: {name}"
        assert "ทดสอบนาม" not in text, fmt
        for telegram_id in seeded.telegram_ids:
            assert str(telegram_id) not in text, f"{fmt}: {telegram_id}"
    # the office's own annual report does carry the problems as written: the check can fail
    annual = _visible_text(
        Format.XLSX, await rendered(database, ReportKind.ANNUAL, Format.XLSX, lang, seeded)
    )
    assert PROBLEM_NAMING_A_PERSON in annual


async def test_a_report_without_a_chart_says_so_for_png(database: Database, seeded: Seeded):
    with pytest.raises(NoChart):
        await rendered(database, ReportKind.DIGEST, Format.PNG, "th", seeded)


async def test_the_public_edition_html_is_one_self_contained_page(
    database: Database, seeded: Seeded
):
    page = (await rendered(database, ReportKind.PUBLIC, Format.HTML, "th", seeded)).decode()
    assert page.startswith("<!doctype html>")
    assert '<html lang="th">' in page
    assert "data:image/png;base64," in page
    assert "http" not in page.split("<body>", 1)[1]  # nothing fetched from elsewhere


def test_cli_writes_the_report_file(tmp_path, monkeypatch):
    import asyncio

    path = tmp_path / "cli.db"
    database = Database(f"sqlite+aiosqlite:///{path}")

    async def prepare() -> None:
        await database.migrate()
        await seed_district(database)
        await database.dispose()

    asyncio.run(prepare())
    monkeypatch.setenv("TIDTAM_DATABASE_URL", f"sqlite+aiosqlite:///{path}")
    from bot.cli import app

    runner = CliRunner()
    out = tmp_path / "q1.xlsx"
    result = runner.invoke(
        app,
        ["report", "completeness", "--round", "FY2570-Q1", "--format", "xlsx", "--out", str(out)],
    )
    assert result.exit_code == 0, result.output
    assert out.read_bytes().startswith(b"PK")
    text = runner.invoke(app, ["report", "public", "--fiscal-year", "2570", "--lang", "en"])
    assert text.exit_code == 0, text.output
    assert "Annual report, public edition" in text.output
    wrong = runner.invoke(app, ["report", "achievement", "--round", "NOPE", "--lang", "en"])
    assert wrong.exit_code == 1
    assert "No reporting round has the code NOPE." in wrong.output
