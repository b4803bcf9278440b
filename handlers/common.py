"""Shared pieces of every flow: who is asking, in which language, replying, guards."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from telegram import (
    BotCommand,
    BotCommandScopeChat,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    Update,
)
from telegram.error import BadRequest

from domain.i18n import Html, Lang, as_language, plain, t
from domain.values import Role
from handlers.context import Ctx
from storage.models import Person

LANG_KEY = "lang"  # user_data key for the language of people not yet registered


@dataclass(frozen=True, slots=True)
class Caller:
    """The person behind an update, as far as the bot knows them."""

    telegram_user_id: int
    full_name: str
    telegram_language: str | None
    person: Person | None
    lang: Lang

    @property
    def registered(self) -> bool:
        return self.person is not None

    @property
    def active_person(self) -> Person | None:
        """The person, when registered and not deactivated."""
        return self.person if self.person is not None and self.person.active else None


async def caller(update: Update, context: Ctx) -> Caller | None:
    """Identify who sent the update (None for updates without a user).

    Read once per update: every handler group the update passes through gets
    the same answer without asking the database again.
    """
    user = update.effective_user
    if user is None:
        return None
    known = remembered_caller(update, context)
    if known is not None:
        return known
    async with context.services.database.read() as repos:
        person = await repos.people.by_telegram_id(user.id)
    return remember_caller(update, context, person)


def remembered_caller(update: Update, context: Ctx) -> Caller | None:
    """The caller already identified for this update, if any."""
    user = update.effective_user
    known = context.per_update.get(_CALLER_KEY)
    if user is None or not isinstance(known, Caller) or known.telegram_user_id != user.id:
        return None
    return known


def remember_caller(update: Update, context: Ctx, person: Person | None) -> Caller | None:
    """The caller for the person just read by telegram id, kept for the rest of the update."""
    user = update.effective_user
    if user is None:
        return None
    default = context.services.default_language
    chosen = person.language if person is not None else None
    if chosen is None and context.user_data is not None:
        chosen = context.user_data.get(LANG_KEY)
    lang = as_language(chosen, default) if chosen else as_language(user.language_code, default)
    who = Caller(user.id, user.full_name, user.language_code, person, lang)
    context.per_update[_CALLER_KEY] = who
    return who


_CALLER_KEY = "caller"


def keyboard(rows: Sequence[Sequence[tuple[str, str]]]) -> InlineKeyboardMarkup:
    """Inline keyboard from rows of (label, callback data)."""
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(label, callback_data=data) for label, data in row] for row in rows]
    )


async def send(
    update: Update, text: Html, *, markup: InlineKeyboardMarkup | None = None
) -> Message | None:
    """Send a new message in the update's chat."""
    chat = update.effective_chat
    if chat is None:
        return None
    return await chat.send_message(text, reply_markup=markup)


async def show(
    update: Update, text: Html, *, markup: InlineKeyboardMarkup | None = None
) -> Message | None:
    """Replace the message a button was pressed on, or send a new one after typed input.

    Editing keeps a flow to one message per step; after typed input a new
    message follows the person's text, which reads naturally in the chat.
    """
    query = update.callback_query
    if query is not None and query.message is not None and isinstance(query.message, Message):
        try:
            edited = await query.message.edit_text(text, reply_markup=markup)
        except BadRequest as error:
            if "not modified" in str(error).lower():
                return query.message
            raise
        return edited if isinstance(edited, Message) else query.message
    return await send(update, text, markup=markup)


async def answer_query(update: Update, text: str | None = None) -> None:
    """Acknowledge a button press so the person's client stops waiting."""
    if update.callback_query is not None:
        await update.callback_query.answer(text)


async def refuse(update: Update, who: Caller, key: str, /, **params: object) -> None:
    """Tell the person politely why not; changes nothing.

    A button press gets an alert. When the handler has already acknowledged
    the press (Telegram takes one answer per press), the refusal comes as a
    message instead, so it is never lost.
    """
    if update.callback_query is not None:
        try:
            await update.callback_query.answer(plain(who.lang, key, **params), show_alert=True)
            return
        except BadRequest:
            pass
    await send(update, t(who.lang, key, **params))


async def require_person(update: Update, context: Ctx) -> tuple[Caller, Person] | None:
    """The active registered person, or a polite refusal and None."""
    who = await caller(update, context)
    if who is None:
        return None
    if who.person is None:
        await refuse(update, who, "access.unregistered")
        return None
    if not who.person.active:
        await refuse(update, who, "access.deactivated")
        return None
    return who, who.person


async def require_role(
    update: Update, context: Ctx, roles: Sequence[Role], refusal: str
) -> tuple[Caller, Person] | None:
    """The active person if their role is one of ``roles``; else a refusal and None."""
    found = await require_person(update, context)
    if found is None:
        return None
    who, person = found
    if person.role not in roles:
        await refuse(update, who, refusal)
        return None
    return found


STAFF_ROLES = (Role.REPORTER, Role.HEAD)
DISTRICT_ROLES = (Role.OFFICER, Role.ADMIN)

PUBLIC_COMMANDS = ("start", "help", "language")
STAFF_COMMANDS = (
    "start",
    "report",
    "kpi",
    "status",
    "history",
    "help",
    "language",
    "cancel",
)
HEAD_COMMANDS = (*STAFF_COMMANDS[:5], "certify", "summary", *STAFF_COMMANDS[5:])
DISTRICT_COMMANDS = (
    "start",
    "summary",
    "nudge",
    "announce",
    "ladder",
    "return",
    "invite",
    "help",
    "language",
    "cancel",
)
ADMIN_COMMANDS = (*DISTRICT_COMMANDS[:-3], "people", "import", *DISTRICT_COMMANDS[-3:])


def command_list(names: Sequence[str], lang: Lang) -> list[BotCommand]:
    """Bot commands with descriptions from the catalog."""
    return [BotCommand(name, plain(lang, f"commands.{name}")) for name in names]


def commands_for(role: Role) -> tuple[str, ...]:
    """The commands a role sees in Telegram's menu."""
    if role is Role.HEAD:
        return HEAD_COMMANDS
    if role is Role.ADMIN:
        return ADMIN_COMMANDS
    return DISTRICT_COMMANDS if role.is_district else STAFF_COMMANDS


async def set_chat_commands(context: Ctx, chat_id: int, person: Person, lang: Lang) -> None:
    """Show a registered person their own commands, in their language."""
    await context.bot.set_my_commands(
        command_list(commands_for(person.role), lang), scope=BotCommandScopeChat(chat_id)
    )
