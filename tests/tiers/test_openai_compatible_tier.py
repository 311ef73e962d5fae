"""The OpenAI-compatible tier against real servers on loopback: llama.cpp's and a faulty one."""

from __future__ import annotations

import asyncio
import inspect
import json
import re
import time
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest
from remote_tiers import ask, greedy, mocked, remote

from hybridroute import errors
from hybridroute.router import Router
from hybridroute.server.app import create_app
from hybridroute.server.settings import ServerSettings
from hybridroute.tiers.base import HealthStatus
from hybridroute.tiers.openai_compatible import map_httpx_error
from hybridroute.types import Request, Usage
from tests.upstreams import FaultyUpstream, free_port, llama_server


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
        ("status-404", errors.TierUnavailable, "HTTP 404"),  # review 12: was BadRequest
        ("not-json", errors.BadResponse, "not JSON"),
        ("empty", errors.BadResponse, "empty response"),
        ("no-choices", errors.BadResponse, "no choices"),
        # Review 19: these raised RecursionError or ValueError, a 500 with no fallback.
        ("deep-json", errors.BadResponse, "not JSON"),
        ("big-int", errors.BadResponse, "not JSON"),
        ("deep-error", errors.TierUnavailable, "HTTP 500"),
        ("status-402", errors.TierUnavailable, "HTTP 402"),  # the account's, not the caller's
        ("status-413", errors.ContextOverflow, "HTTP 413"),  # another tier may take it
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


@pytest.mark.parametrize("streamed", [False, True])
async def test_a_redirect_is_named_as_one(faulty_upstream: FaultyUpstream, streamed: bool) -> None:
    # Review 8, L6: was "empty response body". Not followed, and its Location not shown.
    async with remote(faulty_upstream.base_url, model="redirect") as tier:
        with pytest.raises(errors.BadResponse) as caught:
            await ask(tier, streamed=streamed)
    assert str(caught.value).endswith("HTTP 302 from upstream (redirects are not followed)")
    assert "536-22-1234" not in str(caught.value) and ":9" not in str(caught.value)


async def test_a_json_answer_to_a_stream_is_named_as_one(faulty_upstream: FaultyUpstream) -> None:
    # Review 8, L6: was "stream ended before [DONE]". The body (it echoes) is not shown.
    async with remote(faulty_upstream.base_url, model="json-always") as tier:
        with pytest.raises(errors.BadResponse) as caught:
            await ask(tier, streamed=True)
        assert (await tier.complete(greedy())).text.startswith("echo: ")
    message = str(caught.value)
    assert message.endswith("upstream answered JSON (not an event stream) to a streaming request")
    assert "colour" not in message
    # Only the media type counts when no event came: events labelled JSON are still read.
    async with remote(faulty_upstream.base_url, model="sse-as-json") as tier:
        assert "".join(d.text for d in await ask(tier, streamed=True)) == "ok"


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


async def test_an_empty_answer_cut_by_its_token_limit_is_an_answer(
    faulty_upstream: FaultyUpstream,
) -> None:
    # Reasoning models answer `content: ""`, `finish_reason: "length"` when `max_tokens` is
    # spent on reasoning; streamed, the same answer was already a plain empty completion.
    async with remote(faulty_upstream.base_url, model="empty-length") as tier:
        completion = await tier.complete(greedy())
    assert completion.text == "" and completion.finish_reason == "length"


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
    ("fault", "ending", "kind"),
    [
        ("label-secret", "HTTP 400 from upstream", errors.BadRequest),
        # A prompt too long for the upstream: another tier of the plan may take it.
        ("label-code", "HTTP 400 from upstream (context_length_exceeded)", errors.ContextOverflow),
    ],
)
async def test_only_known_error_labels_are_relayed(
    faulty_upstream: FaultyUpstream, fault: str, ending: str, kind: type[errors.BadRequest]
) -> None:
    async with remote(faulty_upstream.base_url, model=fault) as tier:
        with pytest.raises(errors.BadRequest) as caught:
            await tier.complete(greedy())
    assert str(caught.value).endswith(ending)
    assert type(caught.value) is kind


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        ("7", 7.0),
        ("-5", 0.0),
        ("1e300", 86_400.0),
        ("nan", None),
        ("inf", None),
        ("1e400", None),
        ("Wed, 21 Oct 2015 07:28:00 GMT", None),
        (None, None),
    ],
)
def test_retry_after_values_an_upstream_may_send(header: str | None, seconds: float | None) -> None:
    from hybridroute.tiers.openai_compatible import _retry_after

    assert _retry_after(header) == seconds


async def test_an_event_stream_is_read_as_utf8_whatever_its_charset_says(
    faulty_upstream: FaultyUpstream,
) -> None:
    # Review 19: "charset=base64" made the decoder a bytes codec, and the stream a 500.
    async with remote(faulty_upstream.base_url, model="sse-charset") as tier:
        text = "".join([d.text async for d in tier.stream(greedy())])
    assert text == "ok"


async def test_a_stream_event_nested_too_deep_is_a_bad_response(
    faulty_upstream: FaultyUpstream,
) -> None:
    async with remote(faulty_upstream.base_url, model="deep-sse") as tier:
        with pytest.raises(errors.BadResponse, match="not JSON"):
            async for _ in tier.stream(greedy()):
                pass
