"""``tidtam evidence fetch``: copy evidence files from Telegram into the evidence folder.

The running bot does the same every few minutes when ``TIDTAM_EVIDENCE_DIR``
is set; this command runs one pass now (for example after the bot was down,
or to fill the folder the first time the setting is turned on). Both may run
at once: each file has one name, and its copy is recorded on its own.
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape

from bot.cli_common import console, errors
from bot.cli_common import language as _lang
from bot.cli_common import load_settings as _settings
from bot.cli_common import with_database as _with_database
from domain.calendar import utc_now
from domain.i18n import Lang, plain
from scheduler.evidence import ArchiveOutcome, archive_evidence
from storage.database import Database

evidence_app = typer.Typer(
    help="Local copies of evidence files (photos and documents people attach).",
    no_args_is_help=True,
)


def register(app: typer.Typer) -> None:
    """Add the evidence commands to the ``tidtam`` command line."""
    app.add_typer(evidence_app, name="evidence")


def _fail(lang: Lang, message: str) -> typer.Exit:
    errors.print(f"[red]{plain(lang, 'evidence.cli.error')}[/red] {escape(message)}")
    return typer.Exit(code=1)


@evidence_app.command("fetch")
def fetch(
    limit: Annotated[
        int, typer.Option("--limit", min=1, help="most files to copy in this pass")
    ] = 50,
    lang: Annotated[
        str | None, typer.Option("--lang", help="language of messages: th or en (default: setting)")
    ] = None,
) -> None:
    """Copy evidence files that have no local copy yet (oldest first) and say how it went."""
    settings = _settings()
    language = _lang(settings, lang)
    folder = settings.evidence_dir
    if folder is None:
        raise _fail(language, plain(language, "evidence.cli.no_folder"))
    try:
        token = settings.token()
    except RuntimeError as error:
        raise _fail(language, str(error)) from None

    async def one_pass(database: Database) -> ArchiveOutcome:
        from telegram.ext import AIORateLimiter, ExtBot

        from bot.telegram_http import AiohttpRequest

        bot: ExtBot[None] = ExtBot(
            token,
            base_url=settings.api_base_url,
            base_file_url=settings.api_file_url,
            rate_limiter=AIORateLimiter(max_retries=5),  # type: ignore[arg-type]
            request=AiohttpRequest(connection_pool_size=64),
        )
        async with bot:
            return await archive_evidence(bot, database, folder, now=utc_now(), limit=limit)

    outcome = _with_database(settings, one_pass)
    console.print(
        plain(
            language,
            "evidence.cli.done",
            folder=str(folder),
            copied=len(outcome.copied),
            not_copied=len(outcome.not_copied),
            failed=len(outcome.failed),
        ),
        markup=False,
    )
    if outcome.stopped is not None:
        raise _fail(language, plain(language, "evidence.cli.stopped", reason=outcome.stopped))
