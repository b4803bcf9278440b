"""Local copies of evidence: people attach files in chat, a pass copies them to the folder."""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app
from bot.harness import LOCAL_TOKEN, LocalBot
from scheduler.evidence import JOB_NAME, archive_evidence
from tests.e2e.reporting_support import evidence_rows, registered, reply, say, school_projects, tap

PDF = b"%PDF-1.4 activity report\n" + bytes(range(256)) * 40
PHOTO = b"\x89PNG\r\n\x1a\n" + bytes(range(200))


async def report_with_documents(bot: LocalBot, user, documents: list[tuple[str, bytes]]) -> None:
    """A progress report for CB05's first project, with these documents as evidence."""
    project = (await school_projects(bot, "CB05"))[0]
    listing = await say(bot, user, "/report")
    await tap(bot, user, f"report:pick:{project.id}", listing)
    await tap(bot, user, "report:status:in_progress")
    await tap(bot, user, "report:pct:50")
    await say(bot, user, "12500")
    await say(bot, user, "Training held three times")
    await tap(bot, user, "report:skip")
    await say(bot, user, "Keep it going")
    for name, content in documents:
        await user.send_document(name, content, "application/pdf")
        attached = await reply(bot, user)
        assert "Attached:" in attached.plain_text
    review = await tap(bot, user, "report:skip")
    saved = await tap(bot, user, "report:confirm", review)
    assert "Saved ✅" in saved.plain_text


async def kpi_with_photo(bot: LocalBot, user, photo: bytes) -> None:
    """K01 answered with a photo as its evidence; the other indicators skipped."""
    await say(bot, user, "/kpi")
    await user.send_photo(photo)
    attached = await reply(bot, user)
    assert "1 evidence file(s) attached" in attached.plain_text
    await say(bot, user, "66")
    await tap(bot, user, "kpi:skip")
    review = await tap(bot, user, "kpi:skip")
    saved = await tap(bot, user, "kpi:confirm", review)
    assert "Saved ✅" in saved.plain_text


async def archive(bot: LocalBot, folder: Path):
    assert bot.application is not None and bot.database is not None
    return await archive_evidence(bot.application.bot, bot.database, folder, now=bot.clock())


def files_in(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


async def test_a_pass_copies_a_reports_document_and_a_kpis_photo_byte_for_byte(
    bot: LocalBot, tmp_path: Path
):
    folder = tmp_path / "evidence"
    user = await registered(bot, 301, "CB05", lang="en")
    await report_with_documents(bot, user, [("activity-report.pdf", PDF)])
    await kpi_with_photo(bot, user, PHOTO)
    document, photo = await evidence_rows(bot)
    assert document["local_path"] is None and photo["local_path"] is None

    outcome = await archive(bot, folder)

    assert (outcome.copied, outcome.not_copied, outcome.failed) == (
        [document["id"], photo["id"]],
        [],
        [],
    )
    document_path = f"2570/CB05/{document['id']}-activity-report.pdf"
    photo_path = f"2570/CB05/{photo['id']}-photo.jpg"
    assert files_in(folder) == sorted([document_path, photo_path])
    assert (folder / document_path).read_bytes() == PDF
    assert (folder / photo_path).read_bytes() == PHOTO
    document, photo = await evidence_rows(bot)
    assert (document["local_path"], photo["local_path"]) == (document_path, photo_path)
    assert document["archived_at"] == bot.clock() and document["not_copied_reason"] is None


async def test_a_second_pass_copies_nothing_and_asks_telegram_for_nothing(
    bot: LocalBot, tmp_path: Path
):
    folder = tmp_path / "evidence"
    user = await registered(bot, 302, "CB05", lang="en")
    await kpi_with_photo(bot, user, PHOTO)
    first = await archive(bot, folder)
    asked = len(bot.emulator.calls("getFile"))

    second = await archive(bot, folder)

    assert len(first.copied) == 1
    assert (second.copied, second.not_copied, second.failed) == ([], [], [])
    assert len(bot.emulator.calls("getFile")) == asked == 1
    assert len(files_in(folder)) == 1


async def test_hostile_file_names_land_inside_the_folder_under_safe_names(
    bot: LocalBot, tmp_path: Path
):
    folder = tmp_path / "evidence"
    user = await registered(bot, 303, "CB05", lang="en")
    long_thai = "รายงานผลการดำเนินงานโครงการ" * 12 + ".pdf"  # 300+ characters, 900+ bytes
    await report_with_documents(
        bot,
        user,
        [
            ("../../etc/passwd", b"root:x:0:0"),
            ("invoice\u202efdp.exe", b"MZ not really"),
            (long_thai, PDF),
        ],
    )

    outcome = await archive(bot, folder)

    passwd, spoofed, long_file = await evidence_rows(bot)
    assert outcome.copied == [passwd["id"], spoofed["id"], long_file["id"]]
    # no extension of its own: it is named by the type the app sent (a PDF)
    assert passwd["local_path"] == f"2570/CB05/{passwd['id']}-_._etc_passwd.pdf"
    assert spoofed["local_path"] == f"2570/CB05/{spoofed['id']}-invoicefdp.exe"
    long_name = Path(long_file["local_path"]).name
    assert long_name.startswith(f"{long_file['id']}-รายงานผลการดำเนินงานโครงการ")
    assert long_name.endswith(".pdf") and len(long_name.encode()) <= 200
    assert (folder / long_file["local_path"]).read_bytes() == PDF
    for row in (passwd, spoofed, long_file):
        stored = (folder / row["local_path"]).resolve()
        assert stored.is_relative_to(folder.resolve())
    assert not (tmp_path / "etc").exists()
    assert len(files_in(folder)) == 3


async def test_a_file_over_twenty_megabytes_is_not_copied_and_never_asked_for_again(
    bot: LocalBot, tmp_path: Path
):
    folder = tmp_path / "evidence"
    user = await registered(bot, 304, "CB05", lang="en")
    await report_with_documents(bot, user, [("site-video.pdf", bytes(21 * 1024 * 1024))])

    first = await archive(bot, folder)
    second = await archive(bot, folder)

    [row] = await evidence_rows(bot)
    assert first.not_copied == [row["id"]] and first.copied == []
    assert (second.copied, second.not_copied, second.failed) == ([], [], [])
    assert row["local_path"] is None
    assert row["not_copied_reason"].startswith("too big for the Bot API: 21.0 MB")
    assert bot.emulator.calls("getFile") == []
    assert files_in(folder) == []


async def test_a_file_telegram_calls_too_big_is_given_up_once(bot: LocalBot, tmp_path: Path):
    folder = tmp_path / "evidence"
    user = await registered(bot, 305, "CB05", lang="en")
    await kpi_with_photo(bot, user, PHOTO)
    bot.emulator.fail_next("getFile", error_code=400, description="Bad Request: file is too big")

    first = await archive(bot, folder)
    second = await archive(bot, folder)

    [row] = await evidence_rows(bot)
    assert first.not_copied == [row["id"]]
    assert row["not_copied_reason"] == "Telegram refused the file: File is too big"
    assert second.not_copied == [] and second.copied == []
    assert len(bot.emulator.calls("getFile")) == 1


async def test_a_network_failure_leaves_the_file_for_the_next_pass(bot: LocalBot, tmp_path: Path):
    folder = tmp_path / "evidence"
    user = await registered(bot, 306, "CB05", lang="en")
    await kpi_with_photo(bot, user, PHOTO)
    bot.emulator.fail_next("getFile")

    failed = await archive(bot, folder)
    [row] = await evidence_rows(bot)
    assert failed.failed == [row["id"]] and failed.copied == []
    assert row["local_path"] is None and row["not_copied_reason"] is None
    assert files_in(folder) == []

    retried = await archive(bot, folder)

    [row] = await evidence_rows(bot)
    assert retried.copied == [row["id"]]
    assert (folder / row["local_path"]).read_bytes() == PHOTO


async def test_a_flood_wait_ends_the_pass_and_the_next_pass_copies_everything(
    bot: LocalBot, tmp_path: Path
):
    folder = tmp_path / "evidence"
    user = await registered(bot, 310, "CB05", lang="en")
    await report_with_documents(bot, user, [("one.pdf", PDF), ("two.pdf", PDF)])
    bot.emulator.fail_next("getFile", retry_after=3)

    waited = await archive(bot, folder)
    first, second = await evidence_rows(bot)
    assert waited.failed == [first["id"]] and waited.copied == []
    assert waited.stopped is not None and "Retry in 3 seconds" in waited.stopped
    assert len(bot.emulator.calls("getFile")) == 1  # the second file was not asked for
    assert files_in(folder) == []

    resumed = await archive(bot, folder)

    assert resumed.copied == [first["id"], second["id"]]


async def test_a_file_written_before_a_crash_is_written_again_under_the_same_name(
    bot: LocalBot, tmp_path: Path
):
    folder = tmp_path / "evidence"
    user = await registered(bot, 307, "CB05", lang="en")
    await kpi_with_photo(bot, user, PHOTO)
    [row] = await evidence_rows(bot)
    # what a pass that stopped after the rename, before recording the path, leaves behind
    orphan = folder / "2570" / "CB05" / f"{row['id']}-photo.jpg"
    orphan.parent.mkdir(parents=True)
    orphan.write_bytes(b"half of an older copy")
    # and a temporary file of a pass that stopped mid-write, two hours ago
    leftover = orphan.parent / f".{orphan.name}.abc123.part"
    leftover.write_bytes(b"partial")
    two_hours_ago = time.time() - 7200
    os.utime(leftover, (two_hours_ago, two_hours_ago))

    outcome = await archive(bot, folder)

    assert outcome.copied == [row["id"]]
    assert orphan.read_bytes() == PHOTO
    assert files_in(folder) == [f"2570/CB05/{row['id']}-photo.jpg"]


async def test_no_job_copies_evidence_unless_the_folder_is_set(bot: LocalBot):
    assert bot.application is not None and bot.application.job_queue is not None
    assert bot.settings.evidence_dir is None
    assert bot.application.job_queue.get_jobs_by_name(JOB_NAME) == ()


async def test_with_the_folder_set_the_bots_job_copies_new_evidence(bot: LocalBot, tmp_path: Path):
    folder = tmp_path / "evidence"
    bot._settings = bot.settings.model_copy(update={"evidence_dir": folder})
    await bot.restart()
    user = await registered(bot, 308, "CB05", lang="en")
    await kpi_with_photo(bot, user, PHOTO)
    assert bot.application is not None and bot.application.job_queue is not None
    [job] = bot.application.job_queue.get_jobs_by_name(JOB_NAME)

    await job.run(bot.application)

    [row] = await evidence_rows(bot)
    assert row["local_path"] == f"2570/CB05/{row['id']}-photo.jpg"
    assert (folder / row["local_path"]).read_bytes() == PHOTO


runner = CliRunner()


@pytest.fixture
def cli_env(bot: LocalBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The environment an operator sets for ``tidtam`` next to the running bot."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("COLUMNS", "250")
    monkeypatch.setenv("TIDTAM_BOT_TOKEN", LOCAL_TOKEN)
    monkeypatch.setenv("TIDTAM_API_BASE_URL", bot.emulator.base_url)
    monkeypatch.setenv("TIDTAM_API_FILE_URL", bot.emulator.file_url)
    monkeypatch.setenv("TIDTAM_DATABASE_URL", bot.settings.database_url)
    folder = tmp_path / "evidence"
    monkeypatch.setenv("TIDTAM_EVIDENCE_DIR", str(folder))
    return folder


async def fetch(*args: str):
    # the command runs its own event loop, so it runs beside the test's
    return await asyncio.to_thread(runner.invoke, app, ["evidence", "fetch", *args])


async def test_evidence_fetch_copies_and_says_how_many(bot: LocalBot, cli_env: Path):
    user = await registered(bot, 309, "CB05", lang="en")
    await report_with_documents(bot, user, [("activity-report.pdf", PDF)])
    await kpi_with_photo(bot, user, PHOTO)

    english = await fetch("--lang", "en")
    thai = await fetch("--lang", "th")

    assert english.exit_code == 0, english.output
    assert "2 copied, 0 not copied" in english.output
    assert "0 not copied this time" in english.output
    assert thai.exit_code == 0, thai.output
    assert "คัดลอกแล้ว 0 ไฟล์" in thai.output
    document, photo = await evidence_rows(bot)
    assert (cli_env / document["local_path"]).read_bytes() == PDF
    assert (cli_env / photo["local_path"]).read_bytes() == PHOTO


async def test_evidence_fetch_without_the_folder_explains_the_setting(
    bot: LocalBot, cli_env: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.delenv("TIDTAM_EVIDENCE_DIR")

    result = await fetch("--lang", "th")

    assert result.exit_code == 1
    assert "ยังไม่ได้ตั้งค่า TIDTAM_EVIDENCE_DIR" in result.output
    assert files_in(cli_env) == []
