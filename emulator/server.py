"""The Bot API emulator: a real HTTP server on 127.0.0.1 that speaks Telegram's Bot API.

The bot under test (python-telegram-bot pointed at :attr:`BotApiEmulator.base_url`)
long-polls it and calls it exactly as it would call api.telegram.org. Every
request is validated against the official specification; simulated people
(:class:`~emulator.sim.SimUser`) queue updates and read what the bot sent.
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import math
import random
import re
import socket
import time
from collections import Counter, deque
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Final, Self

from aiohttp import web

from .apispec import ApiSpec, MethodSpec, load_spec
from .formatting import EntityParseError, parse_text, utf16_len
from .models import BotMessage, RecordedRequest, TranscriptEvent, Violation
from .sim import SimGroup, SimUser
from .state import ChatState, FileRecord, StoredMessage, image_size, inline_buttons
from .validation import Upload, Validator

__all__ = ["ApiError", "BotApiEmulator"]

_LOG: Final = logging.getLogger("emulator")
_TOKEN_RE: Final = re.compile(r"(\d+):[A-Za-z0-9_-]+")
_COMMAND_RE: Final = re.compile(r"/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?")
_NOT_MODIFIED: Final = (
    "Bad Request: message is not modified: specified new message content and reply markup "
    "are exactly the same as a current content and reply markup of the message"
)
_QUERY_TOO_OLD: Final = (
    "Bad Request: query is too old and response timeout expired or query ID is invalid"
)
_CONFLICT_POLL: Final = (
    "Conflict: terminated by other getUpdates request; "
    "make sure that only one bot instance is running"
)
# Update types Telegram leaves out unless allowed_updates names them.
_OPT_IN_UPDATES: Final = frozenset({"chat_member", "message_reaction", "message_reaction_count"})
# Methods that count against Telegram's sending limits.
_NON_SENDING: Final = frozenset({"sendChatAction"})
_EXTRA_SENDING: Final = frozenset(
    {"copyMessage", "copyMessages", "forwardMessage", "forwardMessages"}
)
_MAX_UPLOAD: Final = 64 * 1024 * 1024

_Handler = Callable[[dict[str, Any]], Awaitable[Any]]


class _AnswerLost(Exception):
    """The request was carried out but its answer never reaches the client."""


class ApiError(Exception):
    """An error answer of the Bot API: ``{"ok": false, "error_code", "description"}``."""

    def __init__(
        self, code: int, description: str, parameters: dict[str, Any] | None = None
    ) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.parameters = parameters

    def payload(self) -> dict[str, Any]:
        """The JSON body Telegram would answer with."""
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.code,
            "description": self.description,
        }
        if self.parameters:
            body["parameters"] = self.parameters
        return body


@dataclass
class _Fault:
    code: int
    description: str
    retry_after: int | None


FAULT_KINDS: Final = ("server_error", "flood", "timeout", "lost_answer")


@dataclass
class _RandomFaults:
    share: float
    kinds: tuple[str, ...]
    methods: frozenset[str] | None
    timeout_seconds: float
    rng: random.Random


@dataclass
class _Update:
    update_id: int
    kind: str
    payload: dict[str, Any]
    delivered: bool = False

    def to_api(self) -> dict[str, Any]:
        return {"update_id": self.update_id, self.kind: self.payload}


@dataclass
class _Content:
    """Text or caption of a message: as sent, and as the user sees it."""

    raw: str
    parse_mode: str | None
    plain: str
    entities: list[dict[str, Any]]

    def apply(self, message: StoredMessage) -> None:
        message.raw_text, message.parse_mode = self.raw, self.parse_mode
        message.plain_text, message.entities = self.plain, self.entities


@dataclass
class _Call:
    """What gets recorded about one request: its method and (decoded) parameters."""

    method: str
    params: dict[str, Any] = field(default_factory=dict)


@dataclass
class _CallbackQuery:
    user: SimUser
    chat_id: int
    answered: bool = False


class _Bucket:
    """Token bucket: ``rate`` sends per second with a burst of ``max(1, rate)``."""

    def __init__(self, rate: float) -> None:
        self.rate = rate
        self.capacity = max(1.0, rate)
        self.tokens = self.capacity
        self.stamp = time.monotonic()

    def wait_time(self, now: float) -> float:
        """Seconds until one send is allowed (0 if allowed now)."""
        self.tokens = min(self.capacity, self.tokens + max(0.0, now - self.stamp) * self.rate)
        self.stamp = now
        return 0.0 if self.tokens >= 1 else (1 - self.tokens) / self.rate

    def consume(self) -> None:
        self.tokens -= 1


class BotApiEmulator:
    """A Telegram Bot API server for one bot, on a real localhost port.

    Use ``await emu.start()`` / ``await emu.stop()`` or ``async with``. Point
    python-telegram-bot at :attr:`base_url` and :attr:`file_url`. With
    ``strict=True`` a request that breaks the specification is answered
    ``400 Bad Request: <problem>``; either way it is recorded in
    :attr:`violations`.
    """

    def __init__(
        self,
        token: str = "123456:TEST-TOKEN",
        bot_username: str = "tidtam_bot",
        bot_first_name: str = "Tidtam",
        host: str = "127.0.0.1",
        port: int = 0,
        strict: bool = True,
        spec: ApiSpec | None = None,
    ) -> None:
        match = _TOKEN_RE.fullmatch(token)
        if match is None:
            raise ValueError(f"token must look like '123456:ABC-def', got {token!r}")
        self.token = token
        self.host = host
        self.strict = strict
        self.bot_name = bot_first_name
        # The User object Telegram puts in "from" of the bot's messages.
        self._bot_sender: dict[str, Any] = {
            "id": int(match.group(1)),
            "is_bot": True,
            "first_name": bot_first_name,
            "username": bot_username,
        }
        #: The getMe result; the bot id is the token's numeric prefix.
        self.bot_user: dict[str, Any] = {
            **self._bot_sender,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }
        self.violations: list[Violation] = []
        self.requests: list[RecordedRequest] = []
        self.transcript: list[TranscriptEvent] = []
        self._spec = spec if spec is not None else load_spec()
        self._validator = Validator(self._spec)
        self._requested_port = port
        self._port: int | None = None
        self._runner: web.AppRunner | None = None
        self._closing = False

        self._chats: dict[int, ChatState] = {}
        self._users: dict[int, SimUser] = {}
        self._groups: dict[int, SimGroup] = {}
        self._files: dict[str, FileRecord] = {}
        self._files_by_path: dict[str, FileRecord] = {}
        self._file_counter = 0
        self._callbacks: dict[str, _CallbackQuery] = {}
        self._callback_counter = 0

        self._updates: list[_Update] = []
        self._next_update_id = 1
        self._allowed_updates: frozenset[str] | None = None
        self._poll_counter = 0
        self._active_poll: int | None = None
        self._conflicted: set[int] = set()
        self._changed = asyncio.Event()
        self._bot_event = asyncio.Event()

        self._inflight = 0
        self._last_activity = 0.0
        self._faults: dict[str, deque[_Fault]] = {}
        self._delays: dict[str, float] = {}
        self._random_faults: _RandomFaults | None = None
        self.fault_counts: Counter[str] = Counter()
        """How many faults of each kind were injected (random and fail_next)."""
        self._global_rate: _Bucket | None = None
        self._chat_rate: float | None = None
        self._chat_buckets: dict[int, _Bucket] = {}

        self._webhook: dict[str, Any] = {"url": ""}
        self._commands: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self._menu_buttons: dict[int | None, dict[str, Any]] = {}
        self._bot_texts: dict[tuple[str, str], str] = {}

        self._handlers: dict[str, _Handler] = {
            "getMe": self._get_me,
            "setWebhook": self._set_webhook,
            "deleteWebhook": self._delete_webhook,
            "getWebhookInfo": self._get_webhook_info,
            "logOut": self._true,
            "close": self._true,
            "sendMessage": self._send_message,
            "sendDocument": functools.partial(self._send_media, "document"),
            "sendPhoto": functools.partial(self._send_media, "photo"),
            "editMessageText": self._edit_message_text,
            "editMessageReplyMarkup": self._edit_message_reply_markup,
            "editMessageCaption": self._edit_message_caption,
            "deleteMessage": self._delete_message,
            "deleteMessages": self._delete_messages,
            "answerCallbackQuery": self._answer_callback_query,
            "sendChatAction": self._send_chat_action,
            "getFile": self._get_file,
            "setMyCommands": self._set_my_commands,
            "getMyCommands": self._get_my_commands,
            "deleteMyCommands": self._delete_my_commands,
            "setChatMenuButton": self._set_chat_menu_button,
            "getChatMenuButton": self._get_chat_menu_button,
            "setMyDescription": functools.partial(self._set_bot_text, "description"),
            "getMyDescription": functools.partial(self._get_bot_text, "description"),
            "setMyShortDescription": functools.partial(self._set_bot_text, "short_description"),
            "getMyShortDescription": functools.partial(self._get_bot_text, "short_description"),
            "setMyName": functools.partial(self._set_bot_text, "name"),
            "getMyName": functools.partial(self._get_bot_text, "name"),
        }

    # ================================================================ lifecycle

    async def start(self) -> None:
        """Bind the port (0 picks a free one) and start serving.

        After a stop, a restart binds the same port again, so URLs handed to
        the bot stay valid.
        """
        if self._runner is not None:
            return
        self._closing = False
        app = web.Application(client_max_size=_MAX_UPLOAD)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_api)
        app.router.add_route("GET", "/file/bot{token}/{path:.+}", self._handle_file)
        # Binding the socket ourselves is how port 0 tells us which port it got.
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((self.host, self._port or self._requested_port))
        except OSError:
            sock.close()
            raise
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=2.0)
        await runner.setup()
        site = web.SockSite(runner, sock)
        await site.start()
        self._runner = runner
        self._port = int(sock.getsockname()[1])

    async def stop(self) -> None:
        """Wake any long poll, stop serving and release the port."""
        if self._runner is None:
            return
        self._closing = True
        self._notify_updates()
        runner, self._runner = self._runner, None
        await runner.cleanup()

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    @property
    def port(self) -> int:
        """The bound port; only valid after :meth:`start`."""
        if self._port is None:
            raise RuntimeError("the emulator is not started")
        return self._port

    @property
    def base_url(self) -> str:
        """Bot API base URL for python-telegram-bot (it appends ``<token>/<method>``)."""
        return f"http://{self.host}:{self.port}/bot"

    @property
    def file_url(self) -> str:
        """File download base URL for python-telegram-bot (it appends ``<token>/<path>``)."""
        return f"http://{self.host}:{self.port}/file/bot"

    # ============================================================ people, chats

    def user(
        self,
        user_id: int,
        first_name: str,
        *,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "th",
    ) -> SimUser:
        """The person with this id (created on first call; later calls return the same one)."""
        existing = self._users.get(user_id)
        if existing is not None:
            return existing
        if user_id <= 0:
            raise ValueError(f"user ids are positive, got {user_id}")
        api: dict[str, Any] = {"id": user_id, "type": "private", "first_name": first_name}
        if last_name:
            api["last_name"] = last_name
        if username:
            api["username"] = username
        chat = ChatState(id=user_id, api=api)
        self._chats[user_id] = chat
        sim = SimUser(
            self,
            chat,
            user_id=user_id,
            first_name=first_name,
            last_name=last_name,
            username=username,
            language_code=language_code,
        )
        self._users[user_id] = sim
        return sim

    def group(self, chat_id: int, title: str) -> SimGroup:
        """The group with this (negative) id, created on first call."""
        existing = self._groups.get(chat_id)
        if existing is not None:
            return existing
        if chat_id >= 0:
            raise ValueError(f"group chat ids are negative, got {chat_id}")
        kind = "supergroup" if chat_id <= -1_000_000_000_000 else "group"
        chat = ChatState(id=chat_id, api={"id": chat_id, "type": kind, "title": title})
        self._chats[chat_id] = chat
        sim = SimGroup(self, chat, title)
        self._groups[chat_id] = sim
        return sim

    def chat_messages(self, chat_id: int) -> list[BotMessage]:
        """Current state of every live bot message in the chat (after edits and deletes)."""
        chat = self._chats.get(chat_id)
        if chat is None:
            return []
        return [m.snapshot(is_edit=m.edit_date is not None) for m in chat.bot_messages()]

    # ================================================================ test knobs

    def fail_next(
        self,
        method: str,
        *,
        error_code: int = 500,
        description: str = "Internal Server Error",
        count: int = 1,
        retry_after: int | None = None,
    ) -> None:
        """Answer the next ``count`` calls of ``method`` with an error.

        With ``retry_after`` the answer carries ``parameters.retry_after``; if
        ``error_code``/``description`` are left at their defaults they become
        429 / "Too Many Requests: retry after N", as Telegram answers.
        """
        if count < 1:
            raise ValueError("count must be at least 1")
        if retry_after is not None:
            if error_code == 500:
                error_code = 429
            if description == "Internal Server Error":
                description = f"Too Many Requests: retry after {retry_after}"
        queue = self._faults.setdefault(self._method_key(method), deque())
        queue.extend(_Fault(error_code, description, retry_after) for _ in range(count))

    def set_fault_rate(
        self,
        share: float,
        *,
        kinds: Collection[str] = ("server_error", "flood"),
        methods: Collection[str] | None = None,
        timeout_seconds: float = 6.0,
        seed: int = 0,
    ) -> None:
        """Fail a random ``share`` of requests (0 turns it off), reproducibly by ``seed``.

        Kinds: ``server_error`` answers 500 or 502 before anything happens;
        ``flood`` answers 429 with retry_after 1; ``timeout`` holds the answer
        for ``timeout_seconds`` (past the client's read timeout) and then does
        nothing; ``lost_answer`` carries out the request and then drops the
        connection, so the client cannot know it succeeded — the case that
        tempts a client to send twice. ``methods`` limits faults to those
        methods; by default every method but getUpdates can fail.
        """
        if not 0 <= share <= 1:
            raise ValueError("share must be between 0 and 1")
        unknown = set(kinds) - set(FAULT_KINDS)
        if unknown:
            raise ValueError(f"unknown fault kinds {sorted(unknown)}; known: {FAULT_KINDS}")
        if share == 0:
            self._random_faults = None
            return
        self._random_faults = _RandomFaults(
            share=share,
            kinds=tuple(kinds),
            methods=None if methods is None else frozenset(m.lower() for m in methods),
            timeout_seconds=timeout_seconds,
            rng=random.Random(seed),
        )

    def _draw_fault(self, method: str) -> str | None:
        faults = self._random_faults
        if faults is None:
            return None
        key = method.lower()
        if faults.methods is None:
            if key == "getupdates":
                return None
        elif key not in faults.methods:
            return None
        if faults.rng.random() >= faults.share:
            return None
        return faults.rng.choice(faults.kinds)

    def set_rate_limits(
        self,
        *,
        global_per_second: float | None = 30,
        per_chat_per_second: float | None = 1,
    ) -> None:
        """Enforce Telegram-like sending limits (off until called; None disables one).

        Sends beyond a limit answer 429 "Too Many Requests: retry after N" with
        ``parameters.retry_after``. Sending methods are send* (except
        sendChatAction), copy* and forward*; edits are not limited.
        """
        self._global_rate = _Bucket(global_per_second) if global_per_second else None
        self._chat_rate = per_chat_per_second or None
        self._chat_buckets.clear()

    def delay(self, method: str, seconds: float) -> None:
        """Delay every answer to ``method`` by ``seconds`` (0 removes the delay)."""
        key = self._method_key(method)
        if seconds <= 0:
            self._delays.pop(key, None)
        else:
            self._delays[key] = seconds

    async def settle(self, quiet: float = 0.15, timeout: float = 10.0) -> None:
        """Wait until the bot has caught up.

        Returns once every queued update has been delivered and confirmed by a
        later getUpdates offset, no request other than getUpdates is in
        flight, and none has arrived or finished for ``quiet`` seconds.
        Raises TimeoutError after ``timeout`` seconds otherwise.
        """
        deadline = time.monotonic() + timeout
        while True:
            now = time.monotonic()
            idle = now - self._last_activity
            if not self._updates and self._inflight == 0 and idle >= quiet:
                return
            if now >= deadline:
                delivered = sum(1 for u in self._updates if u.delivered)
                raise TimeoutError(
                    f"emulator did not settle within {timeout:g}s: "
                    f"{len(self._updates)} update(s) unconfirmed "
                    f"({len(self._updates) - delivered} never delivered), "
                    f"{self._inflight} request(s) in flight; recent transcript:\n"
                    f"{self.format_transcript(last=15)}"
                )
            wait = quiet - idle if not self._updates and self._inflight == 0 else 0.01
            await asyncio.sleep(max(0.005, min(wait, deadline - now, 0.05)))

    def calls(self, method: str) -> list[RecordedRequest]:
        """Recorded requests of one method (any letter case)."""
        key = self._method_key(method)
        return [r for r in self.requests if r.method.lower() == key]

    def assert_no_violations(self) -> None:
        """Raise AssertionError listing every recorded violation, if there is any."""
        if self.violations:
            lines = "\n".join(f"- {problem}" for v in self.violations for problem in v.problems)
            raise AssertionError(f"{len(self.violations)} Bot API violation(s):\n{lines}")

    def format_transcript(self, chat_id: int | None = None, *, last: int | None = None) -> str:
        """The transcript (of one chat, or all) as text, one event per line."""
        events = [e for e in self.transcript if chat_id is None or e.chat_id == chat_id]
        if last is not None:
            events = events[-last:]
        return "\n".join(e.format() for e in events) if events else "(no events)"

    @property
    def pending_updates(self) -> int:
        """Updates queued but not yet confirmed by the bot."""
        return len(self._updates)

    # ================================================================ HTTP layer

    async def _handle_api(self, request: web.Request) -> web.StreamResponse:
        arrived = time.monotonic()
        token = request.match_info["token"]
        spec = self._spec.method(request.match_info["method"])
        method = spec.name if spec is not None else request.match_info["method"]
        # Long polls are the bot waiting, not the bot working, so they do not
        # count as activity for settle().
        tracked = method != "getUpdates"
        if tracked:
            self._inflight += 1
            self._last_activity = arrived
        call = _Call(method)
        status = 200
        body: dict[str, Any]
        try:
            raw, uploads = await self._read_params(request)
            call.params = _recordable({**raw, **uploads})
            body = {
                "ok": True,
                "result": await self._process(token, spec, call, raw, uploads, request),
            }
        except ApiError as error:
            status, body = error.code, error.payload()
        except _AnswerLost:
            self.requests.append(
                RecordedRequest(
                    method=method,
                    params=call.params,
                    ok=True,
                    error_code=None,
                    description="answer lost (fault injected)",
                    at=arrived,
                    result=None,
                )
            )
            if request.transport is not None:
                request.transport.abort()
            return web.Response(status=500)  # never reaches the client: the connection is gone
        except Exception as error:  # the emulator must answer, never hang the bot
            _LOG.exception("emulator failed while handling %s", method)
            status = 500
            body = ApiError(500, f"Internal Server Error: emulator bug: {error!r}").payload()
        finally:
            if tracked:
                self._inflight -= 1
                self._last_activity = time.monotonic()
        self.requests.append(
            RecordedRequest(
                method=method,
                params=call.params,
                ok=bool(body["ok"]),
                error_code=body.get("error_code"),
                description=body.get("description"),
                at=arrived,
                result=body.get("result"),
            )
        )
        return web.json_response(
            body, status=status, dumps=functools.partial(json.dumps, ensure_ascii=False)
        )

    async def _process(
        self,
        token: str,
        spec: MethodSpec | None,
        call: _Call,
        raw: dict[str, Any],
        uploads: dict[str, Upload],
        request: web.Request,
    ) -> Any:
        """Validate and answer one call; the result, or ApiError for an error answer."""
        method = call.method
        if token != self.token:
            problem = f"{method}: the token in the URL is not the bot's"
            self.violations.append(Violation(method, dict(call.params), [problem]))
            raise ApiError(401, "Unauthorized")
        if spec is None:
            problem = f"{method}: no such method in the Bot API"
            self.violations.append(Violation(method, dict(call.params), [problem]))
            raise ApiError(404, "Not Found")
        delay = self._delays.get(method.lower())
        if delay:
            await asyncio.sleep(delay)
        checked = self._validator.validate(spec, raw, uploads)
        call.params = _recordable(checked.params)
        if checked.problems:
            self.violations.append(Violation(method, dict(call.params), list(checked.problems)))
            if self.strict:
                # The client knows which method it called; the answer reads like
                # Telegram's ("Bad Request: can't parse entities: ...").
                reasons = [p.removeprefix(f"{method}: ") for p in checked.problems]
                raise ApiError(400, "Bad Request: " + "; ".join(reasons))
        drawn = self._draw_fault(method)
        if drawn is not None:
            self.fault_counts[drawn] += 1
            if drawn == "server_error":
                code = self._random_faults.rng.choice((500, 502)) if self._random_faults else 500
                raise ApiError(code, "Internal Server Error" if code == 500 else "Bad Gateway")
            if drawn == "flood":
                raise ApiError(429, "Too Many Requests: retry after 1", {"retry_after": 1})
            if drawn == "timeout":
                assert self._random_faults is not None
                await asyncio.sleep(self._random_faults.timeout_seconds)
                raise ApiError(504, "Gateway Timeout")
            if drawn == "lost_answer":
                handler = self._handlers.get(method)
                if handler is not None:
                    await handler(checked.params)
                raise _AnswerLost
        faults = self._faults.get(method.lower())
        if faults:
            self.fault_counts["fail_next"] += 1
            fault = faults.popleft()
            parameters = (
                {"retry_after": fault.retry_after} if fault.retry_after is not None else None
            )
            raise ApiError(fault.code, fault.description, parameters)
        if method == "getUpdates":
            # Dispatched apart from the table: it needs the HTTP request to notice
            # a client that gave up on its long poll.
            return await self._get_updates(checked.params, request)
        handler = self._handlers.get(method)
        if handler is not None:
            return await handler(checked.params)
        if spec.returns_true_only:
            return True
        raise ApiError(501, "Bad Request: method not supported by the emulator")

    async def _read_params(self, request: web.Request) -> tuple[dict[str, Any], dict[str, Upload]]:
        """Parameters from the query string and a JSON, urlencoded or multipart body."""
        raw: dict[str, Any] = {}
        for key, query_value in request.query.items():
            raw.setdefault(key, query_value)
        uploads: dict[str, Upload] = {}
        if not request.can_read_body:
            return raw, uploads
        content_type = request.content_type
        if content_type == "application/json":
            try:
                body = await request.json()
            except ValueError as error:
                raise ApiError(400, "Bad Request: can't parse JSON object") from error
            if not isinstance(body, dict):
                raise ApiError(400, "Bad Request: JSON body must be an object")
            raw.update(body)
        elif content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
            form = await request.post()
            seen: set[str] = set()
            for key, value in form.items():
                if key in seen:
                    continue
                seen.add(key)
                if isinstance(value, web.FileField):
                    uploads[key] = Upload(
                        filename=value.filename,
                        content=value.file.read(),
                        mime=value.content_type or "application/octet-stream",
                    )
                elif isinstance(value, (bytes, bytearray)):
                    raw[key] = bytes(value).decode("utf-8", "replace")
                else:
                    raw[key] = value
        return raw, uploads

    async def _handle_file(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] != self.token:
            return web.json_response(ApiError(401, "Unauthorized").payload(), status=401)
        record = self._files_by_path.get(request.match_info["path"])
        if record is None or record.content is None:
            return web.json_response(ApiError(404, "Not Found").payload(), status=404)
        return web.Response(body=record.content, content_type=record.mime_type)

    def _method_key(self, method: str) -> str:
        spec = self._spec.method(method)
        return (spec.name if spec is not None else method).lower()

    # ============================================================ update queue

    def _notify_updates(self) -> None:
        # Wake every waiter at once, then start a fresh event for the next change.
        self._changed.set()
        self._changed = asyncio.Event()

    def _notify_bot_event(self) -> None:
        self._bot_event.set()
        self._bot_event = asyncio.Event()

    async def _wait_bot_event(self, timeout: float) -> None:
        event = self._bot_event
        try:
            await asyncio.wait_for(event.wait(), timeout)
        except TimeoutError:
            return

    def _queue_update(self, kind: str, payload: dict[str, Any]) -> None:
        allowed = self._allowed_updates
        if allowed is not None and allowed and kind not in allowed:
            return
        if (allowed is None or not allowed) and kind in _OPT_IN_UPDATES:
            return
        self._updates.append(_Update(self._next_update_id, kind, payload))
        self._next_update_id += 1
        self._notify_updates()

    async def _get_updates(self, params: dict[str, Any], request: web.Request) -> Any:
        if self._webhook.get("url"):
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        offset = _as_int(params.get("offset"), "offset", default=0)
        limit = max(1, min(100, _as_int(params.get("limit"), "limit", default=100)))
        timeout = max(0, _as_int(params.get("timeout"), "timeout", default=0))
        allowed = params.get("allowed_updates")
        if isinstance(allowed, list):
            self._allowed_updates = frozenset(str(a) for a in allowed)
        if offset > 0:
            self._updates = [u for u in self._updates if u.update_id >= offset]
        elif offset < 0:
            self._updates = self._updates[offset:]
        # Telegram ends the older of two concurrent polls with 409 Conflict.
        self._poll_counter += 1
        poll_id = self._poll_counter
        if self._active_poll is not None:
            self._conflicted.add(self._active_poll)
        self._active_poll = poll_id
        self._notify_updates()
        deadline = time.monotonic() + timeout
        try:
            while True:
                if poll_id in self._conflicted:
                    self._conflicted.discard(poll_id)
                    if _client_gone(request):
                        # PTB cancels its poll when it stops; nobody is left to
                        # receive a Conflict, so end the abandoned poll quietly.
                        return []
                    raise ApiError(409, _CONFLICT_POLL)
                if self._closing:
                    return []
                batch = self._updates[:limit]
                remaining = deadline - time.monotonic()
                if batch or remaining <= 0:
                    break
                changed = self._changed
                try:
                    await asyncio.wait_for(changed.wait(), remaining)
                except TimeoutError:
                    continue
            if _client_gone(request):
                # The client gave up on this poll; keep the updates for the next one.
                return []
            for update in batch:
                update.delivered = True
            return [u.to_api() for u in batch]
        finally:
            if self._active_poll == poll_id:
                self._active_poll = None

    # ============================================================== bot methods

    async def _true(self, params: dict[str, Any]) -> Any:
        return True

    async def _get_me(self, params: dict[str, Any]) -> Any:
        return dict(self.bot_user)

    async def _set_webhook(self, params: dict[str, Any]) -> Any:
        if params.get("drop_pending_updates"):
            self._updates.clear()
        self._webhook = {
            key: value
            for key, value in params.items()
            if key in ("url", "max_connections", "allowed_updates", "ip_address")
        }
        self._notify_updates()
        return True

    async def _delete_webhook(self, params: dict[str, Any]) -> Any:
        if params.get("drop_pending_updates"):
            self._updates.clear()
        self._webhook = {"url": ""}
        return True

    async def _get_webhook_info(self, params: dict[str, Any]) -> Any:
        info: dict[str, Any] = {
            "url": self._webhook.get("url", ""),
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }
        for key in ("max_connections", "allowed_updates", "ip_address"):
            if key in self._webhook:
                info[key] = self._webhook[key]
        return info

    async def _send_message(self, params: dict[str, Any]) -> Any:
        chat = self._target_chat(params)
        content = self._content(params, caption=False)
        reply_to = self._reply_target(chat, params)
        self._check_rate(chat)
        message = StoredMessage(
            chat=chat,
            message_id=0,
            date=_now(),
            sender=self._bot_sender,
            from_bot=True,
            kind="text",
            reply_to=reply_to,
        )
        content.apply(message)
        self._apply_markup(message, params.get("reply_markup"))
        return self._store_bot_message(message)

    async def _send_media(self, kind: str, params: dict[str, Any]) -> Any:
        chat = self._target_chat(params)
        content = self._content(params, caption=True)
        reply_to = self._reply_target(chat, params)
        file = self._input_file(kind, params.get(kind))
        self._check_rate(chat)
        message = StoredMessage(
            chat=chat,
            message_id=0,
            date=_now(),
            sender=self._bot_sender,
            from_bot=True,
            kind=kind,
            file=file,
            reply_to=reply_to,
        )
        content.apply(message)
        self._apply_markup(message, params.get("reply_markup"))
        return self._store_bot_message(message)

    async def _edit_message_text(self, params: dict[str, Any]) -> Any:
        message = self._editable(params)
        if message.kind != "text":
            raise ApiError(400, "Bad Request: there is no text in the message to edit")
        return self._edit_content(message, self._content(params, caption=False), params)

    async def _edit_message_caption(self, params: dict[str, Any]) -> Any:
        message = self._editable(params)
        if not message.has_caption:
            raise ApiError(400, "Bad Request: there is no caption in the message to edit")
        return self._edit_content(message, self._content(params, caption=True), params)

    def _edit_content(
        self, message: StoredMessage, content: _Content, params: dict[str, Any]
    ) -> dict[str, Any]:
        # Like Telegram, an edit without reply_markup removes the inline keyboard.
        markup = _inline_markup(params.get("reply_markup"))
        unchanged = (message.plain_text, message.entities, message.reply_markup)
        if (content.plain, content.entities, markup) == unchanged:
            raise ApiError(400, _NOT_MODIFIED)
        content.apply(message)
        message.reply_markup = markup
        return self._record_edit(message)

    async def _edit_message_reply_markup(self, params: dict[str, Any]) -> Any:
        message = self._editable(params)
        markup = _inline_markup(params.get("reply_markup"))
        if markup == message.reply_markup:
            raise ApiError(400, _NOT_MODIFIED)
        message.reply_markup = markup
        return self._record_edit(message)

    async def _delete_message(self, params: dict[str, Any]) -> Any:
        chat = self._target_chat(params, allow_blocked=True)
        message_id = _as_int(params.get("message_id"), "message_id")
        self._delete(chat, message_id)
        return True

    async def _delete_messages(self, params: dict[str, Any]) -> Any:
        chat = self._target_chat(params, allow_blocked=True)
        ids = params.get("message_ids")
        if not isinstance(ids, list) or not ids:
            raise ApiError(400, "Bad Request: message identifiers are not specified")
        for message_id in ids:
            if isinstance(message_id, int) and chat.live(message_id) is not None:
                self._delete(chat, message_id)
        return True

    async def _answer_callback_query(self, params: dict[str, Any]) -> Any:
        query_id = _as_str(params.get("callback_query_id"), "callback_query_id")
        query = self._callbacks.get(query_id)
        if query is None or query.answered:
            raise ApiError(400, _QUERY_TOO_OLD)
        query.answered = True
        answer = {k: v for k, v in params.items() if k != "callback_query_id"}
        query.user.callback_answers[query_id] = answer
        text = answer.get("text")
        self._transcript(
            "bot",
            query.chat_id,
            self.bot_name,
            "callback_answer",
            text=str(text) if text is not None else None,
        )
        return True

    async def _send_chat_action(self, params: dict[str, Any]) -> Any:
        self._target_chat(params)
        return True

    async def _get_file(self, params: dict[str, Any]) -> Any:
        file_id = _as_str(params.get("file_id"), "file_id")
        record = self._files.get(file_id)
        if record is None or record.content is None:
            raise ApiError(400, "Bad Request: invalid file_id")
        return record.file_object()

    async def _set_my_commands(self, params: dict[str, Any]) -> Any:
        commands = params.get("commands")
        if not isinstance(commands, list):
            raise ApiError(400, "Bad Request: commands must be an array")
        self._commands[_scope_key(params)] = [dict(c) for c in commands if isinstance(c, dict)]
        return True

    async def _get_my_commands(self, params: dict[str, Any]) -> Any:
        return list(self._commands.get(_scope_key(params), []))

    async def _delete_my_commands(self, params: dict[str, Any]) -> Any:
        self._commands.pop(_scope_key(params), None)
        return True

    async def _set_chat_menu_button(self, params: dict[str, Any]) -> Any:
        chat_id = params.get("chat_id")
        key = _as_int(chat_id, "chat_id") if chat_id is not None else None
        button = params.get("menu_button")
        self._menu_buttons[key] = button if isinstance(button, dict) else {"type": "default"}
        return True

    async def _get_chat_menu_button(self, params: dict[str, Any]) -> Any:
        chat_id = params.get("chat_id")
        key = _as_int(chat_id, "chat_id") if chat_id is not None else None
        button = self._menu_buttons.get(key) or self._menu_buttons.get(None)
        return button or {"type": "commands"}

    async def _set_bot_text(self, key: str, params: dict[str, Any]) -> Any:
        language = _optional_str(params.get("language_code")) or ""
        self._bot_texts[(key, language)] = _optional_str(params.get(key)) or ""
        return True

    async def _get_bot_text(self, key: str, params: dict[str, Any]) -> Any:
        language = _optional_str(params.get("language_code")) or ""
        value = self._bot_texts.get((key, language), self._bot_texts.get((key, ""), ""))
        if key == "name" and not value:
            value = self.bot_name
        return {key: value}

    # ============================================================ bot helpers

    def _target_chat(self, params: dict[str, Any], *, allow_blocked: bool = False) -> ChatState:
        chat_id = params.get("chat_id")
        if isinstance(chat_id, str) and not re.fullmatch(r"-?\d+", chat_id):
            raise ApiError(400, "Bad Request: chat not found")
        chat = self._chats.get(_as_int(chat_id, "chat_id"))
        if chat is None:
            raise ApiError(400, "Bad Request: chat not found")
        if chat.blocked and not allow_blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        return chat

    def _editable(self, params: dict[str, Any]) -> StoredMessage:
        if params.get("inline_message_id") is not None:
            # The emulator has no inline mode, so no inline message can exist.
            raise ApiError(400, "Bad Request: message to edit not found")
        chat = self._target_chat(params)
        message = chat.live(_as_int(params.get("message_id"), "message_id"))
        if message is None:
            raise ApiError(400, "Bad Request: message to edit not found")
        if not message.from_bot:
            raise ApiError(400, "Bad Request: message can't be edited")
        return message

    def _content(self, params: dict[str, Any], *, caption: bool) -> _Content:
        """The text (or caption) of a send or edit, parsed and checked like Telegram does."""
        if caption:
            raw = _optional_str(params.get("caption")) or ""
            entities = params.get("caption_entities")
        else:
            raw = _as_str(params.get("text"), "text")
            entities = params.get("entities")
        parse_mode = _optional_str(params.get("parse_mode"))
        plain, parsed = self._parse(raw, parse_mode, entities)
        if caption and utf16_len(plain) > 1024:
            raise ApiError(400, "Bad Request: message caption is too long")
        if not caption and not plain.strip():
            raise ApiError(400, "Bad Request: message text is empty")
        if not caption and utf16_len(plain) > 4096:
            raise ApiError(400, "Bad Request: message is too long")
        return _Content(raw, parse_mode, plain, parsed)

    def _parse(
        self, text: str, parse_mode: str | None, entities: Any
    ) -> tuple[str, list[dict[str, Any]]]:
        if isinstance(entities, list):
            return text, [dict(e) for e in entities if isinstance(e, dict)]
        try:
            parsed = parse_text(text, parse_mode)
        except EntityParseError as error:
            raise ApiError(400, f"Bad Request: can't parse entities: {error}") from error
        except ValueError as error:
            raise ApiError(400, f"Bad Request: unsupported parse_mode {parse_mode!r}") from error
        return parsed.text, [dict(e) for e in parsed.entities]

    def _reply_target(self, chat: ChatState, params: dict[str, Any]) -> StoredMessage | None:
        reply = params.get("reply_parameters")
        if not isinstance(reply, dict):
            return None
        message_id = reply.get("message_id")
        target = chat.live(message_id) if isinstance(message_id, int) else None
        if target is None and not reply.get("allow_sending_without_reply"):
            raise ApiError(400, "Bad Request: message to be replied not found")
        return target

    def _apply_markup(self, message: StoredMessage, markup: Any) -> None:
        message.reply_markup = _inline_markup(markup)
        if isinstance(markup, dict) and isinstance(markup.get("keyboard"), list):
            message.keyboard = [
                [b if isinstance(b, str) else str(b.get("text", "")) for b in row]
                for row in markup["keyboard"]
                if isinstance(row, list)
            ]

    def _input_file(self, kind: str, value: Any) -> FileRecord:
        if isinstance(value, Upload):
            return self._new_file(kind, value.content, value.filename or None, value.mime)
        if isinstance(value, str):
            existing = self._files.get(value)
            if existing is not None:
                return existing
            if re.match(r"https?://", value):
                record = self._new_file(kind, None, value.rsplit("/", 1)[-1] or None, "")
                record.url = value
                return record
        raise ApiError(400, "Bad Request: wrong file identifier/HTTP URL specified")

    def _new_file(
        self, kind: str, content: bytes | None, file_name: str | None, mime_type: str
    ) -> FileRecord:
        self._file_counter += 1
        number = self._file_counter
        folder = {"photo": "photos", "sticker": "stickers", "voice": "voice"}.get(kind, "documents")
        suffix = {"photo": ".jpg", "sticker": ".webp", "voice": ".oga"}.get(kind, "")
        if kind == "document" and file_name and "." in file_name:
            suffix = "." + file_name.rsplit(".", 1)[-1]
        if kind == "photo":
            mime_type = "image/jpeg"
        record = FileRecord(
            file_id=f"EMU{kind[:3].upper()}{number:06d}-{self.bot_user['id']}",
            file_unique_id=f"U{kind[:1].upper()}{number:06d}",
            kind=kind,
            content=content,
            file_name=file_name,
            mime_type=mime_type or "application/octet-stream",
            file_path=f"{folder}/file_{number}{suffix}",
        )
        if kind == "photo" and content is not None:
            record.width, record.height = image_size(content)
        self._files[record.file_id] = record
        self._files_by_path[record.file_path] = record
        return record

    def _check_rate(self, chat: ChatState) -> None:
        now = time.monotonic()
        buckets: list[_Bucket] = []
        if self._global_rate is not None:
            buckets.append(self._global_rate)
        if self._chat_rate is not None:
            bucket = self._chat_buckets.get(chat.id)
            if bucket is None:
                bucket = self._chat_buckets[chat.id] = _Bucket(self._chat_rate)
            buckets.append(bucket)
        wait = max((b.wait_time(now) for b in buckets), default=0.0)
        if wait > 0:
            seconds = max(1, math.ceil(wait))
            raise ApiError(
                429, f"Too Many Requests: retry after {seconds}", {"retry_after": seconds}
            )
        for bucket in buckets:
            bucket.consume()

    def _store_bot_message(self, message: StoredMessage) -> dict[str, Any]:
        chat = message.chat
        message.message_id = chat.new_message_id()
        chat.messages[message.message_id] = message
        snapshot = message.snapshot(is_edit=False)
        chat.inbox.append(snapshot)
        self._transcript_bot(message, message.kind)
        self._notify_bot_event()
        return message.to_api()

    def _record_edit(self, message: StoredMessage) -> dict[str, Any]:
        message.edit_date = _now()
        message.chat.inbox.append(message.snapshot(is_edit=True))
        self._transcript_bot(message, "edit")
        self._notify_bot_event()
        return message.to_api()

    def _delete(self, chat: ChatState, message_id: int) -> None:
        message = chat.live(message_id)
        if message is None:
            raise ApiError(400, "Bad Request: message to delete not found")
        message.deleted = True
        self._transcript("bot", chat.id, self.bot_name, "delete", message_id=message_id)
        self._notify_bot_event()

    def _transcript_bot(self, message: StoredMessage, kind: str) -> None:
        self._transcript(
            "bot",
            message.chat.id,
            self.bot_name,
            kind,
            text=message.plain_text,
            buttons=[[b.text for b in row] for row in inline_buttons(message.reply_markup)],
            file_name=message.file.file_name if message.file else None,
            message_id=message.message_id,
        )

    def _transcript(
        self,
        who: str,
        chat_id: int,
        name: str,
        kind: str,
        *,
        text: str | None = None,
        buttons: list[list[str]] | None = None,
        file_name: str | None = None,
        message_id: int | None = None,
    ) -> None:
        self.transcript.append(
            TranscriptEvent(
                who=who,
                chat_id=chat_id,
                user=name,
                kind=kind,
                text=text,
                buttons=buttons or [],
                file_name=file_name,
                message_id=message_id,
                at=time.monotonic(),
            )
        )

    # ======================================================= simulated people

    def _user_message(
        self,
        chat: ChatState,
        user: SimUser,
        kind: str,
        *,
        text: str = "",
        entities: list[dict[str, Any]] | None = None,
        file: FileRecord | None = None,
    ) -> StoredMessage:
        message = StoredMessage(
            chat=chat,
            message_id=chat.new_message_id(),
            date=_now(),
            sender=user.to_api(),
            from_bot=False,
            kind=kind,
            raw_text=text,
            plain_text=text,
            entities=entities or [],
            file=file,
        )
        chat.messages[message.message_id] = message
        return message

    def _user_text(self, chat: ChatState, user: SimUser, text: str) -> dict[str, Any]:
        if not text:
            raise ValueError("Telegram does not send empty messages")
        message = self._user_message(
            chat, user, "text", text=text, entities=_command_entities(text)
        )
        payload = message.to_api()
        self._queue_update("message", payload)
        self._transcript(
            "user", chat.id, user.display_name, "text", text=text, message_id=message.message_id
        )
        return payload

    def _user_media(
        self,
        chat: ChatState,
        user: SimUser,
        kind: str,
        content: bytes,
        *,
        file_name: str | None,
        mime_type: str,
        caption: str | None,
    ) -> dict[str, Any]:
        file = self._new_file(kind, content, file_name, mime_type)
        message = self._user_message(chat, user, kind, text=caption or "", file=file)
        payload = message.to_api()
        self._queue_update("message", payload)
        self._transcript(
            "user",
            chat.id,
            user.display_name,
            kind,
            text=caption,
            file_name=file_name,
            message_id=message.message_id,
        )
        return payload

    def _user_edit(
        self, chat: ChatState, user: SimUser, message_id: int, text: str
    ) -> dict[str, Any]:
        message = chat.live(message_id)
        if message is None or message.from_bot or message.sender.get("id") != user.id:
            raise ValueError(f"{user!r} has no message {message_id} in chat {chat.id} to edit")
        if message.kind != "text":
            raise ValueError(f"message {message_id} is not a text message")
        message.raw_text = message.plain_text = text
        message.entities = _command_entities(text)
        message.edit_date = _now()
        payload = message.to_api()
        self._queue_update("edited_message", payload)
        self._transcript(
            "user", chat.id, user.display_name, "edit", text=text, message_id=message_id
        )
        return payload

    def _user_press(
        self,
        chat: ChatState,
        user: SimUser,
        data: str,
        *,
        message_id: int | None,
        forge: bool,
    ) -> str:
        candidates = chat.bot_messages()
        if message_id is not None:
            candidates = [m for m in candidates if m.message_id == message_id]
        target: StoredMessage | None = None
        label: str | None = None
        for message in reversed(candidates):
            for row in inline_buttons(message.reply_markup):
                for button in row:
                    if button.callback_data == data and target is None:
                        target, label = message, button.text
        if target is None and not forge:
            offered = [
                f"#{m.message_id}: {m.snapshot(is_edit=False).callback_data()}"
                for m in chat.bot_messages()
                if m.reply_markup
            ]
            raise AssertionError(
                f"no button with callback_data {data!r} on "
                f"{'message ' + str(message_id) if message_id is not None else 'any bot message'} "
                f"in chat {chat.id}; buttons on offer: {offered or 'none'}\n"
                f"{self.format_transcript(chat.id, last=10)}"
            )
        if target is None and forge:
            target = candidates[-1] if candidates else None
        self._callback_counter += 1
        query_id = str(4_200_000_000_000_000_000 + self._callback_counter)
        query: dict[str, Any] = {
            "id": query_id,
            "from": user.to_api(),
            "chat_instance": str(abs(chat.id) * 7919 % 10**12 + 10**12),
            "data": data,
        }
        if target is not None:
            query["message"] = target.to_api()
        else:
            query["message"] = {"chat": chat.api, "message_id": message_id or 0, "date": 0}
        self._callbacks[query_id] = _CallbackQuery(user, chat.id)
        self._queue_update("callback_query", query)
        self._transcript(
            "user",
            chat.id,
            user.display_name,
            "callback",
            text=label if label is not None else f"(forged) {data}",
            message_id=target.message_id if target else message_id,
        )
        return query_id

    def _user_press_text(self, chat: ChatState, user: SimUser, button_text: str) -> str:
        for message in reversed(chat.bot_messages()):
            for row in inline_buttons(message.reply_markup):
                for button in row:
                    if button.text != button_text:
                        continue
                    if button.callback_data is None:
                        raise AssertionError(
                            f"button {button_text!r} on message {message.message_id} sends "
                            "nothing to the bot (it has no callback_data)"
                        )
                    return self._user_press(
                        chat,
                        user,
                        button.callback_data,
                        message_id=message.message_id,
                        forge=False,
                    )
        raise AssertionError(
            f"no bot message in chat {chat.id} has a button labelled {button_text!r}\n"
            f"{self.format_transcript(chat.id, last=10)}"
        )

    def _set_blocked(self, chat: ChatState, user: SimUser, *, blocked: bool) -> None:
        if chat.blocked == blocked:
            return
        chat.blocked = blocked
        member = {"status": "member", "user": self._bot_sender}
        kicked = {"status": "kicked", "user": self._bot_sender, "until_date": 0}
        self._queue_update(
            "my_chat_member",
            {
                "chat": chat.api,
                "from": user.to_api(),
                "date": _now(),
                "old_chat_member": member if blocked else kicked,
                "new_chat_member": kicked if blocked else member,
            },
        )
        self._transcript("user", chat.id, user.display_name, "block" if blocked else "unblock")


# ============================================================================ helpers


def _client_gone(request: web.Request) -> bool:
    transport = request.transport
    return transport is None or transport.is_closing()


def _now() -> int:
    return int(time.time())


def _as_int(value: Any, name: str, *, default: int | None = None) -> int:
    """An Integer parameter; robust to undecoded strings when strict=False let them through."""
    if value is None and default is not None:
        return default
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and re.fullmatch(r"[+-]?\d+", value):
        return int(value)
    if value is None:
        raise ApiError(400, f"Bad Request: {name} is empty")
    raise ApiError(400, f"Bad Request: invalid {name} specified")


def _as_str(value: Any, name: str) -> str:
    if value is None:
        raise ApiError(400, f"Bad Request: {name} is empty")
    if isinstance(value, (dict, list, Upload)):
        raise ApiError(400, f"Bad Request: {name} must be a string")
    return str(value)


def _optional_str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _inline_markup(markup: Any) -> dict[str, Any] | None:
    """The InlineKeyboardMarkup part of reply_markup; other keyboards are not stored on messages."""
    if isinstance(markup, dict) and isinstance(markup.get("inline_keyboard"), list):
        return {"inline_keyboard": markup["inline_keyboard"]}
    return None


def _scope_key(params: dict[str, Any]) -> tuple[str, str]:
    scope = params.get("scope")
    if not isinstance(scope, dict):
        scope = {"type": "default"}
    language = params.get("language_code")
    return json.dumps(scope, sort_keys=True), language if isinstance(language, str) else ""


def _command_entities(text: str) -> list[dict[str, Any]]:
    match = _COMMAND_RE.match(text)
    if match is None:
        return []
    return [{"type": "bot_command", "offset": 0, "length": utf16_len(match.group(0))}]


def _recordable(params: dict[str, Any]) -> dict[str, Any]:
    return {k: v.describe() if isinstance(v, Upload) else v for k, v in params.items()}
