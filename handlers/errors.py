"""The one error handler: log with the traceback, apologise without internals.

A database that cannot take a write (busy past the timeout, disk full) gets
its own apology: the transaction was rolled back, so the step the person
just took was not saved, while every earlier answer is still in the draft.
"""

from __future__ import annotations

import contextlib
import logging

from sqlalchemy.exc import OperationalError
from telegram import Update
from telegram.error import Forbidden, NetworkError, TelegramError
from telegram.ext import ApplicationHandlerStop

from domain.errors import UserError
from domain.i18n import as_language, t
from handlers.context import Ctx

log = logging.getLogger("tidtam.errors")


async def on_error(update: object, context: Ctx) -> None:
    """Log the failure; tell the person something went wrong, when there is a person."""
    error = context.error
    if isinstance(error, Forbidden):
        log.warning("a person has blocked the bot: %s", error)
        return
    if isinstance(error, NetworkError) and not isinstance(update, Update):
        log.warning("network problem while polling: %s", error)
        return
    log.error("update %s failed", getattr(update, "update_id", None), exc_info=error)
    if not isinstance(update, Update) or update.effective_chat is None:
        return
    user = update.effective_user
    lang = (
        as_language(user.language_code if user else None, context.services.default_language)
        if context.bot_data.services
        else "th"
    )
    key = error.key if isinstance(error, UserError) else "error.generic"
    params = error.params if isinstance(error, UserError) else {}
    if isinstance(error, OperationalError):
        key = "resilience.not_saved"
    if update.callback_query is not None:
        # The handler may have answered the query before it failed; a second
        # answer is refused, and that must not stop the apology below.
        with contextlib.suppress(TelegramError):
            await update.callback_query.answer()
    try:
        await update.effective_chat.send_message(t(lang, key, **params))
    except TelegramError:
        log.warning("could not tell the person about the failure", exc_info=True)
    # The update failed and the person has been told so: no later handler
    # group may answer it as well (a catch-all would add "type /start").
    raise ApplicationHandlerStop
