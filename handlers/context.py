"""What a handler can reach: the services, through a typed context.

The Application is built with ``ContextTypes(context=Ctx, bot_data=BotData)``,
so every handler receives a :class:`Ctx` and gets the database and clock from
``context.services`` — no globals, no casts.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from telegram.ext import Application, CallbackContext, ExtBot
from telegram.request import BaseRequest

from domain.i18n import Lang
from handlers.limits import BurstLimiter
from storage.database import Database


@dataclass(slots=True)
class Services:
    """The running bot's resources and configuration, made once by the composition root."""

    database: Database
    clock: Callable[[], dt.datetime]
    timezone: ZoneInfo
    default_language: Lang
    draft_ttl: dt.timedelta
    invite_ttl: dt.timedelta
    office_name_th: str
    office_name_en: str
    bot_username: str = ""
    reminder_time: dt.time = dt.time(8, 30)
    reminder_max_hold: dt.timedelta = dt.timedelta(hours=2)

    def office_name(self, lang: Lang) -> str:
        """The office's name in a language."""
        return self.office_name_en if lang == "en" else self.office_name_th


@dataclass(slots=True)
class BotData:
    """Bot-wide data: the services and per-process state (never persisted)."""

    services: Services | None = field(default=None)
    limiter: BurstLimiter = field(default_factory=BurstLimiter)


DEFAULT_NONE = BaseRequest.DEFAULT_NONE

UserData = dict[str, Any]
ChatData = dict[str, Any]


class TidtamBot(ExtBot[None]):
    """python-telegram-bot's bot, plus the two calls of a chat step that need no Message back.

    Each answer to a flow's question is a new question (``sendMessage``) and the
    old one losing its buttons (``editMessageReplyMarkup``); python-telegram-bot
    would turn both answers into Message objects (every field, entity and
    button: most of the cost of a call) only for the new message's id to be
    read, and build the keyboard as objects only to turn it into JSON. These
    send the same requests, with the same defaults and the same rate
    limiter, and read the id from the answer.
    """

    async def send_text(
        self, chat_id: int, text: str, *, buttons: Sequence[Sequence[tuple[str, str]]] = ()
    ) -> int:
        """``sendMessage`` as :meth:`send_message` sends it; the new message's id.

        ``buttons`` are rows of (label, callback data), sent as the inline
        keyboard they describe.
        """
        keyboard = [
            [{"text": label, "callback_data": data} for label, data in row] for row in buttons
        ]
        result = await self._post(
            "sendMessage",
            {
                "chat_id": chat_id,
                "text": text,
                "reply_markup": {"inline_keyboard": keyboard} if keyboard else None,
                # filled in from the bot's Defaults, as send_message would
                "parse_mode": DEFAULT_NONE,
                "link_preview_options": DEFAULT_NONE,
                "disable_notification": DEFAULT_NONE,
                "protect_content": DEFAULT_NONE,
            },
        )
        return int(result["message_id"])

    async def remove_buttons(self, chat_id: int, message_id: int) -> None:
        """``editMessageReplyMarkup`` without a keyboard: the message keeps its text."""
        await self._post("editMessageReplyMarkup", {"chat_id": chat_id, "message_id": message_id})


class Ctx(CallbackContext[TidtamBot, UserData, ChatData, BotData]):
    """The callback context of every Tidtam handler.

    python-telegram-bot makes one context per update and hands it to the
    handlers of every group, so :attr:`per_update` holds what is worked out
    once per update (who is asking) for all of them.
    """

    __slots__ = ("per_update",)

    def __init__(
        self,
        application: Application[Any, Any, Any, Any, Any, Any],
        chat_id: int | None = None,
        user_id: int | None = None,
    ) -> None:
        super().__init__(application, chat_id, user_id)
        self.per_update: dict[str, object] = {}
        """Values worked out for this context's update, shared by its handler groups."""

    @property
    def services(self) -> Services:
        services = self.bot_data.services
        if services is None:
            raise RuntimeError("services are attached by bot.app.build_application")
        return services


TidtamApplication = Application[TidtamBot, Ctx, UserData, ChatData, BotData, Any]
