"""What every reporting flow shares: drafts, the flow's message, resuming, routing input.

A flow (``kpi``, ``report``, ``correct``, ``return``) keeps its state in one
draft per person and flow in the database: the current step and every answer
so far, written the moment a step is answered. That is the only state there
is, so a closed app, a restart or a crash loses nothing, and a button pressed
on an old message can be told apart from one on the flow's current message
(``_msg`` in the answers).

Typed text, files, stickers and voice notes reach the flows through
:func:`route_message`, registered in a group before everything else: when the
person has an active draft the flow takes the update and no other handler
sees it; otherwise the update passes on untouched. Any command pauses the
active draft, so that text typed after, say, /status or inside another
command's conversation is not taken as an answer; /kpi, /report and /status
offer the paused draft back ("continue where you left off?"), and pressing a
button on the flow's message takes it up again.

A step is saved before its question is sent, and marked shown (``_shown``)
once it has gone out. If the sending failed, or the bot stopped in between,
the person still sees the previous question; whatever they type then
answers that one, not the step they never saw, so the router shows them the
current question instead of taking the text as its answer (and a button
pressed on that question brings up the current one in its place).
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from telegram import Message, Update
from telegram.error import BadRequest, TelegramError
from telegram.ext import (
    Application,
    ApplicationHandlerStop,
    CallbackQueryHandler,
    MessageHandler,
    filters,
)

from domain.calendar import format_datetime
from domain.i18n import Html, Lang, plain, t
from domain.values import Role
from handlers.common import (
    Caller,
    caller,
    keyboard,
    remember_caller,
    remembered_caller,
    require_role,
)
from handlers.context import Ctx
from storage.models import Person
from storage.repositories.drafts import (
    Draft,
    drafts_of,
    merge_draft_answers,
    person_and_drafts,
    save_draft,
)
from storage.repositories.review import EvidenceFile

Rows = list[list[tuple[str, str]]]

MESSAGE_KEY = "_msg"  # answers key: id of the message the flow's buttons are on
PAUSED_KEY = "_paused"  # answers key: a command interrupted the flow
SHOWN_KEY = "_shown"  # answers key: the current step's question has reached the person
UPDATE_KEY = "_update"  # answers key: id of the last update whose answer the draft holds
REDELIVERY_WINDOW = dt.timedelta(hours=24)  # Telegram keeps an undelivered update this long
ROUTER_GROUP = -1  # after the guard (-2), before group 0 where commands and flows live


@dataclass(slots=True)
class Turn:
    """One update in a flow: who, which draft, and how to answer.

    ``answers`` is a working copy of the draft's answers; :meth:`save` writes
    it together with the step.
    """

    update: Update
    context: Ctx
    who: Caller
    person: Person
    flow: str
    draft: Draft | None
    answers: dict[str, Any] = field(default_factory=dict)

    @property
    def lang(self) -> Lang:
        return self.who.lang

    @property
    def now(self) -> dt.datetime:
        return self.context.services.clock()

    @property
    def step(self) -> str:
        return "" if self.draft is None else self.draft.step

    @property
    def message_id(self) -> int | None:
        value = self.answers.get(MESSAGE_KEY)
        return value if isinstance(value, int) else None

    def restart_answers(self, answers: dict[str, Any]) -> None:
        """Replace the answers, keeping which message the flow is on."""
        kept = {MESSAGE_KEY: self.answers[MESSAGE_KEY]} if MESSAGE_KEY in self.answers else {}
        self.answers = {**kept, **answers}

    async def save(self, step: str, *, subject: str | None = None) -> None:
        """Write the step and the answers at once (the draft is active again)."""
        services = self.context.services
        now = services.clock()
        self.answers.pop(PAUSED_KEY, None)
        self.answers[UPDATE_KEY] = self.update.update_id
        subject = subject or (self.draft.subject if self.draft is not None else self.flow)
        await services.database.run_working_write(
            save_draft,
            person_id=self.person.id,
            flow=self.flow,
            subject=subject,
            step=step,
            answers=self.answers,
            now=now,
            expires_at=now + services.draft_ttl,
        )
        self.draft = Draft(
            id=0 if self.draft is None else self.draft.id,
            person_id=self.person.id,
            flow=self.flow,
            subject=subject,
            step=step,
            answers=dict(self.answers),
            updated_at=now,
            expires_at=now + services.draft_ttl,
        )

    async def drop(self) -> None:
        """Forget the draft (the flow ended: saved, cancelled or replaced)."""
        async with self.context.services.database.transaction() as repos:
            await repos.drafts.drop(person_id=self.person.id, flow=self.flow)
        self.draft = None

    async def show(self, step: str, text: Html, rows: Rows, *, adopt: bool = False) -> None:
        """Save the step, then show it on the flow's message.

        A button pressed on the flow's message edits that message in place; a
        typed answer gets a new message below it (and the old one loses its
        buttons, so nothing stale stays pressable). ``adopt`` makes the
        message a button was pressed on the flow's message (resuming from an
        offer, starting from a menu).
        """
        self.answers.pop(SHOWN_KEY, None)
        await self.save(step)
        sent = await self._render(text, rows, adopt=adopt)
        if sent is not None:
            await self._mark_shown(sent)

    async def _mark_shown(self, message_id: int) -> None:
        """Record that the saved step's question is out, on which message.

        Only these two answers are written: the step and every other answer
        were saved just before the question was sent.
        """
        shown = {SHOWN_KEY: True, MESSAGE_KEY: message_id}
        self.answers.update(shown)
        await self.context.services.database.run_working_write(
            merge_draft_answers, person_id=self.person.id, flow=self.flow, answers=shown
        )
        if self.draft is not None:
            self.draft = replace(self.draft, answers=dict(self.answers))

    async def _render(self, text: Html, rows: Rows, *, adopt: bool) -> int | None:
        query = self.update.callback_query
        pressed = query.message if query is not None else None
        if isinstance(pressed, Message) and (adopt or pressed.message_id == self.message_id):
            try:
                await pressed.edit_text(text, reply_markup=keyboard(rows) if rows else None)
            except BadRequest as error:
                if "not modified" not in str(error).lower():
                    raise
            return pressed.message_id
        await self.strip_buttons()
        chat = self.update.effective_chat
        if chat is None:
            return None
        return await self.context.bot.send_text(chat.id, text, buttons=rows)

    async def strip_buttons(self) -> None:
        """Take the buttons off the flow's current message (it is no longer the question)."""
        chat = self.update.effective_chat
        if self.message_id is None or chat is None:
            return
        # Failure means the buttons are already gone, or the person deleted the
        # message: either way there is nothing to take off.
        with contextlib.suppress(TelegramError):
            await self.context.bot.remove_buttons(chat.id, self.message_id)

    async def send(self, text: Html, rows: Rows | None = None) -> None:
        """A message outside the flow's message (a hint, an error, a notice)."""
        chat = self.update.effective_chat
        if chat is not None:
            await chat.send_message(text, reply_markup=keyboard(rows) if rows else None)

    async def end(self, text: Html, rows: Rows) -> None:
        """Finish the flow: drop the draft and show the closing message."""
        message_id = self.message_id
        await self.drop()
        self.answers = {MESSAGE_KEY: message_id} if message_id is not None else {}
        await self._render(text, rows, adopt=False)


@dataclass(frozen=True, slots=True)
class FlowSpec:
    """How a flow plugs into the shared plumbing."""

    name: str
    roles: tuple[Role, ...]
    refusal: str  # catalog key when the person's role may not use the flow
    begin: Callable[[Turn], Awaitable[None]]  # start afresh
    render: Callable[[Turn], Awaitable[None]]  # show the current step again
    on_input: Callable[[Turn, Message], Awaitable[None]]  # typed text or a file
    describe: Callable[[Draft, Lang], str]  # what the draft is, for the resume offer


FLOWS: dict[str, FlowSpec] = {}


def register_flow(spec: FlowSpec) -> None:
    """Make a flow known to the router and to the resume buttons."""
    FLOWS[spec.name] = spec


async def load_draft(context: Ctx, person: Person, flow: str) -> Draft | None:
    """The person's unexpired draft of a flow."""
    async with context.services.database.read() as repos:
        return await repos.drafts.get(person_id=person.id, flow=flow, now=context.services.clock())


async def start_turn(update: Update, context: Ctx, flow: str) -> Turn | None:
    """A turn for an entry point (a command or a start button), with any draft there is.

    Refuses politely (and returns None) when the person may not use the flow.
    """
    spec = FLOWS[flow]
    found = await require_role(update, context, spec.roles, spec.refusal)
    if found is None:
        return None
    who, person = found
    if update.callback_query is not None:
        await update.callback_query.answer()
    draft = await load_draft(context, person, flow)
    return Turn(update, context, who, person, flow, draft, dict(draft.answers) if draft else {})


async def button_turn(
    update: Update, context: Ctx, flow: str, *, unseen_step_shown: bool = True
) -> Turn | None:
    """A turn for a button inside a flow; None (after a kind answer) when it is stale.

    The button must be on the flow's current message and the flow must still
    be open: anything else is an old message or a forged press. When the
    current step's question never reached the person, the button belongs to
    the question before it: the current one is shown on the pressed message
    instead (unless ``unseen_step_shown`` is off, for buttons such as cancel
    that mean the same on every step).
    """
    spec = FLOWS[flow]
    query = update.callback_query
    if query is None:
        return None
    found = await require_role(update, context, spec.roles, spec.refusal)
    if found is None:
        return None
    who, person = found
    draft = await load_draft(context, person, flow)
    if draft is None:
        await query.answer(plain(who.lang, "reporting.flow.ended"), show_alert=True)
        return None
    if already_applied(update, draft, context.services.clock()):
        await query.answer()
        return None
    current = draft.answers.get(MESSAGE_KEY)
    pressed = query.message.message_id if query.message is not None else None
    if isinstance(current, int) and pressed != current:
        await query.answer(plain(who.lang, "reporting.flow.old_button"), show_alert=True)
        return None
    await query.answer()
    turn = Turn(update, context, who, person, flow, draft, dict(draft.answers))
    if unseen_step_shown and not draft.answers.get(SHOWN_KEY):
        await spec.render(_adopting(turn))
        return None
    return turn


def resume_rows(flow: str, lang: Lang) -> Rows:
    """Continue / start over buttons for an unfinished draft."""
    return [
        [(plain(lang, "reporting.flow.continue"), f"flow:resume:{flow}")],
        [
            (plain(lang, "reporting.flow.restart"), f"flow:restart:{flow}"),
            (plain(lang, "reporting.flow.discard"), f"flow:discard:{flow}"),
        ],
    ]


def resume_text(draft: Draft, lang: Lang, context: Ctx) -> Html:
    """ "Continue where you left off?" for one draft."""
    return t(
        lang,
        "reporting.flow.resume",
        what=FLOWS[draft.flow].describe(draft, lang),
        at=format_datetime(draft.updated_at, lang, tz=context.services.timezone),
    )


async def offer_resume(turn: Turn) -> bool:
    """At a flow's entry: offer its unfinished draft back. True when offered."""
    draft = turn.draft
    if draft is None or not _has_answers(draft):
        return False
    text = resume_text(draft, turn.lang, turn.context)
    query = turn.update.callback_query
    if query is not None and isinstance(query.message, Message):
        await query.message.edit_text(
            text, reply_markup=keyboard(resume_rows(turn.flow, turn.lang))
        )
    else:
        await turn.send(text, resume_rows(turn.flow, turn.lang))
    return True


UNANSWERED_STEPS = frozenset({"", "start", "round", "pick"})
"""Steps where a draft holds no answer yet: nothing to offer back."""


def _has_answers(draft: Draft) -> bool:
    return draft.step not in UNANSWERED_STEPS and any(
        not key.startswith("_") for key in draft.answers
    )


async def other_drafts(context: Ctx, person: Person, *, besides: str | None = None) -> list[Draft]:
    """The person's unfinished drafts (for "continue where you left off?" elsewhere)."""
    async with context.services.database.read() as repos:
        drafts = await repos.drafts.of_person(person.id, now=context.services.clock())
    return [d for d in drafts if d.flow != besides and d.flow in FLOWS and _has_answers(d)]


def draft_rows(drafts: Sequence[Draft], lang: Lang) -> Rows:
    """One "continue" button per unfinished draft."""
    return [
        [
            (
                plain(lang, "reporting.flow.continue_what", what=FLOWS[d.flow].describe(d, lang)),
                f"flow:resume:{d.flow}",
            )
        ]
        for d in drafts
    ]


MAX_FILES = 5
"""Evidence files one entry may carry from a flow."""


def evidence_of(message: Message) -> EvidenceFile | None:
    """The photo or document a message carries, as evidence (None for anything else)."""
    if message.photo:
        largest = max(message.photo, key=lambda size: (size.width * size.height, size.file_size))
        return EvidenceFile(
            kind="photo",
            telegram_file_id=largest.file_id,
            telegram_file_unique_id=largest.file_unique_id,
            mime_type="image/jpeg",
            file_size=largest.file_size,
        )
    document = message.document
    if document is not None:
        return EvidenceFile(
            kind="document",
            telegram_file_id=document.file_id,
            telegram_file_unique_id=document.file_unique_id,
            file_name=document.file_name,
            mime_type=document.mime_type,
            file_size=document.file_size,
        )
    return None


def file_label(file: dict[str, Any], lang: Lang) -> str:
    """How an attached file is named to the person."""
    name = file.get("name")
    return str(name) if name else plain(lang, "reporting.flow.photo")


# ---------------------------------------------------------------- handlers


def _flow_of(update: Update) -> str | None:
    query = update.callback_query
    if query is None or query.data is None:
        return None
    name = query.data.rsplit(":", 1)[-1]
    return name if name in FLOWS else None


async def resume(update: Update, context: Ctx) -> None:
    """Continue: show the draft's current step on the pressed message."""
    flow = _flow_of(update)
    if flow is None:
        await _expired(update, context)
        return
    turn = await start_turn(update, context, flow)
    if turn is None:
        return
    if turn.draft is not None and already_applied(update, turn.draft, turn.now):
        return  # delivered again after a restart: done already
    if turn.draft is None:
        await turn.send(t(turn.lang, "reporting.flow.gone"))
        return
    pressed = update.callback_query.message if update.callback_query else None
    if pressed is None or pressed.message_id != turn.message_id:
        # the question the flow was on moves to the pressed message: the old copy
        # must not stay pressable (or look like the question still to answer)
        await turn.strip_buttons()
    await FLOWS[flow].render(_adopting(turn))


def _adopting(turn: Turn) -> Turn:
    # The pressed message becomes the flow's message: point the draft at it.
    query = turn.update.callback_query
    if query is not None and isinstance(query.message, Message):
        turn.answers[MESSAGE_KEY] = query.message.message_id
    return turn


async def restart(update: Update, context: Ctx) -> None:
    """Start over: drop the draft and begin the flow afresh on the pressed message."""
    flow = _flow_of(update)
    if flow is None:
        await _expired(update, context)
        return
    turn = await start_turn(update, context, flow)
    if turn is None:
        return
    if turn.draft is not None and already_applied(update, turn.draft, turn.now):
        return  # delivered again after a restart: done already
    if turn.draft is not None:
        await turn.drop()
    turn.answers = {}
    await FLOWS[flow].begin(_adopting(turn))


async def discard(update: Update, context: Ctx) -> None:
    """Discard: drop the draft, store nothing."""
    flow = _flow_of(update)
    if flow is None:
        await _expired(update, context)
        return
    turn = await start_turn(update, context, flow)
    if turn is None:
        return
    if turn.draft is not None and already_applied(update, turn.draft, turn.now):
        return  # delivered again after a restart: done already
    if turn.draft is not None:
        await turn.drop()
    query = update.callback_query
    text = t(turn.lang, "reporting.flow.discarded")
    if query is not None and isinstance(query.message, Message):
        await query.message.edit_text(text)
    else:
        await turn.send(text)


async def _expired(update: Update, context: Ctx) -> None:
    query = update.callback_query
    if query is not None:
        found = await require_role(update, context, tuple(Role), "access.unregistered")
        if found is not None:
            await query.answer(plain(found[0].lang, "common.button_expired"), show_alert=True)


async def _active_person(update: Update, context: Ctx) -> tuple[Caller, Person] | None:
    """The registered active person behind a private message, without refusing anyone."""
    who = await caller(update, context)
    if who is None or who.active_person is None:
        return None
    return who, who.active_person


async def _person_and_drafts(
    update: Update, context: Ctx
) -> tuple[Caller, Person, list[Draft]] | None:
    """The active person behind a message and their drafts, read together in one snapshot."""
    user = update.effective_user
    if user is None:
        return None
    known = remembered_caller(update, context)
    if known is not None and known.active_person is None:
        return None
    now = context.services.clock()
    person: Person | None
    database = context.services.database
    if known is not None and known.person is not None:
        person, drafts = known.person, await database.run_read(drafts_of, known.person.id, now=now)
    else:
        person, drafts = await database.run_read(person_and_drafts, user.id, now=now)
    who = known if known is not None else remember_caller(update, context, person)
    if who is None or who.active_person is None:
        return None
    return who, who.active_person, drafts


async def route_message(update: Update, context: Ctx) -> None:
    """Typed text and files go to the person's open flow; anything else passes on."""
    message = update.effective_message
    found = await _person_and_drafts(update, context) if message is not None else None
    if found is None or message is None:
        return
    who, person, drafts = found
    drafts = [d for d in drafts if d.flow in FLOWS and person.role in FLOWS[d.flow].roles]
    if not drafts:
        return
    active = next((d for d in drafts if not d.answers.get(PAUSED_KEY)), None)
    if active is None:
        # Paused by another command: the text may belong to that command's own
        # conversation, so it passes on; /kpi, /report and /status offer the
        # draft back.
        return
    turn = Turn(update, context, who, person, active.flow, active, dict(active.answers))
    if already_applied(update, active, context.services.clock()) and active.answers.get(SHOWN_KEY):
        raise ApplicationHandlerStop  # delivered again after a restart; its answer is kept
    if not active.answers.get(SHOWN_KEY) or _sent_before_question(message, turn):
        # What they typed answers the question before the current one: that
        # question never reached them, or it was still on its way (the bot was
        # slow, or this is an update Telegram delivers again after a crash).
        # Show them where they are instead of taking it as the current answer.
        await FLOWS[active.flow].render(turn)
        raise ApplicationHandlerStop
    await FLOWS[active.flow].on_input(turn, message)
    raise ApplicationHandlerStop


def already_applied(update: Update, draft: Draft, now: dt.datetime) -> bool:
    """Whether the draft already holds what ``update`` answered.

    Telegram delivers an update again when the bot stopped before confirming
    it, which can be after its answer was saved (the confirmation rides on the
    next poll). Update ids only grow, and a flow's updates are handled in
    order, so an update no newer than the one the draft last saved was taken
    already: taking it again would move a typed value to the next question,
    or put the flow back on an old message. Telegram keeps an update for
    24 hours at most, and after a week without updates may start its ids
    afresh, so a draft saved longer ago than that is never compared.
    """
    stored = draft.answers.get(UPDATE_KEY)
    recent = now - draft.updated_at < REDELIVERY_WINDOW
    return isinstance(stored, int) and recent and update.update_id <= stored


def _sent_before_question(message: Message, turn: Turn) -> bool:
    """Whether the person sent ``message`` before the flow's current question was sent.

    In a private chat the person's and the bot's messages share one sequence
    of ids, so a message older than the flow's message was written while the
    person still had the question before it in front of them.
    """
    return turn.message_id is not None and message.message_id < turn.message_id


async def route_command(update: Update, context: Ctx) -> None:
    """/cancel ends the open flow; any other command pauses it and passes on."""
    found = await _active_person(update, context)
    message = update.effective_message
    if found is None or message is None or message.text is None:
        return
    who, person = found
    command = message.text.split()[0].split("@", 1)[0].lstrip("/").lower()
    services = context.services
    now = services.clock()
    async with services.database.transaction() as repos:
        drafts = [d for d in await repos.drafts.of_person(person.id, now=now) if d.flow in FLOWS]
        if command == "cancel":
            if not drafts:
                return
            await repos.drafts.drop(person_id=person.id, flow=drafts[0].flow)
        else:
            for draft in drafts:
                if not draft.answers.get(PAUSED_KEY):
                    await repos.drafts.save(
                        person_id=person.id,
                        flow=draft.flow,
                        subject=draft.subject,
                        step=draft.step,
                        answers={**draft.answers, PAUSED_KEY: True},
                        now=draft.updated_at,  # pausing is not answering: keep the time
                        expires_at=draft.expires_at,
                    )
            return
    cancelled = Turn(
        update, context, who, person, drafts[0].flow, drafts[0], dict(drafts[0].answers)
    )
    await cancelled.strip_buttons()
    await cancelled.send(t(who.lang, "reporting.flow.cancelled"))
    raise ApplicationHandlerStop


async def cancel_button(update: Update, context: Ctx) -> None:
    """The ✖️ button of a flow: drop its draft, store nothing."""
    query = update.callback_query
    if query is None or query.data is None:
        return
    flow = query.data.split(":", 1)[0]
    flow = {"fix": "correct", "ret": "return"}.get(flow, flow)
    if flow not in FLOWS:
        await _expired(update, context)
        return
    turn = await button_turn(update, context, flow, unseen_step_shown=False)
    if turn is None:
        return
    await turn.end(t(turn.lang, "reporting.flow.cancelled"), [])


def register_handlers(application: Application) -> None:  # type: ignore[type-arg]
    """The router (before every other handler) and the resume/cancel buttons."""
    private = filters.ChatType.PRIVATE
    application.add_handler(
        MessageHandler(private & filters.COMMAND, route_command), group=ROUTER_GROUP
    )
    # What a person sends: text or an attachment (photo, document, sticker,
    # voice, ...), never a service message. Said positively, it is four checks
    # per message where "not any status update" was some thirty.
    sent = filters.TEXT | filters.ATTACHMENT
    application.add_handler(
        MessageHandler(
            filters.UpdateType.MESSAGE & private & ~filters.COMMAND & sent, route_message
        ),
        group=ROUTER_GROUP,
    )
    application.add_handler(CallbackQueryHandler(resume, pattern=r"^flow:resume:\w+$"))
    application.add_handler(CallbackQueryHandler(restart, pattern=r"^flow:restart:\w+$"))
    application.add_handler(CallbackQueryHandler(discard, pattern=r"^flow:discard:\w+$"))
    application.add_handler(
        CallbackQueryHandler(cancel_button, pattern=r"^(kpi|report|fix|ret):cancel$")
    )
