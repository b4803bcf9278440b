"""Permission matrix: every command and button × every role × own/other school × private/group.

The lists of commands and callback patterns come from the built application,
so a command or button added later without a row in
:mod:`tests.security.matrix_table` fails the first test here. Each cell
checks what the person sees (the flow's first screen, or a polite refusal in
their language) and that nothing in the database changed beyond what the
cell is allowed to change.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, ClassVar

from sqlalchemy import delete
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, ConversationHandler

from bot.harness import LocalBot
from domain.i18n import as_language
from emulator import BotApiEmulator, SimUser
from storage.schema import drafts
from tests.security.matrix_table import BUTTONS, COMMANDS, MISSING, Button, No, Ok, Outcome
from tests.security.support import (
    LANGUAGE,
    OWN_SCHOOL,
    ROLES,
    Cast,
    build_cast,
    changed_tables,
    fragment,
    snapshot,
)


def _walk(handler: BaseHandler[Any, Any, Any]) -> Iterator[BaseHandler[Any, Any, Any]]:
    if isinstance(handler, ConversationHandler):
        for inner in handler.entry_points:
            yield from _walk(inner)
        for state in handler.states.values():
            for inner in state:
                yield from _walk(inner)
        for inner in handler.fallbacks:
            yield from _walk(inner)
    else:
        yield handler


def registered(bot: LocalBot) -> tuple[set[str], set[str | None]]:
    """Every command and every callback pattern the running application registers."""
    assert bot.application is not None
    commands: set[str] = set()
    patterns: set[str | None] = set()
    for group in bot.application.handlers.values():
        for top in group:
            for handler in _walk(top):
                if isinstance(handler, CommandHandler):
                    commands |= set(handler.commands)
                elif isinstance(handler, CallbackQueryHandler):
                    pattern = handler.pattern
                    patterns.add(pattern.pattern if isinstance(pattern, re.Pattern) else pattern)
    return commands, patterns


async def test_every_command_and_button_the_bot_registers_is_in_the_matrix(bot: LocalBot) -> None:
    commands, patterns = registered(bot)
    assert commands == {command.name for command in COMMANDS}
    assert patterns == {button.pattern for button in BUTTONS}
    # each row's sample data is data its own pattern accepts (and no earlier one steals it)
    fake = _FakeCast()
    for button in BUTTONS:
        for make in (button.own, button.other):
            if make is None:
                continue
            data = make(fake, fake.own).format(lang="th")  # type: ignore[arg-type]
            if button.pattern is not None:
                assert re.match(button.pattern, data), (button.pattern, data)
            first = next(b for b in BUTTONS if b.pattern is None or re.match(b.pattern, data))
            assert first is button, (data, first.pattern, button.pattern)


class _FakeIds:
    school_id = kpi_value_id = progress_id = project_id = kpi_id = person_id = 7


class _FakeCast:
    own = other = _FakeIds()
    round_id = office_id = 3
    person_ids: ClassVar[dict[str, int]] = {"admin": 4}
    spare: ClassVar[dict[str, Any]] = {
        "spare_person": 5,
        "own_unreported_project": 8,
        "other_unreported_project": 9,
        "nudge_token": 1_800_000_000,
    }


# ---------------------------------------------------------------- cells


@dataclass
class Seen:
    """What one person got back for one cell."""

    texts: list[str] = field(default_factory=list)
    button_data: list[str] = field(default_factory=list)
    documents: int = 0
    # the chat's latest message as it stands: a screen shown again unchanged
    # ("message is not modified") sends no event but is still what the person sees
    standing: list[str] = field(default_factory=list)
    standing_buttons: list[str] = field(default_factory=list)

    def describe(self) -> str:
        return (
            f"texts={[text[:90] for text in self.texts]} buttons={self.button_data[:8]}"
            f" standing={[text[:60] for text in self.standing]} {self.standing_buttons[:8]}"
        )


def seen_by(emulator: BotApiEmulator, user: SimUser, query_id: str | None) -> Seen:
    """The alert answering the query and every bot event in the chat since the last look."""
    seen = Seen()
    if query_id is not None:
        answer = user.callback_answers.get(query_id) or {}
        if answer.get("text"):
            seen.texts.append(str(answer["text"]))
    for event in user.inbox[len(user.inbox) - user.skip_pending() :]:
        seen.texts.append(event.plain_text)
        seen.button_data += event.callback_data()
        seen.documents += event.kind == "document"
    standing = [m for m in emulator.chat_messages(user.chat_id) if m.kind == "text"]
    if not seen.texts and standing:
        seen.standing.append(standing[-1].plain_text)
        seen.standing_buttons += standing[-1].callback_data()
    return seen


def mismatch(outcome: Outcome, seen: Seen, lang: str) -> str | None:
    """Why what the person saw is not the expected outcome (None when it is)."""
    lang_ = as_language(lang)
    apology = fragment(lang_, "error.generic")
    if any(apology in text for text in seen.texts):
        return "the bot apologised for an error"
    if isinstance(outcome, No):
        wanted = fragment(lang_, outcome.key)
        if not any(wanted in text for text in seen.texts):
            return f"expected the refusal {outcome.key!r} ({wanted!r})"
        if seen.documents:
            return "a refused person got a file"
        return None
    if outcome.buttons is not None and not any(
        data.startswith(outcome.buttons) for data in seen.button_data + seen.standing_buttons
    ):
        return f"expected a screen with buttons {outcome.buttons!r}"
    if outcome.text is not None:
        wanted = fragment(lang_, outcome.text)
        if not any(wanted in text for text in seen.texts + seen.standing):
            return f"expected {outcome.text!r} ({wanted!r})"
    if outcome.document and not seen.documents:
        return "expected a file"
    return None


Send = Callable[[SimUser], Awaitable[str | None]]


@dataclass
class Matrix:
    """Runs cells in batches (one cell per role at once) and keeps score."""

    bot: LocalBot
    cast: Cast
    cells: int = 0
    failures: list[str] = field(default_factory=list)

    async def batch(self, name: str, cells: dict[str, tuple[Send, Outcome]]) -> None:
        before = await snapshot(self.bot)
        sent: dict[str, str | None] = {}
        for role, (send, _) in cells.items():
            sent[role] = await send(self.cast.users[role])
        await self.bot.settle()
        after = await snapshot(self.bot)
        allowed: set[str] = set()
        for role, (_, outcome) in cells.items():
            self.cells += 1
            seen = seen_by(self.bot.emulator, self.cast.users[role], sent[role])
            problem = mismatch(outcome, seen, LANGUAGE[role])
            if problem:
                self.failures.append(f"{name} as {role}: {problem}; saw {seen.describe()}")
            if isinstance(outcome, Ok):
                allowed |= outcome.changes
        changed = changed_tables(before, after) - allowed
        if changed:
            self.failures.append(f"{name}: tables changed {sorted(changed)}")
        await self.reset()

    async def reset(self) -> None:
        """Each cell starts clean: no drafts, nothing pending in anyone's chat."""
        assert self.bot.database is not None
        async with self.bot.database.transaction() as repos:
            await repos.connection.execute(delete(drafts))
        for user in [
            *self.cast.users.values(),
            self.cast.spare["other_reporter"],
            self.cast.spare["spare_user"],
        ]:
            user.skip_pending()


def _press(data: str) -> Send:
    async def send(user: SimUser) -> str | None:
        # on the latest text message, as a button of the bot's would be (files carry none)
        texts = [m.message_id for m in user.inbox if m.kind == "text"]
        return await user.press(data, message_id=texts[-1] if texts else None, forge=True)

    return send


def _command(name: str) -> Send:
    async def send(user: SimUser) -> str | None:
        await user.send_text(f"/{name}")
        return None

    return send


def _data(button: Button, cast: Cast, scope: str, role: str) -> str | None:
    make = button.own if scope == "own" else button.other
    if make is None:
        return None
    return make(cast, cast.own).format(lang=LANGUAGE[role])


async def test_permission_matrix_in_private_chats(bot: LocalBot) -> None:
    cast = await build_cast(bot)
    matrix = Matrix(bot, cast)
    for command in COMMANDS:
        await matrix.batch(
            f"/{command.name}",
            {role: (_command(command.name), command.rule(role, "own")) for role in ROLES},
        )
        if command.name in CONVERSATIONS:
            await _leave_conversations(bot, cast)
    for button in BUTTONS:
        for scope in ("own", "other"):
            cells: dict[str, tuple[Send, Outcome]] = {}
            for role in ROLES:
                data = _data(button, cast, scope, role)
                if data is not None:
                    cells[role] = (_press(data), button.rule(role, scope))
            if cells:
                await matrix.batch(f"{button.pattern} [{scope}]", cells)
        if button.pattern is not None and button.pattern.lstrip("^").split(":")[0] in CONVERSATIONS:
            await _leave_conversations(bot, cast)
    assert not matrix.failures, "\n".join(matrix.failures)
    # 16 commands and 60-odd buttons, six roles, own and (where ids are carried) other school
    assert matrix.cells >= 6 * (len(COMMANDS) + len(BUTTONS))


CONVERSATIONS = ("announce", "ladder")
"""Commands that open a conversation; /cancel leaves it before the next cell."""


async def _leave_conversations(bot: LocalBot, cast: Cast) -> None:
    for role in ("officer", "admin"):
        await cast.users[role].send_text("/cancel")
    await bot.settle()
    for role in ("officer", "admin"):
        cast.users[role].skip_pending()


async def test_permission_matrix_in_a_group(bot: LocalBot) -> None:
    """In a group every command points to the private chat and every button is refused."""
    cast = await build_cast(bot)
    group = bot.emulator.group(-1_001_234_567_890, "ครูชลบุรี")
    before = await snapshot(bot)
    failures: list[str] = []
    cells = 0
    for command in COMMANDS:
        start = len(group.inbox)
        for role in ROLES:
            await group.send_text(cast.users[role], f"/{command.name}")
        await bot.settle()
        replies = [event.plain_text for event in group.inbox[start:]]
        for lang in ("th", "en"):
            wanted = fragment(as_language(lang), "common.private_only")
            expected = sum(LANGUAGE[role] == lang for role in ROLES)
            if sum(wanted in reply for reply in replies) != expected:
                failures.append(f"/{command.name} in a group ({lang}): {replies}")
        cells += len(ROLES)
    pressed: list[tuple[str, str, str]] = []
    for button in BUTTONS:
        for scope in ("own", "other"):
            for role in ROLES:
                data = _data(button, cast, scope, role)
                if data is not None:
                    query = await group.press(cast.users[role], data, forge=True)
                    pressed.append((role, data, query))
    await bot.settle()
    for role, data, query in pressed:
        cells += 1
        answer = cast.users[role].callback_answers.get(query) or {}
        wanted = fragment(as_language(LANGUAGE[role]), "common.private_only")
        if wanted not in str(answer.get("text")):
            failures.append(f"{data} in a group as {role}: answered {answer}")
    after = await snapshot(bot)
    assert changed_tables(before, after) == set()
    assert [event for event in group.inbox if event.is_edit] == []  # nothing shown in the group
    assert not failures, "\n".join(failures)
    assert cells >= 6 * (len(COMMANDS) + len(BUTTONS))


# ---------------------------------------------------------------- forged ids inside open flows


async def _forged(bot: LocalBot, user: SimUser, data: str, refusal: str, lang: str) -> None:
    """Press forged data on the flow's current message: refused, nothing stored, flow intact."""
    async with _reading(bot) as repos:
        drafts_before = await repos.drafts.of_person(
            (await repos.people.by_telegram_id(user.id)).id, now=bot.clock()
        )
    flow_message = next(d.answers["_msg"] for d in drafts_before if "_msg" in d.answers)
    before = await snapshot(bot)
    query = await user.press(data, message_id=flow_message, forge=True)
    await bot.settle()
    seen = seen_by(bot.emulator, user, query)
    assert mismatch(No(refusal), seen, lang) is None, (data, seen.describe())
    assert changed_tables(before, await snapshot(bot)) == set(), data
    async with _reading(bot) as repos:
        drafts_after = await repos.drafts.of_person(
            (await repos.people.by_telegram_id(user.id)).id, now=bot.clock()
        )
    # the answers so far are untouched: the forged press moved nothing
    assert [(d.flow, d.step, d.answers) for d in drafts_after] == [
        (d.flow, d.step, d.answers) for d in drafts_before
    ], data


def _reading(bot: LocalBot) -> Any:
    assert bot.database is not None
    return bot.database.read()


async def test_forged_ids_inside_open_flows_are_refused_and_change_nothing(bot: LocalBot) -> None:
    cast = await build_cast(bot)
    reporter, officer = cast.users["reporter"], cast.users["officer"]
    lang_r, lang_o = LANGUAGE["reporter"], LANGUAGE["officer"]

    # /kpi at its first question: a value for a KPI that is not the one asked
    await reporter.send_text("/kpi")
    await bot.settle()
    reporter.skip_pending()
    question = reporter.last
    assert question is not None and "kpi:skip" in question.callback_data()
    await _forged(bot, reporter, f"kpi:v:{MISSING}:1", "reporting.flow.not_yours", lang_r)
    # answer it, go to the review card; edit / note a KPI that is not in the batch
    await reporter.send_text("85")
    await bot.settle()
    await reporter.press("kpi:review")
    await bot.settle()
    reporter.skip_pending()
    review = reporter.last
    assert review is not None and any(d.startswith("kpi:edit:") for d in review.callback_data())
    await _forged(bot, reporter, f"kpi:edit:{MISSING}", "reporting.flow.not_yours", lang_r)
    await _forged(bot, reporter, f"kpi:note:{MISSING}", "reporting.flow.not_yours", lang_r)
    await reporter.send_text("/cancel")
    await bot.settle()
    reporter.skip_pending()

    # /report on its project list: another school's project
    await reporter.send_text("/report")
    await bot.settle()
    reporter.skip_pending()
    await _forged(
        bot,
        reporter,
        f"report:pick:{cast.spare['other_unreported_project']}",
        "reporting.report.not_expected",
        lang_r,
    )
    await reporter.send_text("/cancel")
    await bot.settle()
    reporter.skip_pending()

    # /return at the own school's entries: an entry of another school
    await officer.send_text(f"/return {OWN_SCHOOL}")
    await bot.settle()
    officer.skip_pending()
    entries = officer.last
    assert entries is not None
    assert f"ret:entry:kv:{cast.own.kpi_value_id}" in entries.callback_data()
    await _forged(
        bot,
        officer,
        f"ret:entry:kv:{cast.other.kpi_value_id}",
        "reporting.flow.not_yours",
        lang_o,
    )
    await _forged(bot, officer, f"ret:entry:pr:{MISSING}", "reporting.entry.not_found", lang_o)
