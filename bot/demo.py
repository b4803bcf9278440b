"""``tidtam demo``: a reporting round played offline, end to end.

The real bot runs against the local Bot API emulator on a fresh database
with the sample district. Two school reporters and an officer register with
invite codes; one reporter enters every indicator (typing Thai digits and
pressing buttons), the other does not; the officer's summary names the
school still missing. The conversation is printed and written to a folder.
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
from storage.sample import OFFICE_CODE

REPORTING_SCHOOL = "CB05"  # โรงเรียนชลกันยานุกูล
LATE_SCHOOL = "RY01"  # โรงเรียนแกลง "วิทยสถาวร"


async def _answer_all_kpis(user: SimUser, answers: list[str]) -> None:
    """Walk /kpi until the school has reported everything."""
    await user.send_text("/kpi")
    message = await user.expect()
    for answer in answers:
        if any(data.startswith("kpi:pick:") for data in message.callback_data()):
            await user.press(message.callback_data()[0], message_id=message.message_id)
            message = await user.expect()
        if any(data.startswith("kpi:value:") for data in message.callback_data()):
            await user.press_text(answer)
        else:
            await user.send_text(answer)
        review = await user.expect()
        await user.press("kpi:confirm", message_id=review.message_id)
        saved = await user.expect()
        if "kpi:start" not in saved.callback_data():
            return
        await user.press("kpi:start", message_id=saved.message_id)
        message = await user.expect()


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
        # the first school reports everything: Thai digits, "ร้อยละ", a level button
        await _answer_all_kpis(somchai, ["๗๒.๕", "ร้อยละ 85", "4"])
        # the officer pulls the summary: the second school is named as missing
        await officer.send_text("/summary")
        summary: BotMessage = await officer.expect()
        await bot.settle()
        if "แกลง" not in summary.plain_text:
            raise RuntimeError("the officer's summary does not name the late school")
    finally:
        lines = _render(bot)
        await bot.stop()

    _print(console, lines)
    _write(folder, lines)
    return folder
