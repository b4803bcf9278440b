"""/ladder: an officer sees and changes a round's reminder steps.

/ladder → the round (a button per round not yet closed) → its steps and the
day each reminder goes out (the reminder pass's own schedule on the office
calendar, so the dates shown are the dates sent) → "use the default" or type
new steps → a review with the new dates → confirm → stored and audited with
the officer as the actor, exactly as ``tidtam ladder`` does from the command
line.

The steps being reviewed live on the server (the conversation's user data),
never in the buttons; every button's round id is checked against the round
being edited and against the database, so a forged or stale press changes
nothing. Steps that cannot be read get the expected form and an example, and
nothing is stored.
"""

from __future__ import annotations

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

from domain.calendar import format_datetime
from domain.errors import InvalidInput
from domain.i18n import Html, Lang, plain, t
from domain.numbers import quote_input
from handlers.common import DISTRICT_ROLES, Caller, answer_query, keyboard, require_role, send, show
from handlers.context import Ctx
from handlers.nudge import reminder_config
from scheduler.ladder import (
    DEFAULT_LADDER,
    MAX_OFFSET_DAYS,
    ScheduledStep,
    Step,
    ladder_json,
    ladder_text,
    parse_ladder,
    schedule,
)
from scheduler.planner import load_calendar, round_schedule
from storage.models import Person, Round

FLOW_KEY = "ladder"
ROUNDS_SHOWN = 20
"""Round buttons offered at most (the latest to open come first)."""
EXAMPLE = ladder_text(parse_ladder(list(DEFAULT_LADDER)))


class LadderState(StrEnum):
    """Steps of the /ladder conversation (stored by name in the persistence)."""

    ROUND = "ladder.round"
    SHOWN = "ladder.shown"
    STEPS = "ladder.steps"
    REVIEW = "ladder.review"


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


async def _officer(update: Update, context: Ctx) -> tuple[Caller, Person] | None:
    # The role is checked before the press is acknowledged, so a refusal can
    # be the press's one answer (an alert) rather than a lost second answer.
    found = await require_role(update, context, DISTRICT_ROLES, "access.officers_only")
    if found is not None:
        await answer_query(update)
    return found


def _pressed_id(update: Update) -> int | None:
    query = update.callback_query
    if query is None or query.data is None:
        return None
    tail = query.data.rsplit(":", 1)[-1]
    return int(tail) if tail.isdigit() else None


async def _live_round(context: Ctx, round_id: int | None) -> Round | None:
    """The round if it exists and is not closed (only those may change their steps)."""
    if round_id is None:
        return None
    async with context.services.database.read() as repos:
        round_ = await repos.plan.round(round_id)
    return round_ if round_ is not None and round_.closed_at is None else None


async def _gone(update: Update, context: Ctx, lang: Lang) -> int:
    await show(update, t(lang, "ladder.round_gone"))
    return _end(context)


def _step_label(step: Step, lang: Lang) -> str:
    if step.offset is None:
        return plain(lang, "ladder.step.open")
    if step.offset == 0:
        return plain(lang, "ladder.step.due")
    kind = "before" if step.offset < 0 else "overdue"
    return plain(lang, f"ladder.step.{kind}", days=abs(step.offset))


def _lines(
    context: Ctx, lang: Lang, steps: tuple[Step, ...], scheduled: list[ScheduledStep]
) -> list[str]:
    """One line per step with the moment it goes out; then steps that never go out."""
    services = context.services
    now = services.clock()
    lines: list[str] = [
        t(
            lang,
            "ladder.line_past" if item.at <= now else "ladder.line",
            step=_step_label(item.step, lang),
            at=format_datetime(item.at, lang, tz=services.timezone),
        )
        for item in scheduled
    ]
    sent = {item.step.key for item in scheduled}
    dropped = [_step_label(step, lang) for step in steps if step.key not in sent]
    if dropped:
        lines.append(t(lang, "ladder.dropped", steps=", ".join(dropped)))
    lines += ["", t(lang, "ladder.who", time=f"{services.reminder_time:%H:%M}")]
    return lines


async def _schedule(
    context: Ctx, round_: Round, steps: tuple[Step, ...] | None
) -> tuple[tuple[Step, ...], list[ScheduledStep], bool]:
    """Steps (the stored ones when ``steps`` is None), their sending moments, and is-default."""
    async with context.services.database.read() as repos:
        calendar = await load_calendar(repos, reminder_config(context.services))
        if steps is None:
            stored = await repos.reminders.round_ladder(round_.id)
            scheduled = await round_schedule(repos, round_, calendar)
            try:
                current = parse_ladder(stored)
            except InvalidInput:
                current = parse_ladder(list(DEFAULT_LADDER))
            return current, scheduled, stored is None
    scheduled = schedule(steps, opens_at=round_.opens_at, due_at=round_.due_at, calendar=calendar)
    return steps, scheduled, False


def _default_marker(lang: Lang, is_default: bool) -> str:
    return plain(lang, "ladder.default_marker") if is_default else ""


async def begin(update: Update, context: Ctx) -> LadderState | int:
    """/ladder: a button per round not yet closed."""
    found = await _officer(update, context)
    if found is None:
        return _end(context)
    who, _ = found
    _flow(context).clear()
    async with context.services.database.read() as repos:
        rounds = [round_ for round_ in await repos.plan.rounds() if round_.closed_at is None]
    if not rounds:
        await show(update, t(who.lang, "ladder.no_round"))
        return _end(context)
    rounds.sort(key=lambda round_: (round_.opens_at, round_.code), reverse=True)
    rows = [
        [(f"{round_.code} · {round_.name(who.lang)}", f"ladder:round:{round_.id}")]
        for round_ in rounds[:ROUNDS_SHOWN]
    ]
    rows.append([(plain(who.lang, "common.cancel"), "ladder:cancel")])
    await show(update, t(who.lang, "ladder.choose_round"), markup=keyboard(rows))
    return LadderState.ROUND


async def round_chosen(update: Update, context: Ctx) -> LadderState | int:
    """A round button: its current steps and when each goes out."""
    found = await _officer(update, context)
    if found is None:
        return _end(context)
    who, _ = found
    round_ = await _live_round(context, _pressed_id(update))
    if round_ is None:
        return await _gone(update, context, who.lang)
    flow = _flow(context)
    flow.clear()
    flow["round_id"] = round_.id
    steps, scheduled, is_default = await _schedule(context, round_, None)
    tz = context.services.timezone
    text = t(
        who.lang,
        "ladder.current",
        round=round_.name(who.lang),
        opens=format_datetime(round_.opens_at, who.lang, tz=tz),
        due=format_datetime(round_.due_at, who.lang, tz=tz),
        steps=ladder_text(steps),
        default=_default_marker(who.lang, is_default),
    )
    rows = [
        [(plain(who.lang, "ladder.change"), f"ladder:type:{round_.id}")],
        [(plain(who.lang, "ladder.use_default"), f"ladder:default:{round_.id}")],
        [(plain(who.lang, "common.cancel"), "ladder:cancel")],
    ]
    body = [text, "", *_lines(context, who.lang, steps, scheduled)]
    await show(update, Html("\n".join(body)), markup=keyboard(rows))
    return LadderState.SHOWN


async def _flow_round(update: Update, context: Ctx) -> Round | None:
    """The round the flow is on, if the pressed button names that same live round."""
    pressed = _pressed_id(update)
    if pressed is None or pressed != _flow(context).get("round_id"):
        return None
    return await _live_round(context, pressed)


async def ask_steps(update: Update, context: Ctx) -> LadderState | int:
    """ "Type new steps": say how to write them."""
    found = await _officer(update, context)
    if found is None:
        return _end(context)
    who, _ = found
    round_ = await _flow_round(update, context)
    if round_ is None:
        return await _gone(update, context, who.lang)
    text = t(who.lang, "ladder.ask", round=round_.name(who.lang), example=EXAMPLE)
    rows = [[(plain(who.lang, "common.cancel"), "ladder:cancel")]]
    await show(update, text, markup=keyboard(rows))
    return LadderState.STEPS


async def _review(
    update: Update,
    context: Ctx,
    lang: Lang,
    round_: Round,
    steps: tuple[Step, ...],
    *,
    default: bool,
) -> LadderState:
    flow = _flow(context)
    flow["steps"] = None if default else ladder_json(steps)
    _, scheduled, _ = await _schedule(context, round_, steps)
    text = t(
        lang,
        "ladder.review",
        round=round_.name(lang),
        steps=ladder_text(steps),
        default=_default_marker(lang, default),
    )
    rows = [
        [(plain(lang, "common.confirm"), f"ladder:save:{round_.id}")],
        [
            (plain(lang, "common.edit"), f"ladder:type:{round_.id}"),
            (plain(lang, "common.cancel"), "ladder:cancel"),
        ],
    ]
    body = [text, "", *_lines(context, lang, steps, scheduled)]
    await show(update, Html("\n".join(body)), markup=keyboard(rows))
    return LadderState.REVIEW


async def use_default(update: Update, context: Ctx) -> LadderState | int:
    """ "Use the default": review the default ladder."""
    found = await _officer(update, context)
    if found is None:
        return _end(context)
    who, _ = found
    round_ = await _flow_round(update, context)
    if round_ is None:
        return await _gone(update, context, who.lang)
    default = parse_ladder(list(DEFAULT_LADDER))
    return await _review(update, context, who.lang, round_, default, default=True)


async def steps_typed(update: Update, context: Ctx) -> LadderState | int:
    """Typed steps: read them, or say what is expected and change nothing."""
    message = update.effective_message
    found = await require_role(update, context, DISTRICT_ROLES, "access.officers_only")
    if found is None or message is None or message.text is None:
        return _end(context)
    who, _ = found
    round_ = await _live_round(context, _flow(context).get("round_id"))
    if round_ is None:
        return await _gone(update, context, who.lang)
    try:
        steps = parse_ladder(message.text)
    except InvalidInput:
        reply = t(
            who.lang,
            "ladder.invalid",
            text=quote_input(message.text),
            max=MAX_OFFSET_DAYS,
            example=EXAMPLE,
        )
        rows = [[(plain(who.lang, "common.cancel"), "ladder:cancel")]]
        await send(update, reply, markup=keyboard(rows))
        return LadderState.STEPS
    return await _review(update, context, who.lang, round_, steps, default=False)


async def not_text(update: Update, context: Ctx) -> LadderState:
    """A photo, sticker or file where the steps are expected."""
    found = await require_role(update, context, DISTRICT_ROLES, "access.officers_only")
    if found is not None:
        await send(update, t(found[0].lang, "ladder.not_text", example=EXAMPLE))
    return LadderState.STEPS


async def save(update: Update, context: Ctx) -> int:
    """Confirm: store the reviewed steps, audit the change, show the new schedule."""
    found = await _officer(update, context)
    if found is None:
        return _end(context)
    who, officer = found
    flow = dict(_flow(context))
    round_ = await _flow_round(update, context)
    if round_ is None or "steps" not in flow:
        return await _gone(update, context, who.lang)
    stored = flow["steps"]
    # read back through the parser: the user data is the server's, but never trusted blindly
    steps = parse_ladder(stored)
    services = context.services
    now = services.clock()
    async with services.database.transaction() as repos:
        before = await repos.reminders.round_ladder(round_.id)
        await repos.reminders.set_round_ladder(round_.id, stored, now=now)
        await repos.audit.record(
            at=now,
            actor_person_id=officer.id,
            action="set_reminder_ladder",
            entity="round",
            entity_id=round_.id,
            before={"ladder": before},
            after={"ladder": stored},
        )
    _end(context)  # stored: a second press of the button finds nothing to save
    _, scheduled, is_default = await _schedule(context, round_, None)
    text = t(
        who.lang,
        "ladder.saved",
        round=round_.name(who.lang),
        steps=ladder_text(steps),
        default=_default_marker(who.lang, is_default),
    )
    body = [text, "", *_lines(context, who.lang, steps, scheduled)]
    await show(update, Html("\n".join(body)))
    return ConversationHandler.END


async def cancel(update: Update, context: Ctx) -> int:
    """/cancel or the cancel button: the steps stay as they are."""
    found = await _officer(update, context)
    if found is not None:
        await show(update, t(found[0].lang, "ladder.cancelled"))
    return _end(context)


def build_conversation() -> ConversationHandler:  # type: ignore[type-arg]
    """The persistent /ladder conversation (per chat and user, like /announce)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*per_message=False", category=PTBUserWarning)
        private = filters.ChatType.PRIVATE
        typed = private & filters.TEXT & ~filters.COMMAND
        return ConversationHandler(
            entry_points=[
                CommandHandler("ladder", begin, filters=private),
                # a round button of an earlier /ladder still works, checked afresh
                CallbackQueryHandler(round_chosen, pattern=r"^ladder:round:\d+$"),
            ],
            states={
                LadderState.ROUND: [
                    CallbackQueryHandler(round_chosen, pattern=r"^ladder:round:\d+$")
                ],
                LadderState.SHOWN: [
                    CallbackQueryHandler(ask_steps, pattern=r"^ladder:type:\d+$"),
                    CallbackQueryHandler(use_default, pattern=r"^ladder:default:\d+$"),
                ],
                LadderState.STEPS: [
                    MessageHandler(typed, steps_typed),
                    MessageHandler(
                        private & ~filters.COMMAND & ~filters.StatusUpdate.ALL, not_text
                    ),
                ],
                LadderState.REVIEW: [
                    CallbackQueryHandler(save, pattern=r"^ladder:save:\d+$"),
                    CallbackQueryHandler(ask_steps, pattern=r"^ladder:type:\d+$"),
                ],
            },
            fallbacks=[
                CommandHandler("cancel", cancel, filters=private),
                CallbackQueryHandler(cancel, pattern=r"^ladder:cancel$"),
                CommandHandler("ladder", begin, filters=private),
            ],
            name="ladder",
            persistent=True,
            allow_reentry=True,
        )


def register_handlers(application: Application) -> None:  # type: ignore[type-arg]
    """Add the /ladder conversation."""
    application.add_handler(build_conversation())


__all__ = ["LadderState", "register_handlers"]
