"""Online backups of the embedded SQLite database.

SQLite's backup API copies a consistent snapshot page by page while the bot
keeps running: readers and the writer are never blocked for long, and the
copy is exactly the database as of one committed transaction. The copy is
written to a temporary file and renamed into place, so a failed backup never
leaves a half-written file under the requested name.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url

from domain.errors import StorageError

PAGES_PER_STEP = 1024  # small steps let the bot's writes interleave with the copy


@dataclass(frozen=True, slots=True)
class BackupResult:
    """Where the copy went and how big it is."""

    path: Path
    size_bytes: int
    pages: int


def sqlite_path(database_url: str) -> Path:
    """The file behind a SQLite URL; a clear error for other databases."""
    url = make_url(database_url)
    if not url.drivername.startswith("sqlite"):
        raise StorageError(
            f"tidtam backup copies SQLite databases; for {url.drivername} use the database's "
            "own tools (for PostgreSQL: pg_dump)"
        )
    if not url.database or url.database == ":memory:":
        raise StorageError("an in-memory database cannot be backed up")
    return Path(url.database)


def _backup(source: Path, target: Path) -> BackupResult:
    if not source.exists():
        raise StorageError(f"no database at {source}")
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    pages = 0

    def progress(status: int, remaining: int, total: int) -> None:
        nonlocal pages
        pages = total

    with (
        sqlite3.connect(f"file:{source}?mode=ro", uri=True) as src,
        sqlite3.connect(partial) as dst,
    ):
        src.execute("PRAGMA busy_timeout=10000")
        src.backup(dst, pages=PAGES_PER_STEP, progress=progress)
        check = dst.execute("PRAGMA integrity_check").fetchone()
        if check is None or check[0] != "ok":
            raise StorageError(f"the copy failed its integrity check: {check}")
        # the copy is a single self-contained file, not a WAL database
        dst.execute("PRAGMA journal_mode=DELETE")
    src.close()
    dst.close()
    os.replace(partial, target)
    return BackupResult(target, target.stat().st_size, pages)


async def backup_database(database_url: str, target: Path) -> BackupResult:
    """Copy the database at ``database_url`` to ``target`` while it stays in use."""
    return await asyncio.to_thread(_backup, sqlite_path(database_url), target)
