"""Public records the emulator exposes to tests: violations, requests, transcript, messages."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["BotMessage", "Button", "RecordedRequest", "TranscriptEvent", "Violation"]


@dataclass(frozen=True)
class Violation:
    """A request that breaks the Bot API specification.

    ``problems`` holds one human-readable sentence per broken rule, each
    starting with the method name, e.g. ``"sendMessage: unknown parameter 'foo'"``.
    """

    method: str
    params: dict[str, Any]
    problems: list[str]

    def __str__(self) -> str:
        return "; ".join(self.problems)


@dataclass(frozen=True)
class RecordedRequest:
    """One HTTP request the bot made, with the emulator's answer.

    ``params`` are decoded (JSON-encoded strings parsed, numbers and booleans
    converted); uploaded files appear as ``{"filename", "size", "mime"}``.
    Requests are recorded when answered, so a long poll appears after the
    calls made while it waited.
    ``at`` is the ``time.monotonic()`` of arrival; ``result`` is the answer's
    ``result`` when ``ok``.
    """

    method: str
    params: dict[str, Any]
    ok: bool
    error_code: int | None
    description: str | None
    at: float
    result: Any = None


@dataclass(frozen=True)
class TranscriptEvent:
    """One step of a conversation, for printing or asserting on a chat's history.

    ``who`` is ``"user"`` or ``"bot"``; ``user`` is the display name of the
    person (for user events) or of the bot (for bot events). ``kind`` is one
    of ``text``, ``edit``, ``callback``, ``callback_answer``, ``document``,
    ``photo``, ``sticker``, ``voice``, ``delete``, ``block``, ``unblock``.
    ``text`` is the plain text (after entity parsing for bot messages), the
    pressed button's label for callbacks, or the answer's text.
    """

    who: str
    chat_id: int
    user: str
    kind: str
    text: str | None = None
    buttons: list[list[str]] = field(default_factory=list)
    file_name: str | None = None
    message_id: int | None = None
    at: float = 0.0

    def format(self) -> str:
        """One line such as ``[chat 42] Tidtam (bot) text #3: Hello [Yes | No]``."""
        parts = [f"[chat {self.chat_id}] {self.user} ({self.who}) {self.kind}"]
        if self.message_id is not None:
            parts.append(f"#{self.message_id}")
        line = " ".join(parts)
        if self.file_name:
            line += f" <{self.file_name}>"
        if self.text is not None:
            line += f": {self.text}"
        for row in self.buttons:
            line += " [" + " | ".join(row) + "]"
        return line


@dataclass(frozen=True)
class Button:
    """One inline keyboard button as the bot sent it."""

    text: str
    callback_data: str | None = None
    url: str | None = None


@dataclass(frozen=True)
class BotMessage:
    """A message the bot sent, or one state of it after an edit (``is_edit``).

    In ``inbox`` and ``expect()`` each edit is its own event with ``is_edit``
    True; in current-state views (``last``, ``chat_messages``) ``is_edit``
    tells whether the message has been edited since it was sent.
    ``text`` is the raw text or caption exactly as sent (e.g. with HTML tags);
    ``plain_text`` is what the user sees after entity parsing, HTML unescaped.
    ``caption`` is the raw caption of a document or photo (None for text).
    ``kind`` is ``"text"``, ``"document"`` or ``"photo"``. ``keyboard`` lists
    the labels of a reply keyboard (custom keyboard) when the bot sent one.
    """

    chat_id: int
    message_id: int
    text: str
    plain_text: str
    parse_mode: str | None = None
    buttons: list[list[Button]] = field(default_factory=list)
    is_edit: bool = False
    kind: str = "text"
    document_name: str | None = None
    document_bytes: bytes | None = None
    document_mime_type: str | None = None
    photo_bytes: bytes | None = None
    caption: str | None = None
    file_id: str | None = None
    media_url: str | None = None
    entities: list[dict[str, Any]] = field(default_factory=list)
    keyboard: list[list[str]] | None = None
    reply_to_message_id: int | None = None
    date: int = 0

    def button_texts(self) -> list[str]:
        """Labels of all inline buttons, row by row."""
        return [button.text for row in self.buttons for button in row]

    def callback_data(self) -> list[str]:
        """callback_data of all inline buttons that have one, row by row."""
        return [b.callback_data for row in self.buttons for b in row if b.callback_data is not None]

    def button(self, text: str) -> Button | None:
        """The first inline button labelled ``text``, or None."""
        for row in self.buttons:
            for button in row:
                if button.text == text:
                    return button
        return None
