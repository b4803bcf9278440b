"""The database: migrations match the declared schema; SQLite is set up for durability."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, inspect, select, text

from domain.errors import SchemaTooNew
from domain.values import Role
from storage.database import HEAD_REVISION, Database, alembic_config
from storage.schema import metadata, schools


async def test_migrated_schema_equals_the_declared_schema(database: Database):
    def diff(connection):
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return compare_metadata(context, metadata)

    async with database.engine.connect() as connection:
        differences = await connection.run_sync(diff)
    assert differences == []


async def test_every_declared_table_exists_after_migration(database: Database):
    async with database.read() as repos:
        rows = await repos.connection.execute(
            text("SELECT name FROM sqlite_master WHERE type='table'")
        )
        tables = {row.name for row in rows}
    assert set(metadata.tables) <= tables


async def test_sqlite_runs_in_wal_with_foreign_keys_and_a_busy_timeout(database: Database):
    async with database.read() as repos:
        journal = (await repos.connection.execute(text("PRAGMA journal_mode"))).scalar_one()
        foreign_keys = (await repos.connection.execute(text("PRAGMA foreign_keys"))).scalar_one()
        busy = (await repos.connection.execute(text("PRAGMA busy_timeout"))).scalar_one()
    assert (journal, foreign_keys) == ("wal", 1)
    assert busy >= 5000


async def test_foreign_keys_are_enforced(database: Database):
    with pytest.raises(Exception, match="FOREIGN KEY"):
        async with database.transaction() as repos:
            await repos.connection.execute(
                text(
                    "INSERT INTO people (full_name, role, school_id, active, created_at,"
                    " updated_at) VALUES ('x', 'reporter', 999, 1, '2027-01-01', '2027-01-01')"
                )
            )


async def test_a_failed_transaction_leaves_nothing_behind(database: Database):
    now = dt.datetime(2027, 1, 5, tzinfo=dt.UTC)
    with pytest.raises(RuntimeError):
        async with database.transaction() as repos:
            await repos.schools.upsert(code="X1", name_th="โรงเรียนทดสอบ", now=now)
            raise RuntimeError("boom")
    async with database.read() as repos:
        assert await repos.schools.by_code("X1") is None


async def test_a_connection_returned_inside_a_transaction_is_rolled_back(database: Database):
    # Committed transactions skip the pool's ROLLBACK on return; any other
    # way back to the pool (here: a driver-level write left open) still gets it.
    insert = text(
        "INSERT INTO bot_state (kind, key, data, updated_at)"
        " VALUES ('test', :key, '{}', '2027-01-05 00:00:00')"
    )
    async with database.engine.connect() as connection:
        driver = (await connection.get_raw_connection()).driver_connection
        await driver.execute("BEGIN IMMEDIATE")
        await driver.execute(
            "INSERT INTO bot_state (kind, key, data, updated_at)"
            " VALUES ('test', 'uncommitted', '{}', '2027-01-05 00:00:00')"
        )
    for key in ("first", "second"):  # a committed transaction, then one on the same connection
        async with database.transaction() as repos:
            await repos.connection.execute(insert, {"key": key})
    with pytest.raises(RuntimeError):
        async with database.transaction() as repos:
            await repos.connection.execute(insert, {"key": "failed"})
            raise RuntimeError("the block fails after its write")
    async with database.read() as repos:
        keys = (await repos.connection.execute(text("SELECT key FROM bot_state"))).scalars().all()
    assert sorted(keys) == ["first", "second"]


async def test_naive_datetimes_are_refused(database: Database):
    with pytest.raises(Exception, match="naive datetime"):
        async with database.transaction() as repos:
            await repos.schools.upsert(code="X2", name_th="x", now=dt.datetime(2027, 1, 5))


async def test_decimals_and_utc_times_round_trip_exactly(database: Database):
    now = dt.datetime(2027, 1, 5, 9, 30, tzinfo=dt.timezone(dt.timedelta(hours=7)))
    async with database.transaction() as repos:
        school_id, _ = await repos.schools.upsert(code="X3", name_th="x", now=now)
        await repos.plan.ensure_fiscal_year(
            2570, starts_on=dt.date(2026, 10, 1), ends_on=dt.date(2027, 9, 30)
        )
        kpi_id = await repos.plan.create_kpi(
            code="K", name_th="k", unit_th="u", value_type="number", now=now
        )
        await repos.plan.set_target(
            school_id=school_id,
            kpi_id=kpi_id,
            fiscal_year=2570,
            value=Decimal("1234567.8912"),
            now=now,
        )
        round_id = await repos.plan.create_round(
            code="R",
            fiscal_year=2570,
            name_th="r",
            opens_at=now,
            due_at=now + dt.timedelta(days=1),
            now=now,
        )
        person = await repos.people.create(
            full_name="p", role=Role.REPORTER, school_id=school_id, now=now
        )
        stored = await repos.kpi_values.add_version(
            school_id=school_id,
            round_id=round_id,
            kpi_id=kpi_id,
            value=Decimal("0.1"),
            submitted_by_id=person.id,
            now=now,
        )
    async with database.read() as repos:
        round_ = await repos.plan.round(round_id)
        current = await repos.kpi_values.current(
            school_id=school_id, round_id=round_id, kpi_id=kpi_id
        )
        expected = await repos.plan.expected_kpis(school_id=school_id, round_=round_)
    assert round_ is not None and round_.opens_at == now and round_.opens_at.tzinfo == dt.UTC
    assert current == stored and current.value == Decimal("0.1")
    assert expected[0][1] == Decimal("1234567.8912")


async def test_a_database_from_a_newer_version_is_refused(tmp_path: Path):
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'new.db'}")
    await db.migrate()
    async with db.transaction() as repos:
        await repos.connection.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    with pytest.raises(SchemaTooNew):
        await db.migrate()
    await db.dispose()


def test_the_head_revision_the_bot_checks_at_start_is_the_newest_migration():
    script = ScriptDirectory.from_config(alembic_config())
    assert script.get_current_head() == HEAD_REVISION


async def test_a_database_an_older_version_migrated_is_brought_to_the_head(tmp_path: Path):
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'old.db'}")
    async with db.engine.connect() as connection:

        def to_first(sync_connection: Connection) -> None:
            config = alembic_config()
            config.attributes["connection"] = sync_connection
            command.upgrade(config, "0001")

        await connection.run_sync(to_first)
        await connection.commit()
    assert await db.revision() == "0001"
    assert await db.migrate() == HEAD_REVISION
    assert await db.revision() == HEAD_REVISION
    async with db.read() as repos:
        columns = await repos.connection.run_sync(
            lambda sync: {c["name"] for c in inspect(sync).get_columns("evidence")}
        )
    assert "archived_at" in columns  # added by 0003
    await db.dispose()


async def test_migrating_twice_changes_nothing(database: Database):
    assert await database.migrate() == await database.revision()


def _pragmas(connection):
    return tuple(
        connection.exec_driver_sql(f"PRAGMA {name}").scalar_one()
        for name in ("journal_mode", "foreign_keys", "busy_timeout", "synchronous")
    )


def _insert_school(connection, code: str, *, fail: bool = False):
    now = dt.datetime(2027, 1, 5, tzinfo=dt.UTC)
    connection.execute(
        schools.insert(),
        {
            "code": code,
            "kind": "school",
            "name_th": "โรงเรียน",
            "created_at": now,
            "updated_at": now,
        },
    )
    if fail:
        raise RuntimeError("the step failed after its first statement")
    return code


async def _school_codes(database: Database) -> list[str]:
    async with database.read() as repos:
        return list((await repos.connection.execute(select(schools.c.code))).scalars())


async def test_one_trip_transactions_run_with_the_same_sqlite_settings(database: Database):
    # WAL, foreign keys and the busy timeout on both engines; records commit with
    # synchronous=FULL (2), drafts (working state) with NORMAL (1)
    lane = await database.run_read(_pragmas)
    async with database.engine.connect() as connection:
        main = await connection.run_sync(_pragmas)
    assert main == ("wal", 1, 10_000, 2)
    assert lane == ("wal", 1, 10_000, 1)


async def test_a_one_trip_write_is_committed_and_seen_by_the_other_engine(database: Database):
    assert await database.run_working_write(_insert_school, "S1") == "S1"
    assert await _school_codes(database) == ["S1"]
    assert await database.run_read(lambda c: c.execute(select(schools.c.code)).scalars().all()) == [
        "S1"
    ]


async def test_a_one_trip_write_that_fails_leaves_nothing_behind(database: Database):
    with pytest.raises(RuntimeError, match="failed after"):
        await database.run_working_write(_insert_school, "S2", fail=True)
    assert await _school_codes(database) == []
    await database.run_working_write(_insert_school, "S3")  # the connection is clean again
    assert await _school_codes(database) == ["S3"]


async def test_one_trip_transactions_work_again_after_dispose(database: Database):
    await database.run_working_write(_insert_school, "S4")
    await database.dispose()
    await database.run_working_write(_insert_school, "S5")
    assert sorted(
        await database.run_read(lambda c: c.execute(select(schools.c.code)).scalars().all())
    ) == ["S4", "S5"]


async def test_without_a_database_file_one_trip_transactions_use_the_asyncio_engine():
    database = Database("sqlite+aiosqlite://")
    try:
        await database.migrate()
        assert database.sync_engines == [database.engine.sync_engine]
        await database.run_working_write(_insert_school, "M1")
        with pytest.raises(RuntimeError):
            await database.run_working_write(_insert_school, "M2", fail=True)
        assert await _school_codes(database) == ["M1"]
    finally:
        await database.dispose()
