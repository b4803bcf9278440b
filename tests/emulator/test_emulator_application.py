"""A real python-telegram-bot Application long-polling the emulator."""

from __future__ import annotations

import html
from collections.abc import AsyncIterator

import pytest
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from emulator import BotApiEmulator


async def _start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.message is not None and update.effective_user is not None
    name = html.escape(update.effective_user.first_name)
    payload = " ".join(context.args or [])
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("ต่อไป", callback_data="next")]])
    await update.message.reply_html(
        f"สวัสดี <b>{name}</b> {html.escape(payload)}".strip(), reply_markup=keyboard
    )


async def _next(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    assert query is not None
    await query.answer("บันทึกแล้ว")
    await query.edit_message_text("เสร็จแล้ว")


async def _document(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.message is not None and update.message.document is not None
    file = await update.message.document.get_file()
    content = bytes(await file.download_as_bytearray())
    await update.message.reply_text(f"ได้รับ {len(content)} ไบต์")


@pytest.fixture
async def app(emu: BotApiEmulator) -> AsyncIterator[Application]:  # type: ignore[type-arg]
    application = (
        ApplicationBuilder()
        .token(emu.token)
        .base_url(emu.base_url)
        .base_file_url(emu.file_url)
        .build()
    )
    application.add_handler(CommandHandler("start", _start))
    application.add_handler(CallbackQueryHandler(_next, pattern="^next$"))
    application.add_handler(MessageHandler(filters.Document.ALL, _document))
    async with application:
        await application.start()
        assert application.updater is not None
        await application.updater.start_polling(poll_interval=0, timeout=1)
        try:
            yield application
        finally:
            await application.updater.stop()
            await application.stop()


async def test_application_answers_start_and_buttons(
    emu: BotApiEmulator,
    app: Application,  # type: ignore[type-arg]
) -> None:
    user = emu.user(1001, "<Somchai>")
    await user.send_text("/start@tidtam_bot INVITE42")
    greeting = await user.expect()
    assert greeting.plain_text == "สวัสดี <Somchai> INVITE42"
    assert greeting.text == "สวัสดี <b>&lt;Somchai&gt;</b> INVITE42"
    query_id = await user.press_text("ต่อไป")
    edit = await user.expect()
    assert edit.is_edit and edit.plain_text == "เสร็จแล้ว" and edit.buttons == []
    await emu.settle()
    assert user.callback_answers[query_id]["text"] == "บันทึกแล้ว"
    assert emu.pending_updates == 0
    emu.assert_no_violations()


async def test_application_downloads_a_user_document(
    emu: BotApiEmulator,
    app: Application,  # type: ignore[type-arg]
) -> None:
    user = emu.user(1002, "Malee")
    await user.send_document("kpi.csv", b"x" * 1234, mime_type="text/csv")
    reply = await user.expect()
    assert reply.plain_text == "ได้รับ 1234 ไบต์"
    await emu.settle()
    assert [e.kind for e in emu.transcript] == ["document", "text"]
    emu.assert_no_violations()
