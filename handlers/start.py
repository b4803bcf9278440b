"""Registration by invite, the main menu, help, language and cancel."""

from __future__ import annotations

from telegram import Update
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    filters,
)

from domain.calendar import format_datetime
from domain.errors import InviteProblem
from domain.i18n import LANGUAGES, Html, Lang, as_language, plain, t
from domain.values import Role
from handlers.common import (
    LANG_KEY,
    Caller,
    answer_query,
    caller,
    keyboard,
    refuse,
    require_person,
    send,
    set_chat_commands,
    show,
)
from handlers.context import Ctx
from storage.models import Person
from storage.services import Registration, redeem_invite


def menu_markup(person: Person, lang: Lang) -> list[list[tuple[str, str]]]:
    """Main-menu buttons for a person's role."""
    rows: list[list[tuple[str, str]]] = []
    if person.role.is_school_staff:
        rows.append([(plain(lang, "reporting.menu.report"), "report:start")])
        rows.append([(plain(lang, "menu.kpi"), "kpi:start")])
        rows.append(
            [
                (plain(lang, "reporting.menu.status"), "status"),
                (plain(lang, "reporting.menu.history"), "history"),
            ]
        )
    if person.role is Role.HEAD:
        rows.append(
            [
                (plain(lang, "reporting.menu.certify"), "certify"),
                (plain(lang, "menu.scorecard"), "summary:start"),
            ]
        )
    if person.role.is_district:
        rows.append([(plain(lang, "menu.summary"), "summary:start")])
        rows.append(
            [
                (plain(lang, "nudge.menu"), "nudge:start"),
                (plain(lang, "announce.menu"), "announce:start"),
            ]
        )
        rows.append([(plain(lang, "onboarding.menu.invite"), "inv:start")])
    if person.role is Role.ADMIN:
        rows.append(
            [
                (plain(lang, "onboarding.menu.people"), "ppl:start"),
                (plain(lang, "onboarding.menu.import"), "planimport:start"),
            ]
        )
    rows.append([(plain(lang, "menu.language"), "lang:menu"), (plain(lang, "menu.help"), "help")])
    return rows


async def show_menu(update: Update, context: Ctx, who: Caller, person: Person) -> None:
    """The main menu: who the person is, and what they can do."""
    async with context.services.database.read() as repos:
        school = await repos.schools.get(person.school_id)
    assert school is not None
    text = t(
        who.lang,
        "menu.text",
        name=person.full_name,
        role=plain(who.lang, f"value.role.{person.role.value}"),
        school=school.name(who.lang),
    )
    await show(update, text, markup=keyboard(menu_markup(person, who.lang)))


async def start(update: Update, context: Ctx) -> None:
    """/start: register with a deep-link code, or show the menu."""
    who = await caller(update, context)
    if who is None:
        return
    if who.person is not None:
        if not who.person.active:
            await refuse(update, who, "access.deactivated")
            return
        await show_menu(update, context, who, who.person)
        return
    if context.args:
        await register(update, context, who, " ".join(context.args))
        return
    await send(update, t(who.lang, "start.welcome", name=who.full_name))


async def code_typed(update: Update, context: Ctx) -> None:
    """Text from someone not yet registered is taken as an invite code."""
    message = update.effective_message
    who = await caller(update, context)
    if who is None or message is None or message.text is None:
        return
    if who.person is not None:
        if not who.person.active:
            await refuse(update, who, "access.deactivated")
        else:
            await send(update, t(who.lang, "menu.hint"))
        return
    await register(update, context, who, message.text)


async def register(update: Update, context: Ctx, who: Caller, text: str) -> None:
    """Redeem an invite code and greet the new person, or explain what is wrong."""
    services = context.services
    now = services.clock()
    async with services.database.transaction() as repos:
        outcome = await redeem_invite(
            repos,
            text=text,
            telegram_user_id=who.telegram_user_id,
            full_name=who.full_name,
            language=who.lang,
            now=now,
        )
    if isinstance(outcome, InviteProblem):
        params = {
            name: format_datetime(value, who.lang, tz=services.timezone)
            if name in ("until", "expired_at")
            else value
            for name, value in outcome.params.items()
        }
        await send(update, t(who.lang, outcome.key, **params))
        return
    await welcome(update, context, who, outcome)


async def welcome(update: Update, context: Ctx, who: Caller, registration: Registration) -> None:
    """Confirm a registration and show the new person's menu."""
    person, school = registration.person, registration.school
    chat = update.effective_chat
    if chat is not None:
        await set_chat_commands(context, chat.id, person, who.lang)
    await send(
        update,
        t(
            who.lang,
            "start.registered",
            name=person.full_name,
            role=plain(who.lang, f"value.role.{person.role.value}"),
            school=school.name(who.lang),
        ),
        markup=keyboard(menu_markup(person, who.lang)),
    )


async def help_command(update: Update, context: Ctx) -> None:
    """/help: what the person can do, by role."""
    await answer_query(update)
    who = await caller(update, context)
    if who is None:
        return
    person = who.active_person
    if person is None:
        key = "help.deactivated" if who.person is not None else "help.unregistered"
    elif person.role in (Role.OFFICER, Role.ADMIN):
        key = "help.district"
    else:
        key = "help.staff"
    await send(update, t(who.lang, key))


async def language_command(update: Update, context: Ctx) -> None:
    """/language: offer the languages."""
    await answer_query(update)
    who = await caller(update, context)
    if who is None:
        return
    rows = [[(plain(lang, "language.name"), f"lang:set:{lang}") for lang in LANGUAGES]]
    await show(update, t(who.lang, "language.choose"), markup=keyboard(rows))


async def language_chosen(update: Update, context: Ctx) -> None:
    """A language button: remember the choice and answer in that language."""
    query = update.callback_query
    who = await caller(update, context)
    if query is None or who is None or query.data is None:
        return
    lang = as_language(query.data.rsplit(":", 1)[-1], who.lang)
    person = who.active_person
    if person is not None:
        async with context.services.database.transaction() as repos:
            await repos.people.set_language(person.id, lang, now=context.services.clock())
            await repos.audit.record(
                at=context.services.clock(),
                actor_person_id=person.id,
                action="set_language",
                entity="person",
                entity_id=person.id,
                before={"language": person.language},
                after={"language": lang},
            )
        chat = update.effective_chat
        if chat is not None:
            await set_chat_commands(context, chat.id, person, lang)
    elif context.user_data is not None:
        context.user_data[LANG_KEY] = lang
    await query.answer()
    await show(update, t(lang, "language.set"))


async def cancel_idle(update: Update, context: Ctx) -> None:
    """/cancel outside any flow: nothing to cancel."""
    who = await caller(update, context)
    if who is not None:
        await send(update, t(who.lang, "cancel.nothing"))


async def menu_button(update: Update, context: Ctx) -> None:
    """The menu button of a message: show the menu again (or say why there is none)."""
    found = await require_person(update, context)
    if found is None:
        return
    await answer_query(update)
    await show_menu(update, context, *found)


async def stale_button(update: Update, context: Ctx) -> None:
    """A button from an old message, or one this bot does not know: say so kindly."""
    who = await caller(update, context)
    if who is not None and update.callback_query is not None:
        await update.callback_query.answer(
            plain(who.lang, "common.button_expired"), show_alert=True
        )


async def group_message(update: Update, context: Ctx) -> None:
    """In a group, point to the private chat: reports are never made in groups."""
    who = await caller(update, context)
    if who is None:
        return
    link = f"https://t.me/{context.services.bot_username}" if context.services.bot_username else ""
    await send(update, t(who.lang, "common.private_only", link=link))


async def other_message(update: Update, context: Ctx) -> None:
    """Stickers, voice notes and the like outside a flow: a hint instead of silence."""
    who = await caller(update, context)
    if who is None:
        return
    if who.person is None:
        await send(update, t(who.lang, "start.send_code"))
    else:
        await send(update, t(who.lang, "menu.hint"))


def register_handlers(application: Application) -> None:  # type: ignore[type-arg]
    """Commands and buttons of this module."""
    private = filters.ChatType.PRIVATE
    application.add_handler(CommandHandler("start", start, filters=private))
    application.add_handler(CommandHandler("help", help_command, filters=private))
    application.add_handler(CommandHandler("language", language_command, filters=private))
    application.add_handler(CallbackQueryHandler(help_command, pattern=r"^help$"))
    application.add_handler(CallbackQueryHandler(language_command, pattern=r"^lang:menu$"))
    application.add_handler(CallbackQueryHandler(language_chosen, pattern=r"^lang:set:(th|en)$"))
    application.add_handler(CallbackQueryHandler(menu_button, pattern=r"^menu$"))


def register_fallbacks(application: Application) -> None:  # type: ignore[type-arg]
    """Catch-alls, added last: in one handler group the first match wins, so
    every flow and command registered before sees an update first."""
    private = filters.ChatType.PRIVATE
    group = 0
    application.add_handler(CommandHandler("cancel", cancel_idle, filters=private), group=group)
    application.add_handler(
        MessageHandler(private & filters.TEXT & ~filters.COMMAND, code_typed), group=group
    )
    application.add_handler(
        MessageHandler(filters.ChatType.GROUPS & filters.COMMAND, group_message),
        group=group,
    )
    application.add_handler(CallbackQueryHandler(stale_button), group=group)
    application.add_handler(
        MessageHandler(private & ~filters.TEXT & ~filters.StatusUpdate.ALL, other_message),
        group=group,
    )
    application.add_handler(MessageHandler(private & filters.COMMAND, unknown_command), group=group)


async def unknown_command(update: Update, context: Ctx) -> None:
    """A command this bot does not have."""
    who = await caller(update, context)
    if who is not None:
        await send(update, t(who.lang, "common.unknown_command"))


__all__ = ["Html", "register_fallbacks", "register_handlers", "show_menu"]
