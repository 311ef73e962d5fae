"""The OpenAI-compatible tier against real servers on loopback: llama.cpp's and a faulty one."""

from __future__ import annotations

import asyncio
import gzip
import inspect
import json
import re
import time
import tracemalloc
import zlib
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest

from hybridroute import errors
from hybridroute.config import OpenAISettings
from hybridroute.router import Router
from hybridroute.server.app import create_app
from hybridroute.server.settings import ServerSettings
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
    transport: httpx.AsyncBaseTransport | None = None,
    headers: dict[str, str] | None = None,
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
        transport=transport,
        headers=headers,
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
        ("index-negative", "tool_calls[].index is negative"),
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


# --- streamed tool calls, numbered as real upstreams number them --------------------------


def fragment(
    index: int | None, call_id: str | None = None, name: str = "", args: str = ""
) -> dict[str, Any]:
    """One streamed tool-call fragment; `name` and `id` only when given, as upstreams send."""
    function: dict[str, Any] = {"arguments": args} | ({"name": name} if name else {})
    part: dict[str, Any] = {"function": function}
    if index is not None:
        part["index"] = index
    if call_id is not None:
        part |= {"id": call_id, "type": "function"}
    return part


def call(call_id: str | None, name: str, args: str) -> dict[str, Any]:
    """A whole tool call as the tier reports it."""
    whole: dict[str, Any] = {"type": "function", "function": {"name": name, "arguments": args}}
    return whole | ({"id": call_id} if call_id else {})


def sse(chunks: list[dict[str, Any]]) -> bytes:
    events = [f"data: {json.dumps(chunk)}\n\n" for chunk in chunks] + ["data: [DONE]\n\n"]
    return "".join(events).encode()


def tool_stream(fragments: list[list[dict[str, Any]]]) -> bytes:
    """An SSE body with one chunk per list of fragments, then finish_reason tool_calls."""
    chunks = [
        {"choices": [{"index": 0, "delta": {"tool_calls": parts}, "finish_reason": None}]}
        for parts in fragments
    ]
    return sse([*chunks, {"choices": [{"index": 0, "delta": {}, "finish_reason": "tool_calls"}]}])


def mocked(
    body: bytes, headers: dict[str, str] | None = None, max_response_bytes: int = 1024 * 1024
) -> OpenAICompatibleTier:
    """The tier over an httpx MockTransport that answers every request with `body`."""
    transport = httpx.MockTransport(lambda _: httpx.Response(200, content=body, headers=headers))
    return remote(
        "http://upstream.test/v1", transport=transport, max_response_bytes=max_response_bytes
    )


@pytest.mark.parametrize(
    ("fragments", "calls"),
    [
        pytest.param(
            [
                [fragment(0, "a", "f")],
                [fragment(0, args='{"x":')],
                [fragment(0, args="1}")],
                [fragment(1, "b", "g", "{}")],
            ],
            [call("a", "f", '{"x":1}'), call("b", "g", "{}")],
            id="openai-dense",
        ),
        pytest.param(
            [
                [fragment(1, "a", "f")],
                [fragment(1, args="{}")],
                [fragment(2, "b", "g")],
                [fragment(2, args="[]")],
                [fragment(3, "c", "h", "{}")],
            ],
            [call("a", "f", "{}"), call("b", "g", "[]"), call("c", "h", "{}")],
            id="claude-from-1",
        ),
        pytest.param(
            [
                [fragment(7, "a", "f"), fragment(3, "b", "g")],
                [fragment(3, args="[]")],
                [fragment(7, args="{}")],
            ],
            [call("a", "f", "{}"), call("b", "g", "[]")],
            id="gaps-interleaved-in-order-of-first-appearance",
        ),
        pytest.param(
            [[fragment(0, "a", "f", "{}")], [fragment(0, "b", "f", "[]")], [fragment(0, "c", "g")]],
            [call("a", "f", "{}"), call("b", "f", "[]"), call("c", "g", "")],
            id="ollama-same-index-new-ids",
        ),
        pytest.param(
            [[fragment(0, "a", "f", "{}"), fragment(0, "b", "g", "[]")]],
            [call("a", "f", "{}"), call("b", "g", "[]")],
            id="ollama-two-calls-in-one-chunk",
        ),
        pytest.param(
            [
                [fragment(0, "a", "f")],
                [fragment(0, args="{}")],
                [fragment(0, "b", "g")],
                [fragment(0, args="[]")],
            ],
            [call("a", "f", "{}"), call("b", "g", "[]")],
            id="id-less-fragments-go-to-the-newest-call-at-their-index",
        ),
        pytest.param(
            [[fragment(0, "a", "f")], [fragment(0, "a", args="{}")]],
            [call("a", "f", "{}")],
            id="same-id-repeated-on-every-fragment",
        ),
        pytest.param(
            [[fragment(0, None, "f")], [fragment(0, "a", args="{}")]],
            [call("a", "f", "{}")],
            id="id-after-the-first-fragment",
        ),
        pytest.param(
            # Poolside, mlx-openai-server before its PR #216: a new id on every fragment.
            [
                [fragment(0, "a", "f")],
                [fragment(0, "b", args='{"x":')],
                [fragment(0, "c", args="1}")],
            ],
            [call("c", "f", '{"x":1}')],
            id="a-new-id-without-a-name-continues-the-call",
        ),
        pytest.param(
            [[fragment(None, "a", "f", "{}")], [fragment(None, "b", "g", "[]")]],
            [call("a", "f", "{}"), call("b", "g", "[]")],
            id="no-index-each-a-new-call",
        ),
        pytest.param(
            [[fragment(10**18, "a", "f")], [fragment(10**18, args="{}")]],
            [call("a", "f", "{}")],
            id="huge-index-is-only-a-key",
        ),
    ],
)
async def test_streamed_tool_calls_are_assembled_in_order_of_first_appearance(
    fragments: list[list[dict[str, Any]]], calls: list[dict[str, Any]]
) -> None:
    async with mocked(tool_stream(fragments)) as tier:
        final = (await ask(tier, streamed=True))[-1]
    assert final.finish_reason == "tool_calls"
    assert final.tool_calls == tuple(calls)


@pytest.mark.parametrize(
    ("fragments", "message"),
    [
        ([[fragment(-1, "a", "f")]], "tool_calls[].index is negative"),
        ([[fragment(i, f"c{i}", "f")] for i in range(129)], "more than 128 tool calls"),
        ([[fragment(0, f"c{i}", "f")] for i in range(129)], "more than 128 tool calls"),
        ([[fragment(None, f"c{i}", "f") for i in range(129)]], "more than 128 tool calls"),
    ],
    ids=["negative", "129-indexes", "129-ids-at-one-index", "129-without-index"],
)
async def test_malformed_tool_call_streams_are_bad_responses(
    fragments: list[list[dict[str, Any]]], message: str
) -> None:
    async with mocked(tool_stream(fragments)) as tier:
        with pytest.raises(errors.BadResponse, match=re.escape(message)):
            await ask(tier, streamed=True)


async def test_128_streamed_tool_calls_are_allowed() -> None:
    fragments = [[fragment(2 * i + 1, f"c{i}", "f", "{}")] for i in range(128)]
    async with mocked(tool_stream(fragments)) as tier:
        final = (await ask(tier, streamed=True))[-1]
    assert final.tool_calls is not None and len(final.tool_calls) == 128


CLAUDE_CALLS = (
    call("toolu_01", "get_weather", '{"city": "Paris"}'),
    call("toolu_02", "get_time", '{"city": "Tokyo"}'),
)
OLLAMA_CALLS = (
    call("call_a", "file_write", '{"filePath": "hello.py"}'),
    call("call_b", "file_write", '{"filePath": "world.py"}'),
)


@pytest.mark.parametrize(
    ("fault", "text", "calls"),
    [
        ("tools-claude", "Let me check.", CLAUDE_CALLS),
        ("tools-ollama", "", OLLAMA_CALLS),
        ("index-far", "", (call("call_1", "f", "{}"),)),
    ],
)
async def test_real_upstreams_tool_call_numbering_over_loopback(
    faulty_upstream: FaultyUpstream, fault: str, text: str, calls: tuple[dict[str, Any], ...]
) -> None:
    async with remote(faulty_upstream.base_url, model=fault) as tier:
        deltas = await ask(tier, streamed=True)
    assert "".join(d.text for d in deltas) == text
    assert deltas[-1].finish_reason == "tool_calls"
    assert deltas[-1].tool_calls == calls


WEATHER_TOOL = {
    "type": "function",
    "function": {"name": "get_weather", "parameters": {"type": "object", "properties": {}}},
}


@pytest.mark.parametrize(
    ("fault", "calls"), [("tools-claude", CLAUDE_CALLS), ("tools-ollama", OLLAMA_CALLS)]
)
async def test_the_gateway_streams_them_to_the_openai_sdk_as_0_to_n(
    faulty_upstream: FaultyUpstream, fault: str, calls: tuple[dict[str, Any], ...]
) -> None:
    """The SDK's stream helper files each call under its index (an index past the calls so
    far raises IndexError there), so the assembled message shows the indexes were 0..n-1."""
    router = Router(tiers={"private": remote(faulty_upstream.base_url, model=fault)})
    app = create_app(router, ServerSettings(warm_up=False))
    http = httpx.AsyncClient(transport=httpx.ASGITransport(app=app))
    sdk = openai.AsyncOpenAI(
        base_url="http://gateway.test/v1", api_key="sk-x", http_client=http, max_retries=0
    )
    try:
        async with sdk.chat.completions.stream(
            model="private",
            messages=[{"role": "user", "content": "Weather in Paris, time in Tokyo?"}],
            tools=[WEATHER_TOOL],
        ) as stream:
            indexes = [
                part.index
                async for event in stream
                if event.type == "chunk" and event.chunk.choices
                for part in event.chunk.choices[0].delta.tool_calls or []
            ]
            completion = await stream.get_final_completion()
    finally:
        await sdk.close()
        await router.aclose()
    assert indexes == list(range(len(calls)))
    message = completion.choices[0].message
    assert completion.choices[0].finish_reason == "tool_calls"
    got = [(c.id, c.function.name, c.function.arguments) for c in message.tool_calls or []]
    assert got == [(c["id"], c["function"]["name"], c["function"]["arguments"]) for c in calls]


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

    async def answer(send: Send) -> None:
        await send(head(length=len(body), extra="Content-Encoding: gzip\r\n") + body)

    async with RawUpstream(answer) as upstream:
        async with remote(upstream.base_url, max_response_bytes=CAP) as tier:
            if works:
                assert "".join(d.text for d in await ask(tier, streamed=streamed)) == "ok"
            else:
                await timed(ask(tier, streamed=streamed))


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
