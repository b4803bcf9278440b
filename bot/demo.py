"""``tidtam demo``: a reporting round played offline, end to end.

The real bot runs against the local Bot API emulator on a fresh database
with the sample district. Two school reporters and an officer register with
invite codes; one reporter reports every project and indicator (typing Thai
digits, pressing buttons, attaching a file), the other does not; the
officer's summary names the school still missing. The conversation is
printed and written to a folder.
"""

from __future__ import annotations

import html
import tempfile
from pathlib import Path

from rich.console import Console
from rich.text import Text

from bot.harness import LocalBot
from domain import invite_codes
from domain.values import Role
from emulator import BotMessage, SimUser
from handlers.limits import BurstLimiter
from scheduler.planner import ReminderConfig, load_calendar, round_schedule
from scheduler.runner import run_pass
from storage.sample import OFFICE_CODE

REPORTING_SCHOOL = "CB05"  # โรงเรียนชลกันยานุกูล
LATE_SCHOOL = "RY01"  # โรงเรียนแกลง "วิทยสถาวร"


def relax_burst_limit(bot: LocalBot) -> None:
    """Let scripted people answer as fast as a script does.

    The guard drops a burst of updates from one person; a script answers in
    milliseconds what a person answers in minutes, so the demo lifts the limit.
    """
    if bot.application is not None:
        bot.application.bot_data.limiter = BurstLimiter(limit=100_000)


async def _latest(bot: LocalBot, user: SimUser) -> BotMessage:
    """The bot's latest message to a person, once the bot is quiet."""
    await bot.settle()
    user.skip_pending()
    latest = user.last
    if latest is None:
        raise RuntimeError("the bot did not answer")
    return latest


async def _answer_all_kpis(bot: LocalBot, user: SimUser, answers: list[str]) -> None:
    """Walk the /kpi batch: type numbers, press levels and yes/no, then one confirm."""
    await user.send_text("/kpi")
    message = await _latest(bot, user)
    for answer in answers:
        buttons = [data for data in message.callback_data() if data.startswith("kpi:v:")]
        if buttons:
            await user.press(
                f"{buttons[0].rsplit(':', 1)[0]}:{answer}", message_id=message.message_id
            )
        else:
            await user.send_text(answer)
        message = await _latest(bot, user)
    await user.press("kpi:confirm", message_id=message.message_id)
    await _latest(bot, user)


async def _report_projects(bot: LocalBot, user: SimUser, reports: list[list[str]]) -> None:
    """Walk /report for each project: a button or typed text per step, then confirm.

    Each answer is a callback data to press (``report:…``), ``@file`` to send a
    document as evidence, or text to type.
    """
    await user.send_text("/report")
    message = await _latest(bot, user)
    for answers in reports:
        start = next(
            d for d in message.callback_data() if d.startswith(("report:pick:", "report:go:"))
        )
        await user.press(start, message_id=message.message_id)
        message = await _latest(bot, user)
        for answer in answers:
            if answer.startswith("report:"):
                await user.press(answer, message_id=message.message_id)
            elif answer.startswith("@"):
                await user.send_document(answer[1:], b"%PDF-1.4 demo evidence", "application/pdf")
            else:
                await user.send_text(answer)
            message = await _latest(bot, user)
        await user.press("report:confirm", message_id=message.message_id)
        message = await _latest(bot, user)


async def remind_late_school(bot: LocalBot, reporter: SimUser) -> BotMessage:
    """Run one reminder pass as of the round's next reminder, and show it reaching the late school.

    The demo plays on the real clock, where the next reminder is days away, so
    the pass runs "as of" that moment (the next sending moment of the round's
    ladder on the office calendar), exactly as the bot's own job would then.
    """
    assert bot.application is not None and bot.database is not None
    settings = bot.settings
    config = ReminderConfig(
        tz=settings.tz,
        reminder_time=settings.reminder_time,
        max_hold=settings.reminder_max_hold,
        default_language=settings.default_language,
    )
    now = bot.clock()
    async with bot.database.read() as repos:
        round_ = await repos.plan.current_round(now)
        if round_ is None:
            raise RuntimeError("the sample round is not open")
        calendar = await load_calendar(repos, config)
        scheduled = await round_schedule(repos, round_, calendar)
    moment = next(
        item.at for item in scheduled if item.at > now and item.step.reaches(Role.REPORTER)
    )
    await bot.settle()
    reporter.skip_pending()
    await run_pass(bot.application.bot, bot.database, now=moment, config=config)
    reminder = await reporter.expect()
    if "kpi:start" not in reminder.callback_data():
        raise RuntimeError("the late school's reminder has no button to report")
    return reminder


async def download_reports(officer: SimUser, summary: BotMessage, folder: Path) -> list[Path]:
    """Press every file button under the summary and keep the documents the bot sends."""
    folder.mkdir(parents=True, exist_ok=True)  # noqa: ASYNC240 (once, at the end of the demo)
    saved = []
    for data in [d for d in summary.callback_data() if d.startswith("sum:f:")]:
        await officer.press(data, message_id=summary.message_id)
        sent = await officer.expect(timeout=60)
        while sent.document_bytes is None and sent.photo_bytes is None:
            sent = await officer.expect(timeout=60)  # "preparing the file…" comes first
        content = sent.document_bytes if sent.document_bytes is not None else sent.photo_bytes
        assert content is not None
        _, _, _, kind, scope = data.split(":")
        name = sent.document_name or f"tidtam-{kind}-{scope}-chart.png"
        path = folder / name
        path.write_bytes(content)
        saved.append(path)
    if not saved:
        raise RuntimeError("the summary offered no files to download")
    return saved


def _render(bot: LocalBot) -> list[tuple[str, str, list[list[str]]]]:
    """The transcript as (speaker, text, buttons) lines."""
    lines = []
    for event in bot.emulator.transcript:
        if event.kind == "callback_answer" and not event.text:
            continue
        speaker = "Tidtam" if event.who == "bot" else event.user
        prefix = {"edit": "✎ ", "callback": "▸ ", "callback_answer": "ⓘ "}.get(event.kind, "")
        lines.append(
            (f"{speaker} (chat {event.chat_id})", prefix + (event.text or ""), event.buttons)
        )
    return lines


def _write(folder: Path, lines: list[tuple[str, str, list[list[str]]]]) -> None:
    with (folder / "transcript.txt").open("w", encoding="utf-8") as out:
        for speaker, text, buttons in lines:
            out.write(f"{speaker}:\n")
            for text_line in text.splitlines() or [""]:
                out.write(f"    {text_line}\n")
            for row in buttons:
                out.write("    " + "  ".join(f"[{label}]" for label in row) + "\n")
            out.write("\n")
    parts = [
        "<!doctype html><meta charset='utf-8'><title>Tidtam demo</title>",
        "<style>body{font-family:'Noto Sans Thai',sans-serif;max-width:46em;margin:2em auto}"
        ".bot{background:#eef6ff}.user{background:#f4f4f4;margin-left:6em}"
        "div{border-radius:8px;padding:.5em .8em;margin:.4em 0;white-space:pre-wrap}"
        "b{display:block;font-size:.8em;color:#555}span{border:1px solid #99b;border-radius:4px;"
        "padding:0 .4em;margin-right:.3em;font-size:.9em}</style>",
    ]
    for speaker, text, buttons in lines:
        kind = "bot" if speaker.startswith("Tidtam") else "user"
        keys = "".join(f"<span>{html.escape(label)}</span>" for row in buttons for label in row)
        parts.append(
            f"<div class='{kind}'><b>{html.escape(speaker)}</b>{html.escape(text)}"
            f"{'<br>' + keys if keys else ''}</div>"
        )
    (folder / "transcript.html").write_text("\n".join(parts), encoding="utf-8")


def _print(console: Console, lines: list[tuple[str, str, list[list[str]]]]) -> None:
    for speaker, text, buttons in lines:
        style = "bold cyan" if speaker.startswith("Tidtam") else "bold yellow"
        console.print(Text(speaker, style=style))
        console.print(Text("    " + text.replace("\n", "\n    ")))
        for row in buttons:
            console.print(Text("    " + "  ".join(f"[{label}]" for label in row), style="green"))


async def run_demo(out: Path | None, *, console: Console) -> Path:
    """Play the demo round; return the folder holding the transcript."""
    folder = out if out is not None else Path(tempfile.mkdtemp(prefix="tidtam-demo-"))
    folder.mkdir(parents=True, exist_ok=True)
    database_path = folder / "demo.db"
    for suffix in ("", "-wal", "-shm"):  # a rerun starts from a fresh database
        Path(f"{database_path}{suffix}").unlink(missing_ok=True)  # noqa: ASYNC240

    bot = LocalBot(database_path)
    await bot.start()
    relax_burst_limit(bot)
    try:
        await bot.load_sample()
        code_a = await bot.invite(REPORTING_SCHOOL, Role.REPORTER)
        code_b = await bot.invite(LATE_SCHOOL, Role.REPORTER)
        code_officer = await bot.invite(OFFICE_CODE, Role.OFFICER)

        somchai = bot.emulator.user(1001, "สมชาย", last_name="ใจดี", language_code="th")
        malee = bot.emulator.user(1002, "มาลี", last_name="<ศรีสุข>", language_code="th")
        officer = bot.emulator.user(2001, "Wanida", last_name="K.", language_code="en")

        # a reporter opens the bot, then types the code from the printed sheet
        await somchai.send_text("/start")
        await somchai.expect()
        await somchai.send_text(invite_codes.format_code(code_a).lower())
        await somchai.expect()
        # another reporter mistypes once, then opens the deep link
        await malee.send_text("/start")
        await malee.expect()
        await malee.send_text("ABCD-EFGH-JKLM-NPQR")
        await malee.expect()
        await malee.send_text(f"/start {code_b}")
        await malee.expect()
        # the officer registers through the deep link
        await officer.send_text(f"/start {code_officer}")
        await officer.expect()

        # a reporter tries the officer's command and is refused
        await somchai.send_text("/summary")
        await somchai.expect()
        # the first school reports its projects: buttons, Thai digits, a file as evidence
        await _report_projects(
            bot,
            somchai,
            [
                [
                    "report:status:in_progress",
                    "report:pct:50",
                    "๑๒,๕๐๐ บาท",
                    "จัดกิจกรรม PLC แล้ว 3 ครั้ง ครูเข้าร่วม 45 คน",
                    "report:skip",
                    "ควรจัดต่อเนื่องทุกภาคเรียน",
                    "@ภาพกิจกรรม PLC.pdf",
                    "report:skip",
                ],
                [
                    "report:status:completed",
                    "ร้อยละ 100",
                    "28,750",
                    "คัดกรองนักเรียนครบทุกคน เยี่ยมบ้าน 120 หลัง",
                    "ผู้ปกครองบางส่วนไม่สะดวกให้เยี่ยมบ้าน",
                    "report:skip",
                    "report:skip",
                ],
            ],
        )
        # ...and every indicator: Thai digits, "ร้อยละ", a level button
        await _answer_all_kpis(bot, somchai, ["๗๒.๕", "ร้อยละ 85", "4"])
        # the officer pulls the summary: the second school is named as missing
        await officer.send_text("/summary")
        summary: BotMessage = await officer.expect()
        await bot.settle()
        if "แกลง" not in summary.plain_text:
            raise RuntimeError("the officer's summary does not name the late school")
        # ...and takes the files behind it, as the office would send them on
        await download_reports(officer, summary, folder / "reports")
        # on the day of the next reminder, the late school's reporter is reminded
        await remind_late_school(bot, malee)
    finally:
        lines = _render(bot)
        await bot.stop()

    _print(console, lines)
    _write(folder, lines)
    return folder
