"""The bot's HTTP client for the Bot API: aiohttp, with parameters sent as JSON.

python-telegram-bot sends every call through a :class:`~telegram.request.BaseRequest`.
Its default one (httpx) encodes the parameters as an HTML form, each
structured value (an inline keyboard, say) JSON inside a percent-encoded
field, so a Thai question travels at three times its size and is encoded
twice. Telegram takes ``application/json`` bodies as well (the Bot API's
"four ways of passing parameters"), so this client sends calls without files
as one JSON document and uploads as ``multipart/form-data``, over aiohttp's
connection pool, which also parses the answers with its compiled HTTP
parser. For a bot that answers every message with one or two calls this is
most of the cost of talking to Telegram.

Timeouts and errors mean what they mean for python-telegram-bot's own
client: a timeout raises :class:`~telegram.error.TimedOut` (so the updater and
the rate limiter retry as usual), any other transport failure
:class:`~telegram.error.NetworkError`; a request whose connection pool stays
full for ``pool_timeout`` is not sent.
"""

from __future__ import annotations

import asyncio
import json
import ssl
from typing import Any

import aiohttp
import certifi
from telegram._utils.defaultvalue import DefaultValue
from telegram._utils.types import ODVInput
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

DEFAULT_TIMEOUT = 5.0
DEFAULT_POOL_TIMEOUT = 1.0
MEDIA_WRITE_TIMEOUT = 20.0


class AiohttpRequest(BaseRequest):
    """A :class:`~telegram.request.BaseRequest` on one :class:`aiohttp.ClientSession`.

    The session is made in :meth:`initialize` (it belongs to the running
    event loop) and closed in :meth:`shutdown`; python-telegram-bot calls both
    when the bot starts and stops.
    """

    __slots__ = (
        "_connect_timeout",
        "_media_write_timeout",
        "_pool_size",
        "_pool_timeout",
        "_read_timeout",
        "_session",
        "_write_timeout",
    )

    def __init__(
        self,
        *,
        connection_pool_size: int = 1,
        read_timeout: float | None = DEFAULT_TIMEOUT,
        write_timeout: float | None = DEFAULT_TIMEOUT,
        connect_timeout: float | None = DEFAULT_TIMEOUT,
        pool_timeout: float | None = DEFAULT_POOL_TIMEOUT,
        media_write_timeout: float | None = MEDIA_WRITE_TIMEOUT,
    ) -> None:
        self._pool_size = connection_pool_size
        self._read_timeout = read_timeout
        self._write_timeout = write_timeout
        self._connect_timeout = connect_timeout
        self._pool_timeout = pool_timeout
        self._media_write_timeout = media_write_timeout
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float | None:
        """The default read timeout in seconds (python-telegram-bot adds a long poll's to it)."""
        return self._read_timeout

    async def initialize(self) -> None:
        """Open the session (idempotent)."""
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(
                limit=self._pool_size,
                ssl=ssl.create_default_context(cafile=certifi.where()),
            )
            self._session = aiohttp.ClientSession(
                connector=connector,
                headers={"User-Agent": self.USER_AGENT},
                json_serialize=_json_dumps,
            )

    async def shutdown(self) -> None:
        """Close the session and its connections (idempotent)."""
        session, self._session = self._session, None
        if session is not None and not session.closed:
            await session.close()

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        write_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        connect_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        pool_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        """One call: ``(HTTP status, body)``; raises TimedOut or NetworkError."""
        session = self._session
        if session is None or session.closed:
            raise RuntimeError("This AiohttpRequest is not initialized!")
        uploads = bool(request_data is not None and request_data.contains_files)
        read = _given(read_timeout, self._read_timeout)
        write = _given(write_timeout, self._media_write_timeout if uploads else self._write_timeout)
        connect = _given(connect_timeout, self._connect_timeout)
        pool = _given(pool_timeout, self._pool_timeout)
        timeout = aiohttp.ClientTimeout(
            total=None,
            connect=None if connect is None or pool is None else connect + pool,
            sock_connect=connect,
            sock_read=read,
        )
        # aiohttp has no timeout for sending a body; the whole call is bounded instead.
        parts = [part for part in (read, write, connect, pool) if part is not None]
        budget = sum(parts) if len(parts) == 4 else None
        body: dict[str, Any] = {}
        if request_data is not None and request_data.parameters:
            body = {"data": _form(request_data)} if uploads else {"json": request_data.parameters}
        try:
            async with asyncio.timeout(budget):
                async with session.request(method, url, timeout=timeout, **body) as response:
                    return response.status, await response.read()
        except (TimeoutError, aiohttp.ServerTimeoutError, aiohttp.ConnectionTimeoutError) as error:
            raise TimedOut from error
        except aiohttp.ClientError as error:
            raise NetworkError(f"aiohttp.{type(error).__name__}: {error}") from error


def _given(value: ODVInput[float], default: float | None) -> float | None:
    return default if isinstance(value, DefaultValue) else value


def _json_dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _form(request_data: RequestData) -> aiohttp.FormData:
    """The parameters and files of an upload as ``multipart/form-data``."""
    form = aiohttp.FormData(quote_fields=False, charset="utf-8")
    for name, value in request_data.json_parameters.items():
        form.add_field(name, value)
    for name, part in request_data.multipart_data.items():
        file_name, content, *rest = part
        form.add_field(name, content, filename=file_name, content_type=rest[0] if rest else None)
    return form


def bot_requests(*, connection_pool_size: int = 256) -> tuple[AiohttpRequest, AiohttpRequest]:
    """The clients a bot is built with: one for its calls, one for long polling."""
    return AiohttpRequest(connection_pool_size=connection_pool_size), AiohttpRequest(
        connection_pool_size=1
    )
