"""Pure ASGI middleware: API-key authentication, body size and time limits, replies at shutdown.

Outermost first (`app.py`): `ShutdownReply`, `RequireKey`, `BodyLimit`. Each answers with the
error table's OpenAI-format JSON. Authentication reads only headers, so a request without a
valid key is refused before any of its body is read; the body limit buffers nothing, it counts
bytes as the app reads them.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from typing import Any

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hybridroute.server.auth import KeyTable
from hybridroute.server.errors import (
    BodyTimeout,
    BodyTooLarge,
    GatewayError,
    ShuttingDown,
    count,
    error_body,
    respond,
)
from hybridroute.server.wire import error_event

log = logging.getLogger("hybridroute.server")


class _TooLarge(BodyTooLarge, HTTPException):
    """Raised from `receive` once the body read passes the limit. An `HTTPException` so that
    FastAPI's body reading passes it on (it turns any other error into a 400); the error table
    finds the `BodyTooLarge` row first, so the reply is the usual 413."""

    def __init__(self, message: str) -> None:
        BodyTooLarge.__init__(self, message)
        HTTPException.__init__(self, status_code=413, detail=message)


class _TimedOut(BodyTimeout, HTTPException):
    """Raised from `receive` when the body is not in by its deadline; a 408 that closes the
    connection (the rest of a slow body is not worth reading)."""

    def __init__(self, message: str) -> None:
        BodyTimeout.__init__(self, message)
        HTTPException.__init__(self, status_code=408, detail=message, headers=_CLOSE)


_CLOSE = {"connection": "close"}


class BodyLimit:
    """Refuse request bodies larger than `max_bytes` with 413, without buffering them, and
    bodies still arriving `timeout_s` after the app began to read them with 408.

    A declared Content-Length over the limit is refused before the app runs (the server holds
    the body to its Content-Length). Otherwise (chunked) `receive` is wrapped: the bytes are
    counted as the app reads them, and the read that passes the limit raises, so a request
    holds at most `max_bytes` plus one read (uvicorn stops reading 64 KiB ahead of the app).
    uvicorn has no body read timeout, so a client that drips its body would hold the request
    open for as long as it likes; the deadline covers the whole body, not each read. Once the
    body is in, `receive` waits for the client to leave, untimed.
    """

    def __init__(self, app: ASGIApp, *, max_bytes: int, timeout_s: float | None = None) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.timeout_s = timeout_s

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        message = f"request body exceeds the limit of {self.max_bytes} bytes"
        length = _header(scope, b"content-length")
        if length is not None and length.isdigit() and int(length) > self.max_bytes:
            await respond(scope, receive, send, BodyTooLarge(message))
            return
        size = 0
        started = False
        body_done = False
        deadline: float | None = None

        async def counted() -> Message:
            nonlocal size, body_done, deadline
            if body_done or self.timeout_s is None:
                received = await receive()
            else:
                loop = asyncio.get_running_loop()
                deadline = deadline or loop.time() + self.timeout_s
                try:
                    # (`timeout_at`, not `wait_for`: a shutdown cancel that meets the
                    # deadline stays a cancel.)
                    async with asyncio.timeout_at(deadline):
                        received = await receive()
                except TimeoutError:
                    raise _TimedOut(
                        f"request body not received within {self.timeout_s:g} s"
                    ) from None
            if received["type"] == "http.request":
                size += len(received.get("body", b""))
                if size > self.max_bytes:
                    raise _TooLarge(message)
                body_done = not received.get("more_body", False)
            else:
                body_done = True
            return received

        async def watched(sent: Message) -> None:
            nonlocal started
            started = started or sent["type"] == "http.response.start"
            await send(sent)

        try:
            await self.app(scope, counted, watched)
        except (_TooLarge, _TimedOut) as exc:
            # Normally the app's error handler has answered already; this covers a read made
            # outside it.
            if started:
                raise
            await respond(scope, receive, send, exc)


class RequireKey:
    """Authenticate `/v1/` requests and put the caller in `request.state.caller`.

    Only headers are read: a request without a valid key gets its 401 before any of its body
    is read (uvicorn then discards the rest of the body as it arrives).
    """

    def __init__(self, app: ASGIApp, *, keys: KeyTable, prefix: str = "/v1/") -> None:
        self.app = app
        self.keys = keys
        self.prefix = prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(self.prefix):
            await self.app(scope, receive, send)
            return
        try:
            caller = self.keys.authenticate(
                _header(scope, b"authorization"), _header(scope, b"x-api-key")
            )
        except GatewayError as exc:
            await respond(scope, receive, send, exc)
            return
        scope.setdefault("state", {})["caller"] = caller
        await self.app(scope, receive, send)


class ShutdownReply:
    """Answer the requests uvicorn cancels when the graceful-shutdown timeout runs out.

    uvicorn cancels each request's task then; left alone, the cancellation reaches uvicorn,
    which logs a traceback per request and sends a text/plain 500 (or, for a stream, just
    closes it). Here the request gets a 503 in OpenAI's format, or for a stream already
    started the in-band error event, and the log one line. Only uvicorn's shutdown cancels a
    request's task (a client hang-up is a `http.disconnect` message, not a cancellation).

    uvicorn sends the lifespan shutdown right after cancelling, so the app would close the
    router (and its tiers) while those requests are still unwinding through them; the embedded
    tier's close even blocks the event loop until its generation ends, and a stream cancelled
    during one was cut without its event. The shutdown message is therefore held back until
    the cancelled requests have ended (at most `unwind_s`).
    """

    def __init__(self, app: ASGIApp, *, unwind_s: float = 5.0) -> None:
        self.app = app
        self.unwind_s = unwind_s
        self._running: set[asyncio.Task[Any]] = set()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self.app(scope, self._after_requests(receive), send)
            return
        task = asyncio.current_task()
        if scope["type"] != "http" or task is None:
            await self.app(scope, receive, send)
            return
        self._running.add(task)
        try:
            await self._answer(scope, receive, send)
        finally:
            self._running.discard(task)

    async def _answer(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = finished = event_stream = False

        async def watched(sent: Message) -> None:
            nonlocal started, finished, event_stream
            if sent["type"] == "http.response.start":
                started = True
                content_type = _value(sent.get("headers", ()), b"content-type") or b""
                event_stream = content_type.startswith(b"text/event-stream")
            elif sent["type"] == "http.response.body" and not sent.get("more_body", False):
                finished = True
            await send(sent)

        try:
            await self.app(scope, receive, watched)
        except asyncio.CancelledError:
            # This task exists only to answer the request: answer it, then end normally.
            task = asyncio.current_task()
            if task is not None:
                task.uncancel()
            log.warning(
                "%s %s cancelled: the graceful-shutdown timeout ran out",
                scope.get("method"),
                scope.get("path"),
            )
            exc = ShuttingDown("server shutting down: the request did not finish in time")
            if not started:
                await respond(scope, receive, send, exc)
            elif event_stream and not finished:
                count(getattr(getattr(scope.get("app"), "state", None), "metrics", None), exc)
                body = error_event(error_body(exc)[1])
                await send({"type": "http.response.body", "body": body, "more_body": False})
            # A started non-stream answer cannot be amended: uvicorn closes the connection.

    def _after_requests(self, receive: Receive) -> Receive:
        async def wrapped() -> Message:
            message = await receive()
            running = [task for task in self._running if not task.done()]
            if message["type"] == "lifespan.shutdown" and running:
                await asyncio.wait(running, timeout=self.unwind_s)
            return message

        return wrapped


def _header(scope: Scope, name: bytes) -> str | None:
    value = _value(scope["headers"], name)
    return None if value is None else value.decode("latin-1")


def _value(headers: Iterable[tuple[bytes, bytes]], name: bytes) -> bytes | None:
    for key, value in headers:
        if key.lower() == name:
            return bytes(value)
    return None
