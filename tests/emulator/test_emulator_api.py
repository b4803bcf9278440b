"""The emulator's Bot API as python-telegram-bot and raw HTTP clients see it."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import aiohttp
import pytest
import telegram
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest, Conflict, Forbidden, NetworkError, RetryAfter

from emulator import BotApiEmulator

# The raw HTTP client fixture (see conftest.py); typed loosely as tests are not a package.
RawClient = Any

KEYBOARD = InlineKeyboardMarkup(
    [
        [
            InlineKeyboardButton("ใช่", callback_data="yes"),
            InlineKeyboardButton("ไม่", callback_data="no"),
        ],
        [InlineKeyboardButton("Docs", url="https://example.org")],
    ]
)


# ---------------------------------------------------------------- sending & reading


async def test_get_me_derives_the_bot_from_the_token(ptb_bot: telegram.Bot) -> None:
    me = await ptb_bot.get_me()
    assert (me.id, me.username, me.first_name, me.is_bot) == (123456, "tidtam_bot", "Tidtam", True)


async def test_sent_message_reaches_the_inbox_parsed(
    emu: BotApiEmulator, ptb_bot: telegram.Bot
) -> None:
    user = emu.user(1001, "สมชาย", last_name="ใจดี")
    sent = await ptb_bot.send_message(
        user.chat_id, "<b>สวัสดี</b> &lt;script&gt; &amp;", parse_mode="HTML", reply_markup=KEYBOARD
    )
    assert sent.text == "สวัสดี <script> &"
    assert sent.entities[0].type == "bold"
    assert sent.from_user is not None and sent.from_user.is_bot
    message = await user.expect(timeout=1)
    assert message.message_id == sent.message_id
    assert message.text == "<b>สวัสดี</b> &lt;script&gt; &amp;"
    assert message.plain_text == "สวัสดี <script> &"
    assert message.parse_mode == "HTML"
    assert message.button_texts() == ["ใช่", "ไม่", "Docs"]
    assert message.callback_data() == ["yes", "no"]
    assert message.buttons[1][0].url == "https://example.org"
    assert not message.is_edit
    assert emu.violations == []


async def test_edits_and_deletes_change_the_chat_state(
    emu: BotApiEmulator, ptb_bot: telegram.Bot
) -> None:
    user = emu.user(1001, "Somchai")
    sent = await ptb_bot.send_message(user.chat_id, "one", reply_markup=KEYBOARD)
    await ptb_bot.edit_message_text("two", chat_id=user.chat_id, message_id=sent.message_id)
    first, edit = await user.expect(timeout=1), await user.expect(timeout=1)
    assert (first.plain_text, edit.plain_text, edit.is_edit) == ("one", "two", True)
    # Telegram drops the inline keyboard when an edit does not repeat it.
    assert edit.buttons == []
    assert user.last is not None and user.last.plain_text == "two"
    with pytest.raises(BadRequest, match=r"(?i)message is not modified"):
        await ptb_bot.edit_message_text("two", chat_id=user.chat_id, message_id=sent.message_id)
    await ptb_bot.edit_message_reply_markup(user.chat_id, sent.message_id, reply_markup=KEYBOARD)
    assert user.last is not None and user.last.callback_data() == ["yes", "no"]
    assert await ptb_bot.delete_message(user.chat_id, sent.message_id)
    assert emu.chat_messages(user.chat_id) == []
    with pytest.raises(BadRequest, match=r"(?i)message to edit not found"):
        await ptb_bot.edit_message_text("x", chat_id=user.chat_id, message_id=sent.message_id)
    with pytest.raises(BadRequest, match=r"(?i)message to delete not found"):
        await ptb_bot.delete_message(user.chat_id, 999)
    kinds = [e.kind for e in emu.transcript]
    assert kinds == ["text", "edit", "edit", "delete"]
    assert emu.violations == []


async def test_documents_and_photos_round_trip(emu: BotApiEmulator, ptb_bot: telegram.Bot) -> None:
    user = emu.user(1001, "Somchai")
    sent = await ptb_bot.send_document(
        user.chat_id,
        b"a,b\n1,2\n",
        filename="report.csv",
        caption="<i>รายงาน</i>",
        parse_mode="HTML",
    )
    assert sent.document is not None and sent.document.file_name == "report.csv"
    assert sent.caption == "รายงาน"
    message = await user.expect(timeout=1)
    assert (message.kind, message.document_name, message.document_bytes) == (
        "document",
        "report.csv",
        b"a,b\n1,2\n",
    )
    assert (message.caption, message.plain_text) == ("<i>รายงาน</i>", "รายงาน")
    # Resending by file_id reuses the stored file.
    again = await ptb_bot.send_document(user.chat_id, sent.document.file_id)
    assert again.document is not None and again.document.file_id == sent.document.file_id
    png = b"\x89PNG\r\n\x1a\n" + bytes(8) + (640).to_bytes(4, "big") + (480).to_bytes(4, "big")
    photo = await ptb_bot.send_photo(user.chat_id, png)
    assert (photo.photo[-1].width, photo.photo[-1].height) == (640, 480)
    data = await (await ptb_bot.get_file(photo.photo[-1].file_id)).download_as_bytearray()
    assert bytes(data) == png
    await ptb_bot.edit_message_caption(user.chat_id, photo.message_id, caption="new")
    assert user.last is not None and user.last.caption == "new"
    assert emu.violations == []


async def test_user_uploads_can_be_downloaded_by_the_bot(
    emu: BotApiEmulator, ptb_bot: telegram.Bot
) -> None:
    user = emu.user(1001, "Somchai")
    message = await user.send_document("kpi.xlsx", b"PK\x03\x04data", mime_type="application/zip")
    update = Update.de_json({"update_id": 1, "message": message}, ptb_bot)
    assert update.message is not None and update.message.document is not None
    file = await ptb_bot.get_file(update.message.document.file_id)
    assert bytes(await file.download_as_bytearray()) == b"PK\x03\x04data"
    with pytest.raises(BadRequest, match=r"(?i)invalid file_id"):
        await ptb_bot.get_file("nope")


async def test_every_simulated_update_deserializes_in_ptb(
    emu: BotApiEmulator, ptb_bot: telegram.Bot
) -> None:
    user = emu.user(1001, "Somchai", last_name="J", username="somchai")
    group = emu.group(-500, "ครู")
    sent = await ptb_bot.send_message(user.chat_id, "pick", reply_markup=KEYBOARD)
    await user.send_text("/start@tidtam_bot CODE123")
    await user.press("yes")
    await user.press("forged", forge=True)
    await user.send_photo(b"\xff\xd8\xff\xd9", caption="c")
    await user.send_sticker()
    await user.send_voice()
    text = await user.send_text("hello")
    await user.edit_text(text["message_id"], "hello again")
    await group.send_text(user, "/help")
    user.block()
    raw_updates = await ptb_bot.get_updates(timeout=0)
    kinds = [
        next(
            k
            for k in ("message", "callback_query", "edited_message", "my_chat_member")
            if getattr(u, k) is not None
        )
        for u in raw_updates
    ]
    assert kinds == [
        "message",
        "callback_query",
        "callback_query",
        "message",
        "message",
        "message",
        "message",
        "edited_message",
        "message",
        "my_chat_member",
    ]
    start = raw_updates[0].message
    assert start is not None and start.text == "/start@tidtam_bot CODE123"
    assert start.entities[0].type == "bot_command" and start.entities[0].length == 17
    press = raw_updates[1].callback_query
    assert press is not None and press.data == "yes" and press.message is not None
    assert press.message.message_id == sent.message_id
    assert raw_updates[3].message is not None and raw_updates[3].message.photo
    assert raw_updates[4].message is not None and raw_updates[4].message.sticker is not None
    assert raw_updates[5].message is not None and raw_updates[5].message.voice is not None
    edited = raw_updates[7].edited_message
    assert edited is not None and edited.text == "hello again"
    assert raw_updates[8].message is not None and raw_updates[8].message.chat.type == "group"
    member = raw_updates[9].my_chat_member
    assert member is not None and member.new_chat_member.status == "kicked"


async def test_press_requires_an_offered_button(emu: BotApiEmulator, ptb_bot: telegram.Bot) -> None:
    user = emu.user(1001, "Somchai")
    await ptb_bot.send_message(user.chat_id, "pick", reply_markup=KEYBOARD)
    with pytest.raises(AssertionError, match="no button with callback_data 'maybe'"):
        await user.press("maybe")
    with pytest.raises(AssertionError, match="sends nothing"):
        await user.press_text("Docs")
    query_id = await user.press_text("ไม่")
    assert emu.transcript[-1].text == "ไม่"
    assert await ptb_bot.answer_callback_query(query_id, text="บันทึกแล้ว")
    assert user.callback_answers[query_id]["text"] == "บันทึกแล้ว"
    with pytest.raises(BadRequest, match=r"(?i)query is too old"):
        await ptb_bot.answer_callback_query(query_id)
    with pytest.raises(BadRequest, match=r"(?i)query is too old"):
        await ptb_bot.answer_callback_query("12345")


async def test_expect_reports_the_transcript_when_nothing_arrives(emu: BotApiEmulator) -> None:
    user = emu.user(1001, "Somchai")
    await user.send_text("hi")
    with pytest.raises(
        AssertionError, match=r"no bot message in chat 1001(.|\n)*Somchai \(user\) text"
    ):
        await user.expect(timeout=0.05)


async def test_unknown_and_silent_chats(emu: BotApiEmulator, ptb_bot: telegram.Bot) -> None:
    with pytest.raises(BadRequest, match=r"(?i)chat not found"):
        await ptb_bot.send_message(424242, "hello")
    user = emu.user(1001, "Somchai")
    user.block()
    with pytest.raises(Forbidden, match=r"(?i)bot was blocked by the user"):
        await ptb_bot.send_message(user.chat_id, "hello")
    with pytest.raises(Forbidden):
        await ptb_bot.send_chat_action(user.chat_id, "typing")
    user.unblock()
    await ptb_bot.send_message(user.chat_id, "welcome back")
    assert [e.kind for e in emu.transcript] == ["block", "unblock", "text"]
    assert emu.violations == []


async def test_commands_menu_and_descriptions_are_stored(ptb_bot: telegram.Bot) -> None:
    commands = [telegram.BotCommand("start", "เริ่ม"), telegram.BotCommand("kpi", "รายงาน KPI")]
    await ptb_bot.set_my_commands(commands, language_code="th")
    await ptb_bot.set_my_commands(
        [telegram.BotCommand("help", "help")], scope=telegram.BotCommandScopeChat(1001)
    )
    assert await ptb_bot.get_my_commands(language_code="th") == tuple(commands)
    assert await ptb_bot.get_my_commands() == ()
    scoped = await ptb_bot.get_my_commands(scope=telegram.BotCommandScopeChat(1001))
    assert [c.command for c in scoped] == ["help"]
    await ptb_bot.delete_my_commands(language_code="th")
    assert await ptb_bot.get_my_commands(language_code="th") == ()
    await ptb_bot.set_chat_menu_button(menu_button=telegram.MenuButtonCommands())
    assert isinstance(await ptb_bot.get_chat_menu_button(), telegram.MenuButtonCommands)
    await ptb_bot.set_my_description("คำอธิบาย")
    await ptb_bot.set_my_short_description("สั้น")
    await ptb_bot.set_my_name("Tidtam")
    assert (await ptb_bot.get_my_description()).description == "คำอธิบาย"
    assert (await ptb_bot.get_my_short_description()).short_description == "สั้น"
    assert await ptb_bot.delete_webhook()
    assert (await ptb_bot.get_webhook_info()).url == ""


async def test_other_spec_methods(emu: BotApiEmulator, ptb_bot: telegram.Bot) -> None:
    emu.user(1001, "Somchai")
    # pinChatMessage returns True in the spec, so it is accepted as is.
    assert await ptb_bot.pin_chat_message(1001, 1)
    with pytest.raises(NetworkError, match=r"(?i)method not supported by the emulator"):
        await ptb_bot.get_chat(1001)
    assert emu.violations == []
    assert emu.calls("getChat")[0].error_code == 501


# -------------------------------------------------------------------- long polling


async def test_long_poll_returns_an_update_queued_after_the_call(
    emu: BotApiEmulator, ptb_bot: telegram.Bot
) -> None:
    user = emu.user(1001, "Somchai")
    poll = asyncio.create_task(ptb_bot.get_updates(timeout=5))
    await asyncio.sleep(0.1)
    assert not poll.done()
    started = time.monotonic()
    await user.send_text("late")
    updates = await asyncio.wait_for(poll, 2)
    assert time.monotonic() - started < 1
    assert [u.message.text for u in updates if u.message] == ["late"]


async def test_long_poll_times_out_empty(ptb_bot: telegram.Bot) -> None:
    started = time.monotonic()
    assert await ptb_bot.get_updates(timeout=1) == ()
    assert time.monotonic() - started >= 0.9


async def test_offset_confirms_and_drops_updates(
    emu: BotApiEmulator, ptb_bot: telegram.Bot
) -> None:
    user = emu.user(1001, "Somchai")
    for text in ("a", "b", "c"):
        await user.send_text(text)
    first = await ptb_bot.get_updates(limit=2)
    assert [u.message.text for u in first if u.message] == ["a", "b"]
    # Unconfirmed updates come again.
    assert len(await ptb_bot.get_updates()) == 3
    rest = await ptb_bot.get_updates(offset=first[-1].update_id + 1)
    assert [u.message.text for u in rest if u.message] == ["c"]
    assert emu.pending_updates == 1
    assert await ptb_bot.get_updates(offset=rest[-1].update_id + 1) == ()
    assert emu.pending_updates == 0


async def test_allowed_updates_filters_new_updates(
    emu: BotApiEmulator, ptb_bot: telegram.Bot
) -> None:
    user = emu.user(1001, "Somchai")
    await ptb_bot.get_updates(allowed_updates=["callback_query"])
    await user.send_text("ignored")
    assert emu.pending_updates == 0


async def test_a_second_poll_terminates_the_first_with_conflict(
    emu: BotApiEmulator, ptb_bot: telegram.Bot
) -> None:
    other = telegram.Bot(emu.token, base_url=emu.base_url, base_file_url=emu.file_url)
    async with other:
        first = asyncio.create_task(ptb_bot.get_updates(timeout=5))
        await asyncio.sleep(0.1)
        second = asyncio.create_task(other.get_updates(timeout=0))
        with pytest.raises(Conflict, match="terminated by other getUpdates request"):
            await asyncio.wait_for(first, 2)
        assert await second == ()


async def test_settle_waits_for_confirmation_and_quiet(
    emu: BotApiEmulator, ptb_bot: telegram.Bot
) -> None:
    user = emu.user(1001, "Somchai")
    await user.send_text("hi")
    with pytest.raises(TimeoutError, match="1 update"):
        await emu.settle(timeout=0.2)

    async def bot_loop() -> None:
        updates = await ptb_bot.get_updates(timeout=1)
        await asyncio.sleep(0.05)
        await ptb_bot.send_message(user.chat_id, "reply")
        await ptb_bot.get_updates(offset=updates[-1].update_id + 1, timeout=0)

    task = asyncio.create_task(bot_loop())
    await emu.settle(quiet=0.1, timeout=3)
    assert user.last is not None and user.last.plain_text == "reply"
    await task


# ------------------------------------------------------------------ fault injection


# PTB itself warns about RetryAfter.retry_after's future type while building the error.
@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
async def test_fail_next_answers_the_error_once(emu: BotApiEmulator, ptb_bot: telegram.Bot) -> None:
    user = emu.user(1001, "Somchai")
    emu.fail_next("sendmessage")
    with pytest.raises(NetworkError, match="Internal Server Error"):
        await ptb_bot.send_message(user.chat_id, "first")
    await ptb_bot.send_message(user.chat_id, "second")
    emu.fail_next("sendMessage", retry_after=3, count=2)
    for _ in range(2):
        # PTB builds RetryAfter from parameters.retry_after.
        with pytest.raises(RetryAfter, match="Retry in 3 seconds"):
            await ptb_bot.send_message(user.chat_id, "again")
    emu.fail_next("sendMessage", error_code=400, description="Bad Request: custom")
    with pytest.raises(BadRequest, match=r"(?i)custom"):
        await ptb_bot.send_message(user.chat_id, "x")
    assert [m.plain_text for m in user.inbox] == ["second"]


@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
async def test_rate_limits_answer_429_with_retry_after(
    emu: BotApiEmulator, ptb_bot: telegram.Bot
) -> None:
    first, second = emu.user(1001, "A"), emu.user(1002, "B")
    emu.set_rate_limits(global_per_second=None, per_chat_per_second=1)
    await ptb_bot.send_message(first.chat_id, "one")
    with pytest.raises(RetryAfter, match="Retry in 1 seconds"):
        await ptb_bot.send_message(first.chat_id, "two")
    await ptb_bot.send_message(second.chat_id, "other chat is fine")
    emu.set_rate_limits(global_per_second=2, per_chat_per_second=None)
    await ptb_bot.send_message(first.chat_id, "1")
    await ptb_bot.send_message(first.chat_id, "2")
    with pytest.raises(RetryAfter):
        await ptb_bot.send_message(second.chat_id, "3")
    limited = [r for r in emu.requests if r.error_code == 429]
    assert limited[0].description == "Too Many Requests: retry after 1"


async def test_rate_limited_answer_carries_retry_after(emu: BotApiEmulator, raw: RawClient) -> None:
    emu.user(1001, "A")
    emu.set_rate_limits()
    assert (await raw.call("sendMessage", form={"chat_id": "1001", "text": "1"}))[0] == 200
    status, body = await raw.call("sendMessage", form={"chat_id": "1001", "text": "2"})
    assert (status, body) == (
        429,
        {
            "ok": False,
            "error_code": 429,
            "description": "Too Many Requests: retry after 1",
            "parameters": {"retry_after": 1},
        },
    )


async def test_delay_slows_answers(emu: BotApiEmulator, ptb_bot: telegram.Bot) -> None:
    emu.delay("getMe", 0.3)
    started = time.monotonic()
    await ptb_bot.get_me()
    assert time.monotonic() - started >= 0.3
    emu.delay("getMe", 0)
    started = time.monotonic()
    await ptb_bot.get_me()
    assert time.monotonic() - started < 0.3


# ---------------------------------------------------------------------- validation


async def test_unknown_method_is_404_and_a_violation(emu: BotApiEmulator, raw: RawClient) -> None:
    status, body = await raw.call("sendMesage", form={"chat_id": "1", "text": "x"})
    assert (status, body) == (404, {"ok": False, "error_code": 404, "description": "Not Found"})
    assert emu.violations[0].method == "sendMesage"


async def test_method_names_are_case_insensitive(emu: BotApiEmulator, raw: RawClient) -> None:
    status, body = await raw.call("GETME")
    assert status == 200 and body["result"]["username"] == "tidtam_bot"
    assert emu.requests[-1].method == "getMe"


async def test_wrong_token_is_unauthorized(emu: BotApiEmulator) -> None:
    async with (
        aiohttp.ClientSession() as session,
        session.post(f"{emu.base_url}1:WRONG/getMe") as response,
    ):
        assert response.status == 401
    assert emu.violations


@pytest.mark.parametrize(
    ("form", "problem"),
    [
        ({"chat_id": "1001", "text": "x", "foo": "1"}, "sendMessage: unknown parameter 'foo'"),
        ({"chat_id": "1001"}, "sendMessage: missing required parameter 'text'"),
        ({"text": "x"}, "sendMessage: missing required parameter 'chat_id'"),
        (
            {"chat_id": "1001", "text": "x", "disable_notification": "maybe"},
            "disable_notification must be Boolean",
        ),
        ({"chat_id": "1001", "text": "x", "message_thread_id": "abc"}, "must be Integer"),
        (
            {"chat_id": "1001", "text": "x", "reply_markup": '{"inline_keyboard": "no"}'},
            "reply_markup.inline_keyboard must be an array",
        ),
        (
            {
                "chat_id": "1001",
                "text": "x",
                "reply_markup": '{"inline_keyboard": [[{"text": "a"}]]}',
            },
            "must use exactly one of",
        ),
        (
            {
                "chat_id": "1001",
                "text": "x",
                "reply_markup": json.dumps(
                    {"inline_keyboard": [[{"text": "a", "callback_data": "ก" * 22}]]}
                ),
            },
            "reply_markup.inline_keyboard[0][0].callback_data must be 1-64 bytes, got 66",
        ),
        (
            {
                "chat_id": "1001",
                "text": "x",
                "reply_markup": json.dumps(
                    {"inline_keyboard": [[{"text": "a", "callback_data": "x", "colour": "red"}]]}
                ),
            },
            "unknown field 'colour' in InlineKeyboardButton",
        ),
        (
            {"chat_id": "1001", "text": "<b>" + "x" * 4097 + "</b>", "parse_mode": "HTML"},
            "sendMessage: text must be 1-4096 characters after entity parsing, got 4097",
        ),
        ({"chat_id": "1001", "text": "<b></b>", "parse_mode": "HTML"}, "got 0"),
        (
            {"chat_id": "1001", "text": "Tom & Jerry", "parse_mode": "HTML"},
            'can\'t parse entities: Character "&" at byte offset 4',
        ),
        (
            {"chat_id": "1001", "text": "<div>x</div>", "parse_mode": "HTML"},
            'can\'t parse entities: Unsupported start tag "div" at byte offset 0',
        ),
        (
            {"chat_id": "1001", "text": "<b>open", "parse_mode": "HTML"},
            "can't parse entities: Can't find end tag corresponding to start tag \"b\"",
        ),
        ({"chat_id": "1001", "text": "x", "parse_mode": "html"}, "must be one of HTML"),
        (
            {"chat_id": "1001", "text": "x", "reply_parameters": '{"chat_id": 1}'},
            "missing required field 'message_id' of ReplyParameters",
        ),
    ],
)
async def test_violations_are_detected(
    emu: BotApiEmulator, raw: RawClient, form: dict[str, str], problem: str
) -> None:
    emu.user(1001, "Somchai")
    status, body = await raw.call("sendMessage", form=form)
    assert status == 400, body
    assert problem.removeprefix("sendMessage: ") in body["description"]
    assert body["description"].startswith("Bad Request: ")
    assert len(emu.violations) == 1
    assert any(problem in p for p in emu.violations[0].problems)


async def test_valid_escaped_html_passes(emu: BotApiEmulator, raw: RawClient) -> None:
    user = emu.user(1001, "Somchai")
    status, body = await raw.call(
        "sendMessage",
        form={"chat_id": "1001", "text": "ชื่อ: <b>&lt;script&gt; &amp;</b>", "parse_mode": "HTML"},
    )
    assert status == 200, body
    assert body["result"]["text"] == "ชื่อ: <script> &"
    assert user.inbox[0].plain_text == "ชื่อ: <script> &"
    assert emu.violations == []


async def test_json_bodies_and_query_strings_are_accepted(
    emu: BotApiEmulator, raw: RawClient
) -> None:
    emu.user(1001, "Somchai")
    markup = {"inline_keyboard": [[{"text": "a", "callback_data": "a"}]]}
    status, body = await raw.call(
        "sendMessage", json={"chat_id": 1001, "text": "json", "reply_markup": markup}
    )
    assert status == 200, body
    assert body["result"]["reply_markup"] == markup
    status, body = await raw.call("sendMessage", json={"chat_id": 1001, "text": 5})
    assert status == 200 and body["result"]["text"] == "5"
    async with aiohttp.ClientSession() as session:
        url = f"{emu.base_url}{emu.token}/sendMessage?chat_id=1001&text=query"
        async with session.get(url) as response:
            assert (await response.json())["result"]["text"] == "query"
    status, body = await raw.call(
        "sendMessage", json={"chat_id": 1001, "text": "x", "protect_content": "yes"}
    )
    assert status == 400 and "protect_content must be Boolean" in body["description"]


async def test_nested_types_are_checked(emu: BotApiEmulator, raw: RawClient) -> None:
    too_many = [{"command": f"c{i}", "description": "d"} for i in range(101)]
    cases = [
        ([{"command": "Bad-Name", "description": "d"}], "lowercase English letters"),
        ([{"command": "ok", "description": ""}], "description must be 1-256 characters"),
        ([{"command": "ok"}], "missing required field 'description' of BotCommand"),
        ([{"command": "ok", "description": 5}], "description must be a String"),
        (too_many, "may hold at most 100 items, got 101"),
    ]
    for commands, problem in cases:
        status, body = await raw.call("setMyCommands", form={"commands": json.dumps(commands)})
        assert status == 400 and problem in body["description"], body
    status, body = await raw.call(
        "setMyCommands",
        form={"commands": '[{"command": "a", "description": "b"}]', "scope": '{"type": "chat"}'},
    )
    assert "missing required field 'chat_id' of BotCommandScopeChat" in body["description"]
    status, body = await raw.call(
        "setMyCommands",
        form={"commands": '[{"command": "a", "description": "b"}]', "scope": '{"type": "moon"}'},
    )
    assert "scope.type must be one of" in body["description"]
    status, body = await raw.call(
        "answerCallbackQuery", form={"callback_query_id": "1", "text": "x" * 201}
    )
    assert "text must be 0-200 characters, got 201" in body["description"]
    status, body = await raw.call("sendChatAction", form={"chat_id": "1", "action": "dancing"})
    assert "action must be one of" in body["description"]
    status, body = await raw.call("getUpdates", form={"limit": "500"})
    assert "limit must be between 1 and 100" in body["description"]


async def test_caption_limit_and_upload_as_wrong_parameter(
    emu: BotApiEmulator, raw: RawClient
) -> None:
    emu.user(1001, "Somchai")
    form = aiohttp.FormData()
    form.add_field("chat_id", "1001")
    form.add_field("caption", "ก" * 1025)
    form.add_field("document", b"data", filename="a.txt", content_type="text/plain")
    status, body = await raw.call("sendDocument", form=form)
    assert status == 400 and "caption must be 0-1024 characters" in body["description"]
    recorded = emu.requests[-1].params["document"]
    assert recorded == {"filename": "a.txt", "size": 4, "mime": "text/plain"}
    form = aiohttp.FormData()
    form.add_field("chat_id", "1001")
    form.add_field("text", b"data", filename="a.txt")
    status, body = await raw.call("sendMessage", form=form)
    assert status == 400 and "text must be String, got an uploaded file" in body["description"]


async def test_lenient_mode_records_but_answers(
    lenient: BotApiEmulator, lenient_raw: RawClient
) -> None:
    lenient.user(1001, "Somchai")
    status, body = await lenient_raw.call(
        "sendMessage", form={"chat_id": "1001", "text": "hi", "foo": "bar"}
    )
    assert status == 200, body
    # Telegram itself refuses HTML it cannot parse, so the answer is still an error.
    status, body = await lenient_raw.call(
        "sendMessage", form={"chat_id": "1001", "text": "<div>", "parse_mode": "HTML"}
    )
    assert status == 400 and body["description"].startswith("Bad Request: can't parse entities")
    assert [v.problems for v in lenient.violations] == [
        ["sendMessage: unknown parameter 'foo'"],
        [
            "sendMessage: can't parse entities: "
            'Unsupported start tag "div" at byte offset 0 (in text)'
        ],
    ]


async def test_requests_are_recorded_with_decoded_params(
    emu: BotApiEmulator, ptb_bot: telegram.Bot
) -> None:
    emu.user(1001, "Somchai")
    await ptb_bot.send_message(1001, "x", reply_markup=KEYBOARD, disable_notification=True)
    record = emu.calls("sendMessage")[-1]
    assert record.ok and record.error_code is None
    assert record.params["chat_id"] == 1001
    assert record.params["disable_notification"] is True
    assert record.params["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "yes"
    assert record.result["message_id"] == 1


# ------------------------------------------------------------------ chats & people


async def test_people_and_groups(emu: BotApiEmulator, ptb_bot: telegram.Bot) -> None:
    somchai = emu.user(1001, "Somchai", last_name="J")
    assert emu.user(1001, "Other") is somchai
    assert somchai.display_name == "Somchai J" and somchai.language_code == "th"
    group = emu.group(-1001, "ครูประจำชั้น")
    with pytest.raises(ValueError, match="negative"):
        emu.group(5, "bad")
    await group.send_text(somchai, "/report@tidtam_bot")
    sent = await ptb_bot.send_message(group.chat_id, "เลือก", reply_markup=KEYBOARD)
    assert sent.chat.type == "group" and sent.chat.title == "ครูประจำชั้น"
    assert (await group.expect(timeout=1)).plain_text == "เลือก"
    assert somchai.inbox == []
    query_id = await group.press(somchai, "no")
    await ptb_bot.answer_callback_query(query_id, text="ok")
    assert [(e.chat_id, e.kind) for e in emu.transcript] == [
        (-1001, "text"),
        (-1001, "text"),
        (-1001, "callback"),
        (-1001, "callback_answer"),
    ]
    assert "Somchai J (user) text #1: /report@tidtam_bot" in emu.format_transcript(-1001)


async def test_reply_parameters_must_point_at_a_message(
    emu: BotApiEmulator, ptb_bot: telegram.Bot
) -> None:
    user = emu.user(1001, "Somchai")
    question = await user.send_text("คำถาม")
    answer = await ptb_bot.send_message(
        1001, "คำตอบ", reply_parameters=telegram.ReplyParameters(question["message_id"])
    )
    assert answer.reply_to_message is not None and answer.reply_to_message.text == "คำถาม"
    assert (await user.expect(timeout=1)).reply_to_message_id == question["message_id"]
    with pytest.raises(BadRequest, match=r"(?i)message to be replied not found"):
        await ptb_bot.send_message(1001, "x", reply_parameters=telegram.ReplyParameters(99))


async def test_markdown_v2_is_validated(emu: BotApiEmulator, ptb_bot: telegram.Bot) -> None:
    user = emu.user(1001, "Somchai")
    await ptb_bot.send_message(1001, r"*สรุป* ครบ 100\%\.", parse_mode="MarkdownV2")
    assert (await user.expect(timeout=1)).plain_text == "สรุป ครบ 100%."
    with pytest.raises(BadRequest, match=r"^Can't parse entities: character '\.' is reserved"):
        await ptb_bot.send_message(1001, "ครบ 100%.", parse_mode="MarkdownV2")
    assert len(emu.violations) == 1


async def test_restart_keeps_the_port(emu: BotApiEmulator) -> None:
    base_url = emu.base_url
    user = emu.user(1001, "Somchai")
    await emu.stop()
    await emu.start()
    assert emu.base_url == base_url
    bot = telegram.Bot(emu.token, base_url=emu.base_url, base_file_url=emu.file_url)
    async with bot:
        await bot.send_message(user.chat_id, "still here")
    assert user.last is not None and user.last.plain_text == "still here"
