"""tidtam template, import, export-plan, people and invites --pdf, as an operator runs them."""

from __future__ import annotations

from pathlib import Path

import pypdfium2
import pytest
import zxingcpp
from openpyxl import load_workbook
from typer.testing import CliRunner

from bot.cli import app
from tests.onboarding.plan_support import edited, small_plan, workbook

runner = CliRunner()


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TIDTAM_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("TIDTAM_BOT_USERNAME", "tidtam_test_bot")
    monkeypatch.setenv("TIDTAM_DEFAULT_LANGUAGE", "th")
    monkeypatch.delenv("TIDTAM_BOT_TOKEN", raising=False)
    return tmp_path


def test_template_has_a_sheet_per_kind_with_thai_and_english_headers_and_drop_downs(workdir):
    result = runner.invoke(app, ["template", "--out", "plan.xlsx", "--lang", "en"])
    assert result.exit_code == 0, result.output
    assert "Written to plan.xlsx" in result.output
    book = load_workbook(workdir / "plan.xlsx")
    assert book.sheetnames == [
        "คำอธิบาย",
        "schools",
        "strategies",
        "csfs",
        "kpis",
        "targets",
        "projects",
        "rounds",
        "people",
    ]
    kpis = book["kpis"]
    assert [cell.value for cell in kpis[1]][:3] == ["รหัส", "ชื่อ (ภาษาไทย)", "ชื่อ (ภาษาอังกฤษ)"]
    assert [cell.value for cell in kpis[2]][:6] == [
        "code",
        "name_th",
        "name_en",
        "unit_th",
        "unit_en",
        "value_type",
    ]
    assert kpis["A3"].value == "K01"  # the example row
    lists = {
        str(dv.sqref).split(":")[0]: dv.formula1 for dv in kpis.data_validations.dataValidation
    }
    assert lists["F3"] == '"number,percent,count,yes_no,level"'
    explained = {(row[0].value, row[1].value) for row in book["คำอธิบาย"].iter_rows(min_row=7)}
    assert ("targets", "target_value") in explained and ("people", "role") in explained


def test_import_dry_run_then_import_then_reimport_changes_nothing(workdir):
    (workdir / "plan.xlsx").write_bytes(workbook(small_plan()))
    dry = runner.invoke(app, ["import", "plan.xlsx", "--dry-run", "--lang", "en"])
    assert dry.exit_code == 0, dry.output
    assert "Nothing has been saved yet" in dry.output
    assert "Schools (schools): created 3 · updated 0 · unchanged 0" in dry.output
    real = runner.invoke(app, ["import", "plan.xlsx"])
    assert real.exit_code == 0, real.output
    assert "นำเข้าไฟล์ plan.xlsx เรียบร้อยแล้ว" in real.output
    assert "เพิ่มใหม่ 3" in real.output
    again = runner.invoke(app, ["import", "plan.xlsx", "--lang", "en"])
    assert "Everything in the file is already in Tidtam; nothing changed." in again.output


def test_a_bad_file_exits_with_status_one_and_lists_every_problem(workdir):
    content = edited(workbook(small_plan()), "targets", "D3", 120)
    (workdir / "plan.xlsx").write_bytes(content)
    result = runner.invoke(app, ["import", "plan.xlsx", "--lang", "en"])
    assert result.exit_code == 1
    assert "1 problems found, so nothing was imported" in result.output
    assert "Sheet targets, row 3, column target_value (Target): “120”" in result.output
    (workdir / "notes.txt").write_text("hello")
    wrong = runner.invoke(app, ["import", "notes.txt", "--lang", "en"])
    assert wrong.exit_code == 1
    assert "notes.txt is not an Excel workbook (.xlsx) or a CSV file" in wrong.output


def test_export_plan_of_the_sample_reimports_with_nothing_changed(workdir):
    runner.invoke(app, ["init", "--sample"])
    exported = runner.invoke(app, ["export-plan", "--out", "plan.xlsx"])
    assert exported.exit_code == 0, exported.output
    book = load_workbook(workdir / "plan.xlsx")
    assert book["schools"]["A3"].value == "SESAO-CBRY"  # the office first
    assert book["schools"].max_row == 2 + 52
    result = runner.invoke(app, ["import", "plan.xlsx", "--lang", "en"])
    assert result.exit_code == 0, result.output
    assert "nothing changed" in result.output


def test_people_commands_list_deactivate_change_role_and_show_who_has_not_joined(workdir):
    plan = small_plan()
    plan["people"].append(
        {"code": "A1", "full_name": "Admin One", "role": "admin", "school_code": "OFFICE"}
    )
    (workdir / "plan.xlsx").write_bytes(workbook(plan))
    runner.invoke(app, ["import", "plan.xlsx"])
    listed = runner.invoke(app, ["people", "list", "--school", "S01", "--lang", "en"])
    assert "ครูสมใจ ใฝ่ดี" in listed.output and "Admin One" not in listed.output
    off = runner.invoke(app, ["people", "deactivate", "T1", "--lang", "en"])
    assert off.exit_code == 0 and "ครูสมใจ ใฝ่ดี has been deactivated." in off.output
    head = runner.invoke(app, ["people", "set-role", "T1", "head", "--lang", "en"])
    assert "ครูสมใจ ใฝ่ดี is now School head." in head.output
    wrong = runner.invoke(app, ["people", "set-role", "T1", "admin", "--lang", "en"])
    assert wrong.exit_code == 1 and "cannot be given" in wrong.output
    missing = runner.invoke(app, ["people", "deactivate", "NOPE"])
    assert missing.exit_code == 1 and "ไม่พบบุคลากร NOPE" in missing.output
    waiting = runner.invoke(app, ["people", "not-joined", "--lang", "en"])
    assert "Schools where nobody has joined yet (2)" in waiting.output
    assert "Admin One" in waiting.output


def test_invites_pdf_has_a_card_per_school_whose_qr_codes_are_the_printed_links(workdir):
    runner.invoke(app, ["init", "--sample"])
    result = runner.invoke(
        app,
        ["invites", "--school", "CB01", "--school", "RY20", "--csv", "i.csv", "--pdf", "i.pdf"],
    )
    assert result.exit_code == 0, result.output
    links = sorted(
        line.split(",")[4] for line in (workdir / "i.csv").read_text("utf-8-sig").splitlines()[1:]
    )
    document = pypdfium2.PdfDocument(workdir / "i.pdf")
    try:
        image = document[0].render(scale=3).to_pil()
    finally:
        document.close()
    assert sorted(code.text for code in zxingcpp.read_barcodes(image)) == links
