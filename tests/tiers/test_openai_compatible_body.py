"""The OpenAI-compatible tier reading an upstream's body: the size cap and the decoding of
compressed answers, against a raw HTTP/1.1 server on loopback that counts what it sends."""

from __future__ import annotations

import asyncio
import gzip
import json
import re
import time
import tracemalloc
import zlib
from collections.abc import Awaitable, Callable

import pytest
from remote_tiers import ask, greedy, mocked, remote

from hybridroute import errors
from hybridroute.config import OpenAISettings
from hybridroute.tiers import build_tier
from hybridroute.tiers.base import HealthStatus
from hybridroute.tiers.openai_compatible import OpenAICompatibleTier
from hybridroute.types import Location

# --- oversized answers: a raw HTTP/1.1 upstream that counts what it sends -----------------

CAP = 4096
Send = Callable[[bytes], Awaitable[None]]


class RawUpstream:
    """Answers every request on 127.0.0.1 with `answer(send)`, status line and headers
    included, in the test's own event loop; keeps the request heads, counts the bytes sent
    and notes a hang-up."""

    def __init__(self, answer: Callable[[Send], Awaitable[None]]) -> None:
        self._answer = answer
        self.heads: list[bytes] = []
        self.sent = 0
        self.hung_up = asyncio.Event()

    async def __aenter__(self) -> RawUpstream:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        port = self._server.sockets[0].getsockname()[1]
        self.base_url = f"http://127.0.0.1:{port}/v1"
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._server.close()
        await self._server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        async def send(data: bytes) -> None:
            writer.write(data)
            self.sent += len(data)
            await writer.drain()

        try:
            head = await reader.readuntil(b"\r\n\r\n")
            self.heads.append(head)
            length = re.search(rb"(?i)content-length: *(\d+)", head)
            await reader.readexactly(int(length.group(1)) if length else 0)
            await self._answer(send)
        except (ConnectionError, asyncio.IncompleteReadError):
            self.hung_up.set()
        finally:
            writer.close()

    async def wait_hang_up(self) -> None:
        await asyncio.wait_for(self.hung_up.wait(), timeout=3)


def head(status: int = 200, *, length: int | None = None, extra: str = "") -> bytes:
    """A status line and headers; without `length` the body is chunked."""
    framing = f"Content-Length: {length}" if length is not None else "Transfer-Encoding: chunked"
    return f"HTTP/1.1 {status} X\r\n{framing}\r\nConnection: close\r\n{extra}\r\n".encode()


def chunked(data: bytes) -> bytes:
    return b"%x\r\n%s\r\n" % (len(data), data)


def answer_json(size: int) -> bytes:
    """A good non-streamed answer of exactly `size` bytes (padded with JSON whitespace)."""
    body = json.dumps(
        {"choices": [{"message": {"content": "ok"}, "finish_reason": "stop"}]}
    ).encode()
    return body.ljust(size)


def stream_events(size: int) -> bytes:
    """A good SSE answer of exactly `size` bytes (padded by an SSE comment line)."""
    chunk = {"choices": [{"delta": {"content": "ok"}, "finish_reason": "stop"}]}
    events = f"data: {json.dumps(chunk)}\n\ndata: [DONE]\n\n".encode()
    return b":" + b"p" * (size - len(events) - 2) + b"\n" + events


BLOCK = b"x" * 65536


async def endless(send: Send, piece: bytes, *, every_s: float = 0.01) -> None:
    """Chunked `piece`s until the client hangs up (throttled, so that code without a cap
    buffers tens of MB within the test's total timeout rather than gigabytes)."""
    while True:
        await send(chunked(piece))
        await asyncio.sleep(every_s)


async def timed(call: Awaitable[object]) -> float:
    """Seconds until `call` fails at the cap; the message ends there (no body content)."""
    started = time.monotonic()
    with pytest.raises(errors.BadResponse, match=f"upstream response larger than {CAP} bytes$"):
        await asyncio.wait_for(call, timeout=30)
    return time.monotonic() - started


async def collect(tier: OpenAICompatibleTier, into: list[str]) -> None:
    async for delta in tier.stream(greedy()):
        into.append(delta.text)


async def test_a_50_mb_answer_fails_at_the_cap_without_reading_the_rest() -> None:
    size = 50 * 1024 * 1024
    prefix = b'{"choices": [{"finish_reason": "stop", "message": {"content": "'
    suffix = b'"}}]}'

    async def answer(send: Send) -> None:  # a valid answer, 50 MB of text
        await send(head(length=size) + prefix)
        left = size - len(prefix) - len(suffix)
        while left > 0:
            await send(BLOCK[:left])
            left -= len(BLOCK)
        await send(suffix)

    async with RawUpstream(answer) as upstream:
        async with remote(upstream.base_url, max_response_bytes=CAP, total=10) as tier:
            elapsed = await timed(tier.complete(greedy()))
        await upstream.wait_hang_up()
    assert elapsed < 2, "well inside timeouts.total (10 s)"
    assert upstream.sent < size / 4, "what it sent is what loopback socket buffers hold"


@pytest.mark.parametrize("streamed", [False, True])
async def test_an_endless_body_fails_at_the_cap(streamed: bool) -> None:
    async def answer(send: Send) -> None:
        await send(head())
        await endless(send, BLOCK)

    async with RawUpstream(answer) as upstream:
        async with remote(upstream.base_url, max_response_bytes=CAP, total=5) as tier:
            call = ask(tier, streamed=streamed)
            assert await timed(call) < 2
        await upstream.wait_hang_up()


async def test_a_stream_of_good_chunks_past_the_cap_fails_in_band() -> None:
    chunk = {"choices": [{"delta": {"content": "tok "}, "finish_reason": None}]}
    events = f"data: {json.dumps(chunk)}\n\n".encode() * 20

    async def answer(send: Send) -> None:
        await send(head(extra="Content-Type: text/event-stream\r\n"))
        await endless(send, events, every_s=0.001)

    received: list[str] = []
    async with RawUpstream(answer) as upstream:
        async with remote(upstream.base_url, max_response_bytes=CAP, total=5) as tier:
            assert await timed(collect(tier, received)) < 2
        await upstream.wait_hang_up()
    assert received and set(received) == {"tok "}, "the error came after the text so far"
    assert len(received) * len(events) / 20 <= CAP


async def test_a_stream_line_that_never_ends_fails_in_bounded_memory() -> None:
    async def answer(send: Send) -> None:
        await send(head() + chunked(b'data: {"choices": [{"delta": {"content": "'))
        await endless(send, BLOCK)

    async with RawUpstream(answer) as upstream:
        async with remote(upstream.base_url, max_response_bytes=CAP, total=5) as tier:
            tracemalloc.start()
            try:
                assert await timed(collect(tier, [])) < 2
                peak = tracemalloc.get_traced_memory()[1]
            finally:
                tracemalloc.stop()
        await upstream.wait_hang_up()
    assert peak < 2 * 1024 * 1024, f"peak {peak} bytes while reading the line"


@pytest.mark.parametrize("streamed", [False, True])
@pytest.mark.parametrize(("size", "works"), [(CAP, True), (CAP + 1, False)])
async def test_the_cap_is_inclusive(streamed: bool, size: int, works: bool) -> None:
    body = stream_events(size) if streamed else answer_json(size)
    assert len(body) == size
    await answered_or_capped(head(length=size) + body, works=works, streamed=streamed)


async def answered_or_capped(response: bytes, *, works: bool, streamed: bool) -> None:
    """The tier (cap `CAP`) reads `response`: "ok" when it `works`, else it fails at the cap."""

    async def answer(send: Send) -> None:
        await send(response)

    async with RawUpstream(answer) as upstream:
        async with remote(upstream.base_url, max_response_bytes=CAP) as tier:
            if works:
                assert "".join(d.text for d in await ask(tier, streamed=streamed)) == "ok"
            else:
                await timed(ask(tier, streamed=streamed))


async def test_the_cap_counts_decoded_bytes() -> None:
    body = gzip.compress(answer_json(1024 * 1024))
    assert len(body) < CAP

    async def answer(send: Send) -> None:
        await send(head(length=len(body), extra="Content-Encoding: gzip\r\n") + body)

    async with RawUpstream(answer) as upstream:
        async with remote(upstream.base_url, max_response_bytes=CAP) as tier:
            await timed(tier.complete(greedy()))


@pytest.mark.parametrize("streamed", [False, True])
async def test_an_endless_error_body_is_not_read(streamed: bool) -> None:
    async def answer(send: Send) -> None:
        await send(head(400) + chunked(b'{"error": {"code": "context_length_exceeded", "x": "'))
        await endless(send, BLOCK)

    async with RawUpstream(answer) as upstream:
        async with remote(upstream.base_url, total=5) as tier:
            started = time.monotonic()
            with pytest.raises(errors.BadRequest) as caught:
                await asyncio.wait_for(ask(tier, streamed=streamed), timeout=30)
            assert time.monotonic() - started < 2
        await upstream.wait_hang_up()
    assert str(caught.value).endswith("HTTP 400 from upstream"), "no label from a cut body"


async def test_a_large_error_body_under_64_kib_still_gives_its_label() -> None:
    error = {"error": {"code": "context_length_exceeded", "message": "m" * 60_000}}
    body = json.dumps(error).encode()

    async def answer(send: Send) -> None:
        await send(head(400, length=len(body)) + body)

    async with RawUpstream(answer) as upstream:
        async with remote(upstream.base_url, max_response_bytes=CAP) as tier:
            with pytest.raises(errors.BadRequest, match=r"\(context_length_exceeded\)$"):
                await tier.complete(greedy())


async def test_health_is_down_on_an_endless_models_list() -> None:
    async def answer(send: Send) -> None:
        await send(head())
        await endless(send, BLOCK)

    async with RawUpstream(answer) as upstream:
        async with remote(upstream.base_url, max_response_bytes=CAP, connect=3) as tier:
            started = time.monotonic()
            health = await tier.health()
        assert time.monotonic() - started < 2
        await upstream.wait_hang_up()
    assert health.status is HealthStatus.DOWN and health.detail == "BadResponse"


async def test_sse_lines_end_at_crlf_cr_or_lf_only() -> None:
    """Sent a byte at a time (a CRLF and a UTF-8 character split across reads); U+2028 may
    stand raw in a JSON string and ends no line (str.splitlines() would end one there)."""
    first = {"choices": [{"delta": {"content": "a\u2028b"}, "finish_reason": None}]}
    last = {"choices": [{"delta": {"content": "c"}, "finish_reason": "stop"}]}
    text = f"data: {json.dumps(first, ensure_ascii=False)}\r\n\r\n: x\rdata: {json.dumps(last)}"
    body = f"{text}\r\rdata: [DONE]\n\n".encode()

    async def answer(send: Send) -> None:
        await send(head())
        for byte in body:
            await send(chunked(bytes([byte])))
            await asyncio.sleep(0.001)
        await send(chunked(b""))

    async with RawUpstream(answer) as upstream:
        async with remote(upstream.base_url, max_response_bytes=len(body)) as tier:
            deltas = await ask(tier, streamed=True)
    assert [d.text for d in deltas] == ["a\u2028b", "c", ""]


async def test_the_configured_cap_reaches_the_tier() -> None:
    body = answer_json(CAP + 1)

    async def answer(send: Send) -> None:
        await send(head(length=len(body)) + body)

    async with RawUpstream(answer) as upstream:
        settings = OpenAISettings(
            kind="openai",
            name="c",
            base_url=upstream.base_url,
            model="m",
            location=Location.PRIVATE_CLOUD,
            trusted=True,
            max_response_bytes=CAP,
        )
        async with build_tier(settings) as tier:
            await timed(tier.complete(greedy()))


def test_the_cap_must_be_positive() -> None:
    with pytest.raises(ValueError, match="max_response_bytes"):
        remote("http://127.0.0.1:9/v1", max_response_bytes=0)


# --- compressed answers: undone here, never more than the cap has left per read ------------

ZEROS = bytes(1024 * 1024)


async def gzip_bomb(send: Send, *, sse: bool) -> None:
    """1 GiB of zeros, gzipped (~1 MB) as it is sent, in 64 KiB HTTP chunks (each ~64 MB
    decoded) until the client hangs up."""
    kind = "text/event-stream" if sse else "application/json"
    await send(head(extra=f"Content-Type: {kind}\r\nContent-Encoding: gzip\r\n"))
    squeeze = zlib.compressobj(wbits=31)
    pending = b""
    for _ in range(1024):
        pending += squeeze.compress(ZEROS)
        if len(pending) >= len(BLOCK):
            await send(chunked(pending))
            pending = b""
        await asyncio.sleep(0)  # the client runs between megabytes (same event loop)
    await send(chunked(pending + squeeze.flush()) + chunked(b""))


@pytest.mark.parametrize("streamed", [False, True])
async def test_a_gzip_bomb_fails_at_the_cap_in_bounded_memory(streamed: bool) -> None:
    cap = 1024 * 1024

    async def answer(send: Send) -> None:
        await gzip_bomb(send, sse=streamed)

    async with RawUpstream(answer) as upstream:
        async with remote(upstream.base_url, max_response_bytes=cap, total=10) as tier:
            tracemalloc.start()
            try:
                started = time.monotonic()
                with pytest.raises(errors.BadResponse, match=f"larger than {cap} bytes$"):
                    await asyncio.wait_for(ask(tier, streamed=streamed), timeout=30)
                elapsed = time.monotonic() - started
                peak = tracemalloc.get_traced_memory()[1]
            finally:
                tracemalloc.stop()
        await upstream.wait_hang_up()
    assert elapsed < 2
    assert peak < 2 * cap + 3 * 1024 * 1024, f"peak {peak} bytes while decoding"


def compress(data: bytes, encoding: str) -> bytes:
    wbits = {"gzip": 31, "x-gzip": 31, "deflate": 15, "raw-deflate": -15}[encoding]
    squeeze = zlib.compressobj(wbits=wbits)
    return squeeze.compress(data) + squeeze.flush()


async def dribble(send: Send, body: bytes) -> None:
    """`body` as one HTTP chunk per byte, each its own read (a split gzip header included)."""
    for byte in body:
        await send(chunked(bytes([byte])))
        await asyncio.sleep(0.001)
    await send(chunked(b""))


@pytest.mark.parametrize("encoding", ["gzip", "x-gzip", "deflate", "raw-deflate", "identity"])
async def test_compressed_answers_are_decoded(encoding: str) -> None:
    body = answer_json(300) if encoding == "identity" else compress(answer_json(300), encoding)
    name = encoding.removeprefix("raw-")

    async def answer(send: Send) -> None:
        await send(head(extra=f"Content-Encoding: {name}\r\n"))
        await dribble(send, body)

    async with RawUpstream(answer) as upstream:
        async with remote(upstream.base_url, max_response_bytes=CAP) as tier:
            assert (await tier.complete(greedy())).text == "ok"


async def test_a_gzip_stream_is_decoded_event_by_event() -> None:
    pieces = [{"content": "a"}, {"content": "b"}, {}]
    squeeze = zlib.compressobj(wbits=31)
    frames = []
    for i, delta in enumerate(pieces):
        chunk = {"choices": [{"delta": delta, "finish_reason": "stop" if i == 2 else None}]}
        event = f"data: {json.dumps(chunk)}\n\n".encode()
        frames.append(squeeze.compress(event) + squeeze.flush(zlib.Z_SYNC_FLUSH))
    frames.append(squeeze.compress(b"data: [DONE]\n\n") + squeeze.flush())

    async def answer(send: Send) -> None:
        await send(head(extra="Content-Type: text/event-stream\r\nContent-Encoding: gzip\r\n"))
        for frame in frames:
            await send(chunked(frame))
            await asyncio.sleep(0.01)
        await send(chunked(b""))

    async with RawUpstream(answer) as upstream:
        async with remote(upstream.base_url, max_response_bytes=CAP) as tier:
            deltas = await ask(tier, streamed=True)
    assert [d.text for d in deltas] == ["a", "b", ""]


@pytest.mark.parametrize("streamed", [False, True])
@pytest.mark.parametrize(("size", "works"), [(CAP, True), (CAP + 1, False)])
async def test_the_cap_is_inclusive_after_decoding(streamed: bool, size: int, works: bool) -> None:
    body = compress(stream_events(size) if streamed else answer_json(size), "gzip")
    response = head(length=len(body), extra="Content-Encoding: gzip\r\n") + body
    await answered_or_capped(response, works=works, streamed=streamed)


@pytest.mark.parametrize(
    ("encoding", "named"),
    [
        ("br", "br"),
        ("zstd", "zstd"),
        ("compress", "compress"),
        ("gzip, br", "gzip, br"),
        ("gzip, gzip", "gzip, gzip"),
        ("x-gzip, none, BR", "x-gzip, br"),
    ],
)
@pytest.mark.parametrize("streamed", [False, True])
async def test_other_encodings_are_bad_responses(streamed: bool, encoding: str, named: str) -> None:
    body = answer_json(100)

    async def answer(send: Send) -> None:
        await send(head(length=len(body), extra=f"Content-Encoding: {encoding}\r\n") + body)

    async with RawUpstream(answer) as upstream:
        async with remote(upstream.base_url) as tier:
            message = re.escape(f"Content-Encoding {named} is not supported") + "$"
            with pytest.raises(errors.BadResponse, match=message):
                await ask(tier, streamed=streamed)


@pytest.mark.parametrize("encoding", ["none", "utf-8", "identity", "536-22-1234", "x-custom"])
@pytest.mark.parametrize("streamed", [False, True])
async def test_encodings_that_do_not_compress_are_read_as_they_are(
    streamed: bool, encoding: str
) -> None:
    # "none" is what SSE endpoints send to stop proxies buffering; httpx reads these as is too.
    body = stream_events(200) if streamed else answer_json(100)

    async def answer(send: Send) -> None:
        await send(head(length=len(body), extra=f"Content-Encoding: {encoding}\r\n") + body)

    async with RawUpstream(answer) as upstream:
        async with remote(upstream.base_url) as tier:
            assert "".join(d.text for d in await ask(tier, streamed=streamed)) == "ok"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"\x1f\x8b\x08\x00garbage" * 10, "gzip body is corrupt"),
        (compress(answer_json(100), "gzip")[:-30] + b"x" * 30, "gzip body is corrupt"),
        (compress(answer_json(100), "gzip") + b"trailing", "data after the end of the gzip body"),
        (compress(answer_json(100), "gzip")[:-8], "gzip body is truncated"),
        (compress(answer_json(100), "gzip")[:40], "gzip body is truncated"),
        (b"x", "deflate body is truncated"),
    ],
    ids=["not-gzip", "corrupt-tail", "trailing-data", "no-trailer", "cut", "one-byte"],
)
async def test_broken_gzip_is_a_bad_response(body: bytes, message: str) -> None:
    encoding = "deflate" if message.startswith("deflate") else "gzip"

    async def answer(send: Send) -> None:
        await send(head(length=len(body), extra=f"Content-Encoding: {encoding}\r\n") + body)

    async with RawUpstream(answer) as upstream:
        async with remote(upstream.base_url) as tier:
            with pytest.raises(errors.BadResponse, match=f"{message}$"):
                await tier.complete(greedy())


async def test_an_undecodable_error_body_keeps_its_status() -> None:
    body = b"\x0b\x02\x80{}\x03"  # br, not decoded here

    async def answer(send: Send) -> None:
        extra = "Content-Encoding: br\r\nRetry-After: 7\r\n"
        await send(head(429, length=len(body), extra=extra) + body)

    async with RawUpstream(answer) as upstream:
        async with remote(upstream.base_url) as tier:
            with pytest.raises(errors.RateLimited, match=r"HTTP 429 from upstream$") as caught:
                await tier.complete(greedy())
    assert caught.value.retry_after == 7.0


async def test_only_gzip_and_deflate_are_asked_for() -> None:
    body = answer_json(100)

    async def answer(send: Send) -> None:
        await send(head(length=len(body)) + body)

    async with RawUpstream(answer) as upstream:
        headers = {"accept-encoding": "br, zstd"}  # any case
        async with remote(upstream.base_url, headers=headers) as tier:
            await tier.complete(greedy())
            await tier.health()
    for request in upstream.heads:
        asked = re.findall(rb"(?im)^accept-encoding: *(.*?)\r$", request)
        assert asked == [b"gzip, deflate"]
    assert len(upstream.heads) == 2


async def test_a_mock_transport_answer_is_read_as_given() -> None:
    """httpx.MockTransport answers are read (and decoded) before the tier sees them."""
    body = json.dumps({"choices": [{"message": {"content": "ok"}, "finish_reason": "stop"}]})
    async with mocked(gzip.compress(body.encode()), {"Content-Encoding": "gzip"}, CAP) as tier:
        assert (await tier.complete(greedy())).text == "ok"
    async with mocked(body.encode().ljust(CAP + 1), max_response_bytes=CAP) as tier:
        with pytest.raises(errors.BadResponse, match="larger than"):
            await tier.complete(greedy())
