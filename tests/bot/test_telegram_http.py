"""The bot's Bot API client (aiohttp, JSON bodies) against the emulator.

What a person would notice if it were wrong: Thai text or buttons garbled,
a file that does not arrive or cannot be fetched back, a slow or broken
Telegram turned into a hang instead of python-telegram-bot's own errors.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, InputFile
from telegram.constants import ParseMode
from telegram.error import BadRequest, NetworkError, TimedOut
from telegram.ext import Defaults, ExtBot

from bot.telegram_http import AiohttpRequest
from emulator import BotApiEmulator

TOKEN = "123456:TEST-TOKEN"
QUESTION = (
    "<b>ตัวชี้วัดที่ 3</b> ร้อยละของนักเรียนที่มีผลสัมฤทธิ์ &lt;ระดับดี&gt; &amp; สูงกว่า\nค่าเป้าหมาย 80 % · รอบที่แล้ว ๗๒"
)


@pytest.fixture
async def emu() -> AsyncIterator[BotApiEmulator]:
    async with BotApiEmulator(token=TOKEN) as emulator:
        yield emulator


def make_bot(emu: BotApiEmulator, **timeouts: float) -> ExtBot[None]:
    return ExtBot(
        TOKEN,
        base_url=emu.base_url,
        base_file_url=emu.file_url,
        defaults=Defaults(parse_mode=ParseMode.HTML),
        request=AiohttpRequest(connection_pool_size=4, **timeouts),
        get_updates_request=AiohttpRequest(),
    )


async def test_thai_html_and_buttons_arrive_as_sent(emu: BotApiEmulator):
    user = emu.user(7001, "ครูสมใจ")
    markup = InlineKeyboardMarkup(
        [
            [InlineKeyboardButton("⏭ ข้าม", callback_data="kpi:skip")],
            [InlineKeyboardButton("✖️ ยกเลิก", callback_data="kpi:cancel")],
        ]
    )
    async with make_bot(emu) as bot:
        sent = await bot.send_message(user.chat_id, QUESTION, reply_markup=markup)
        # as handlers.flow sends it: editMessageReplyMarkup takes no parse_mode
        await bot.edit_message_reply_markup(
            user.chat_id, sent.message_id, reply_markup=None, api_kwargs={"parse_mode": None}
        )

    first, edited = user.inbox
    assert first.plain_text == (
        "ตัวชี้วัดที่ 3 ร้อยละของนักเรียนที่มีผลสัมฤทธิ์ <ระดับดี> & สูงกว่า\nค่าเป้าหมาย 80 % · รอบที่แล้ว ๗๒"
    )
    assert first.entities[0]["type"] == "bold"
    assert first.button_texts() == ["⏭ ข้าม", "✖️ ยกเลิก"]
    assert first.callback_data() == ["kpi:skip", "kpi:cancel"]
    assert sent.text == first.plain_text  # the answer is read back as Telegram gave it
    assert edited.is_edit and edited.buttons == []
    assert emu.violations == []


async def test_a_document_is_uploaded_and_fetched_back(emu: BotApiEmulator):
    user = emu.user(7002, "ครูวิชัย")
    content = "ภาคเรียนที่ 1,80\n".encode() * 500
    async with make_bot(emu) as bot:
        sent = await bot.send_document(
            user.chat_id,
            InputFile(content, filename="สรุปผล ไตรมาส 2.csv"),
            caption="<i>สรุป</i> รอบที่ 2",
        )
        assert sent.document is not None
        telegram_file = await bot.get_file(sent.document.file_id)
        fetched = await telegram_file.download_as_bytearray()

    message = user.last
    assert message is not None
    assert message.document_name == "สรุปผล ไตรมาส 2.csv"
    assert message.document_bytes == content
    assert message.plain_text == "สรุป รอบที่ 2"
    assert bytes(fetched) == content
    assert emu.violations == []


async def test_an_error_answer_is_telegrams_error(emu: BotApiEmulator):
    user = emu.user(7003, "ครูมานี")
    async with make_bot(emu) as bot:
        with pytest.raises(BadRequest, match=r"(?i)can't parse entities"):
            await bot.send_message(user.chat_id, "<b>ไม่ปิดแท็ก")
    assert user.inbox == []


async def test_an_answer_later_than_the_read_timeout_is_timed_out(emu: BotApiEmulator):
    user = emu.user(7004, "ครูชูใจ")
    emu.delay("sendMessage", 1.0)
    async with make_bot(emu, read_timeout=0.2) as bot:
        with pytest.raises(TimedOut):
            await bot.send_message(user.chat_id, "สวัสดี")
        emu.delay("sendMessage", 0)
        again = await bot.send_message(user.chat_id, "อีกครั้ง")  # the client is still usable
    assert again.text == "อีกครั้ง"
    assert "อีกครั้ง" in [m.plain_text for m in user.inbox]


async def test_a_dropped_connection_is_a_network_error(emu: BotApiEmulator):
    user = emu.user(7005, "ครูสมศรี")
    emu.set_fault_rate(1.0, kinds=("lost_answer",), methods=("sendMessage",))
    async with make_bot(emu) as bot:
        with pytest.raises(NetworkError) as raised:
            await bot.send_message(user.chat_id, "ส่งแล้วแต่ไม่รู้")
        assert not isinstance(raised.value, TimedOut)
        emu.set_fault_rate(0)
        await bot.send_message(user.chat_id, "ครั้งถัดไป")
    # carried out both times; only the first answer was lost
    assert [m.plain_text for m in user.inbox] == ["ส่งแล้วแต่ไม่รู้", "ครั้งถัดไป"]


async def test_a_closed_client_refuses_to_send(emu: BotApiEmulator):
    request = AiohttpRequest()
    with pytest.raises(RuntimeError, match="not initialized"):
        await request.do_request(f"{emu.base_url}{TOKEN}/getMe", "POST")
    await request.initialize()
    status, body = await request.do_request(f"{emu.base_url}{TOKEN}/getMe", "POST")
    await request.shutdown()
    await request.shutdown()  # twice is harmless
    assert status == 200 and b'"is_bot":true' in body.replace(b" ", b"")
