"""/invite: an officer creates one invite in chat — unit → role → code, link and QR image.

Every step is carried in the buttons' data and checked again on each press
(the unit must exist and be active, the role must fit it, only
administrators may invite administrators), so the flow needs no state and
survives restarts. ``/invite CB05`` skips straight to the role. The code
exists only in the reply: the database keeps its hash.
"""

from __future__ import annotations

from typing import Final

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, filters

from domain.calendar import format_datetime
from domain.errors import UserError
from domain.i18n import Lang, plain, t
from domain.invite_codes import format_code
from domain.values import Role
from handlers.common import DISTRICT_ROLES, answer_query, keyboard, require_role, send, show
from handlers.context import Ctx
from onboarding.invite_sheet import qr_png
from storage.models import Person, School
from storage.people_admin import roles_for
from storage.services import issue_invite

PAGE_SIZE: Final = 10
LABEL_LIMIT: Final = 40

Rows = list[list[tuple[str, str]]]


def _short(text: str, limit: int = LABEL_LIMIT) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def unit_label(school: School, lang: Lang) -> str:
    """A school (or the office) as a button names it."""
    if school.kind == "office":
        return _short(plain(lang, "onboarding.invite.office", name=school.name(lang)))
    return _short(f"{school.code} {school.name(lang)}")


def school_page(
    units: list[School], page: int, lang: Lang, *, pick: str, turn: str
) -> tuple[Rows, int, int]:
    """One page of unit buttons (``pick`` + id) with previous/next (``turn`` + page).

    Returns the rows, the page shown (clamped) and the number of pages.
    """
    pages = max(1, -(-len(units) // PAGE_SIZE))
    page = min(max(page, 0), pages - 1)
    shown = units[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]
    rows: Rows = [[(unit_label(unit, lang), f"{pick}{unit.id}")] for unit in shown]
    turns: list[tuple[str, str]] = []
    if page > 0:
        turns.append((plain(lang, "onboarding.people.chat.prev"), f"{turn}{page - 1}"))
    if page < pages - 1:
        turns.append((plain(lang, "onboarding.people.chat.next"), f"{turn}{page + 1}"))
    if turns:
        rows.append(turns)
    return rows, page, pages


async def units(context: Ctx) -> list[School]:
    """The office first, then the active schools by code."""
    async with context.services.database.read() as repos:
        return await repos.schools.list(kind=None)


def _int_tail(data: str | None) -> int | None:
    tail = (data or "").rsplit(":", 1)[-1]
    return int(tail) if tail.isdigit() else None


def _roles(school: School, person: Person) -> tuple[Role, ...]:
    allowed = roles_for(school)
    # an officer cannot hand out more power than they have
    return tuple(role for role in allowed if role is not Role.ADMIN or person.role is Role.ADMIN)


async def begin(update: Update, context: Ctx) -> None:
    """/invite, or a page turn: choose the unit (or go straight to roles with a code)."""
    await answer_query(update)
    found = await require_role(update, context, DISTRICT_ROLES, "access.officers_only")
    if found is None:
        return
    who, person = found
    everything = await units(context)
    if context.args:
        code = context.args[0].strip()
        match = next((unit for unit in everything if unit.code.casefold() == code.casefold()), None)
        if match is None:
            await send(update, t(who.lang, "onboarding.invite.unknown_school", code=code))
        else:
            await _ask_role(update, who.lang, match, person)
            return
    query = update.callback_query
    page = _int_tail(query.data) if query is not None and query.data else 0
    office_first = sorted(everything, key=lambda unit: (unit.kind != "office", unit.code))
    rows, page, pages = school_page(
        office_first, page or 0, who.lang, pick="inv:school:", turn="inv:page:"
    )
    rows.append([(plain(who.lang, "common.cancel"), "inv:cancel")])
    text = t(who.lang, "onboarding.invite.choose_school", page=page + 1, pages=pages)
    await show(update, text, markup=keyboard(rows))


async def _ask_role(update: Update, lang: Lang, school: School, person: Person) -> None:
    rows: Rows = [
        [(plain(lang, f"value.role.{role.value}"), f"inv:role:{school.id}:{role.value}")]
        for role in _roles(school, person)
    ]
    rows.append([(plain(lang, "common.cancel"), "inv:cancel")])
    await show(
        update,
        t(lang, "onboarding.invite.choose_role", school=school.name(lang)),
        markup=keyboard(rows),
    )


async def school_chosen(update: Update, context: Ctx) -> None:
    """A unit button: choose the role."""
    await answer_query(update)
    found = await require_role(update, context, DISTRICT_ROLES, "access.officers_only")
    if found is None:
        return
    who, person = found
    school_id = _int_tail(update.callback_query.data if update.callback_query else None)
    school = await _active_unit(context, school_id)
    if school is None:
        await show(update, t(who.lang, "common.button_expired"))
        return
    await _ask_role(update, who.lang, school, person)


async def _active_unit(context: Ctx, school_id: int | None) -> School | None:
    if school_id is None:
        return None
    async with context.services.database.read() as repos:
        school = await repos.schools.get(school_id)
    return school if school is not None and school.active else None


async def role_chosen(update: Update, context: Ctx) -> None:
    """A role button: create the invite; send the code, link and QR image."""
    await answer_query(update)
    found = await require_role(update, context, DISTRICT_ROLES, "access.officers_only")
    query = update.callback_query
    chat = update.effective_chat
    if found is None or query is None or query.data is None or chat is None:
        return
    who, person = found
    _, _, school_part, role_part = query.data.split(":", 3)
    school = await _active_unit(context, int(school_part) if school_part.isdigit() else None)
    role = Role(role_part) if role_part in {member.value for member in Role} else None
    if school is None or role is None:
        await show(update, t(who.lang, "common.button_expired"))
        return
    if role not in _roles(school, person):
        await show(update, t(who.lang, "onboarding.invite.not_allowed_role"))
        return
    services = context.services
    try:
        async with services.database.transaction() as repos:
            issued = await issue_invite(
                repos,
                school=school,
                role=role,
                now=services.clock(),
                ttl=services.invite_ttl,
                created_by=person,
                actor="person",
            )
    except UserError as problem:
        await show(update, t(who.lang, problem.key, **problem.params))
        return
    link = issued.link(services.bot_username)
    await show(update, t(who.lang, "onboarding.invite.sent_below", school=school.name(who.lang)))
    caption = t(
        who.lang,
        "onboarding.invite.created",
        school=school.name(who.lang),
        role=plain(who.lang, f"value.role.{role.value}"),
        code=format_code(issued.code),
        link=link,
        expires=format_datetime(issued.expires_at, who.lang, tz=services.timezone),
    )
    await chat.send_photo(photo=qr_png(link), caption=caption)


async def cancel(update: Update, context: Ctx) -> None:
    """The cancel button: nothing is created."""
    await answer_query(update)
    found = await require_role(update, context, DISTRICT_ROLES, "access.officers_only")
    if found is not None:
        await show(update, t(found[0].lang, "onboarding.invite.cancelled"))


def register_handlers(application: Application) -> None:  # type: ignore[type-arg]
    """Add /invite and its buttons."""
    private = filters.ChatType.PRIVATE
    application.add_handler(CommandHandler("invite", begin, filters=private))
    application.add_handler(CallbackQueryHandler(begin, pattern=r"^inv:(start|page:\d+)$"))
    application.add_handler(CallbackQueryHandler(school_chosen, pattern=r"^inv:school:\d+$"))
    application.add_handler(CallbackQueryHandler(role_chosen, pattern=r"^inv:role:\d+:[a-z]+$"))
    application.add_handler(CallbackQueryHandler(cancel, pattern=r"^inv:cancel$"))
