"""A Telegram Bot API emulator for end-to-end tests and offline demos.

It serves the Bot API over real HTTP on 127.0.0.1 so the real
python-telegram-bot Application can long-poll it unchanged, validates every
request against the official specification (``spec/botapi-spec.json``), and
lets tests act as people::

    async with BotApiEmulator(token="123456:TEST-TOKEN") as emu:
        app = (ApplicationBuilder().token(emu.token)
               .base_url(emu.base_url).base_file_url(emu.file_url).build())
        ...
        somchai = emu.user(1001, "Somchai")
        await somchai.send_text("/start")
        reply = await somchai.expect()
        assert "สวัสดี" in reply.plain_text
        emu.assert_no_violations()

It imports nothing from the rest of the project: only the standard library
and aiohttp.
"""

from .apispec import ApiSpec, load_spec
from .formatting import EntityParseError, ParsedText, parse_text, utf16_len
from .models import BotMessage, Button, RecordedRequest, TranscriptEvent, Violation
from .server import ApiError, BotApiEmulator
from .sim import SimGroup, SimUser

__all__ = [
    "ApiError",
    "ApiSpec",
    "BotApiEmulator",
    "BotMessage",
    "Button",
    "EntityParseError",
    "ParsedText",
    "RecordedRequest",
    "SimGroup",
    "SimUser",
    "TranscriptEvent",
    "Violation",
    "load_spec",
    "parse_text",
    "utf16_len",
]
