"""The OpenAI-compatible tier against real servers on loopback: llama.cpp's and a faulty one."""

from __future__ import annotations

import asyncio
import inspect
from pathlib import Path

import httpx
import pytest

from hybridroute import errors
from hybridroute.tiers.base import HealthStatus, LatencyProfile, TierInfo
from hybridroute.tiers.openai_compatible import OpenAICompatibleTier, Timeouts, map_httpx_error
from hybridroute.types import Location, Request
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
