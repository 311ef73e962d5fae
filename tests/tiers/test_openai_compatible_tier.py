"""The OpenAI-compatible tier against real servers on loopback: llama.cpp's and a faulty one."""

from __future__ import annotations

import asyncio
import gzip
import inspect
import json
import re
import time
import tracemalloc
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx
import pytest

from hybridroute import errors
from hybridroute.config import OpenAISettings
from hybridroute.tiers import build_tier
from hybridroute.tiers.base import HealthStatus, LatencyProfile, TierInfo
from hybridroute.tiers.openai_compatible import (
    DEFAULT_MAX_RESPONSE_BYTES,
    OpenAICompatibleTier,
    Timeouts,
    map_httpx_error,
)
from hybridroute.types import Delta, Location, Request, Usage
from tests.upstreams import FaultyUpstream, free_port, llama_server


def remote(
    base_url: str,
    model: str = "smollm2",
    max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
    **timeouts: float,
) -> OpenAICompatibleTier:
    info = TierInfo(
        name="private",
        location=Location.PRIVATE_CLOUD,
        trusted=True,
        model=model,
        latency=LatencyProfile(prefill_tps=250, decode_tps=80, rtt_ms=1),
    )
    return OpenAICompatibleTier(
        info=info,
        base_url=base_url,
        api_key="sk-test",
        timeouts=Timeouts(**timeouts),
        max_response_bytes=max_response_bytes,
    )


def greedy(max_tokens: int = 16) -> Request:
    return Request.from_prompt("Name a colour.", temperature=0.0, max_tokens=max_tokens, seed=3)


async def test_complete_against_llama_cpp_server(llama_upstream: str) -> None:
    async with remote(llama_upstream) as tier:
        completion = await tier.complete(greedy())
    assert completion.text.strip()
    assert completion.finish_reason in {"stop", "length"}
    assert completion.usage.prompt_tokens > 0 and completion.usage.completion_tokens > 0
    assert completion.timings.total_ms > 0


async def test_stream_matches_complete_against_llama_cpp_server(llama_upstream: str) -> None:
    async with remote(llama_upstream) as tier:
        whole = await tier.complete(greedy())
        deltas = [d async for d in tier.stream(greedy())]
    assert "".join(d.text for d in deltas) == whole.text
    final = deltas[-1]
    assert final.finish_reason == whole.finish_reason
    assert final.timings is not None and final.timings.ttft_ms is not None
    assert final.usage is not None and final.usage.completion_tokens > 0


async def test_health_up_and_down(llama_upstream: str) -> None:
    async with remote(llama_upstream) as tier:
        assert (await tier.health()).status is HealthStatus.UP
    async with remote(f"http://127.0.0.1:{free_port()}/v1") as tier:
        health = await tier.health()
    assert health.status is HealthStatus.DOWN and health.detail == "ConnectFailed"


async def test_server_not_listening_is_connect_failed() -> None:
    async with remote(f"http://127.0.0.1:{free_port()}/v1") as tier:
        with pytest.raises(errors.ConnectFailed, match="private"):
            await tier.complete(greedy())
        with pytest.raises(errors.ConnectFailed):
            async for _ in tier.stream(greedy()):
                pass


@pytest.mark.parametrize(
    ("fault", "error", "message"),
    [
        ("status-500", errors.TierUnavailable, "HTTP 500"),
        ("status-429", errors.RateLimited, "HTTP 429"),
        ("status-401", errors.AuthFailed, "HTTP 401"),
        ("not-json", errors.BadResponse, "not JSON"),
        ("empty", errors.BadResponse, "empty response"),
        ("no-choices", errors.BadResponse, "no choices"),
    ],
)
async def test_upstream_faults_are_typed_errors(
    faulty_upstream: FaultyUpstream, fault: str, error: type[Exception], message: str
) -> None:
    async with remote(faulty_upstream.base_url, model=fault) as tier:
        with pytest.raises(error, match=message) as caught:
            await tier.complete(greedy())
    assert "Name a colour" not in str(caught.value), "errors never carry prompt text"


async def test_rate_limit_carries_retry_after(faulty_upstream: FaultyUpstream) -> None:
    async with remote(faulty_upstream.base_url, model="status-429") as tier:
        with pytest.raises(errors.RateLimited) as caught:
            await tier.complete(greedy())
    assert caught.value.retry_after == 7.0


@pytest.mark.parametrize(
    ("fault", "message"),
    [("cut-stream", "before \\[DONE\\]"), ("bad-sse", "not JSON"), ("status-500", "HTTP 500")],
)
async def test_broken_streams_raise_after_partial_output(
    faulty_upstream: FaultyUpstream, fault: str, message: str
) -> None:
    received: list[str] = []
    async with remote(faulty_upstream.base_url, model=fault) as tier:
        with pytest.raises(errors.TierError, match=message):
            async for delta in tier.stream(greedy()):
                received.append(delta.text)
    if fault == "cut-stream":
        assert "".join(received) == "partial answer"


async def test_read_timeout(faulty_upstream: FaultyUpstream) -> None:
    async with remote(faulty_upstream.base_url, model="slow", read=0.3) as tier:
        with pytest.raises(errors.ReadTimeout):
            await tier.complete(greedy())


async def test_cancellation_closes_the_request(faulty_upstream: FaultyUpstream) -> None:
    async with remote(faulty_upstream.base_url, model="slow") as tier:
        task = asyncio.create_task(tier.complete(greedy()))
        await asyncio.sleep(0.2)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        ok = remote(faulty_upstream.base_url, model="ok")
        assert (await ok.complete(greedy())).text == "ok"
        await ok.aclose()


async def test_server_killed_mid_stream(gguf_path: Path) -> None:
    with llama_server(gguf_path) as (base_url, proc):
        async with remote(base_url) as tier:
            request = Request.from_prompt(
                "Tell me a very long story about dragons.", temperature=0.0, max_tokens=400
            )
            received = []
            with pytest.raises((errors.BadResponse, errors.TierUnavailable)):
                async for delta in tier.stream(request):
                    received.append(delta.text)
                    if len(received) == 3:
                        proc.kill()
            assert len(received) >= 3


def test_every_httpx_exception_maps_to_a_tier_error() -> None:
    classes = [
        obj
        for _, obj in inspect.getmembers(httpx)
        if inspect.isclass(obj) and issubclass(obj, httpx.HTTPError)
    ]
    assert len(classes) > 15
    request = httpx.Request("GET", "http://127.0.0.1")
    for cls in classes:
        if cls is httpx.HTTPStatusError:
            exc: httpx.HTTPError = cls("x", request=request, response=httpx.Response(500))
        else:
            exc = cls("x")
        mapped = map_httpx_error("t", exc)
        assert isinstance(mapped, errors.TierError), cls
        assert mapped.tier == "t"


# --- a hostile upstream (found by an audit against a raw-socket server on loopback) ---------


async def ask(tier: OpenAICompatibleTier, *, streamed: bool) -> list[Delta]:
    if not streamed:
        return [Delta(text=(await tier.complete(greedy())).text)]
    return [delta async for delta in tier.stream(greedy())]


async def wait_for_disconnect(upstream: FaultyUpstream, fault: str) -> None:
    for _ in range(50):  # the upstream notices a hang-up at its next tick (0.2 s)
        if fault in upstream.disconnects:
            return
        await asyncio.sleep(0.1)
    raise AssertionError("the upstream connection was left open")


@pytest.mark.parametrize("streamed", [False, True])
async def test_total_bounds_a_dripping_upstream_and_closes_it(
    faulty_upstream: FaultyUpstream, streamed: bool
) -> None:
    faulty_upstream.disconnects.clear()
    async with remote(faulty_upstream.base_url, model="drip", read=1.0, total=1.5) as tier:
        started = time.monotonic()
        with pytest.raises(errors.DeadlineExceeded, match="private"):
            # The guard only keeps a regression from hanging the suite.
            await asyncio.wait_for(ask(tier, streamed=streamed), timeout=10)
        assert time.monotonic() - started < 4
        await wait_for_disconnect(faulty_upstream, "drip")  # before the pool closes it


async def test_health_is_bounded_against_a_dripping_upstream(
    faulty_upstream: FaultyUpstream,
) -> None:
    base_url = faulty_upstream.base_url.replace("/v1", "/drip/v1")
    async with remote(base_url, connect=0.5) as tier:
        health = await asyncio.wait_for(tier.health(), timeout=10)
    assert health.status is HealthStatus.DOWN and health.detail == "DeadlineExceeded"


@pytest.mark.parametrize(
    ("fault", "field"),
    [
        ("content-int", "delta.content"),
        ("finish-int", "finish_reason"),
        ("delta-string", "choices[].delta"),
        ("choices-dict", "choices"),
        ("index-string", "tool_calls[].index"),
        ("index-far", "tool_calls[].index out of order"),
    ],
)
async def test_malformed_streams_are_bad_responses(
    faulty_upstream: FaultyUpstream, fault: str, field: str
) -> None:
    async with remote(faulty_upstream.base_url, model=fault) as tier:
        with pytest.raises(errors.BadResponse, match=re.escape(field)) as caught:
            await ask(tier, streamed=True)
    assert not re.search(r"\b(5|7|1000)\b", str(caught.value)), "errors never carry values"


@pytest.mark.parametrize("fault", ["tool-calls-string", "tool-calls-int"])
async def test_malformed_answers_are_bad_responses(
    faulty_upstream: FaultyUpstream, fault: str
) -> None:
    async with remote(faulty_upstream.base_url, model=fault) as tier:
        with pytest.raises(errors.BadResponse, match=re.escape("message.tool_calls")):
            await tier.complete(greedy())


async def test_negative_usage_is_dropped(faulty_upstream: FaultyUpstream) -> None:
    async with remote(faulty_upstream.base_url, model="usage-negative") as tier:
        completion = await tier.complete(greedy())
        final = (await ask(tier, streamed=True))[-1]
    assert completion.text == "ok" and completion.usage == Usage()
    assert final.usage == Usage(completion_tokens=1), "counted from the pieces instead"


@pytest.mark.parametrize(
    ("fault", "ending"),
    [
        ("label-secret", "HTTP 400 from upstream"),
        ("label-code", "HTTP 400 from upstream (context_length_exceeded)"),
    ],
)
async def test_only_known_error_labels_are_relayed(
    faulty_upstream: FaultyUpstream, fault: str, ending: str
) -> None:
    async with remote(faulty_upstream.base_url, model=fault) as tier:
        with pytest.raises(errors.BadRequest) as caught:
            await tier.complete(greedy())
    assert str(caught.value).endswith(ending)


# --- oversized answers: a raw HTTP/1.1 upstream that counts what it sends -----------------

CAP = 4096
Send = Callable[[bytes], Awaitable[None]]


class RawUpstream:
    """Answers every request on 127.0.0.1 with `answer(send)`, status line and headers
    included, in the test's own event loop; counts the bytes sent and notes a hang-up."""

    def __init__(self, answer: Callable[[Send], Awaitable[None]]) -> None:
        self._answer = answer
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

    async def answer(send: Send) -> None:
        await send(head(length=size) + body)

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
