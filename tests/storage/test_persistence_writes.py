"""Persistence writes a person's data only when it changed.

python-telegram-bot hands over the user data of everyone who sent an update
since its last run, changed or not; each write is a transaction on SQLite's
one writer lock, in front of the handlers' own writes.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import event, select

from storage.database import Database
from storage.persistence import DatabasePersistence
from storage.schema import bot_state

T0 = dt.datetime(2027, 1, 5, 2, 0, tzinfo=dt.UTC)


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> dt.datetime:
        return self.now


def count_writes(database: Database) -> list[str]:
    """Every INSERT or DELETE the engine runs from now on."""
    writes: list[str] = []

    @event.listens_for(database.engine.sync_engine, "before_cursor_execute")
    def _seen(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if statement.lstrip().upper().startswith(("INSERT", "DELETE", "UPDATE")):
            writes.append(statement)

    return writes


async def stored(database: Database) -> dict[str, tuple[Any, dt.datetime]]:
    async with database.read() as repos:
        rows = await repos.connection.execute(select(bot_state))
        return {row.key: (row.data, row.updated_at) for row in rows}


async def test_people_without_data_cause_no_write(database: Database):
    store = DatabasePersistence(database, clock=Clock())
    await store.get_user_data()
    writes = count_writes(database)
    for user_id in range(20):
        await store.update_user_data(user_id, {})
    assert writes == []
    assert await stored(database) == {}


async def test_unchanged_data_keeps_its_row_and_a_change_is_written(database: Database):
    clock = Clock()
    store = DatabasePersistence(database, clock=clock)
    await store.get_user_data()
    await store.update_user_data(7, {"lang": "en"})
    clock.now = T0 + dt.timedelta(minutes=5)
    await store.update_user_data(7, {"lang": "en"})
    assert await stored(database) == {"7": ({"lang": "en"}, T0)}

    await store.update_user_data(7, {"lang": "th"})
    assert await stored(database) == {"7": ({"lang": "th"}, clock.now)}


async def test_after_a_restart_loaded_data_is_not_rewritten_and_emptied_data_is_removed(
    database: Database,
):
    await DatabasePersistence(database, clock=Clock()).update_user_data(7, {"lang": "en"})
    restarted = DatabasePersistence(database, clock=Clock())
    assert await restarted.get_user_data() == {7: {"lang": "en"}}
    writes = count_writes(database)
    await restarted.update_user_data(7, {"lang": "en"})
    assert writes == []

    await restarted.update_user_data(7, {})
    assert await stored(database) == {}
    await restarted.update_user_data(7, {"lang": "en"})
    assert await stored(database) == {"7": ({"lang": "en"}, T0)}
