"""``tidtam demo --chat``: play a school reporter in the terminal.

The real bot runs against the local Bot API emulator on a fresh sample
district, exactly as in ``tidtam demo``; the person at the keyboard is a
newly registered reporter of one school. The bot's messages are printed with
their buttons as numbered choices: typing a number presses that button,
``/file PATH`` and ``/photo PATH`` send a file, ``/quit`` ends, and anything
else is sent as text.
"""

from __future__ import annotations

import asyncio
import mimetypes
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.text import Text

from bot.demo import REPORTING_SCHOOL, relax_burst_limit
from bot.harness import LocalBot
from domain.i18n import Lang, as_language, plain
from domain.values import Role
from emulator import BotMessage, SimUser

Reader = Callable[[str], Awaitable[str | None]]
Choice = tuple[int, str]  # (message id, callback data)
PLAYER_ID = 9001
QUIT = frozenset({"/quit", "/exit"})


def terminal_reader(console: Console) -> Reader:
    """Read a line from the terminal without blocking the bot; None at end of input."""

    async def read(prompt: str) -> str | None:
        try:
            return await asyncio.to_thread(console.input, prompt)
        except (EOFError, KeyboardInterrupt):
            return None

    return read


def choices_of(messages: list[BotMessage]) -> list[Choice]:
    """The buttons a person can press now: those of the latest message that has any."""
    for message in reversed(messages):
        data = message.callback_data()
        if data:
            return [(message.message_id, item) for item in data]
    return []


class ChatSession:
    """One person's chat with the bot, shown in a terminal."""

    def __init__(self, bot: LocalBot, user: SimUser, console: Console, lang: Lang) -> None:
        self.bot = bot
        self.user = user
        self.console = console
        self.lang = lang
        self.seen = 0
        self.choices: list[Choice] = []
        self.printed: dict[int, str] = {}  # message id → text last shown

    async def show_new(self) -> None:
        """Print what the bot sent or edited since last time, then the numbered choices."""
        await self.bot.settle()
        events = self.user.inbox[self.seen :]
        self.seen += len(events)
        for event in events:
            body = event.plain_text or event.document_name or ""
            if event.is_edit and self.printed.get(event.message_id) == body:
                continue  # only the buttons went away: nothing new to read
            self.printed[event.message_id] = body
            key = "reporting.chat.edited" if event.is_edit else "reporting.chat.bot"
            self.console.print(Text(plain(self.lang, key), style="bold cyan"))
            self.console.print(Text("    " + body.replace("\n", "\n    ")))
        current = self.bot.emulator.chat_messages(self.user.id)
        self.choices = choices_of(current)
        if events and self.choices:
            labels = {
                (message.message_id, button.callback_data): button.text
                for message in current
                for row in message.buttons
                for button in row
            }
            for number, choice in enumerate(self.choices, start=1):
                label = labels.get(choice, choice[1])
                self.console.print(Text(f"    [{number}] {label}", style="green"))

    async def act(self, line: str) -> bool:
        """Do what the person typed; False when they want to stop."""
        text = line.strip()
        if text in QUIT:
            return False
        if text.isdigit() and 1 <= int(text) <= len(self.choices):
            message_id, data = self.choices[int(text) - 1]
            await self.user.press(data, message_id=message_id)
        elif text.startswith(("/file ", "/photo ")):
            await self._send_file(text)
        elif text:
            await self.user.send_text(text)
        return True

    async def _send_file(self, text: str) -> None:
        command, _, raw_path = text.partition(" ")
        found = await asyncio.to_thread(_read_file, raw_path.strip())
        if isinstance(found, str):
            message = plain(self.lang, "reporting.chat.no_file", path=found)
            self.console.print(f"[red]{escape(message)}[/red]")
            return
        name, content = found
        if command == "/photo":
            await self.user.send_photo(content)
        else:
            mime = mimetypes.guess_type(name)[0] or "application/octet-stream"
            await self.user.send_document(name, content, mime)


def _read_file(raw_path: str) -> tuple[str, bytes] | str:
    """The file's name and bytes, or the path as given when there is no such file."""
    path = Path(raw_path).expanduser()
    if not path.is_file():
        return str(path)
    return path.name, path.read_bytes()


async def run_chat(
    *,
    console: Console,
    read: Reader | None = None,
    out: Path | None = None,
    school: str = REPORTING_SCHOOL,
    lang: str = "th",
) -> Path:
    """Register the player as a reporter of ``school`` and relay their chat until /quit.

    Returns the folder holding the chat's database, for a look afterwards.
    """
    language = as_language(lang)
    folder = out if out is not None else Path(tempfile.mkdtemp(prefix="tidtam-chat-"))
    folder.mkdir(parents=True, exist_ok=True)
    database_path = folder / "chat.db"
    for suffix in ("", "-wal", "-shm"):  # every session starts from a fresh district
        Path(f"{database_path}{suffix}").unlink(missing_ok=True)  # noqa: ASYNC240
    reader = read if read is not None else terminal_reader(console)
    bot = LocalBot(database_path)
    await bot.start()
    relax_burst_limit(bot)
    try:
        await bot.load_sample()
        code = await bot.invite(school, Role.REPORTER)
        name = plain(language, "reporting.chat.player")
        user = bot.emulator.user(PLAYER_ID, name, language_code=language)
        console.print(Text(plain(language, "reporting.chat.intro"), style="bold"))
        session = ChatSession(bot, user, console, language)
        await user.send_text(f"/start {code}")
        await session.show_new()
        while True:
            line = await reader("> ")
            if line is None or not await session.act(line):
                break
            await session.show_new()
    finally:
        await bot.stop()
    return folder


__all__ = ["ChatSession", "choices_of", "run_chat", "terminal_reader"]
