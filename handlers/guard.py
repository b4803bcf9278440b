"""Checks every update passes before any flow sees it (the first handler group).

- A burst limit per person: a person (or a stuck client) sending more than
  :data:`~handlers.limits.BURST_LIMIT` updates within the window gets one polite
  message and the extra updates are dropped, so one chat cannot starve the
  others or flood the database.
- Edited messages are never taken as answers: an edit of a value typed
  earlier must not silently change what a flow is about to save, so the
  person is asked to send the corrected text as a new message.
- Buttons pressed outside a private chat are refused with a pointer to the
  private chat: the bot never puts buttons in a group, so such a press is
  forged or stale, and acting on it would show a school's data to the group.
- Channel posts and other updates no flow uses end here without a reply.
- A person who blocks the bot is marked unreachable, so reminders stop
  trying and officers can see it.
"""

from __future__ import annotations

import logging

from telegram import ChatMember, Update
from telegram.ext import ApplicationHandlerStop, TypeHandler

from domain.i18n import as_language, plain, t
from handlers.context import Ctx
from handlers.limits import BurstLimiter

log = logging.getLogger(__name__)


async def guard(update: Update, context: Ctx) -> None:
    """Drop bursts, answer edits, ignore what no flow uses; let the rest through."""
    if update.my_chat_member is not None:
        await _membership_changed(update, context)
        raise ApplicationHandlerStop
    if update.channel_post or update.edited_channel_post:
        raise ApplicationHandlerStop
    user = update.effective_user
    if user is None:
        return
    limiter: BurstLimiter = context.bot_data.limiter
    lang = as_language(user.language_code, context.services.default_language)
    if not limiter.allow(user.id):
        if limiter.should_warn(user.id) and update.effective_chat is not None:
            await update.effective_chat.send_message(t(lang, "guard.too_fast"))
        elif update.callback_query is not None:
            await update.callback_query.answer()
        raise ApplicationHandlerStop
    query = update.callback_query
    if query is not None and (query.message is None or query.message.chat.type != "private"):
        await query.answer(
            plain(lang, "common.private_only", link=_bot_link(context)), show_alert=True
        )
        raise ApplicationHandlerStop
    if update.edited_message is not None:
        if update.edited_message.chat.type == "private":
            await update.edited_message.reply_text(t(lang, "guard.edit_ignored"))
        raise ApplicationHandlerStop


def _bot_link(context: Ctx) -> str:
    username = context.services.bot_username
    return f"https://t.me/{username}" if username else ""


async def _membership_changed(update: Update, context: Ctx) -> None:
    """Mark a person unreachable when they block the bot, reachable when they return."""
    change = update.my_chat_member
    if change is None or change.chat.type != "private":
        return
    status = change.new_chat_member.status
    blocked = status in (ChatMember.BANNED, ChatMember.LEFT)
    services = context.services
    async with services.database.transaction() as repos:
        person = await repos.people.by_telegram_id(change.from_user.id)
        if person is None:
            return
        await repos.people.set_unreachable(
            person.id, at=services.clock() if blocked else None, now=services.clock()
        )
        await repos.audit.record(
            at=services.clock(),
            actor_person_id=person.id,
            action="blocked_bot" if blocked else "unblocked_bot",
            entity="person",
            entity_id=person.id,
        )
    log.info("person %s %s the bot", person.id, "blocked" if blocked else "unblocked")


def guard_handler() -> TypeHandler[Update, Ctx, None]:
    """The guard as a handler for group -1."""
    return TypeHandler(Update, guard)
