"""In-memory state of the emulated Telegram: chats, messages and files."""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from typing import Any

from .models import BotMessage, Button

__all__ = ["ChatState", "FileRecord", "StoredMessage", "image_size", "inline_buttons"]


@dataclass
class FileRecord:
    """A file known to the emulator: uploaded by a user or by the bot, or sent by URL."""

    file_id: str
    file_unique_id: str
    kind: str  # document, photo, sticker, voice
    content: bytes | None
    file_name: str | None
    mime_type: str
    file_path: str
    url: str | None = None
    width: int = 0
    height: int = 0

    @property
    def size(self) -> int:
        """Size in bytes (0 for files known only by URL)."""
        return len(self.content) if self.content is not None else 0

    def to_api(self) -> dict[str, Any]:
        """The Document / PhotoSize / Sticker / Voice object for this file."""
        base: dict[str, Any] = {"file_id": self.file_id, "file_unique_id": self.file_unique_id}
        if self.content is not None:
            base["file_size"] = self.size
        if self.kind == "photo":
            return {**base, "width": self.width, "height": self.height}
        if self.kind == "sticker":
            return {
                **base,
                "type": "regular",
                "width": 512,
                "height": 512,
                "is_animated": False,
                "is_video": False,
                "emoji": "👍",
            }
        if self.kind == "voice":
            return {**base, "duration": 1, "mime_type": self.mime_type}
        document = {**base, "mime_type": self.mime_type}
        if self.file_name:
            document["file_name"] = self.file_name
        return document

    def file_object(self) -> dict[str, Any]:
        """The File object getFile answers with."""
        return {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": self.size,
            "file_path": self.file_path,
        }


@dataclass
class StoredMessage:
    """A message in a chat, from the bot or from a simulated person; mutable by edits."""

    chat: ChatState
    message_id: int
    date: int
    sender: dict[str, Any]
    from_bot: bool
    kind: str  # text, document, photo, sticker, voice
    raw_text: str = ""  # text or caption exactly as sent
    parse_mode: str | None = None
    plain_text: str = ""
    entities: list[dict[str, Any]] = field(default_factory=list)
    reply_markup: dict[str, Any] | None = None  # inline keyboard only, as Telegram returns it
    keyboard: list[list[str]] | None = None  # reply keyboard labels, if the bot sent one
    file: FileRecord | None = None
    edit_date: int | None = None
    deleted: bool = False
    reply_to: StoredMessage | None = None

    @property
    def has_caption(self) -> bool:
        """Media messages carry captions; text messages carry text."""
        return self.kind != "text"

    def to_api(self, *, nested: bool = False) -> dict[str, Any]:
        """The Message object in Bot API shape."""
        message: dict[str, Any] = {
            "message_id": self.message_id,
            "from": self.sender,
            "chat": self.chat.api,
            "date": self.date,
        }
        if self.edit_date is not None:
            message["edit_date"] = self.edit_date
        if self.reply_to is not None and not nested:
            message["reply_to_message"] = self.reply_to.to_api(nested=True)
        if self.kind == "text":
            message["text"] = self.plain_text
            if self.entities:
                message["entities"] = self.entities
        else:
            assert self.file is not None
            message[self.kind] = (
                [self.file.to_api()] if self.kind == "photo" else self.file.to_api()
            )
            if self.plain_text:
                message["caption"] = self.plain_text
                if self.entities:
                    message["caption_entities"] = self.entities
        if self.reply_markup is not None:
            message["reply_markup"] = self.reply_markup
        return message

    def snapshot(self, *, is_edit: bool) -> BotMessage:
        """An immutable view for tests."""
        file = self.file
        return BotMessage(
            chat_id=self.chat.id,
            message_id=self.message_id,
            text=self.raw_text,
            plain_text=self.plain_text,
            parse_mode=self.parse_mode,
            buttons=inline_buttons(self.reply_markup),
            is_edit=is_edit,
            kind=self.kind,
            document_name=file.file_name if file and self.kind == "document" else None,
            document_bytes=file.content if file and self.kind == "document" else None,
            document_mime_type=file.mime_type if file and self.kind == "document" else None,
            photo_bytes=file.content if file and self.kind == "photo" else None,
            caption=self.raw_text if self.has_caption else None,
            file_id=file.file_id if file else None,
            media_url=file.url if file else None,
            entities=[dict(e) for e in self.entities],
            keyboard=[list(row) for row in self.keyboard] if self.keyboard is not None else None,
            reply_to_message_id=self.reply_to.message_id if self.reply_to else None,
            date=self.date,
        )


@dataclass
class ChatState:
    """A chat the emulator knows: a simulated person's private chat or a group."""

    id: int
    api: dict[str, Any]
    messages: dict[int, StoredMessage] = field(default_factory=dict)
    inbox: list[BotMessage] = field(default_factory=list)
    next_message_id: int = 1
    blocked: bool = False

    def new_message_id(self) -> int:
        """Message ids are sequential per chat, shared by both sides as in Telegram."""
        message_id = self.next_message_id
        self.next_message_id += 1
        return message_id

    def live(self, message_id: int) -> StoredMessage | None:
        """The message with this id unless it does not exist or was deleted."""
        message = self.messages.get(message_id)
        return message if message is not None and not message.deleted else None

    def bot_messages(self) -> list[StoredMessage]:
        """Live bot messages, oldest first."""
        return [m for m in self.messages.values() if m.from_bot and not m.deleted]


def inline_buttons(markup: dict[str, Any] | None) -> list[list[Button]]:
    """Buttons of an InlineKeyboardMarkup, tolerant of malformed input."""
    if not markup or not isinstance(markup.get("inline_keyboard"), list):
        return []
    rows: list[list[Button]] = []
    for row in markup["inline_keyboard"]:
        if not isinstance(row, list):
            continue
        buttons: list[Button] = []
        for item in row:
            if isinstance(item, dict):
                data = item.get("callback_data")
                url = item.get("url")
                buttons.append(
                    Button(
                        text=str(item.get("text", "")),
                        callback_data=data if isinstance(data, str) else None,
                        url=url if isinstance(url, str) else None,
                    )
                )
        rows.append(buttons)
    return rows


def image_size(content: bytes) -> tuple[int, int]:
    """Width and height of a PNG or JPEG image; (512, 512) when unknown."""
    if content.startswith(b"\x89PNG\r\n\x1a\n") and len(content) >= 24:
        width, height = struct.unpack(">II", content[16:24])
        return int(width), int(height)
    if content.startswith(b"\xff\xd8"):
        i = 2
        while i + 9 < len(content):
            if content[i] != 0xFF:
                i += 1
                continue
            marker = content[i + 1]
            # SOF markers carry the frame size; C4, C8 and CC are other segments.
            if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
                height, width = struct.unpack(">HH", content[i + 5 : i + 9])
                return int(width), int(height)
            length = struct.unpack(">H", content[i + 2 : i + 4])[0]
            i += 2 + int(length)
    return 512, 512
