"""A prompt too long for one tier's context window goes on to the next tier of the plan.

Real parts: the embedded model with a 256-token window, the loopback upstream of
tests/upstreams.py and a real llama.cpp server (2,048 tokens) behind OpenAI-compatible tiers.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from hybridroute import errors
from hybridroute.executor.breaker import Breaker, BreakerState
from hybridroute.executor.run import Attempt, Executor
from hybridroute.plans import Decision, Direct
from hybridroute.tiers.base import LatencyProfile, Tier, TierInfo
from hybridroute.tiers.llamacpp import LlamaCppTier, ModelSpec
from hybridroute.tiers.openai_compatible import OpenAICompatibleTier
from hybridroute.types import Location, Request
from tests.conftest import device_info
from tests.upstreams import FaultyUpstream

EMOJI = "😀" * 300  # 900 SmolLM2 tokens: over every small window here


@pytest.fixture
async def device(gguf_path: Path) -> AsyncIterator[LlamaCppTier]:
    spec = ModelSpec(path=gguf_path, n_ctx=256, calibrate=False)
    tier = LlamaCppTier(info=device_info(context_window=256), model=spec)
    yield tier
    await tier.aclose()


def remote(name: str, base_url: str, model: str) -> OpenAICompatibleTier:
    info = TierInfo(
        name=name,
        location=Location.PUBLIC_CLOUD,
        trusted=False,
        model=model,
        latency=LatencyProfile(prefill_tps=5000, decode_tps=100, rtt_ms=5),
    )
    return OpenAICompatibleTier(info=info, base_url=base_url)


def executor(tiers: dict[str, Tier]) -> Executor:
    breakers = {name: Breaker(clock=time.monotonic, failure_threshold=1) for name in tiers}
    return Executor(tiers=tiers, breakers=breakers)


def plan(*tiers: str) -> Decision:
    return Decision(plan=Direct(tier=tiers[0]), reasons=(), fallbacks=tiers[1:])


@pytest.mark.parametrize("streamed", [False, True])
async def test_an_overflow_goes_on_to_the_next_tier_of_the_plan(
    device: LlamaCppTier, faulty_upstream: FaultyUpstream, streamed: bool
) -> None:
    request = Request.from_prompt(EMOJI, max_tokens=8)
    async with remote("cloud", faulty_upstream.base_url, "ok") as cloud:
        run = executor({"device": device, "cloud": cloud})
        if streamed:
            routed = await run.open_stream(request, plan("device", "cloud"))
            text = "".join([delta.text async for delta in routed])
            served = routed.served
        else:
            completion, served = await run.complete(request, plan("device", "cloud"))
            text = completion.text
    assert (text, served.tier, served.degraded) == ("ok", "cloud", True)
    assert served.attempts == (Attempt(tier="device", error="ContextOverflow"),)
    # The request's size says nothing about the tier: its breaker (threshold 1) stays shut.
    assert run.breakers["device"].state is BreakerState.CLOSED


async def test_a_plan_without_fallbacks_answers_the_overflow(device: LlamaCppTier) -> None:
    # A forced tier: its plan has no fallbacks, so the caller gets the 400.
    with pytest.raises(errors.ContextOverflow, match="the context window is 256"):
        await executor({"device": device}).complete(Request.from_prompt(EMOJI), plan("device"))


async def test_a_prompt_too_long_for_every_tier_is_the_last_overflow(
    device: LlamaCppTier, llama_upstream: str
) -> None:
    # ~10,000 tokens: more than the llama.cpp server's 2,048 too (it says
    # `context_length_exceeded`), so no tier can take it: a 400, not a 503.
    async with remote("private", llama_upstream, "smollm2") as private:
        run = executor({"device": device, "private": private})
        with pytest.raises(errors.ContextOverflow, match=r"\(context_length_exceeded\)$") as error:
            await run.complete(Request.from_prompt("§¶†" * 2500), plan("device", "private"))
    assert error.value.tier == "private"


async def test_an_overflow_then_a_failing_tier_is_a_503(
    device: LlamaCppTier, faulty_upstream: FaultyUpstream
) -> None:
    async with remote("cloud", faulty_upstream.base_url, "status-429") as cloud:
        run = executor({"device": device, "cloud": cloud})
        with pytest.raises(errors.TierUnavailable) as caught:
            await run.complete(Request.from_prompt(EMOJI), plan("device", "cloud"))
    assert str(caught.value).endswith(
        "every eligible tier failed: device (ContextOverflow), cloud (RateLimited)"
    )
