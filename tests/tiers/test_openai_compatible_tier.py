"""The OpenAI-compatible tier against real servers on loopback: llama.cpp's and a faulty one."""

from __future__ import annotations

import asyncio
import inspect
import re
import time
from pathlib import Path

import httpx
import pytest

from hybridroute import errors
from hybridroute.tiers.base import HealthStatus, LatencyProfile, TierInfo
from hybridroute.tiers.openai_compatible import OpenAICompatibleTier, Timeouts, map_httpx_error
from hybridroute.types import Delta, Location, Request, Usage
from tests.upstreams import FaultyUpstream, free_port, llama_server


def remote(base_url: str, model: str = "smollm2", **timeouts: float) -> OpenAICompatibleTier:
    info = TierInfo(
        name="private",
        location=Location.PRIVATE_CLOUD,
        trusted=True,
        model=model,
        latency=LatencyProfile(prefill_tps=250, decode_tps=80, rtt_ms=1),
    )
    return OpenAICompatibleTier(
        info=info, base_url=base_url, api_key="sk-test", timeouts=Timeouts(**timeouts)
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
