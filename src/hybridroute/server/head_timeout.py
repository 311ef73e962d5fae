"""uvicorn's HTTP protocol with a deadline for each request's head (request line + headers).

uvicorn times a keep-alive connection's idle gap between requests, and the gateway times a
request's body (`BodyLimit`), but nothing times the head: a client that connects and sends
nothing, or sends its headers a byte at a time, holds a socket for good (a slowloris), and
a few hundred of them exhaust the process's file descriptors. Here the head of each request
must arrive within `server.header_timeout_s` of the connection opening (first request) or
of its first byte (later requests on a keep-alive connection); otherwise the client gets a
408 `request_timeout` and the connection is closed.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol


def head_timed_protocol(timeout_s: float) -> type[asyncio.Protocol]:
    """An `HttpToolsProtocol` whose request heads must arrive within `timeout_s` seconds
    (pass it as uvicorn's `http=`)."""
    body = json.dumps(
        {
            "error": {
                "message": f"the request headers did not arrive within {timeout_s:g} s",
                "type": "request_timeout",
                "param": None,
                "code": "request_timeout",
            }
        }
    ).encode()
    response = (
        b"HTTP/1.1 408 Request Timeout\r\ncontent-type: application/json\r\n"
        b"connection: close\r\ncontent-length: %d\r\n\r\n%s" % (len(body), body)
    )

    class HeadTimedProtocol(HttpToolsProtocol):
        _head_timer: asyncio.TimerHandle | None = None

        def connection_made(self, transport: Any) -> None:
            super().connection_made(transport)
            self._arm_head_timer()

        def on_message_begin(self) -> None:
            super().on_message_begin()
            self._arm_head_timer()  # the next request on a keep-alive connection

        def on_headers_complete(self) -> None:
            self._disarm_head_timer()
            super().on_headers_complete()

        def connection_lost(self, exc: Exception | None) -> None:
            self._disarm_head_timer()
            super().connection_lost(exc)

        def _arm_head_timer(self) -> None:
            if self._head_timer is None:
                self._head_timer = self.loop.call_later(timeout_s, self._head_too_slow)

        def _disarm_head_timer(self) -> None:
            if self._head_timer is not None:
                self._head_timer.cancel()
                self._head_timer = None

        def _head_too_slow(self) -> None:
            self._head_timer = None
            if self.transport.is_closing():
                return
            # Not while an earlier request's answer is still being written (pipelining):
            # a 408 there would land inside it. Then the connection just closes.
            if self.cycle is None or self.cycle.response_complete:
                self.transport.write(response)
            self.transport.close()

    return HeadTimedProtocol
