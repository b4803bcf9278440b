"""Conversation state and user data survive in the database as JSON."""

from __future__ import annotations

import datetime as dt
import json

from sqlalchemy import select

from storage.database import Database
from storage.persistence import DatabasePersistence
from storage.schema import bot_state


def persistence(database: Database) -> DatabasePersistence:
    return DatabasePersistence(database, clock=lambda: dt.datetime(2027, 1, 5, tzinfo=dt.UTC))


async def test_conversation_states_come_back_after_a_restart(database: Database):
    await persistence(database).update_conversation("kpi", (42, 42), "kpi.review")
    loaded = await persistence(database).get_conversations("kpi")
    assert loaded == {(42, 42): "kpi.review"}


async def test_an_ended_conversation_is_removed(database: Database):
    store = persistence(database)
    await store.update_conversation("kpi", (42, 42), "kpi.value")
    await store.update_conversation("kpi", (42, 42), None)
    assert await store.get_conversations("kpi") == {}


async def test_user_data_is_stored_as_readable_json_not_pickle(database: Database):
    await persistence(database).update_user_data(7, {"kpi": {"round_id": 1, "value": "72.5"}})
    async with database.read() as repos:
        raw = (await repos.connection.execute(select(bot_state.c.data))).scalar_one()
    # the column holds JSON text that any SQL client can read
    assert json.loads(json.dumps(raw)) == {"kpi": {"round_id": 1, "value": "72.5"}}
    assert await persistence(database).get_user_data() == {
        7: {"kpi": {"round_id": 1, "value": "72.5"}}
    }


async def test_dropping_user_data_forgets_it(database: Database):
    store = persistence(database)
    await store.update_user_data(7, {"lang": "en"})
    await store.drop_user_data(7)
    assert await store.get_user_data() == {}
