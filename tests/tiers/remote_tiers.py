"""The OpenAI-compatible tier as the tier tests build it, and one request to it."""

from __future__ import annotations

import httpx

from hybridroute.tiers.base import LatencyProfile, TierInfo
from hybridroute.tiers.openai_compatible import (
    DEFAULT_MAX_RESPONSE_BYTES,
    OpenAICompatibleTier,
    Timeouts,
)
from hybridroute.types import Delta, Location, Request


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


async def ask(tier: OpenAICompatibleTier, *, streamed: bool) -> list[Delta]:
    if not streamed:
        return [Delta(text=(await tier.complete(greedy())).text)]
    return [delta async for delta in tier.stream(greedy())]


def mocked(
    body: bytes, headers: dict[str, str] | None = None, max_response_bytes: int = 1024 * 1024
) -> OpenAICompatibleTier:
    """The tier over an httpx MockTransport that answers every request with `body`."""
    transport = httpx.MockTransport(lambda _: httpx.Response(200, content=body, headers=headers))
    return remote(
        "http://upstream.test/v1", transport=transport, max_response_bytes=max_response_bytes
    )
