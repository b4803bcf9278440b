"""What a handler can reach: the services, through a typed context.

The Application is built with ``ContextTypes(context=Ctx, bot_data=BotData)``,
so every handler receives a :class:`Ctx` and gets the database and clock from
``context.services`` — no globals, no casts.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from telegram.ext import Application, CallbackContext, ExtBot

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


UserData = dict[str, Any]
ChatData = dict[str, Any]


class Ctx(CallbackContext[ExtBot[None], UserData, ChatData, BotData]):
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


TidtamApplication = Application[ExtBot[None], Ctx, UserData, ChatData, BotData, Any]
