"""/nudge: an officer reminds a round's late schools now.

/nudge (or the menu button) → the round (when several are open) → a preview:
how many late schools, how many people will get a reminder, which schools
nobody can be reached at → "send now" → each person gets a reminder listing
exactly what their school is missing → a delivery report: how many were
delivered, who is held in a flow, who could not be reached.

The confirm button carries a token made when the preview was shown, and
each reminder is claimed in the send log under that token, so pressing the
button twice (or two officers pressing the same preview) sends nothing twice.
Sending runs in the background; the officer gets the report when it is done.
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, filters

from domain.calendar import format_datetime
from domain.i18n import Html, Lang, plain, t
from handlers.common import DISTRICT_ROLES, answer_query, keyboard, require_role, send, show
from handlers.context import Ctx, Services
from scheduler.messages import countdown
from scheduler.planner import Action, NudgePlan, ReminderConfig, plan_nudge
from scheduler.runner import outgoing, send_logged
from storage.models import Round

SCHOOLS_SHOWN = 25


def reminder_config(services: Services) -> ReminderConfig:
    """Reminder timing of the running bot."""
    return ReminderConfig(
        tz=services.timezone,
        reminder_time=services.reminder_time,
        max_hold=services.reminder_max_hold,
        default_language=services.default_language,
    )


async def begin(update: Update, context: Ctx) -> None:
    """/nudge or the menu button: pick the round, or preview the only open one."""
    await answer_query(update)
    found = await require_role(update, context, DISTRICT_ROLES, "access.officers_only")
    if found is None:
        return
    who, _ = found
    now = context.services.clock()
    async with context.services.database.read() as repos:
        open_rounds = await repos.plan.open_rounds(now)
    if not open_rounds:
        await show(update, t(who.lang, "nudge.no_round"))
        return
    if len(open_rounds) == 1:
        await preview(update, context, who.lang, open_rounds[0])
        return
    rows = [[(round_.name(who.lang), f"nudge:round:{round_.id}")] for round_ in open_rounds]
    rows.append([(plain(who.lang, "common.cancel"), "nudge:cancel")])
    await show(update, t(who.lang, "nudge.choose_round"), markup=keyboard(rows))


async def round_chosen(update: Update, context: Ctx) -> None:
    """A round button: show the preview of that round's nudge."""
    await answer_query(update)
    found = await require_role(update, context, DISTRICT_ROLES, "access.officers_only")
    query = update.callback_query
    if found is None or query is None or query.data is None:
        return
    who, _ = found
    async with context.services.database.read() as repos:
        round_ = await repos.plan.round(int(query.data.rsplit(":", 1)[-1]))
    if round_ is None or not round_.is_open(context.services.clock()):
        await show(update, t(who.lang, "nudge.no_round"))
        return
    await preview(update, context, who.lang, round_)


async def _plan(context: Ctx, round_: Round, token: int) -> NudgePlan:
    services = context.services
    async with services.database.read() as repos:
        return await plan_nudge(
            repos,
            round_=round_,
            token=token,
            now=services.clock(),
            config=reminder_config(services),
        )


async def preview(update: Update, context: Ctx, lang: Lang, round_: Round) -> None:
    """Who will be reminded: late schools, recipients, schools nobody can be reached at."""
    services = context.services
    now = services.clock()
    token = int(now.timestamp())
    plan = await _plan(context, round_, token)
    if not plan.late:
        await show(update, t(lang, "nudge.nobody_late", round=round_.name(lang)))
        return
    per_school: dict[int, int] = {}
    for message in plan.messages:
        per_school[message.school.id] = per_school.get(message.school.id, 0) + 1
    lines: list[str] = [
        t(
            lang,
            "nudge.preview",
            round=round_.name(lang),
            due=format_datetime(round_.due_at, lang, tz=services.timezone),
            countdown=countdown(round_.due_at, now, lang, services.timezone),
            schools=len(plan.late),
            people=plan.people,
        ),
        "",
        t(lang, "nudge.preview_schools"),
    ]
    for school, outstanding in plan.late[:SCHOOLS_SHOWN]:
        lines.append(
            t(
                lang,
                "nudge.preview_school",
                code=school.code,
                school=school.name(lang),
                count=outstanding.count,
                people=per_school.get(school.id, 0),
            )
        )
    if len(plan.late) > SCHOOLS_SHOWN:
        lines.append(t(lang, "nudge.preview_more", count=len(plan.late) - SCHOOLS_SHOWN))
    if not plan.messages:
        lines += ["", t(lang, "nudge.preview_nobody")]
        await show(update, Html("\n".join(lines)))
        return
    if plan.unreachable_schools:
        lines += ["", t(lang, "nudge.preview_unregistered", count=len(plan.unreachable_schools))]
    rows = [
        [(plain(lang, "nudge.send"), f"nudge:send:{round_.id}:{token}")],
        [(plain(lang, "common.cancel"), "nudge:cancel")],
    ]
    await show(update, Html("\n".join(lines)), markup=keyboard(rows))


async def confirm(update: Update, context: Ctx) -> None:
    """Send the nudge in the background and report when it is done."""
    await answer_query(update)
    found = await require_role(update, context, DISTRICT_ROLES, "access.officers_only")
    query = update.callback_query
    if found is None or query is None or query.data is None:
        return
    who, officer = found
    _, _, round_id, token = query.data.split(":")
    services = context.services
    async with services.database.read() as repos:
        round_ = await repos.plan.round(int(round_id))
    if round_ is None:
        await show(update, t(who.lang, "nudge.no_round"))
        return
    plan = await _plan(context, round_, int(token))
    await show(update, t(who.lang, "nudge.sending", people=plan.people))
    context.application.create_task(
        _deliver(update, context, who.lang, plan, officer_id=officer.id), update=update
    )


async def _deliver(
    update: Update, context: Ctx, lang: Lang, plan: NudgePlan, *, officer_id: int
) -> None:
    services = context.services
    now = services.clock()
    held = [message for message in plan.messages if message.action is Action.HOLD]
    held_claimed = 0
    async with services.database.transaction() as repos:
        for message in held:
            if await repos.reminders.claim(
                round_id=plan.round_.id,
                person_id=message.recipient.person_id,
                step=message.step,
                now=now,
                hold=True,
            ):
                held_claimed += 1
    to_send = [outgoing(message) for message in plan.messages if message.action is Action.SEND]
    report = await send_logged(context.bot, services.database, to_send, now=now)
    async with services.database.transaction() as repos:
        await repos.audit.record(
            at=now,
            actor_person_id=officer_id,
            action="nudge",
            entity="round",
            entity_id=plan.round_.id,
            after={
                "step": plan.messages[0].step if plan.messages else None,
                "delivered": len(report.delivered),
                "failed": len(report.failed),
                "held": held_claimed,
            },
        )
    if not report.outcomes and not held_claimed:
        await send(update, t(lang, "nudge.already"))
        return
    lines: list[str] = [
        t(
            lang,
            "nudge.report",
            round=plan.round_.name(lang),
            delivered=len(report.delivered),
            people=len(report.outcomes) + held_claimed,
        )
    ]
    if held_claimed:
        lines.append(t(lang, "nudge.report_held", count=held_claimed))
    failed = report.failed
    if failed:
        lines += ["", t(lang, "nudge.report_unreachable", count=len(failed))]
        for outcome in failed:
            _, message = outcome.outgoing.tag
            lines.append(
                t(
                    lang,
                    "nudge.report_person",
                    name=message.recipient.full_name,
                    school=message.school.name(lang),
                )
            )
    await send(update, Html("\n".join(lines)))


async def cancel(update: Update, context: Ctx) -> None:
    """The cancel button: nothing is sent."""
    await answer_query(update)
    found = await require_role(update, context, DISTRICT_ROLES, "access.officers_only")
    if found is not None:
        await show(update, t(found[0].lang, "nudge.cancelled"))


def register_handlers(application: Application) -> None:  # type: ignore[type-arg]
    """Add /nudge and its buttons."""
    private = filters.ChatType.PRIVATE
    application.add_handler(CommandHandler("nudge", begin, filters=private))
    application.add_handler(CallbackQueryHandler(begin, pattern=r"^nudge:start$"))
    application.add_handler(CallbackQueryHandler(round_chosen, pattern=r"^nudge:round:\d+$"))
    application.add_handler(CallbackQueryHandler(confirm, pattern=r"^nudge:send:\d+:\d+$"))
    application.add_handler(CallbackQueryHandler(cancel, pattern=r"^nudge:cancel$"))
