"""``tidtam demo --chat``: a person plays a reporter in the terminal (driven by a script here)."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

from rich.console import Console
from sqlalchemy import select
from typer.testing import CliRunner

from bot.chat import run_chat
from bot.cli import app
from storage.database import Database
from storage.schema import evidence, kpi_values


def scripted(lines: list[str], console: Console):
    """A reader that types ``lines`` one by one (echoing them, as a terminal would)."""
    pending: Iterator[str] = iter(lines)

    async def read(prompt: str) -> str | None:
        line = next(pending, None)
        if line is not None:
            console.print(f"{prompt}{line}")
        return line

    return read


async def test_numbers_press_buttons_and_text_is_sent_until_quit(tmp_path: Path):
    console = Console(record=True, width=200)
    evidence_file = tmp_path / "กิจกรรม.pdf"
    evidence_file.write_bytes(b"%PDF-1.4 chat evidence")
    lines = [
        "/kpi",
        f"/file {evidence_file}",  # attached to the first indicator
        "๗๒.๕",
        "ร้อยละ 85",
        "4",  # the fourth button of the level question: level 4
        "7",  # the review card: 3 × (✏️, 📝), then ✅ confirm
        "/quit",
        "never sent",
    ]
    folder = await run_chat(console=console, read=scripted(lines, console), out=tmp_path / "c")
    shown = console.export_text()
    assert "พิมพ์หมายเลขเพื่อกดปุ่มนั้น" in shown
    assert "[1] 📁 รายงานความก้าวหน้าโครงการ" in shown  # the menu as numbered choices
    assert "แนบหลักฐานแล้ว 1 ไฟล์" in shown
    assert "[4] 4" in shown
    assert "บันทึกแล้ว ✅ ผลตัวชี้วัด 3 รายการ" in shown
    assert "never sent" not in shown
    database = Database(f"sqlite+aiosqlite:///{folder / 'chat.db'}")
    async with database.read() as repos:
        values = (await repos.connection.execute(select(kpi_values.c.value))).scalars().all()
        files = (await repos.connection.execute(select(evidence.c.file_name))).scalars().all()
    await database.dispose()
    assert values == [Decimal("72.5"), Decimal(85), Decimal(4)]
    assert files == ["กิจกรรม.pdf"]


async def test_a_missing_file_is_explained_and_nothing_is_sent(tmp_path: Path):
    console = Console(record=True, width=200)
    lines = ["/file /no/such/file.pdf", "/quit"]
    await run_chat(console=console, read=scripted(lines, console), out=tmp_path / "c", lang="en")
    shown = console.export_text()
    assert "There is no file at /no/such/file.pdf" in shown
    assert "Type a number to press that button" in shown


def test_the_cli_offers_the_chat_option():
    result = CliRunner().invoke(app, ["demo", "--help"])
    assert result.exit_code == 0
    assert "--chat" in result.output
