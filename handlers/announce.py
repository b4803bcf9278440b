"""/announce: an officer sends a message to all reporters, all heads, or chosen schools.

choose the audience (chosen schools: type their codes) → type the text → a
preview of exactly what people will read and how many will get it → send →
a delivery report naming who could not be reached. The officer's text is
shown as typed (escaped, never read as markup). Nothing is sent before the
send button; pressing it again after sending finds nothing left to send.
"""

from __future__ import annotations

import re
import warnings
from enum import StrEnum
from typing import Any

from telegram import Update
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)
from telegram.warnings import PTBUserWarning

from domain.errors import InvalidInput
from domain.i18n import Html, Lang, as_language, plain, t
from domain.values import Role, clean_text
from handlers.common import DISTRICT_ROLES, answer_query, keyboard, require_role, send, show
from handlers.context import Ctx
from scheduler.delivery import Outgoing, deliver
from storage.repositories.reminders import Recipient

FLOW_KEY = "announce"
MAX_LENGTH = 3500
"""Characters of an announcement: one Telegram message with its heading."""

AUDIENCES: dict[str, tuple[Role, ...]] = {
    "reporters": (Role.REPORTER,),
    "heads": (Role.HEAD,),
    "staff": (Role.REPORTER, Role.HEAD),
    "schools": (Role.REPORTER, Role.HEAD),
}


class AnnounceState(StrEnum):
    """Steps of the announcement flow (stored by name in the persistence)."""

    AUDIENCE = "announce.audience"
    SCHOOLS = "announce.schools"
    TEXT = "announce.text"
    PREVIEW = "announce.preview"


def _flow(context: Ctx) -> dict[str, Any]:
    assert context.user_data is not None
    flow = context.user_data.get(FLOW_KEY)
    if not isinstance(flow, dict):
        flow = {}
        context.user_data[FLOW_KEY] = flow
    return flow


def _end(context: Ctx) -> int:
    if context.user_data is not None:
        context.user_data.pop(FLOW_KEY, None)
    return ConversationHandler.END


def _audience_label(lang: Lang, flow: dict[str, Any]) -> str:
    audience = flow.get("audience", "staff")
    if audience == "schools":
        return plain(lang, "announce.audience_label_schools", count=len(flow.get("schools", [])))
    return plain(lang, f"announce.audience_label_{audience}")


async def begin(update: Update, context: Ctx) -> AnnounceState | int:
    """/announce or the menu button: ask who should receive it."""
    await answer_query(update)
    found = await require_role(update, context, DISTRICT_ROLES, "access.officers_only")
    if found is None:
        return _end(context)
    who, _ = found
    _flow(context).clear()
    rows = [
        [(plain(who.lang, "announce.audience_reporters"), "announce:to:reporters")],
        [(plain(who.lang, "announce.audience_heads"), "announce:to:heads")],
        [(plain(who.lang, "announce.audience_staff"), "announce:to:staff")],
        [(plain(who.lang, "announce.audience_schools"), "announce:to:schools")],
        [(plain(who.lang, "common.cancel"), "announce:cancel")],
    ]
    await show(update, t(who.lang, "announce.choose_audience"), markup=keyboard(rows))
    return AnnounceState.AUDIENCE


async def audience_chosen(update: Update, context: Ctx) -> AnnounceState | int:
    """An audience button: ask for school codes, or straight for the text."""
    await answer_query(update)
    found = await require_role(update, context, DISTRICT_ROLES, "access.officers_only")
    query = update.callback_query
    if found is None or query is None or query.data is None:
        return _end(context)
    who, _ = found
    audience = query.data.rsplit(":", 1)[-1]
    flow = _flow(context)
    flow["audience"] = audience
    cancel_row = [[(plain(who.lang, "common.cancel"), "announce:cancel")]]
    if audience == "schools":
        await show(update, t(who.lang, "announce.ask_schools"), markup=keyboard(cancel_row))
        return AnnounceState.SCHOOLS
    text = t(who.lang, "announce.ask_text", audience=_audience_label(who.lang, flow))
    await show(update, text, markup=keyboard(cancel_row))
    return AnnounceState.TEXT


async def schools_typed(update: Update, context: Ctx) -> AnnounceState | int:
    """Typed school codes: all must be known, else say which are not."""
    message = update.effective_message
    found = await require_role(update, context, DISTRICT_ROLES, "access.officers_only")
    if found is None or message is None or message.text is None:
        return _end(context)
    who, _ = found
    codes = [code.upper() for code in re.split(r"[\s,;]+", message.text) if code]
    known: list[str] = []
    unknown: list[str] = []
    async with context.services.database.read() as repos:
        for code in dict.fromkeys(codes):
            school = await repos.schools.by_code(code)
            if school is None or school.kind != "school" or not school.active:
                unknown.append(code)
            else:
                known.append(school.code)
    cancel_row = [[(plain(who.lang, "common.cancel"), "announce:cancel")]]
    if unknown or not known:
        text = t(who.lang, "announce.unknown_schools", codes=", ".join(unknown) or "-")
        await send(update, text, markup=keyboard(cancel_row))
        return AnnounceState.SCHOOLS
    flow = _flow(context)
    flow["schools"] = known
    text = t(who.lang, "announce.ask_text", audience=_audience_label(who.lang, flow))
    await send(update, text, markup=keyboard(cancel_row))
    return AnnounceState.TEXT


async def _recipients(context: Ctx, flow: dict[str, Any]) -> list[Recipient]:
    roles = AUDIENCES.get(str(flow.get("audience")), AUDIENCES["staff"])
    async with context.services.database.read() as repos:
        school_ids: list[int] | None = None
        if flow.get("audience") == "schools":
            school_ids = []
            for code in flow.get("schools", []):
                school = await repos.schools.by_code(code)
                if school is not None:
                    school_ids.append(school.id)
        everyone = await repos.reminders.recipients(roles=roles, school_ids=school_ids)
        schools = {school.id for school in await repos.schools.list(kind="school")}
    return [person for person in everyone if person.school_id in schools]


def _announcement(lang: Lang, text: str) -> Html:
    return t(lang, "announce.sent_header", text=text)


async def text_typed(update: Update, context: Ctx) -> AnnounceState | int:
    """The announcement text: check its length, then show the preview."""
    message = update.effective_message
    found = await require_role(update, context, DISTRICT_ROLES, "access.officers_only")
    if found is None or message is None or message.text is None:
        return _end(context)
    who, _ = found
    cancel_row = [[(plain(who.lang, "common.cancel"), "announce:cancel")]]
    try:
        # the same cleaning as every stored text: no control characters go out
        # to every school, and a text of invisible marks only is no announcement
        text = clean_text(message.text, max_length=MAX_LENGTH)
    except InvalidInput as problem:
        reply = (
            t(who.lang, "announce.too_long", length=problem.params["length"], limit=MAX_LENGTH)
            if problem.key == "text.too_long"
            else t(who.lang, problem.key, **problem.params)
        )
        await send(update, reply, markup=keyboard(cancel_row))
        return AnnounceState.TEXT
    flow = _flow(context)
    flow["text"] = text
    people = await _recipients(context, flow)
    if not people:
        await send(update, t(who.lang, "announce.nobody"))
        return _end(context)
    preview = t(
        who.lang,
        "announce.preview",
        audience=_audience_label(who.lang, flow),
        people=len(people),
        schools=len({person.school_id for person in people}),
        text=_announcement(who.lang, text),
    )
    rows = [
        [(plain(who.lang, "announce.send"), "announce:send")],
        [
            (plain(who.lang, "announce.edit"), "announce:edit"),
            (plain(who.lang, "common.cancel"), "announce:cancel"),
        ],
    ]
    await send(update, preview, markup=keyboard(rows))
    return AnnounceState.PREVIEW


async def not_text(update: Update, context: Ctx) -> AnnounceState:
    """A photo or sticker where the text is expected."""
    found = await require_role(update, context, DISTRICT_ROLES, "access.officers_only")
    if found is not None:
        await send(update, t(found[0].lang, "announce.not_text"))
    return AnnounceState.TEXT


async def edit(update: Update, context: Ctx) -> AnnounceState | int:
    """Change the text: ask for it again."""
    await answer_query(update)
    found = await require_role(update, context, DISTRICT_ROLES, "access.officers_only")
    if found is None:
        return _end(context)
    who, _ = found
    flow = _flow(context)
    cancel_row = [[(plain(who.lang, "common.cancel"), "announce:cancel")]]
    text = t(who.lang, "announce.ask_text", audience=_audience_label(who.lang, flow))
    await show(update, text, markup=keyboard(cancel_row))
    return AnnounceState.TEXT


async def confirm(update: Update, context: Ctx) -> int:
    """Send to everyone in the audience (in the background), then report."""
    await answer_query(update)
    found = await require_role(update, context, DISTRICT_ROLES, "access.officers_only")
    if found is None:
        return _end(context)
    who, officer = found
    flow = dict(_flow(context))
    _end(context)  # a second press finds nothing to send
    text = flow.get("text")
    if not isinstance(text, str):
        await show(update, t(who.lang, "common.button_expired"))
        return ConversationHandler.END
    people = await _recipients(context, flow)
    await show(update, t(who.lang, "nudge.sending", people=len(people)))
    context.application.create_task(
        _deliver(update, context, who.lang, flow, text, people, officer_id=officer.id),
        update=update,
    )
    return ConversationHandler.END


async def _deliver(
    update: Update,
    context: Ctx,
    lang: Lang,
    flow: dict[str, Any],
    text: str,
    people: list[Recipient],
    *,
    officer_id: int,
) -> None:
    services = context.services
    default = services.default_language
    items = [
        Outgoing(
            chat_id=person.telegram_user_id,
            texts=(_announcement(as_language(person.language, default), text),),
            tag=person,
        )
        for person in people
    ]
    report = await deliver(context.bot, items)
    now = services.clock()
    async with services.database.transaction() as repos:
        for outcome in report.unreachable:
            await repos.reminders.mark_unreachable(outcome.outgoing.tag.person_id, now=now)
        await repos.audit.record(
            at=now,
            actor_person_id=officer_id,
            action="announce",
            entity="announcement",
            entity_id=None,
            after={
                "audience": flow.get("audience"),
                "schools": flow.get("schools"),
                "text": text,
                "delivered": len(report.delivered),
                "failed": len(report.failed),
            },
        )
        school_names = {
            school.id: school.name(lang) for school in await repos.schools.list(kind="school")
        }
    lines: list[str] = [
        t(
            lang,
            "announce.report",
            audience=_audience_label(lang, flow),
            delivered=len(report.delivered),
            people=len(people),
        )
    ]
    if report.failed:
        lines += ["", t(lang, "announce.report_unreachable", count=len(report.failed))]
        for outcome in report.failed:
            person = outcome.outgoing.tag
            lines.append(
                t(
                    lang,
                    "announce.report_person",
                    name=person.full_name,
                    school=school_names.get(person.school_id, person.school_code),
                )
            )
    await send(update, Html("\n".join(lines)))


async def cancel(update: Update, context: Ctx) -> int:
    """/cancel or the cancel button: nothing is sent."""
    await answer_query(update)
    found = await require_role(update, context, DISTRICT_ROLES, "access.officers_only")
    if found is not None:
        await show(update, t(found[0].lang, "announce.cancelled"))
    return _end(context)


def build_conversation() -> ConversationHandler:  # type: ignore[type-arg]
    """The persistent /announce conversation (per chat and user, like /kpi)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*per_message=False", category=PTBUserWarning)
        private = filters.ChatType.PRIVATE
        typed = private & filters.TEXT & ~filters.COMMAND
        return ConversationHandler(
            entry_points=[
                CommandHandler("announce", begin, filters=private),
                CallbackQueryHandler(begin, pattern=r"^announce:start$"),
            ],
            states={
                AnnounceState.AUDIENCE: [
                    CallbackQueryHandler(
                        audience_chosen, pattern=r"^announce:to:(reporters|heads|staff|schools)$"
                    )
                ],
                AnnounceState.SCHOOLS: [MessageHandler(typed, schools_typed)],
                AnnounceState.TEXT: [
                    MessageHandler(typed, text_typed),
                    MessageHandler(
                        private & ~filters.COMMAND & ~filters.StatusUpdate.ALL, not_text
                    ),
                ],
                AnnounceState.PREVIEW: [
                    CallbackQueryHandler(confirm, pattern=r"^announce:send$"),
                    CallbackQueryHandler(edit, pattern=r"^announce:edit$"),
                ],
            },
            fallbacks=[
                CommandHandler("cancel", cancel, filters=private),
                CallbackQueryHandler(cancel, pattern=r"^announce:cancel$"),
                CommandHandler("announce", begin, filters=private),
            ],
            name="announce",
            persistent=True,
            allow_reentry=True,
        )


def register_handlers(application: Application) -> None:  # type: ignore[type-arg]
    """Add the /announce conversation."""
    application.add_handler(build_conversation())


__all__ = ["AnnounceState", "register_handlers"]
