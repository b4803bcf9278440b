"""Hostile input: every parser and every free-text step, with text nobody should send.

Parsers are driven by hypothesis: whatever the text, a parser returns a value
of its kind or raises :class:`~domain.errors.InvalidInput` whose message the
catalogs can render in both languages; nothing else escapes. The free-text
steps of the flows are driven end to end through the emulator with one
specimen of each hostile class: no handler crashes, every request still
meets the Bot API specification (the ``bot`` fixture checks), what is kept is
the cleaned input or nothing, and the person's text comes back escaped.
"""

from __future__ import annotations

import html
import logging
import unicodedata
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic_core import PydanticCustomError
from sqlalchemy import func, select

from bot.harness import LocalBot
from domain import invite_codes
from domain.calendar import parse_date, parse_local_datetime
from domain.errors import InvalidInput, UserError
from domain.i18n import LANGUAGES, catalog, plain, t
from domain.numbers import format_number, normalize_digits, parse_money, parse_number, quote_input
from domain.values import (
    LEVEL_MAX,
    LEVEL_MIN,
    MAX_NOTE_LENGTH,
    Role,
    ValueType,
    clean_text,
    parse_bands,
    parse_kpi_value,
)
from emulator import BotMessage, SimUser
from emulator.sim import SimChannel
from handlers.announce import MAX_LENGTH as ANNOUNCE_LIMIT
from handlers.limits import BURST_LIMIT
from onboarding.problems import PlanFileError
from onboarding.reader import read_plan_bytes
from onboarding.rows import read_cell
from onboarding.sheets import SHEETS
from storage.schema import kpi_values, people, progress_reports
from tests.e2e.reporting_support import add_previous_round, draft_rows, registered
from tests.security.hostile import SPECIMENS, hostile_text
from tests.security.support import fragment

PARSERS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def renders(error: UserError) -> None:
    """The refusal can be told in both languages, with the person's text escaped."""
    for lang in LANGUAGES:
        text = t(lang, error.key, **error.params)
        for value in error.params.values():
            if isinstance(value, str) and value:
                assert html.escape(value, quote=False) in text


# ---------------------------------------------------------------- parsers


@PARSERS
@given(hostile_text)
def test_numbers_are_read_or_explained(text: str) -> None:
    for parse in (parse_number, parse_money):
        try:
            parsed = parse(text)
        except InvalidInput as error:
            renders(error)
            continue
        value = parsed.value if hasattr(parsed, "value") else parsed
        assert isinstance(value, Decimal) and value.is_finite()


@PARSERS
@given(st.decimals(min_value=-(10**12), max_value=10**12, places=2, allow_nan=False))
def test_thai_and_arabic_indic_digits_read_as_the_same_number(value: Decimal) -> None:
    typed = format_number(value)
    thai = typed.translate(str.maketrans("0123456789", "๐๑๒๓๔๕๖๗๘๙"))
    arabic = typed.translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))
    assert parse_number(thai).value == parse_number(arabic).value == parse_number(typed).value
    assert parse_number(typed).value == value


@PARSERS
@given(st.sampled_from(list(ValueType)), hostile_text)
def test_kpi_values_are_within_their_type_or_explained(value_type: ValueType, text: str) -> None:
    try:
        value = parse_kpi_value(value_type, text)
    except InvalidInput as error:
        renders(error)
        return
    assert value.is_finite()
    if value_type is ValueType.PERCENT:
        assert 0 <= value <= 100
    elif value_type is ValueType.YES_NO:
        assert value in (0, 1)
    elif value_type is ValueType.LEVEL:
        assert LEVEL_MIN <= value <= LEVEL_MAX and value == value.to_integral_value()
    elif value_type is ValueType.COUNT:
        assert value >= 0 and value == value.to_integral_value()


@PARSERS
@given(hostile_text)
def test_scoring_bands_are_read_or_explained(text: str) -> None:
    try:
        bands = parse_bands(text)
    except InvalidInput as error:
        renders(error)
        return
    assert all(band.score >= 0 for band in bands)


@PARSERS
@given(hostile_text)
def test_dates_are_read_or_explained(text: str) -> None:
    for parse in (parse_date, parse_local_datetime):
        try:
            parse(text)
        except InvalidInput as error:
            renders(error)


@PARSERS
@given(hostile_text)
def test_free_text_is_cleaned_once_and_for_all(text: str) -> None:
    kept = expected(text)
    if isinstance(kept, InvalidInput):
        renders(kept)
        assert kept.key in ("text.empty", "text.too_long")
        return
    cleaned = kept
    assert 0 < len(cleaned) <= MAX_NOTE_LENGTH
    assert cleaned == cleaned.strip()
    assert all(char in "\n\t" or unicodedata.category(char) not in ("Cc", "Cs") for char in cleaned)
    assert clean_text(cleaned) == cleaned  # stored text read back is the same text
    # markup and SQL are kept as typed: text, never code
    for specimen in ("<b>", "</code>", "'; DROP TABLE"):
        if specimen in unicodedata.normalize("NFC", text):
            assert specimen in cleaned


@PARSERS
@given(hostile_text)
def test_an_error_quotes_the_input_on_one_short_line(text: str) -> None:
    quoted = quote_input(text)
    assert len(quoted) <= 40 and "\n" not in quoted
    assert all(unicodedata.category(char) not in ("Cc", "Cs") for char in quoted)


@PARSERS
@given(hostile_text)
def test_invite_codes_normalize_to_the_alphabet_or_to_nothing(text: str) -> None:
    code = invite_codes.normalize(text)
    if code is not None:
        assert len(code) == invite_codes.LENGTH
        assert set(code) <= set(invite_codes.ALPHABET)
        assert invite_codes.normalize(code) == code


@PARSERS
@given(
    st.sampled_from([(sheet, column) for sheet in SHEETS for column in sheet.columns]),
    hostile_text,
)
def test_plan_cells_are_read_or_located_as_a_problem(pair: Any, text: str) -> None:
    _, column = pair
    problem: str | None = None
    try:
        read_cell(column, text)
    except PydanticCustomError as error:
        problem = error.type
    if problem is not None:
        assert problem.startswith("onboarding.problem.")
        assert all(problem in catalog(lang) for lang in LANGUAGES)


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(["plan.csv", "schools.csv", "plan.xlsx", "plan.zip", "x.txt"]), st.binary())
def test_plan_files_of_any_bytes_are_read_or_refused(name: str, content: bytes) -> None:
    problem: str | None = None
    try:
        read_plan_bytes(name, content)
    except PlanFileError as error:
        problem = error.problem.key
    assert problem is None or all(problem in catalog(lang) for lang in LANGUAGES)


def test_digit_normalizing_covers_thai_and_both_arabic_indic_sets() -> None:
    assert normalize_digits("๘๕ ٨٥ ۸۵") == "85 85 85"


def test_no_catalog_text_shows_tags_where_html_is_not_read() -> None:
    # alerts, button labels and files use plain(): a tag there would be shown as typed
    for lang in LANGUAGES:
        for key, text in catalog(lang).items():
            if "{" in text:
                continue
            assert "<b>" not in plain(lang, key) and "<code>" not in plain(lang, key), key


# ---------------------------------------------------------------- free-text steps, end to end


def expected(text: str, max_length: int = MAX_NOTE_LENGTH) -> str | InvalidInput:
    """What a free-text step keeps of ``text``: the cleaned text, or the refusal."""
    try:
        return clean_text(text, max_length=max_length)
    except InvalidInput as error:
        return error


async def latest(bot: LocalBot, user: SimUser) -> BotMessage:
    """The bot's latest message to the person once it is quiet."""
    await bot.settle()
    user.skip_pending()
    message = user.last
    assert message is not None
    return message


async def say(bot: LocalBot, user: SimUser, text: str) -> BotMessage:
    await user.send_text(text)
    return await latest(bot, user)


async def tap(bot: LocalBot, user: SimUser, data: str) -> BotMessage:
    await user.press(data)
    return await latest(bot, user)


def shown_escaped(message: BotMessage, kept: str) -> None:
    """The person's text is shown as text: literally, and escaped in the HTML sent."""
    head = kept[:60]
    assert head in message.plain_text, (head, message.plain_text[:300])
    assert html.escape(head, quote=False) in message.text


def refused_with(message: BotMessage, error: InvalidInput, lang: str) -> None:
    assert fragment(lang, error.key) in message.plain_text, (error.key, message.plain_text)  # type: ignore[arg-type]


@pytest.fixture
def no_crash(caplog: pytest.LogCaptureFixture) -> Any:
    """Fails the test if any handler crashed (an ERROR from the error handler)."""
    caplog.set_level(logging.ERROR, logger="tidtam.errors")
    yield
    crashes = [
        r for r in caplog.records if r.name == "tidtam.errors" and r.levelno >= logging.ERROR
    ]
    assert crashes == [], [r.getMessage() for r in crashes]


def no_apology(*users: SimUser) -> None:
    apologies = [fragment(lang, "error.generic") for lang in LANGUAGES]
    for user in users:
        for message in user.inbox:
            assert not any(a in message.plain_text for a in apologies), message.plain_text


async def count(bot: LocalBot, table: Any) -> int:
    assert bot.database is not None
    async with bot.database.read() as repos:
        return int(
            (await repos.connection.execute(select(func.count()).select_from(table))).scalar_one()
        )


async def draft_answers(bot: LocalBot, flow: str) -> dict[str, Any]:
    [draft] = [d for d in await draft_rows(bot) if d["flow"] == flow]
    answers = draft["answers"]
    return answers if isinstance(answers, dict) else {}


MIXTURE = "<b>ผล</b> *bold* [x](tg://user?id=1) &amp; '; DROP TABLE people; -- ٨٥ 🎉"


async def test_an_invite_code_typed_as_anything_registers_nobody(
    bot: LocalBot, no_crash: None
) -> None:
    before = await count(bot, people)
    for n, text in enumerate(SPECIMENS):
        user = bot.emulator.user(7000 + n, f"Guest{n}", language_code="en")
        reply = await say(bot, user, text)
        # an invite problem in the person's language (wrong code, or slow down)
        assert reply.parse_mode == "HTML" and "invite" in reply.plain_text.lower(), reply.plain_text
        no_apology(user)
    assert await count(bot, people) == before


async def test_a_kpi_value_typed_as_anything_is_taken_or_explained(
    bot: LocalBot, no_crash: None
) -> None:
    user = await registered(bot, 7101, "CB05", lang="en")
    for text in SPECIMENS:
        await say(bot, user, "/cancel")
        question = await say(bot, user, "/kpi")
        assert "indicator 1 of" in question.plain_text
        reply = await say(bot, user, text)
        try:
            value = parse_kpi_value(ValueType.PERCENT, text)
        except InvalidInput as error:
            refused_with(reply, error, "en")
            assert "indicator 1 of" in reply.plain_text  # the same question again
            if error.key == "number.not_a_number":
                shown_escaped(reply, quote_input(text))
            assert (await draft_answers(bot, "kpi")).get("values") == {}
        else:
            assert (await draft_answers(bot, "kpi"))["values"] == {"1": str(value)}
    assert await count(bot, kpi_values) == 0  # nothing was confirmed
    no_apology(user)


async def test_a_soft_check_note_is_kept_cleaned_or_explained(
    bot: LocalBot, no_crash: None
) -> None:
    await add_previous_round(bot, school="CB05", kpi_values_by_code={"K01": "20"})
    user = await registered(bot, 7102, "CB05", lang="th")
    for text in (*SPECIMENS, MIXTURE):
        await say(bot, user, "/cancel")
        await say(bot, user, "/kpi")
        check = await say(bot, user, "72.5")
        assert "kpi:change" in check.callback_data()
        reply = await say(bot, user, text)
        kept = expected(text)
        notes = (await draft_answers(bot, "kpi")).get("notes", {})
        if isinstance(kept, InvalidInput):
            refused_with(reply, kept, "th")
            assert notes == {}
        else:
            assert list(notes.values()) == [kept]
    # the last one, the mixture of markup and SQL, is confirmed and stored as typed
    review = await tap(bot, user, "kpi:review")
    shown_escaped(review, MIXTURE)
    await tap(bot, user, "kpi:confirm")
    assert bot.database is not None
    async with bot.database.read() as repos:
        notes = (await repos.connection.execute(select(kpi_values.c.note))).scalars().all()
    assert MIXTURE in notes
    no_apology(user)


async def _to_outputs(bot: LocalBot, user: SimUser, project_id: int) -> None:
    await say(bot, user, "/cancel")
    await say(bot, user, "/report")
    await tap(bot, user, f"report:pick:{project_id}")
    await tap(bot, user, "report:status:in_progress")
    await tap(bot, user, "report:pct:50")
    await say(bot, user, "1000")


async def test_project_outputs_problems_and_suggestions_are_kept_cleaned_or_explained(
    bot: LocalBot, no_crash: None
) -> None:
    user = await registered(bot, 7103, "CB05", lang="en")
    assert bot.database is not None
    async with bot.database.read() as repos:
        school = await repos.schools.by_code("CB05")
        assert school is not None
        project_id = (await repos.plan.projects(school_id=school.id))[0].id
    for text in (*SPECIMENS, MIXTURE):
        await _to_outputs(bot, user, project_id)
        kept = expected(text)
        for field in ("outputs", "problems", "suggestions"):
            reply = await say(bot, user, text)
            answers = await draft_answers(bot, "report")
            if isinstance(kept, InvalidInput):
                refused_with(reply, kept, "en")
                assert field not in answers or answers[field] in (None, "")
                break
            assert answers[field] == kept, field
    review = await tap(bot, user, "report:skip")  # no evidence
    shown_escaped(review, MIXTURE)
    await tap(bot, user, "report:confirm")
    async with bot.database.read() as repos:
        [row] = (await repos.connection.execute(select(progress_reports))).all()
    assert (row.outputs, row.problems, row.suggestions) == (MIXTURE, MIXTURE, MIXTURE)
    no_apology(user)


async def test_a_correction_reason_is_kept_cleaned_or_explained(
    bot: LocalBot, no_crash: None
) -> None:
    user = await registered(bot, 7104, "CB05", lang="th")
    await say(bot, user, "/kpi")
    await say(bot, user, "61")
    await tap(bot, user, "kpi:review")
    await tap(bot, user, "kpi:confirm")
    assert await count(bot, kpi_values) == 1
    for text in (*SPECIMENS, MIXTURE):
        await say(bot, user, "/cancel")
        await say(bot, user, "/history")
        await tap(bot, user, "fix:kv:1")
        await say(bot, user, "66")
        reply = await say(bot, user, text)
        kept = expected(text)
        reason = (await draft_answers(bot, "correct")).get("reason")
        if isinstance(kept, InvalidInput):
            refused_with(reply, kept, "th")
            assert reason is None
        else:
            assert reason == kept
            shown_escaped(reply, kept)
    await tap(bot, user, "fix:confirm")
    assert bot.database is not None
    async with bot.database.read() as repos:
        reasons = (await repos.connection.execute(select(kpi_values.c.reason))).scalars().all()
    assert reasons == [None, MIXTURE]
    no_apology(user)


async def test_a_return_comment_is_kept_cleaned_or_explained(bot: LocalBot, no_crash: None) -> None:
    reporter = await registered(bot, 7105, "CB05", lang="th")
    await say(bot, reporter, "/kpi")
    await say(bot, reporter, "61")
    await tap(bot, reporter, "kpi:review")
    await tap(bot, reporter, "kpi:confirm")
    officer = await registered(bot, 7106, "SESAO-CBRY", Role.OFFICER, lang="en")
    for text in (*SPECIMENS, MIXTURE):
        await say(bot, officer, "/cancel")
        await say(bot, officer, "/return CB05")
        await tap(bot, officer, "ret:entry:kv:1")
        reply = await say(bot, officer, text)
        kept = expected(text)
        comment = (await draft_answers(bot, "return")).get("comment")
        if isinstance(kept, InvalidInput):
            refused_with(reply, kept, "en")
            assert comment is None
        else:
            assert comment == kept
            shown_escaped(reply, kept)
    await tap(bot, officer, "ret:confirm")
    notice = await latest(bot, reporter)
    shown_escaped(notice, MIXTURE)
    assert bot.database is not None
    async with bot.database.read() as repos:
        [comment] = (await repos.connection.execute(select(kpi_values.c.return_comment))).scalars()
    assert comment == MIXTURE
    no_apology(reporter, officer)


async def test_an_announcement_is_sent_cleaned_or_explained(bot: LocalBot, no_crash: None) -> None:
    reporter = await registered(bot, 7107, "CB05", lang="th")
    officer = await registered(bot, 7108, "SESAO-CBRY", Role.OFFICER, lang="en")
    for text in (*SPECIMENS, MIXTURE):
        await say(bot, officer, "/cancel")
        await say(bot, officer, "/announce")
        await tap(bot, officer, "announce:to:schools")
        await say(bot, officer, "CB05")
        reply = await say(bot, officer, text)
        kept = expected(text, max_length=ANNOUNCE_LIMIT)
        if isinstance(kept, InvalidInput):
            assert "announce:send" not in reply.callback_data(), text
            assert any(
                fragment("en", key) in reply.plain_text
                for key in ("text.empty", "announce.too_long")
            ), reply.plain_text
        else:
            assert "announce:send" in reply.callback_data()
            shown_escaped(reply, kept)
    await tap(bot, officer, "announce:send")
    announcement = await latest(bot, reporter)
    shown_escaped(announcement, MIXTURE)
    no_apology(reporter, officer)


# ---------------------------------------------------------------- updates no flow uses


async def test_updates_no_flow_uses_change_nothing_and_crash_nothing(
    bot: LocalBot, no_crash: None
) -> None:
    user = await registered(bot, 7201, "CB05", lang="en")
    assert bot.database is not None
    async with bot.database.read() as repos:
        school = await repos.schools.by_code("CB05")
        assert school is not None
        project_id = (await repos.plan.projects(school_id=school.id))[0].id
    await _to_outputs(bot, user, project_id)  # at a free-text step, the likeliest to misread
    typed = await user.send_text("ผลผลิตครบ")
    await latest(bot, user)
    answers = await draft_answers(bot, "report")
    assert answers["outputs"] == "ผลผลิตครบ"

    # a sticker and a voice note at the next text step: a hint, not an answer
    for send in (user.send_sticker, user.send_voice):
        await send()
        hint = await latest(bot, user)
        assert fragment("en", "reporting.flow.stray") in hint.plain_text
        assert await draft_answers(bot, "report") == answers
    # an edit of an earlier answer is not taken either
    await user.edit_text(typed["message_id"], "ไม่ครบ")
    edited = await latest(bot, user)
    assert "Edited messages are not used" in edited.plain_text
    assert await draft_answers(bot, "report") == answers

    # a channel the bot administers posts and edits: no reply anywhere, nothing stored
    channel = SimChannel(bot.emulator, -1_009_876_543_210, "ประกาศโรงเรียน")
    post = channel.post("/report <b>ทุกคน</b>")
    channel.edit(post, "/kpi")
    # the person blocks the bot and comes back
    user.block()
    user.unblock()
    await bot.settle()
    to_channel = [r for r in bot.emulator.requests if r.params.get("chat_id") == channel.chat_id]
    assert to_channel == []
    assert await draft_answers(bot, "report") == answers

    # a stranger's sticker gets the way to register
    stranger = bot.emulator.user(7202, "Stranger", language_code="th")
    await stranger.send_sticker()
    assert fragment("th", "start.send_code") in (await latest(bot, stranger)).plain_text
    assert await count(bot, progress_reports) == 0
    no_apology(user, stranger)


async def test_a_burst_from_one_person_is_cut_politely_and_others_are_served(
    bot: LocalBot, no_crash: None
) -> None:
    fast = bot.emulator.user(7301, "Fast", language_code="th")
    calm = bot.emulator.user(7302, "Calm", language_code="en")
    for text in [*SPECIMENS, *SPECIMENS][: BURST_LIMIT + 10]:
        await fast.send_text(text)
    await calm.send_text("/help")
    await bot.settle()
    slow_down = fragment("th", "guard.too_fast")
    assert sum(slow_down in m.plain_text for m in fast.inbox) == 1
    assert len(fast.inbox) == BURST_LIMIT + 1  # the rest were dropped, once said
    assert fragment("en", "help.unregistered") in calm.inbox[-1].plain_text
    no_apology(fast, calm)
