"""The database: engine set-up, transactions and migrations.

SQLite is the embedded default and is run the way a small server needs it:
WAL (readers never block the writer), foreign keys enforced, a busy timeout,
``synchronous=FULL`` so a committed entry survives a crash, and write
transactions that start with ``BEGIN IMMEDIATE`` so two writers queue on the
busy timeout instead of failing half-way. Other backends get plain
transactions; nothing here is SQLite-only SQL.

Most work runs through :meth:`Database.transaction` and :meth:`Database.read`
on the asyncio engine, where every statement is a trip to the driver's
thread and back. The few transactions every chat message needs (who is
writing and their drafts, a step saved, a question marked shown) are plain
functions of a connection run with :meth:`Database.run_read` and
:meth:`Database.run_working_write`: on SQLite the whole transaction runs in
one trip to a database thread of its own, on another backend through the
asyncio engine as ever. Both engines open the same file with the same
settings but one: the thread writes working state (an unfinished flow's
draft), not records, and commits with ``synchronous=NORMAL``. Such a commit
survives a crash or kill of the bot at once (it is in the WAL), and a power
failure of the machine from the next fully synchronous commit or checkpoint
on; a saved entry, an audit row or a sent reminder is never written that way.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Concatenate, ParamSpec, TypeVar

from sqlalchemy import Connection, Engine, create_engine, event, inspect, make_url, text
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine
from sqlalchemy.pool import PoolResetState

from domain.errors import SchemaTooNew
from storage.repositories import Repositories

if TYPE_CHECKING:
    from alembic.config import Config

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).parent / "migrations"
HEAD_REVISION = "0003"  # the newest file in migrations/versions (a test keeps them equal)
BUSY_TIMEOUT_MS = 10_000
WORKING_STATE_SYNCHRONOUS = "NORMAL"  # drafts: see the module's notes
_ENDED = "tidtam_transaction_ended"  # connection info: its last transaction was committed
_READONLY = "tidtam_readonly"  # execution option: begin a read, not a write

P = ParamSpec("P")
T = TypeVar("T")


def alembic_config() -> Config:
    """Alembic configured from the package, with no ini file on disk."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def _sqlite_setup(sync_engine: Engine, *, synchronous: str = "FULL") -> None:
    @event.listens_for(sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event, not the driver, decide how a
        # transaction starts (the driver would always use a deferred BEGIN).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cursor.execute(f"PRAGMA synchronous={synchronous}")
        cursor.close()

    @event.listens_for(sync_engine, "begin")
    def _on_begin(connection: Connection) -> None:
        if connection.get_execution_options().get(_READONLY):
            connection.exec_driver_sql("BEGIN")
        else:
            connection.exec_driver_sql("BEGIN IMMEDIATE")

    @event.listens_for(sync_engine, "reset")
    def _on_reset(dbapi_connection: Any, record: Any, state: PoolResetState) -> None:
        # The pool's usual reset is a ROLLBACK on every return, a round trip to
        # the driver's thread even after a COMMIT. Skip it only when the
        # connection's last transaction is known to have ended; anything else
        # (an error, a cancellation, a connection used outside
        # Database.transaction/read) is rolled back as the pool would.
        ended = record is not None and record.info.pop(_ENDED, False)
        if not ended and state.asyncio_safe and not state.transaction_was_reset:
            dbapi_connection.rollback()


def _sqlite_file_url(url: str) -> str | None:
    """The synchronous driver's URL for the same SQLite file (None for memory databases)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return None
    database = parsed.database or ""
    if database in ("", ":memory:") or database.startswith("file:") or parsed.query:
        return None
    return parsed.set(drivername="sqlite").render_as_string(hide_password=False)


class Database:
    """One engine and the ways to use it: write and read transactions, migrations."""

    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = url
        sqlite = url.startswith("sqlite")
        # SQLite connections are reset by _sqlite_setup's listener instead.
        self.engine = create_async_engine(
            url, echo=echo, **({"pool_reset_on_return": None} if sqlite else {})
        )
        if sqlite:
            _sqlite_setup(self.engine.sync_engine)
        lane_url = _sqlite_file_url(url)
        self._lane = None if lane_url is None else _Lane(lane_url, echo=echo)

    @property
    def sync_engines(self) -> list[Engine]:
        """Every engine statements run on (for event listeners in tests and tools)."""
        main = self.engine.sync_engine
        return [main] if self._lane is None else [main, self._lane.engine]

    async def run_working_write(
        self, fn: Callable[Concatenate[Connection, P], T], *args: P.args, **kwargs: P.kwargs
    ) -> T:
        """``fn(connection, ...)`` as one write transaction of working state (drafts).

        Committed when it returns, durable against a crash of the process at
        once and against a power failure at the next synchronous commit (see
        the module's notes); entries and other records go through
        :meth:`transaction`.
        """
        return await self._run(fn, False, *args, **kwargs)

    async def run_read(
        self, fn: Callable[Concatenate[Connection, P], T], *args: P.args, **kwargs: P.kwargs
    ) -> T:
        """``fn(connection, ...)`` in one read-only snapshot."""
        return await self._run(fn, True, *args, **kwargs)

    async def _run(
        self,
        fn: Callable[Concatenate[Connection, P], T],
        readonly: bool,
        *args: P.args,
        **kwargs: P.kwargs,
    ) -> T:
        def call(connection: Connection) -> T:
            return fn(connection, *args, **kwargs)

        if self._lane is None:
            async with self.engine.connect() as connection:
                if readonly:
                    connection = await connection.execution_options(**{_READONLY: True})
                async with connection.begin():
                    result = await connection.run_sync(call)
                connection.info[_ENDED] = True
            return result
        return await self._lane.run(call, readonly)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Repositories]:
        """A write transaction; committed when the block ends without an error."""
        async with self.engine.connect() as connection:
            async with connection.begin():
                yield Repositories(connection)
            connection.info[_ENDED] = True

    @asynccontextmanager
    async def read(self) -> AsyncIterator[Repositories]:
        """A read-only snapshot; never blocks writers on SQLite."""
        async with self.engine.connect() as connection:
            connection = await connection.execution_options(**{_READONLY: True})
            async with connection.begin():
                yield Repositories(connection)
            connection.info[_ENDED] = True

    async def migrate(self) -> str:
        """Bring the schema to the newest revision; return that revision.

        Refuses a database that a newer Tidtam has migrated past what this
        version knows, instead of running on a schema it does not understand.
        """
        async with self.engine.connect() as connection:
            revision = await connection.run_sync(_upgrade)
            await connection.commit()
        return revision

    async def revision(self) -> str | None:
        """The schema revision the database is at (None when never migrated)."""
        async with self.engine.connect() as connection:
            return await connection.run_sync(_current_revision)

    async def dispose(self) -> None:
        """Close every pooled connection (the database can be used again after)."""
        await self.engine.dispose()
        if self._lane is not None:
            await self._lane.close()


class _Lane:
    """A synchronous engine on the same SQLite file, used from one thread of its own.

    The thread keeps one connection open between transactions (SQLite has one
    writer anyway); a transaction that fails closes it, and the next opens a
    fresh one, so nothing of a failed transaction can leak into the next.
    """

    def __init__(self, url: str, *, echo: bool) -> None:
        self.engine = create_engine(url, echo=echo, pool_reset_on_return=None)
        _sqlite_setup(self.engine, synchronous=WORKING_STATE_SYNCHRONOUS)
        self._thread: ThreadPoolExecutor | None = None
        self._connection: Connection | None = None  # touched only on the thread

    async def run(self, call: Callable[[Connection], T], readonly: bool) -> T:
        if self._thread is None:
            self._thread = ThreadPoolExecutor(1, thread_name_prefix="tidtam-db")
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._thread, self._transaction, call, readonly)

    def _transaction(self, call: Callable[[Connection], T], readonly: bool) -> T:
        connection = self._connection
        if connection is None:
            connection = self._connection = self.engine.connect()
        try:
            connection.execution_options(**{_READONLY: readonly})
            with connection.begin():
                return call(connection)
        except BaseException:
            self._connection = None
            connection.close()
            raise

    async def close(self) -> None:
        """Close the connection and stop the thread (a later run starts them again)."""
        thread, self._thread = self._thread, None
        if thread is not None:
            loop = asyncio.get_running_loop()
            await loop.run_in_executor(thread, self._close_connection)
            await loop.run_in_executor(None, thread.shutdown)
        self.engine.dispose()

    def _close_connection(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            connection.info[_ENDED] = True  # its last transaction ended: no ROLLBACK
            connection.close()


def _current_revision(connection: Connection) -> str | None:
    """The revision in Alembic's version table (None when never migrated)."""
    if not inspect(connection).has_table("alembic_version"):
        return None
    return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()


def _upgrade(connection: Connection) -> str:
    """Migrate to the head revision, loading Alembic only when there is work for it.

    A database already at :data:`HEAD_REVISION` (every start but the first
    after an upgrade) is left as it is without importing Alembic, which is a
    good part of the bot's start-up time.
    """
    current = _current_revision(connection)
    if current == HEAD_REVISION:
        return current
    from alembic import command
    from alembic.script import ScriptDirectory

    config = alembic_config()
    script = ScriptDirectory.from_config(config)
    known = {rev.revision for rev in script.walk_revisions()}
    if current is not None and current not in known:
        raise SchemaTooNew(
            f"the database is at schema revision {current}, which this version of Tidtam "
            "does not know; it was migrated by a newer version"
        )
    head = script.get_current_head()
    assert head is not None
    if current != head:
        log.info("migrating database schema from %s to %s", current or "empty", head)
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
    return head


async def connection_of(repos: Repositories) -> AsyncConnection:
    """The connection a repositories bundle runs on (for tests and tools)."""
    return repos.connection
