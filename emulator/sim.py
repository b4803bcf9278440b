"""Simulated people and groups that talk to the bot through the emulator."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from .models import BotMessage
from .state import ChatState

if TYPE_CHECKING:
    from .server import BotApiEmulator

__all__ = ["SimChannel", "SimGroup", "SimUser"]


class _SimChat:
    """What a person sees of one chat: the bot's messages and edits, in order."""

    def __init__(self, emulator: BotApiEmulator, chat: ChatState) -> None:
        self._emu = emulator
        self._chat = chat
        self._cursor = 0

    @property
    def chat_id(self) -> int:
        """The chat's identifier."""
        return self._chat.id

    @property
    def inbox(self) -> list[BotMessage]:
        """Every bot event in this chat so far (new messages and edits), in order."""
        return list(self._chat.inbox)

    @property
    def last(self) -> BotMessage | None:
        """Current state of the latest live bot message in this chat, or None.

        ``is_edit`` is True when that message has been edited since it was sent.
        """
        messages = self._chat.bot_messages()
        if not messages:
            return None
        return messages[-1].snapshot(is_edit=messages[-1].edit_date is not None)

    async def expect(self, timeout: float = 5.0) -> BotMessage:
        """The next bot event in this chat not yet returned by ``expect``.

        Waits up to ``timeout`` seconds; raises AssertionError with the recent
        transcript of the chat when nothing arrives.
        """
        deadline = time.monotonic() + timeout
        while self._cursor >= len(self._chat.inbox):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(
                    f"no bot message in chat {self.chat_id} within {timeout:g}s; "
                    f"recent transcript:\n{self._emu.format_transcript(self.chat_id, last=15)}"
                )
            await self._emu._wait_bot_event(remaining)
        message = self._chat.inbox[self._cursor]
        self._cursor += 1
        return message

    def skip_pending(self) -> int:
        """Mark every bot event so far as consumed by ``expect``; return how many were skipped."""
        skipped = len(self._chat.inbox) - self._cursor
        self._cursor = len(self._chat.inbox)
        return skipped


class SimUser(_SimChat):
    """A person in a private chat with the bot (the chat id equals the user id).

    Every action queues an Update for the bot's getUpdates and returns what it
    created (the Message object, or the callback query id).
    """

    def __init__(
        self,
        emulator: BotApiEmulator,
        chat: ChatState,
        *,
        user_id: int,
        first_name: str,
        last_name: str | None,
        username: str | None,
        language_code: str | None,
    ) -> None:
        super().__init__(emulator, chat)
        self.id = user_id
        self.first_name = first_name
        self.last_name = last_name
        self.username = username
        self.language_code = language_code
        #: Answers the bot gave to this person's callback queries, by query id.
        self.callback_answers: dict[str, dict[str, Any]] = {}

    @property
    def display_name(self) -> str:
        """First and last name as Telegram shows them."""
        return f"{self.first_name} {self.last_name}" if self.last_name else self.first_name

    @property
    def blocked(self) -> bool:
        """Whether this person currently blocks the bot."""
        return self._chat.blocked

    def to_api(self) -> dict[str, Any]:
        """The User object of this person."""
        user: dict[str, Any] = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        if self.last_name:
            user["last_name"] = self.last_name
        if self.username:
            user["username"] = self.username
        if self.language_code:
            user["language_code"] = self.language_code
        return user

    async def send_text(self, text: str) -> dict[str, Any]:
        """Send a text message; a leading /command gets a bot_command entity."""
        return self._emu._user_text(self._chat, self, text)

    async def press(self, data: str, *, message_id: int | None = None, forge: bool = False) -> str:
        """Press the inline button carrying ``data`` and return the callback query id.

        Without ``message_id`` the latest bot message with such a button is
        used. ``forge=True`` skips the check that such a button exists, to
        test how the bot treats callback data it never offered.
        """
        return self._emu._user_press(self._chat, self, data, message_id=message_id, forge=forge)

    async def press_text(self, button_text: str) -> str:
        """Press the button labelled ``button_text`` on the latest bot message that has it."""
        return self._emu._user_press_text(self._chat, self, button_text)

    async def send_document(
        self,
        file_name: str,
        content: bytes,
        mime_type: str = "application/octet-stream",
        caption: str | None = None,
    ) -> dict[str, Any]:
        """Upload a document, optionally with a caption."""
        return self._emu._user_media(
            self._chat,
            self,
            "document",
            content,
            file_name=file_name,
            mime_type=mime_type,
            caption=caption,
        )

    async def send_photo(self, content: bytes, caption: str | None = None) -> dict[str, Any]:
        """Send a photo (PNG/JPEG dimensions are read from the bytes when possible)."""
        return self._emu._user_media(
            self._chat,
            self,
            "photo",
            content,
            file_name=None,
            mime_type="image/jpeg",
            caption=caption,
        )

    async def send_sticker(self) -> dict[str, Any]:
        """Send a sticker."""
        return self._emu._user_media(
            self._chat,
            self,
            "sticker",
            b"RIFF\x00\x00\x00\x00WEBPVP8 ",
            file_name=None,
            mime_type="image/webp",
            caption=None,
        )

    async def send_voice(self) -> dict[str, Any]:
        """Send a one-second voice message."""
        return self._emu._user_media(
            self._chat,
            self,
            "voice",
            b"OggS\x00\x02" + bytes(26),
            file_name=None,
            mime_type="audio/ogg",
            caption=None,
        )

    async def edit_text(self, message_id: int, text: str) -> dict[str, Any]:
        """Edit one of this person's text messages (an edited_message update)."""
        return self._emu._user_edit(self._chat, self, message_id, text)

    def block(self) -> None:
        """Block the bot: sends to this chat fail with 403; queues my_chat_member (kicked)."""
        self._emu._set_blocked(self._chat, self, blocked=True)

    def unblock(self) -> None:
        """Unblock the bot; queues my_chat_member (member)."""
        self._emu._set_blocked(self._chat, self, blocked=False)

    def __repr__(self) -> str:
        return f"SimUser(id={self.id}, name={self.display_name!r})"


class SimGroup(_SimChat):
    """A group chat (negative id) the bot is a member of."""

    def __init__(self, emulator: BotApiEmulator, chat: ChatState, title: str) -> None:
        super().__init__(emulator, chat)
        self.title = title

    async def send_text(self, user: SimUser, text: str) -> dict[str, Any]:
        """``user`` writes ``text`` in this group."""
        return self._emu._user_text(self._chat, user, text)

    async def press(
        self, user: SimUser, data: str, *, message_id: int | None = None, forge: bool = False
    ) -> str:
        """``user`` presses an inline button of a bot message in this group."""
        return self._emu._user_press(self._chat, user, data, message_id=message_id, forge=forge)

    def __repr__(self) -> str:
        return f"SimGroup(chat_id={self.chat_id}, title={self.title!r})"


class SimChannel:
    """A channel the bot is an administrator of: its posts reach the bot as updates.

    The bot is never meant to act on them; this lets tests prove it does not.
    """

    def __init__(self, emulator: BotApiEmulator, chat_id: int, title: str) -> None:
        if chat_id >= 0:
            raise ValueError(f"channel chat ids are negative, got {chat_id}")
        self._emu = emulator
        self.chat_id = chat_id
        self.title = title
        self._next_message_id = 1

    def _chat(self) -> dict[str, Any]:
        return {"id": self.chat_id, "type": "channel", "title": self.title}

    def post(self, text: str) -> dict[str, Any]:
        """Publish a text post (a channel_post update)."""
        message = {
            "message_id": self._next_message_id,
            "date": int(time.time()),
            "chat": self._chat(),
            "sender_chat": self._chat(),
            "text": text,
        }
        self._next_message_id += 1
        self._emu._queue_update("channel_post", message)
        return message

    def edit(self, message: dict[str, Any], text: str) -> dict[str, Any]:
        """Edit an earlier post (an edited_channel_post update)."""
        edited = {**message, "text": text, "edit_date": int(time.time())}
        self._emu._queue_update("edited_channel_post", edited)
        return edited

    def __repr__(self) -> str:
        return f"SimChannel(chat_id={self.chat_id}, title={self.title!r})"
