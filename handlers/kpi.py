"""/kpi: enter a school's indicator values for the current round.

choose a KPI → type the value (yes/no and levels by buttons) → review card →
confirm. Nothing is stored until confirmed; "saved" is said only after the
transaction has committed. Flow answers live in ``user_data`` (persisted as
JSON) so a restart resumes at the same step.
"""

from __future__ import annotations

import warnings
from decimal import Decimal
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
from domain.errors import InvalidInput, UserError
from domain.i18n import Html, Lang, plain, t
from domain.values import LEVEL_MAX, LEVEL_MIN, ValueType, format_kpi_value, parse_kpi_value
from handlers.common import STAFF_ROLES, Caller, answer_query, keyboard, require_role, send, show
from handlers.context import Ctx
from storage.models import Kpi, Person
from storage.services import outstanding_kpis, submit_kpi_value

FLOW_KEY = "kpi"


class KpiState(StrEnum):
    """Steps of the KPI flow (stored by name in the persistence)."""

    CHOOSE = "kpi.choose"
    VALUE = "kpi.value"
    REVIEW = "kpi.review"


def _flow(context: Ctx) -> dict[str, Any]:
    assert context.user_data is not None
    flow = context.user_data.get(FLOW_KEY)
    if not isinstance(flow, dict):
        flow = {}
        context.user_data[FLOW_KEY] = flow
    return flow


def _end_flow(context: Ctx) -> int:
    if context.user_data is not None:
        context.user_data.pop(FLOW_KEY, None)
    return ConversationHandler.END


def _target_text(kpi: Kpi, target: Decimal, lang: Lang) -> str:
    return format_kpi_value(kpi.value_type, target, lang)


async def begin(update: Update, context: Ctx) -> KpiState | int:
    """/kpi or the menu button: list what the school still owes in the current round."""
    await answer_query(update)
    found = await require_role(update, context, STAFF_ROLES, "access.staff_only")
    if found is None:
        return _end_flow(context)
    who, person = found
    services = context.services
    now = services.clock()
    async with services.database.read() as repos:
        round_ = await repos.plan.current_round(now)
        outstanding = (
            []
            if round_ is None
            else await outstanding_kpis(repos, school_id=person.school_id, round_=round_)
        )
    if round_ is None:
        await show(update, t(who.lang, "kpi.no_round"))
        return _end_flow(context)
    if not outstanding:
        await show(update, t(who.lang, "kpi.all_done", round=round_.name(who.lang)))
        return _end_flow(context)
    _flow(context).clear()
    _flow(context)["round_id"] = round_.id
    if len(outstanding) == 1:
        item = outstanding[0]
        return await ask_value(update, context, who, item.kpi, item.target, round_id=round_.id)
    rows = [[(_short(item.kpi.name(who.lang)), f"kpi:pick:{item.kpi.id}")] for item in outstanding]
    rows.append([(plain(who.lang, "common.cancel"), "kpi:cancel")])
    text = t(
        who.lang,
        "kpi.choose",
        round=round_.name(who.lang),
        due=format_datetime(round_.due_at, who.lang, tz=services.timezone),
        count=len(outstanding),
    )
    await show(update, text, markup=keyboard(rows))
    return KpiState.CHOOSE


def _short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


async def picked(update: Update, context: Ctx) -> KpiState | int:
    """A KPI button: ask for its value (the id is checked against the school's KPIs)."""
    await answer_query(update)
    found = await require_role(update, context, STAFF_ROLES, "access.staff_only")
    query = update.callback_query
    if found is None or query is None or query.data is None:
        return _end_flow(context)
    who, person = found
    round_id = _flow(context).get("round_id")
    kpi_id = _int_suffix(query.data)
    item = await _owed(context, person, round_id, kpi_id)
    if item is None or round_id is None:
        await show(update, t(who.lang, "kpi.not_expected"))
        return _end_flow(context)
    kpi, target = item
    return await ask_value(update, context, who, kpi, target, round_id=round_id)


def _int_suffix(data: str) -> int | None:
    tail = data.rsplit(":", 1)[-1]
    return int(tail) if tail.isdigit() else None


async def _owed(
    context: Ctx, person: Person, round_id: object, kpi_id: int | None
) -> tuple[Kpi, Decimal] | None:
    """The KPI and target if the person's school owes it in the round; None otherwise."""
    if not isinstance(round_id, int) or kpi_id is None:
        return None
    async with context.services.database.read() as repos:
        round_ = await repos.plan.round(round_id)
        if round_ is None:
            return None
        for item in await outstanding_kpis(repos, school_id=person.school_id, round_=round_):
            if item.kpi.id == kpi_id:
                return item.kpi, item.target
    return None


def _value_buttons(kpi: Kpi, lang: Lang) -> list[list[tuple[str, str]]]:
    if kpi.value_type is ValueType.YES_NO:
        return [
            [(plain(lang, "value.yes"), "kpi:value:1"), (plain(lang, "value.no"), "kpi:value:0")]
        ]
    if kpi.value_type is ValueType.LEVEL:
        return [[(str(level), f"kpi:value:{level}") for level in range(LEVEL_MIN, LEVEL_MAX + 1)]]
    return []


async def ask_value(
    update: Update, context: Ctx, who: Caller, kpi: Kpi, target: Decimal, *, round_id: int
) -> KpiState:
    """Show the KPI with its unit and target, and ask for the value."""
    flow = _flow(context)
    flow.update(round_id=round_id, kpi_id=kpi.id, value=None)
    rows = _value_buttons(kpi, who.lang)
    rows.append([(plain(who.lang, "common.cancel"), "kpi:cancel")])
    await show(update, _question(kpi, target, who.lang), markup=keyboard(rows))
    return KpiState.VALUE


def _question(kpi: Kpi, target: Decimal, lang: Lang) -> Html:
    question = t(
        lang,
        "kpi.ask",
        name=kpi.name(lang),
        unit=kpi.unit(lang),
        target=_target_text(kpi, target, lang),
        type=plain(lang, f"value.type.{kpi.value_type.value}"),
    )
    return Html(question + "\n" + t(lang, f"kpi.hint.{kpi.value_type.value}"))


async def value_typed(update: Update, context: Ctx) -> KpiState | int:
    """A typed value: on to the review card, or explain the mistake and ask again."""
    message = update.effective_message
    found = await require_role(update, context, STAFF_ROLES, "access.staff_only")
    if found is None or message is None or message.text is None:
        return _end_flow(context)
    who, person = found
    return await _accept_value(update, context, who, person, message.text)


async def value_pressed(update: Update, context: Ctx) -> KpiState | int:
    """A yes/no or level button."""
    await answer_query(update)
    query = update.callback_query
    found = await require_role(update, context, STAFF_ROLES, "access.staff_only")
    if found is None or query is None or query.data is None:
        return _end_flow(context)
    who, person = found
    return await _accept_value(update, context, who, person, query.data.rsplit(":", 1)[-1])


async def _accept_value(
    update: Update, context: Ctx, who: Caller, person: Person, text: str
) -> KpiState | int:
    flow = _flow(context)
    item = await _owed(context, person, flow.get("round_id"), flow.get("kpi_id"))
    if item is None:
        await send(update, t(who.lang, "kpi.not_expected"))
        return _end_flow(context)
    kpi, target = item
    try:
        value = parse_kpi_value(kpi.value_type, text)
    except InvalidInput as problem:
        rows = [*_value_buttons(kpi, who.lang), [(plain(who.lang, "common.cancel"), "kpi:cancel")]]
        text = (
            t(who.lang, problem.key, **problem.params)
            + Html("\n\n")
            + _question(kpi, target, who.lang)
        )
        await send(update, Html(text), markup=keyboard(rows))
        return KpiState.VALUE
    flow["value"] = str(value)
    card = t(
        who.lang,
        "kpi.review",
        name=kpi.name(who.lang),
        value=format_kpi_value(kpi.value_type, value, who.lang),
        unit=kpi.unit(who.lang),
        target=_target_text(kpi, target, who.lang),
    )
    rows = [
        [(plain(who.lang, "common.confirm"), "kpi:confirm")],
        [
            (plain(who.lang, "common.edit"), "kpi:edit"),
            (plain(who.lang, "common.cancel"), "kpi:cancel"),
        ],
    ]
    await show(update, card, markup=keyboard(rows))
    return KpiState.REVIEW


async def edit(update: Update, context: Ctx) -> KpiState | int:
    """Edit from the review card: ask the value again."""
    await answer_query(update)
    found = await require_role(update, context, STAFF_ROLES, "access.staff_only")
    if found is None:
        return _end_flow(context)
    who, person = found
    flow = _flow(context)
    item = await _owed(context, person, flow.get("round_id"), flow.get("kpi_id"))
    if item is None:
        await show(update, t(who.lang, "kpi.not_expected"))
        return _end_flow(context)
    return await ask_value(update, context, who, item[0], item[1], round_id=flow["round_id"])


async def confirm(update: Update, context: Ctx) -> KpiState | int:
    """Store the value; say "saved" only after the commit; offer the next KPI."""
    await answer_query(update)
    found = await require_role(update, context, STAFF_ROLES, "access.staff_only")
    if found is None:
        return _end_flow(context)
    who, person = found
    flow = _flow(context)
    round_id, kpi_id, raw = flow.get("round_id"), flow.get("kpi_id"), flow.get("value")
    if not isinstance(round_id, int) or not isinstance(kpi_id, int) or not isinstance(raw, str):
        await show(update, t(who.lang, "common.button_expired"))
        return _end_flow(context)
    services = context.services
    now = services.clock()
    try:
        async with services.database.transaction() as repos:
            kpi = await repos.plan.kpi(kpi_id)
            stored = await submit_kpi_value(
                repos,
                person=person,
                round_id=round_id,
                kpi_id=kpi_id,
                value=Decimal(raw),
                expected_version=0,
                now=now,
            )
            round_ = await repos.plan.round(round_id)
            remaining = (
                []
                if round_ is None
                else await outstanding_kpis(repos, school_id=person.school_id, round_=round_)
            )
    except UserError as problem:
        await show(update, t(who.lang, problem.key, **problem.params))
        return _end_flow(context)
    assert kpi is not None
    text = t(
        who.lang,
        "kpi.saved",
        name=kpi.name(who.lang),
        value=format_kpi_value(kpi.value_type, stored.value, who.lang),
        at=format_datetime(stored.submitted_at, who.lang, tz=services.timezone),
    )
    rows: list[list[tuple[str, str]]] = []
    if remaining:
        text = Html(text + "\n\n" + t(who.lang, "kpi.remaining", count=len(remaining)))
        rows.append([(plain(who.lang, "kpi.next"), "kpi:start")])
    rows.append([(plain(who.lang, "menu.back"), "menu")])
    await show(update, text, markup=keyboard(rows))
    return _end_flow(context)


async def cancel(update: Update, context: Ctx) -> int:
    """/cancel or the cancel button: drop the answers, store nothing."""
    await answer_query(update)
    found = await require_role(update, context, STAFF_ROLES, "access.staff_only")
    if found is not None:
        await show(update, t(found[0].lang, "kpi.cancelled"))
    return _end_flow(context)


async def stray(update: Update, context: Ctx) -> KpiState:
    """Anything else mid-flow (a sticker, a photo): a hint for the current step."""
    found = await require_role(update, context, STAFF_ROLES, "access.staff_only")
    if found is not None:
        await send(update, t(found[0].lang, "kpi.stray"))
    state = context.user_data.get(FLOW_KEY, {}).get("value") if context.user_data else None
    return KpiState.REVIEW if state is not None else KpiState.VALUE


def build_conversation() -> ConversationHandler:  # type: ignore[type-arg]
    """The persistent /kpi conversation.

    Tracked per chat and user, not per message: a flow is one conversation
    whatever message its buttons are on, and stale buttons are answered by
    the catch-all instead.
    """
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*per_message=False", category=PTBUserWarning)
        return _conversation()


def _conversation() -> ConversationHandler:  # type: ignore[type-arg]
    private = filters.ChatType.PRIVATE
    return ConversationHandler(
        entry_points=[
            CommandHandler("kpi", begin, filters=private),
            CallbackQueryHandler(begin, pattern=r"^kpi:start$"),
        ],
        states={
            KpiState.CHOOSE: [CallbackQueryHandler(picked, pattern=r"^kpi:pick:\d+$")],
            KpiState.VALUE: [
                MessageHandler(private & filters.TEXT & ~filters.COMMAND, value_typed),
                CallbackQueryHandler(value_pressed, pattern=r"^kpi:value:\d+$"),
            ],
            KpiState.REVIEW: [
                CallbackQueryHandler(confirm, pattern=r"^kpi:confirm$"),
                CallbackQueryHandler(edit, pattern=r"^kpi:edit$"),
            ],
        },
        fallbacks=[
            CommandHandler("cancel", cancel, filters=private),
            CallbackQueryHandler(cancel, pattern=r"^kpi:cancel$"),
            CommandHandler("kpi", begin, filters=private),
            CallbackQueryHandler(begin, pattern=r"^kpi:start$"),
            MessageHandler(private & ~filters.COMMAND & ~filters.StatusUpdate.ALL, stray),
        ],
        name="kpi",
        persistent=True,
        allow_reentry=True,
    )


def register_handlers(application: Application) -> None:  # type: ignore[type-arg]
    """Add the /kpi conversation."""
    application.add_handler(build_conversation())


__all__ = ["KpiState", "register_handlers"]
