"""/people: administrators see who belongs where and manage their accounts.

people menu → a unit → its people → one person: deactivate (after a
confirmation), reactivate, or change role; or the list of who has not joined
yet. Each press carries the ids it needs and is checked again, so the flow
keeps no state. The rules and the audit trail are in
:mod:`storage.people_admin`; an administrator cannot change their own account.
"""

from __future__ import annotations

from typing import Final

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, filters

from domain.calendar import format_date
from domain.errors import UserError
from domain.i18n import Html, Lang, plain, t
from domain.values import Role
from handlers.common import answer_query, keyboard, require_role, show
from handlers.context import Ctx
from handlers.invite import Rows, school_page, units
from storage.models import Person
from storage.people_admin import change_role, not_joined, roles_for, set_active
from storage.repositories.people_admin import PersonEntry

ADMIN_ONLY: Final = (Role.ADMIN,)
LIST_LIMIT: Final = 40  # lines per list in one message, far below Telegram's 4096 characters


def _tail(update: Update) -> list[str]:
    query = update.callback_query
    return [] if query is None or query.data is None else query.data.split(":")[2:]


def _int(part: str | None) -> int | None:
    return int(part) if part is not None and part.isdigit() else None


async def _admin(update: Update, context: Ctx) -> tuple[Lang, Person] | None:
    await answer_query(update)
    found = await require_role(update, context, ADMIN_ONLY, "onboarding.people.admins_only")
    return None if found is None else (found[0].lang, found[1])


async def menu(update: Update, context: Ctx) -> None:
    """/people: by unit, or who has not joined yet."""
    found = await _admin(update, context)
    if found is None:
        return
    lang, _ = found
    rows = [
        [(plain(lang, "onboarding.people.chat.by_school"), "ppl:units:0")],
        [(plain(lang, "onboarding.people.chat.not_joined"), "ppl:notjoined")],
    ]
    await show(update, t(lang, "onboarding.people.chat.menu"), markup=keyboard(rows))


async def choose_unit(update: Update, context: Ctx) -> None:
    """A page of units to choose from (the office first)."""
    found = await _admin(update, context)
    if found is None:
        return
    lang, _ = found
    page = _int(next(iter(_tail(update)), None)) or 0
    everything = sorted(await units(context), key=lambda unit: (unit.kind != "office", unit.code))
    rows, page, pages = school_page(everything, page, lang, pick="ppl:unit:", turn="ppl:units:")
    rows.append([(plain(lang, "onboarding.people.chat.back"), "ppl:start")])
    text = t(lang, "onboarding.people.chat.choose_school", page=page + 1, pages=pages)
    await show(update, text, markup=keyboard(rows))


def _person_button(entry: PersonEntry, lang: Lang) -> tuple[str, str]:
    state = "" if entry.active else plain(lang, "onboarding.people.chat.inactive_mark")
    label = plain(
        lang,
        "onboarding.people.chat.person_button",
        name=entry.full_name,
        role=plain(lang, f"value.role.{entry.role.value}"),
        state=state,
    )
    return (label[:60], f"ppl:person:{entry.id}")


async def unit_people(update: Update, context: Ctx) -> None:
    """The people of one unit, each a button."""
    found = await _admin(update, context)
    if found is None:
        return
    lang, _ = found
    school_id = _int(next(iter(_tail(update)), None))
    await _show_unit(update, context, lang, school_id)


async def _show_unit(update: Update, context: Ctx, lang: Lang, school_id: int | None) -> None:
    async with context.services.database.read() as repos:
        school = None if school_id is None else await repos.schools.get(school_id)
        entries = [] if school is None else await repos.people_admin.entries(school_id=school.id)
    if school is None:
        await show(update, t(lang, "common.button_expired"))
        return
    back = [(plain(lang, "onboarding.people.chat.back"), "ppl:units:0")]
    if not entries:
        await show(
            update,
            t(lang, "onboarding.people.chat.nobody", school=school.name(lang)),
            markup=keyboard([back]),
        )
        return
    rows: Rows = [[_person_button(entry, lang)] for entry in entries[:LIST_LIMIT]]
    rows.append(back)
    text = t(
        lang, "onboarding.people.chat.school_people", school=school.name(lang), count=len(entries)
    )
    await show(update, text, markup=keyboard(rows))


def _card(entry: PersonEntry, lang: Lang) -> Html:
    return t(
        lang,
        "onboarding.people.chat.person",
        name=entry.full_name,
        role=plain(lang, f"value.role.{entry.role.value}"),
        school=entry.school_name(lang),
        state=plain(lang, f"onboarding.people.state.{'active' if entry.active else 'inactive'}"),
        joined=format_date(entry.joined_at, lang)
        if entry.joined_at
        else plain(lang, "onboarding.people.not_joined_yet"),
    )


async def _show_person(
    update: Update,
    context: Ctx,
    lang: Lang,
    admin: Person,
    person_id: int | None,
    note: Html | None = None,
) -> None:
    async with context.services.database.read() as repos:
        entry = None if person_id is None else await repos.people_admin.entry(person_id)
        school = None if entry is None else await repos.schools.get(entry.school_id)
    if entry is None or school is None:
        await show(update, t(lang, "common.button_expired"))
        return
    rows: Rows = []
    if entry.id != admin.id:
        if entry.active:
            rows.append(
                [(plain(lang, "onboarding.people.chat.deactivate"), f"ppl:deact:{entry.id}")]
            )
        else:
            rows.append(
                [(plain(lang, "onboarding.people.chat.reactivate"), f"ppl:react:{entry.id}")]
            )
        for role in roles_for(school):
            if role is not entry.role:
                label = plain(
                    lang,
                    "onboarding.people.chat.make_role",
                    role=plain(lang, f"value.role.{role.value}"),
                )
                rows.append([(label, f"ppl:role:{entry.id}:{role.value}")])
    rows.append([(plain(lang, "onboarding.people.chat.back"), f"ppl:unit:{entry.school_id}")])
    text = _card(entry, lang)
    if note is not None:
        text = Html(f"{note}\n\n{text}")
    await show(update, text, markup=keyboard(rows))


async def person(update: Update, context: Ctx) -> None:
    """One person's card with what can be done."""
    found = await _admin(update, context)
    if found is None:
        return
    lang, admin = found
    await _show_person(update, context, lang, admin, _int(next(iter(_tail(update)), None)))


async def ask_deactivate(update: Update, context: Ctx) -> None:
    """Deactivating needs a confirmation: it locks a person out."""
    found = await _admin(update, context)
    if found is None:
        return
    lang, _ = found
    person_id = _int(next(iter(_tail(update)), None))
    async with context.services.database.read() as repos:
        entry = None if person_id is None else await repos.people_admin.entry(person_id)
    if entry is None:
        await show(update, t(lang, "common.button_expired"))
        return
    rows = [
        [(plain(lang, "common.confirm"), f"ppl:deact_ok:{entry.id}")],
        [(plain(lang, "common.cancel"), f"ppl:person:{entry.id}")],
    ]
    text = t(lang, "onboarding.people.chat.confirm_deactivate", name=entry.full_name)
    await show(update, text, markup=keyboard(rows))


async def _change(update: Update, context: Ctx, *, active: bool | None, role: Role | None) -> None:
    found = await _admin(update, context)
    if found is None:
        return
    lang, admin = found
    person_id = _int(next(iter(_tail(update)), None))
    if person_id is None:
        await show(update, t(lang, "common.button_expired"))
        return
    services = context.services
    try:
        async with services.database.transaction() as repos:
            if role is not None:
                outcome = await change_role(
                    repos,
                    person_id=person_id,
                    role=role,
                    now=services.clock(),
                    actor_person=admin,
                    actor="person",
                )
                key = "onboarding.people.role_changed"
            else:
                assert active is not None
                outcome = await set_active(
                    repos,
                    person_id=person_id,
                    active=active,
                    now=services.clock(),
                    actor_person=admin,
                    actor="person",
                )
                key = "onboarding.people.reactivated" if active else "onboarding.people.deactivated"
    except UserError as problem:
        await show(update, t(lang, problem.key, **problem.params))
        return
    entry = outcome.person
    if outcome.changed:
        role_name = plain(lang, f"value.role.{entry.role.value}")
        note = t(lang, key, name=entry.full_name, role=role_name)
    else:
        note = t(lang, "onboarding.people.unchanged", name=entry.full_name)
    await _show_person(update, context, lang, admin, entry.id, note=Html(f"<b>{note}</b>"))


async def deactivate(update: Update, context: Ctx) -> None:
    """Confirmed: deactivate the person."""
    await _change(update, context, active=False, role=None)


async def reactivate(update: Update, context: Ctx) -> None:
    """Reactivate a deactivated person."""
    await _change(update, context, active=True, role=None)


async def set_role(update: Update, context: Ctx) -> None:
    """Give the person the role on the button."""
    tail = _tail(update)
    role_value = tail[1] if len(tail) > 1 else ""
    role = Role(role_value) if role_value in {member.value for member in Role} else None
    if role is None:
        await answer_query(update)
        return
    await _change(update, context, active=None, role=role)


def _limited(lines: list[str], lang: Lang) -> str:
    if not lines:
        return plain(lang, "onboarding.people.chat.none")
    shown = lines[:LIST_LIMIT]
    if len(lines) > LIST_LIMIT:
        shown.append(plain(lang, "onboarding.people.chat.more", count=len(lines) - LIST_LIMIT))
    return "\n".join(shown)


async def show_not_joined(update: Update, context: Ctx) -> None:
    """Schools where nobody has joined, and plan people without an account."""
    found = await _admin(update, context)
    if found is None:
        return
    lang, _ = found
    async with context.services.database.read() as repos:
        waiting = await not_joined(repos)
    back = keyboard([[(plain(lang, "onboarding.people.chat.back"), "ppl:start")]])
    if not waiting.schools and not waiting.people:
        await show(update, t(lang, "onboarding.people.everyone_joined"), markup=back)
        return
    schools = _limited([f"• {s.code} {s.name(lang)}" for s in waiting.schools], lang)
    people = _limited(
        [
            f"• {p.full_name} — {plain(lang, f'value.role.{p.role.value}')}, {p.school_code}"
            for p in waiting.people
        ],
        lang,
    )
    text = t(
        lang,
        "onboarding.people.chat.not_joined_text",
        schools_header=plain(lang, "onboarding.people.schools_header", count=len(waiting.schools)),
        schools=schools,
        people_header=plain(lang, "onboarding.people.people_header", count=len(waiting.people)),
        people=people,
    )
    await show(update, text, markup=back)


def register_handlers(application: Application) -> None:  # type: ignore[type-arg]
    """Add /people and its buttons."""
    application.add_handler(CommandHandler("people", menu, filters=filters.ChatType.PRIVATE))
    for pattern, callback in (
        (r"^ppl:start$", menu),
        (r"^ppl:units:\d+$", choose_unit),
        (r"^ppl:unit:\d+$", unit_people),
        (r"^ppl:person:\d+$", person),
        (r"^ppl:deact:\d+$", ask_deactivate),
        (r"^ppl:deact_ok:\d+$", deactivate),
        (r"^ppl:react:\d+$", reactivate),
        (r"^ppl:role:\d+:[a-z]+$", set_role),
        (r"^ppl:notjoined$", show_not_joined),
    ):
        application.add_handler(CallbackQueryHandler(callback, pattern=pattern))


__all__ = ["register_handlers"]
