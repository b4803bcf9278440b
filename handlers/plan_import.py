"""Importing the plan in chat: an administrator sends the workbook, checks, confirms.

/import explains and sends the template. A document from an administrator
is read and checked exactly as ``tidtam import --dry-run`` would (nothing is
written); the same report comes back (a long one also as a text file), and
when the plan is clean and would change something, a Confirm button. Only
the confirmation imports, in one transaction, after downloading the file
again and checking it is the one that was reported on. The pending file is
remembered by its Telegram file id in ``user_data`` (persisted), never by
its content.
"""

from __future__ import annotations

import hashlib
from typing import Any, Final

from telegram import Document, Update
from telegram.constants import ChatAction
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, MessageHandler, filters

from domain.i18n import Html, Lang, escape, plain, t
from domain.values import Role
from handlers.common import answer_query, keyboard, require_person, require_role, send, show
from handlers.context import Ctx
from onboarding.importer import ImportReport, import_plan
from onboarding.problems import PlanFileError, Problem
from onboarding.reader import read_plan_bytes
from onboarding.report import problem_text, report_html, report_lines
from onboarding.sheets import MAX_FILE_BYTES

PENDING_KEY: Final = "plan_import"  # user_data: the checked file waiting for confirmation
ADMIN_ONLY: Final = (Role.ADMIN,)
TEMPLATE_NAME: Final = "tidtam-plan-template.xlsx"


async def how_to(update: Update, context: Ctx) -> None:
    """/import or the menu button: how it works, and the template to fill in."""
    await answer_query(update)
    found = await require_role(update, context, ADMIN_ONLY, "onboarding.import.admins_only")
    chat = update.effective_chat
    if found is None or chat is None:
        return
    who, _ = found
    limit = MAX_FILE_BYTES // (1024 * 1024)
    await send(update, t(who.lang, "onboarding.import.how", limit=limit))
    from onboarding.workbook import template_bytes  # openpyxl loads with the first template

    await chat.send_document(
        document=template_bytes(),
        filename=TEMPLATE_NAME,
        caption=t(who.lang, "onboarding.import.template_caption"),
    )


async def _download(context: Ctx, file_id: str) -> bytes:
    telegram_file = await context.bot.get_file(file_id)
    return bytes(await telegram_file.download_as_bytearray())


async def _check(
    context: Ctx, name: str, content: bytes, *, person_id: int, dry_run: bool
) -> ImportReport:
    services = context.services
    try:
        plan = read_plan_bytes(name, content)
    except PlanFileError as error:
        report = ImportReport(name, dry_run=dry_run)
        report.problems.append(error.problem)
        return report
    return await import_plan(
        services.database,
        plan,
        now=services.clock(),
        tz=services.timezone,
        dry_run=dry_run,
        actor="person",
        actor_person_id=person_id,
    )


async def _send_report(update: Update, context: Ctx, report: ImportReport, lang: Lang) -> Html:
    """The report as HTML; a long one also goes out in full as a text file."""
    text, cut = report_html(report, lang, tz=context.services.timezone)
    chat = update.effective_chat
    if cut and chat is not None:
        lines = report_lines(report, lang, tz=context.services.timezone)
        await chat.send_document(
            document=("\n".join(lines) + "\n").encode("utf-8"),
            filename=f"{report.source}.report.txt",
            caption=t(lang, "onboarding.import.report_file", name=report.source),
        )
    return text


async def received(update: Update, context: Ctx) -> None:
    """A document: check it as a plan and report; offer to import a clean one."""
    message = update.effective_message
    found = await require_person(update, context)
    if found is None or message is None or message.document is None:
        return
    who, person = found
    if person.role is not Role.ADMIN:
        # outside a flow a file means nothing to anyone else: the same hint as a sticker
        await send(update, t(who.lang, "menu.hint"))
        return
    document: Document = message.document
    name = document.file_name or "plan.xlsx"
    if context.user_data is not None:
        context.user_data.pop(PENDING_KEY, None)
    if document.file_size is not None and document.file_size > MAX_FILE_BYTES:
        # refused before downloading: the size Telegram reports is enough
        problem = Problem(
            "onboarding.problem.too_large",
            params={
                "name": name,
                "size": f"{document.file_size / 1024 / 1024:.1f}",
                "limit": f"{MAX_FILE_BYTES / 1024 / 1024:.0f}",
            },
        )
        await send(update, escape(problem_text(problem, who.lang)))
        return
    await message.reply_chat_action(ChatAction.TYPING)
    content = await _download(context, document.file_id)
    report = await _check(context, name, content, person_id=person.id, dry_run=True)
    text = await _send_report(update, context, report, who.lang)
    if not report.ok:
        await send(update, text)
        return
    if not report.changed:
        await send(update, text)
        return
    if context.user_data is not None:
        context.user_data[PENDING_KEY] = {
            "file_id": document.file_id,
            "name": name,
            "sha256": hashlib.sha256(content).hexdigest(),
        }
    rows = [
        [
            (plain(who.lang, "common.confirm"), "planimport:confirm"),
            (plain(who.lang, "common.cancel"), "planimport:cancel"),
        ]
    ]
    hint = t(who.lang, "onboarding.import.confirm_hint")
    await send(update, Html(f"{text}\n\n{hint}"), markup=keyboard(rows))


def _pending(context: Ctx) -> dict[str, Any] | None:
    if context.user_data is None:
        return None
    pending = context.user_data.get(PENDING_KEY)
    return pending if isinstance(pending, dict) else None


async def confirm(update: Update, context: Ctx) -> None:
    """Import the checked file; "imported" is said only after the commit."""
    await answer_query(update)
    found = await require_role(update, context, ADMIN_ONLY, "onboarding.import.admins_only")
    if found is None:
        return
    who, person = found
    pending = _pending(context)
    if pending is None:
        await show(update, t(who.lang, "onboarding.import.expired"))
        return
    chat = update.effective_chat
    if chat is not None:
        await chat.send_action(ChatAction.TYPING)
    content = await _download(context, str(pending["file_id"]))
    if hashlib.sha256(content).hexdigest() != pending.get("sha256"):
        await show(update, t(who.lang, "onboarding.import.file_changed"))
        return
    report = await _check(
        context, str(pending["name"]), content, person_id=person.id, dry_run=False
    )
    if context.user_data is not None:
        context.user_data.pop(PENDING_KEY, None)
    text = await _send_report(update, context, report, who.lang)
    await show(update, text)


async def cancel(update: Update, context: Ctx) -> None:
    """Drop the checked file; nothing is imported."""
    await answer_query(update)
    found = await require_role(update, context, ADMIN_ONLY, "onboarding.import.admins_only")
    if found is None:
        return
    if context.user_data is not None:
        context.user_data.pop(PENDING_KEY, None)
    await show(update, t(found[0].lang, "onboarding.import.cancelled"))


def register_handlers(application: Application) -> None:  # type: ignore[type-arg]
    """Add /import, plan documents and the confirm/cancel buttons."""
    private = filters.ChatType.PRIVATE
    application.add_handler(CommandHandler("import", how_to, filters=private))
    application.add_handler(CallbackQueryHandler(how_to, pattern=r"^planimport:start$"))
    application.add_handler(CallbackQueryHandler(confirm, pattern=r"^planimport:confirm$"))
    application.add_handler(CallbackQueryHandler(cancel, pattern=r"^planimport:cancel$"))
    application.add_handler(MessageHandler(private & filters.Document.ALL, received))
