"""``tidtam demo`` plays the round offline and writes the transcript."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console

from bot.demo import run_demo


async def test_demo_plays_the_round_and_names_the_late_school(tmp_path: Path):
    console = Console(record=True, width=120)
    folder = await run_demo(tmp_path / "demo", console=console)
    transcript = (folder / "transcript.txt").read_text(encoding="utf-8")
    assert "ลงทะเบียนเรียบร้อยแล้ว" in transcript
    assert "บันทึกแล้ว ✅ ผลตัวชี้วัด 3 รายการ" in transcript
    assert "บันทึกแล้ว ✅ โครงการระบบดูแลช่วยเหลือนักเรียน" in transcript
    assert "ครบทุกรายการแล้ว 🎉" in transcript  # the demo school is complete
    assert "Schools complete: 1 of 51" in transcript
    assert 'โรงเรียนแกลง "วิทยสถาวร"' in transcript
    assert "district office staff only" not in transcript  # the refusal is in Thai
    assert "เจ้าหน้าที่ของสำนักงานเขตพื้นที่ฯ เท่านั้น" in transcript
    assert (folder / "transcript.html").exists()
    assert "Tidtam" in console.export_text()
