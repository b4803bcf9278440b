"""python-telegram-bot persistence in Tidtam's own database, as JSON.

Conversation states and per-person flow data live in the ``bot_state`` table
next to everything else, so one backup holds the whole bot and a restart
resumes an open flow where it stopped. JSON rather than pickle: the rows are
readable, and loading them cannot run code.

Bot data is not persisted (it holds the running services); chat data and
callback data are not used.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from telegram.ext import BasePersistence, PersistenceInput
from telegram.ext._utils.types import ConversationDict, ConversationKey

from storage.database import Database

JsonDict = dict[str, Any]

USER_DATA = "user_data"
CONVERSATION_PREFIX = "conversation:"


def _encode_key(key: ConversationKey) -> str:
    return json.dumps(list(key), separators=(",", ":"))


def _decode_key(text: str) -> ConversationKey:
    return tuple(json.loads(text))


class DatabasePersistence(BasePersistence[JsonDict, JsonDict, Any]):
    """Conversation states and user data as JSON documents in ``bot_state``."""

    def __init__(
        self,
        database: Database,
        *,
        clock: Callable[[], Any],
        update_interval: float = 1.0,
    ) -> None:
        # A short interval: a flow's state should survive a crash within a
        # second. Only what changed is written, so this stays cheap.
        super().__init__(
            store_data=PersistenceInput(
                bot_data=False, chat_data=False, user_data=True, callback_data=False
            ),
            update_interval=update_interval,
        )
        self.database = database
        self._clock = clock
        # What the database holds per person, as canonical JSON (absent: nothing
        # stored). python-telegram-bot hands over the user data of everyone who
        # sent an update since the last run, changed or not, all at once; writing
        # only what differs keeps those concurrent write transactions off the
        # database, where each would queue on SQLite's one writer lock in front
        # of the handlers' own writes.
        self._stored_user_data: dict[int, str] = {}

    async def get_user_data(self) -> dict[int, JsonDict]:
        async with self.database.read() as repos:
            documents = await repos.bot_state.load(USER_DATA)
        loaded = {int(key): dict(value) for key, value in documents.items()}
        self._stored_user_data = {
            user_id: _canonical(data) for user_id, data in loaded.items() if data
        }
        return loaded

    async def get_chat_data(self) -> dict[int, JsonDict]:
        return {}

    async def get_bot_data(self) -> Any:
        # not called while store_data.bot_data is off; bot data holds live services
        return None

    async def get_callback_data(self) -> None:
        return None

    async def get_conversations(self, name: str) -> ConversationDict:
        async with self.database.read() as repos:
            documents = await repos.bot_state.load(CONVERSATION_PREFIX + name)
        return {_decode_key(key): value for key, value in documents.items()}

    async def update_conversation(
        self, name: str, key: ConversationKey, new_state: object | None
    ) -> None:
        async with self.database.transaction() as repos:
            if new_state is None:
                await repos.bot_state.drop(CONVERSATION_PREFIX + name, _encode_key(key))
            else:
                await repos.bot_state.save(
                    CONVERSATION_PREFIX + name, _encode_key(key), new_state, now=self._clock()
                )

    async def update_user_data(self, user_id: int, data: JsonDict) -> None:
        document = _canonical(data) if data else None
        if document == self._stored_user_data.get(user_id):
            return
        async with self.database.transaction() as repos:
            if data:
                await repos.bot_state.save(USER_DATA, str(user_id), data, now=self._clock())
            else:
                await repos.bot_state.drop(USER_DATA, str(user_id))
        if document is None:
            self._stored_user_data.pop(user_id, None)
        else:
            self._stored_user_data[user_id] = document

    async def update_chat_data(self, chat_id: int, data: JsonDict) -> None:
        return None

    async def update_bot_data(self, data: Any) -> None:
        return None

    async def update_callback_data(self, data: Any) -> None:
        return None

    async def drop_chat_data(self, chat_id: int) -> None:
        return None

    async def drop_user_data(self, user_id: int) -> None:
        async with self.database.transaction() as repos:
            await repos.bot_state.drop(USER_DATA, str(user_id))
        self._stored_user_data.pop(user_id, None)

    async def refresh_user_data(self, user_id: int, user_data: JsonDict) -> None:
        return None

    async def refresh_chat_data(self, chat_id: int, chat_data: JsonDict) -> None:
        return None

    async def refresh_bot_data(self, bot_data: Any) -> None:
        return None

    async def flush(self) -> None:
        # every update is written through in its own transaction already
        return None


def _canonical(data: JsonDict) -> str:
    """The document as the ``bot_state`` column stores it, for telling changes apart."""
    return json.dumps(data, ensure_ascii=False, sort_keys=True, default=str)
