"""Pure ASGI middleware: body size limit and API-key authentication.

Both answer with the error table's OpenAI-format JSON before the app parses anything, so an
unauthenticated or oversized request costs no JSON parsing and no routing.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hybridroute.server.auth import KeyTable
from hybridroute.server.errors import BodyTooLarge, GatewayError, respond


class BodyLimit:
    """Refuse request bodies larger than `max_bytes` with 413."""

    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = _header(scope, b"content-length")
        if length is not None:
            # The server enforces that the body matches Content-Length, so this suffices.
            if length.isdigit() and int(length) > self.max_bytes:
                await self._refuse(scope, receive, send)
                return
            await self.app(scope, receive, send)
            return
        # Chunked (or absent) length: read up to the limit, then replay what was read.
        buffered: list[Message] = []
        size = 0
        more = True
        while more:
            message = await receive()
            buffered.append(message)
            if message["type"] != "http.request":
                break
            size += len(message.get("body", b""))
            if size > self.max_bytes:
                await self._refuse(scope, receive, send)
                return
            more = message.get("more_body", False)

        async def replay() -> Message:
            return buffered.pop(0) if buffered else await receive()

        await self.app(scope, replay, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        exc = BodyTooLarge(f"request body exceeds the limit of {self.max_bytes} bytes")
        await respond(scope, receive, send, exc)


class RequireKey:
    """Authenticate `/v1/` requests and put the caller in `request.state.caller`."""

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


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key == name:
            return str(value.decode("latin-1"))
    return None
