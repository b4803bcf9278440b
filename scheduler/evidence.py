"""Local copies of evidence files, fetched from Telegram in the background.

Evidence is kept by Telegram file id; with ``TIDTAM_EVIDENCE_DIR`` set, a
pass copies each file that has no local copy yet to

    <folder>/<fiscal year BE>/<school code>/<evidence id>-<file name>

and records that path (relative to the folder) on the evidence row. Each
file is first written under a temporary name in the same folder, flushed to
disk and then renamed, so a reader never sees half a file; the path is
recorded afterwards in a short transaction of its own, and no transaction
is open while a file downloads. A pass that stops between the rename and the
record leaves a file the next pass writes again under the same name.

Outcomes per file:

- copied: the path is recorded;
- not copied: Telegram will not serve it to bots (over the Bot API's 20 MB
  download limit, or refused as an unknown file) — the reason is recorded
  and no later pass asks again;
- failed: a network error, a timeout or a flood wait — left for the next pass.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import mimetypes
import os
import re
import tempfile
import time
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from telegram import Bot
from telegram.error import BadRequest, Forbidden, InvalidToken, RetryAfter, TelegramError
from telegram.ext import CallbackContext, Job, JobQueue

from storage.database import Database
from storage.repositories.review import EvidenceToCopy

log = logging.getLogger(__name__)

JOB_NAME = "evidence_archive"
JOB_INTERVAL = dt.timedelta(minutes=5)
JOB_FIRST_RUN = dt.timedelta(seconds=30)
# The Bot API serves files up to 20 MB to bots (https://core.telegram.org/bots/api#getfile).
BOT_API_DOWNLOAD_LIMIT = 20 * 1024 * 1024
DOWNLOAD_TIMEOUT = 120.0  # seconds between reads; a 20 MB file on a slow school line
# The name after "<id>-" stays well under the 255 bytes most file systems allow.
MAX_NAME_BYTES = 160
# A temporary file this old belongs to a pass that stopped; younger ones may be in use.
STALE_TEMPORARY = dt.timedelta(hours=1)
# BadRequest descriptions that mean asking again can never succeed.
_REFUSED = ("file is too big", "invalid file_id", "invalid file id", "wrong file_id")
_UNSAFE = re.compile(r'[/\\:*?"<>|]')
_DOTS = re.compile(r"\.{2,}")
_SPACES = re.compile(r" {2,}")


@dataclass(slots=True)
class ArchiveOutcome:
    """What one pass did, by evidence id."""

    copied: list[int] = field(default_factory=list)
    not_copied: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    stopped: str | None = None  # why the pass ended before its batch did


def _clean(text: str) -> str:
    """One safe path component from user text: no separators, controls, ``..`` or edge dots."""
    text = unicodedata.normalize("NFC", text)
    kept = []
    for char in text:
        if char.isspace():
            kept.append(" ")
        elif not unicodedata.category(char).startswith("C"):
            # Category C holds controls and format characters such as the
            # right-to-left override that disguises "gpj.exe" as "exe.jpg".
            kept.append(char)
    cleaned = _UNSAFE.sub("_", "".join(kept))
    cleaned = _SPACES.sub(" ", _DOTS.sub(".", cleaned))
    return cleaned.strip(" .")


def _truncate(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` bytes of UTF-8, at a character boundary."""
    encoded = text.encode("utf-8")
    if len(encoded) <= limit:
        return text
    return encoded[:limit].decode("utf-8", errors="ignore").rstrip(" .")


def safe_file_name(name: str | None, *, kind: str, mime_type: str | None) -> str:
    """A file name safe to create from the name a person's app sent (Thai kept)."""
    if kind == "photo":
        return "photo.jpg"  # Telegram re-encodes every photo as JPEG
    cleaned = _clean(name or "")
    stem, dot, suffix = cleaned.rpartition(".")
    if dot and stem and 1 <= len(suffix) <= 10 and suffix.isalnum():
        extension = f".{suffix}"
    else:
        stem, extension = cleaned, ""
        guessed = mimetypes.guess_extension(mime_type or "")
        if guessed is not None:
            extension = guessed
    stem = _truncate(stem, MAX_NAME_BYTES - len(extension.encode("utf-8"))) or "document"
    return stem + extension


def evidence_path(item: EvidenceToCopy) -> PurePosixPath:
    """Where a file's copy goes, relative to the evidence folder."""
    school = _truncate(_clean(item.school_code), MAX_NAME_BYTES) or "school"
    name = safe_file_name(item.file.file_name, kind=item.file.kind, mime_type=item.file.mime_type)
    return PurePosixPath(str(item.fiscal_year), school, f"{item.id}-{name}")


def _fsync_directory(directory: Path) -> None:
    """Make a rename in ``directory`` durable (POSIX; elsewhere the rename must do)."""
    with contextlib.suppress(OSError):
        descriptor = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)


def _write_atomically(folder: Path, relative: PurePosixPath, content: bytes) -> None:
    """Write ``content`` to ``folder/relative`` so that it is either the whole file or absent."""
    root = folder.resolve()
    target = root.joinpath(*relative.parts)
    # evidence_path never yields a way out; this guards the promise, not the common case
    if not target.resolve().is_relative_to(root):
        raise ValueError(f"{relative} would be written outside {root}")
    directory = target.parent
    directory.mkdir(parents=True, exist_ok=True)
    stale_before = time.time() - STALE_TEMPORARY.total_seconds()
    for leftover in directory.glob(f".{target.name}.*.part"):
        with contextlib.suppress(OSError):
            if leftover.stat().st_mtime < stale_before:
                leftover.unlink()
    descriptor, temporary = tempfile.mkstemp(
        dir=directory, prefix=f".{target.name}.", suffix=".part"
    )
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    _fsync_directory(directory)


def _too_big(size: int | None) -> str | None:
    if size is not None and size > BOT_API_DOWNLOAD_LIMIT:
        return f"too big for the Bot API: {size / 1024 / 1024:.1f} MB (bots may fetch 20 MB)"
    return None


async def archive_evidence(
    bot: Bot, database: Database, folder: Path, *, now: dt.datetime, limit: int = 50
) -> ArchiveOutcome:
    """Copy up to ``limit`` evidence files without a local copy into ``folder``, oldest first.

    ``now`` is recorded as the moment each file was copied or given up on.
    See the module docstring for what happens to each file.
    """
    async with database.read() as repos:
        batch = await repos.evidence.to_copy(limit=limit)
    outcome = ArchiveOutcome()
    for item in batch:
        relative = evidence_path(item)
        refused = _too_big(item.file.file_size)
        content: bytes | None = None
        if refused is None:
            try:
                telegram_file = await bot.get_file(item.file.telegram_file_id)
                refused = _too_big(telegram_file.file_size)
                if refused is None and not telegram_file.file_path:
                    refused = "Telegram gave no download path for the file"
                if refused is None:
                    content = bytes(
                        await telegram_file.download_as_bytearray(read_timeout=DOWNLOAD_TIMEOUT)
                    )
            except BadRequest as error:
                if not any(phrase in error.message.lower() for phrase in _REFUSED):
                    log.warning(
                        "evidence %d: Telegram answered %s; tried again later", item.id, error
                    )
                    outcome.failed.append(item.id)
                    continue
                refused = f"Telegram refused the file: {error.message}"[:256]
            except RetryAfter as error:
                outcome.failed.append(item.id)
                outcome.stopped = f"Telegram asked to wait: {error.message}"
                break
            except (InvalidToken, Forbidden) as error:
                outcome.failed.append(item.id)
                outcome.stopped = f"Telegram refused the bot: {error.message}"
                break
            except TelegramError as error:
                log.warning("evidence %d: %s; tried again later", item.id, error)
                outcome.failed.append(item.id)
                continue
            if content is not None and telegram_file.file_size not in (None, len(content)):
                log.warning("evidence %d: the download was cut short; tried again later", item.id)
                outcome.failed.append(item.id)
                continue
        if content is None:
            async with database.transaction() as repos:
                await repos.evidence.record_not_copied(item.id, reason=refused or "", now=now)
            log.info("evidence %d is not copied: %s", item.id, refused)
            outcome.not_copied.append(item.id)
            continue
        try:
            await asyncio.to_thread(_write_atomically, folder, relative, content)
        except OSError as error:
            outcome.failed.append(item.id)
            outcome.stopped = f"cannot write {relative} in {folder}: {error.strerror or error}"
            break
        async with database.transaction() as repos:
            await repos.evidence.record_copy(item.id, local_path=str(relative), now=now)
        outcome.copied.append(item.id)
    if outcome.stopped is not None:
        log.error("the evidence pass stopped early: %s", outcome.stopped)
    return outcome


def register_archive_job(
    job_queue: JobQueue[Any],
    *,
    database: Database,
    folder: Path,
    clock: Callable[[], dt.datetime],
    interval: dt.timedelta = JOB_INTERVAL,
    first: dt.timedelta = JOB_FIRST_RUN,
) -> Job[Any]:
    """Copy new evidence files every ``interval`` while the bot runs, first soon after start.

    Each file's copy is recorded on its own, so a pass cut short by a restart
    loses nothing and a pass running in another process at once writes the
    same file under the same name.
    """

    async def archive_job(context: CallbackContext[Any, Any, Any, Any]) -> None:
        try:
            outcome = await archive_evidence(context.bot, database, folder, now=clock())
        except Exception:
            log.exception("the evidence pass failed; the next run will try again")
            return
        if outcome.copied or outcome.not_copied or outcome.failed:
            log.info(
                "evidence: %d copied, %d not copied, %d failed",
                len(outcome.copied),
                len(outcome.not_copied),
                len(outcome.failed),
            )

    return job_queue.run_repeating(
        archive_job,
        interval=interval,
        first=first,
        name=JOB_NAME,
        job_kwargs={"max_instances": 1, "coalesce": True},
    )


__all__ = [
    "BOT_API_DOWNLOAD_LIMIT",
    "JOB_NAME",
    "ArchiveOutcome",
    "archive_evidence",
    "evidence_path",
    "register_archive_job",
    "safe_file_name",
]
