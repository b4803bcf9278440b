"""Approval-lite: the school head's /certify, and an officer's /return with a comment.

/certify shows the school's completeness for the current round (what is in,
what is missing, what was returned, what changed after an earlier
certification) and records a certification. /return lets an officer find an
entry by school and round and send it back with a comment: the person who
submitted it gets a notice with a button that starts its correction.
"""

from __future__ import annotations

import logging

from telegram import Message, Update
from telegram.error import Forbidden, TelegramError
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, filters

from domain.calendar import format_datetime
from domain.errors import InvalidInput, UserError
from domain.i18n import Html, Lang, as_language, plain, t
from domain.values import Role, clean_text
from handlers.common import DISTRICT_ROLES, answer_query, keyboard, require_role, show
from handlers.context import Ctx
from handlers.flow import FlowSpec, Rows, Turn, button_turn, register_flow, start_turn
from handlers.status import countdown, fit, history_lines, version_value
from storage.models import School
from storage.repositories.drafts import Draft
from storage.services import (
    EntryKind,
    HistoryItem,
    certify_round,
    find_entry,
    return_entry,
    school_round,
)

log = logging.getLogger(__name__)

HEADS = (Role.HEAD,)
FLOW = "return"
MATCH_LIMIT = 8


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


# ---------------------------------------------------------------- /certify


async def certify(update: Update, context: Ctx) -> None:
    """/certify: the school's completeness for the round, and a button to certify it."""
    await answer_query(update)
    found = await require_role(update, context, HEADS, "reporting.certify.heads_only")
    if found is None:
        return
    who, person = found
    lang = who.lang
    services = context.services
    async with services.database.read() as repos:
        round_ = await repos.plan.current_round(services.clock())
        view = (
            None
            if round_ is None
            else await school_round(repos, school_id=person.school_id, round_=round_)
        )
    if round_ is None or view is None:
        await show(update, t(lang, "kpi.no_round"))
        return
    lines = [
        t(lang, "reporting.certify.title", round=round_.name(lang), school=view.school.name(lang)),
        countdown(round_, lang, context),
        t(lang, "reporting.certify.complete", submitted=view.submitted, expected=view.expected),
    ]
    if view.missing:
        lines.append(t(lang, "reporting.certify.missing", count=len(view.missing)))
        lines += [t(lang, "reporting.status.line", name=i.name(lang)) for i in view.missing]
    if view.returned:
        lines.append(t(lang, "reporting.status.returned", count=len(view.returned)))
        lines += [t(lang, "reporting.status.line", name=i.name(lang)) for i in view.returned]
    certified = view.certified
    if certified is None:
        lines.append(t(lang, "reporting.certify.not_yet"))
    else:
        lines.append(
            t(
                lang,
                "reporting.status.certified",
                who=view.people.get(certified.certified_by_id, "—"),
                at=format_datetime(certified.certified_at, lang, tz=services.timezone),
            )
        )
        changed = view.changed_after_certification
        if changed:
            lines.append(t(lang, "reporting.certify.changed", count=len(changed)))
            lines += [t(lang, "reporting.status.line", name=i.name(lang)) for i in changed]
    lines.append(
        t(lang, "reporting.certify.ask")
        if not view.missing
        else t(lang, "reporting.certify.ask_incomplete", count=len(view.missing))
    )
    rows = [
        [(plain(lang, "reporting.certify.button"), f"cert:do:{round_.id}")],
        [(plain(lang, "reporting.history.button"), "history")],
        [(plain(lang, "menu.back"), "menu")],
    ]
    await show(update, fit(lines, lang), markup=keyboard(rows))


async def certify_pressed(update: Update, context: Ctx) -> None:
    """✅ Certify: record the certification (heads only, their own school)."""
    found = await require_role(update, context, HEADS, "reporting.certify.heads_only")
    query = update.callback_query
    if found is None or query is None or query.data is None:
        return
    await query.answer()
    who, person = found
    lang = who.lang
    services = context.services
    now = services.clock()
    try:
        async with services.database.transaction() as repos:
            round_ = await repos.plan.round(int(query.data.rsplit(":", 1)[-1]))
            if round_ is None or not round_.is_open(now):
                raise UserError("reporting.certify.round_not_open")
            certification = await certify_round(repos, person=person, round_id=round_.id, now=now)
            view = await school_round(repos, school_id=person.school_id, round_=round_)
    except UserError as problem:
        await show(update, t(lang, problem.key, **problem.params))
        return
    text = t(
        lang,
        "reporting.certify.done",
        round=round_.name(lang),
        at=format_datetime(certification.certified_at, lang, tz=services.timezone),
        submitted=view.submitted,
        expected=view.expected,
    )
    await show(update, text, markup=keyboard([[(plain(lang, "menu.back"), "menu")]]))


# ---------------------------------------------------------------- /return (officers)


async def return_command(update: Update, context: Ctx) -> None:
    """/return [school]: find the school, then the entry to send back."""
    turn = await start_turn(update, context, FLOW)
    if turn is None:
        return
    turn.answers = {}
    query = " ".join(context.args or [])
    if query.strip():
        await _search(turn, query)
        return
    await begin(turn)


async def begin(turn: Turn) -> None:
    """Ask for the school."""
    rows: Rows = [[(plain(turn.lang, "common.cancel"), "ret:cancel")]]
    await turn.show("school", t(turn.lang, "reporting.return.ask_school"), rows, adopt=True)


async def _search(turn: Turn, text: str) -> None:
    lang = turn.lang
    wanted = " ".join(text.split()).casefold()
    async with turn.context.services.database.read() as repos:
        schools = await repos.schools.list(kind="school")
    exact = [s for s in schools if s.code.casefold() == wanted]
    matches = exact or [
        s
        for s in schools
        if wanted in s.name_th.casefold() or wanted in (s.name_en or "").casefold()
    ]
    if len(matches) == 1:
        await _entries(turn, matches[0])
        return
    rows: Rows = [
        [(f"{s.code} {_short(s.name(lang), 40)}", f"ret:school:{s.id}")]
        for s in matches[:MATCH_LIMIT]
    ]
    rows.append([(plain(lang, "common.cancel"), "ret:cancel")])
    key = "reporting.return.no_school" if not matches else "reporting.return.pick_school"
    await turn.show("school", t(lang, key, text=text, count=len(matches)), rows)


async def school_chosen(update: Update, context: Ctx) -> None:
    """A school button."""
    turn = await button_turn(update, context, FLOW)
    query = update.callback_query
    if turn is None or query is None or query.data is None:
        return
    async with context.services.database.read() as repos:
        school = await repos.schools.get(int(query.data.rsplit(":", 1)[-1]))
    if school is None or school.kind != "school":
        await turn.send(t(turn.lang, "reporting.entry.not_found"))
        return
    await _entries(turn, school)


async def _entries(turn: Turn, school: School) -> None:
    lang = turn.lang
    services = turn.context.services
    async with services.database.read() as repos:
        round_ = await repos.plan.current_round(services.clock())
        view = (
            None
            if round_ is None
            else await school_round(repos, school_id=school.id, round_=round_)
        )
    if round_ is None or view is None:
        await turn.end(t(lang, "kpi.no_round"), [])
        return
    turn.answers.update(school=school.id, round=round_.id)
    submitted = [item for item in view.items if item.current is not None]
    lines: list[str] = [
        t(lang, "reporting.return.entries", school=school.name(lang), round=round_.name(lang))
    ]
    lines += history_lines(view, lang, turn.context)
    rows: Rows = [[_entry_button(item, lang)] for item in submitted]
    rows.append([(plain(lang, "common.cancel"), "ret:cancel")])
    if not submitted:
        lines.append(t(lang, "reporting.return.nothing"))
    await turn.show("entry", fit(lines, lang), rows)


def _entry_button(item: HistoryItem, lang: Lang) -> tuple[str, str]:
    current = item.current
    assert current is not None
    kind = EntryKind.KPI if item.kpi is not None else EntryKind.PROJECT
    label = f"↩️ {_short(item.name(lang), 30)} — {_short(version_value(item, current, lang), 24)}"
    return label, f"ret:entry:{kind.value}:{current.id}"


async def entry_chosen(update: Update, context: Ctx) -> None:
    """An entry button: ask for the comment."""
    turn = await button_turn(update, context, FLOW)
    query = update.callback_query
    if turn is None or query is None or query.data is None:
        return
    _, _, kind, raw_id = query.data.split(":")
    try:
        async with context.services.database.read() as repos:
            entry = await find_entry(
                repos, kind=EntryKind(kind), entry_id=int(raw_id), school_id=None
            )
    except UserError as problem:
        await turn.send(t(turn.lang, problem.key, **problem.params))
        return
    if entry.school_id != turn.answers.get("school"):
        await turn.send(t(turn.lang, "reporting.flow.not_yours"))
        return
    turn.answers.update(kind=kind, entry=entry.current.id, name=entry.name(turn.lang))
    rows: Rows = [[(plain(turn.lang, "common.cancel"), "ret:cancel")]]
    await turn.show(
        "comment", t(turn.lang, "reporting.return.ask_comment", name=entry.name(turn.lang)), rows
    )


async def on_input(turn: Turn, message: Message) -> None:
    """Typed text: the school to search, or the comment."""
    lang = turn.lang
    if message.text is None or turn.step not in ("school", "comment"):
        await turn.send(
            t(lang, "reporting.flow.stray", hint=t(lang, "reporting.flow.hint_buttons"))
        )
        return
    if turn.step == "school":
        await _search(turn, message.text)
        return
    try:
        turn.answers["comment"] = clean_text(message.text)
    except InvalidInput as problem:
        await turn.send(t(lang, problem.key, **problem.params))
        return
    text = t(
        lang,
        "reporting.return.review",
        name=turn.answers.get("name", ""),
        comment=turn.answers["comment"],
    )
    rows: Rows = [
        [(plain(lang, "reporting.return.button"), "ret:confirm")],
        [(plain(lang, "common.cancel"), "ret:cancel")],
    ]
    await turn.show("review", text, rows)


async def confirm(update: Update, context: Ctx) -> None:
    """Return the entry, then tell the school's reporter with a button to correct it."""
    turn = await button_turn(update, context, FLOW)
    if turn is None:
        return
    a = turn.answers
    lang = turn.lang
    if turn.step != "review" or a.get("kind") not in ("kv", "pr") or not a.get("comment"):
        await turn.send(t(lang, "reporting.flow.old_button"))
        return
    services = context.services
    now = services.clock()
    try:
        async with services.database.transaction() as repos:
            returned = await return_entry(
                repos,
                officer=turn.person,
                kind=EntryKind(a["kind"]),
                entry_id=int(a["entry"]),
                comment=a["comment"],
                now=now,
            )
            await repos.drafts.drop(person_id=turn.person.id, flow=FLOW)
    except UserError as problem:
        await turn.end(t(lang, problem.key, **problem.params), [])
        return
    told = 0
    entry = returned.entry
    for person in returned.notify:
        if person.telegram_user_id is None:
            continue
        their = as_language(person.language, services.default_language)
        notice = t(
            their,
            "reporting.return.notice",
            name=entry.name(their),
            round=entry.round.name(their),
            officer=turn.person.full_name,
            comment=a["comment"],
        )
        button = [
            [
                (
                    plain(their, "reporting.correct.button", name=_short(entry.name(their), 30)),
                    f"fix:{entry.kind.value}:{entry.current.id}",
                )
            ]
        ]
        try:
            await context.bot.send_message(
                person.telegram_user_id, notice, reply_markup=keyboard(button)
            )
            told += 1
        except Forbidden:
            log.warning("person %s has blocked the bot; return notice not delivered", person.id)
        except TelegramError:
            log.warning("return notice to person %s failed", person.id, exc_info=True)
    text = t(
        lang,
        "reporting.return.done",
        name=entry.name(lang),
        school=returned.school.name(lang),
        count=told,
    )
    await turn.end(text, [])


def describe(draft: Draft, lang: Lang) -> str:
    """What a /return draft is, for "continue where you left off?"."""
    return plain(lang, "reporting.return.draft")


def register_handlers(application: Application) -> None:  # type: ignore[type-arg]
    """/certify for heads and /return for officers, with their buttons."""
    register_flow(
        FlowSpec(
            name=FLOW,
            roles=DISTRICT_ROLES,
            refusal="access.officers_only",
            begin=begin,
            render=_render,
            on_input=on_input,
            describe=describe,
        )
    )
    private = filters.ChatType.PRIVATE
    application.add_handler(CommandHandler("certify", certify, filters=private))
    application.add_handler(CallbackQueryHandler(certify, pattern=r"^certify$"))
    application.add_handler(CallbackQueryHandler(certify_pressed, pattern=r"^cert:do:\d+$"))
    application.add_handler(CommandHandler("return", return_command, filters=private))
    application.add_handler(CallbackQueryHandler(school_chosen, pattern=r"^ret:school:\d+$"))
    application.add_handler(CallbackQueryHandler(entry_chosen, pattern=r"^ret:entry:(kv|pr):\d+$"))
    application.add_handler(CallbackQueryHandler(confirm, pattern=r"^ret:confirm$"))


async def _render(turn: Turn) -> None:
    """Resume: the officer's flow restarts from the school, which is quick to give again."""
    await begin(turn)


__all__ = ["Html", "register_handlers"]
