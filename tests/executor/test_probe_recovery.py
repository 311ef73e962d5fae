"""A half-open probe that ends without a verdict frees its slot: the tier can recover.

Real loopback upstream (tests/upstreams.py); the breaker reads an injected clock, so the
tests jump to the probe instead of sleeping through the reset time.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from hybridroute import errors
from hybridroute.executor.breaker import Breaker, BreakerState
from hybridroute.executor.run import Executor
from hybridroute.plans import Decision, Direct
from hybridroute.tiers.base import LatencyProfile, Tier, TierInfo
from hybridroute.tiers.openai_compatible import OpenAICompatibleTier
from hybridroute.types import Location, Request
from tests.upstreams import FaultyUpstream

DECISION = Decision(plan=Direct(tier="cloud"), reasons=())
MODES = ["complete", "stream"]


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class Tripped:
    """An executor whose one tier, "cloud", failed once and is now due for its probe."""

    def __init__(self, upstream: FaultyUpstream) -> None:
        self.upstream = upstream
        self.clock = Clock()
        self.breaker = Breaker(clock=self.clock, failure_threshold=1, reset_after_s=10)
        self.tiers: dict[str, Tier] = {}
        self.made: list[OpenAICompatibleTier] = []
        self.executor = Executor(tiers=self.tiers, breakers={"cloud": self.breaker})

    def use(self, fault: str, *, path: str = "") -> None:
        """Point "cloud" at the upstream; the model name picks its behaviour."""
        info = TierInfo(
            name="cloud",
            location=Location.PUBLIC_CLOUD,
            trusted=True,
            model=fault,
            latency=LatencyProfile(prefill_tps=5000, decode_tps=100, rtt_ms=5),
        )
        tier = OpenAICompatibleTier(info=info, base_url=self.upstream.base_url + path)
        self.made.append(tier)
        self.tiers["cloud"] = tier

    async def call(self, mode: str) -> str:
        request = Request.from_prompt("hello", max_tokens=8)
        if mode == "complete":
            completion, _ = await self.executor.complete(request, DECISION)
            return completion.text
        routed = await self.executor.open_stream(request, DECISION)
        return "".join([delta.text async for delta in routed])

    async def recovers(self, mode: str) -> None:
        """The breaker is still half-open with a free slot, and a good answer closes it."""
        assert self.breaker.state is BreakerState.HALF_OPEN
        self.use("ok")
        assert await self.call(mode) == "ok"
        assert self.breaker.state is BreakerState.CLOSED


@pytest.fixture
async def tripped(faulty_upstream: FaultyUpstream) -> AsyncIterator[Tripped]:
    setup = Tripped(faulty_upstream)
    setup.use("status-500")
    with pytest.raises(errors.TierUnavailable):
        await setup.call("complete")
    assert setup.breaker.state is BreakerState.OPEN
    setup.clock.now = 10
    yield setup
    for tier in setup.made:
        await tier.aclose()


@pytest.mark.parametrize("mode", MODES)
async def test_a_probe_refused_as_bad_request_does_not_stick(tripped: Tripped, mode: str) -> None:
    tripped.use("label-secret")  # the upstream answers 400: the caller's problem
    with pytest.raises(errors.BadRequest):
        await tripped.call(mode)
    await tripped.recovers(mode)


@pytest.mark.parametrize("mode", MODES)
async def test_a_probe_answered_404_reopens_the_circuit(tripped: Tripped, mode: str) -> None:
    # A 404 means the tier's base URL or model is wrong (review 12): the tier's failure.
    tripped.use("ok", path="/missing")
    with pytest.raises(errors.TierUnavailable, match="HTTP 404"):
        await tripped.call(mode)
    assert tripped.breaker.state is BreakerState.OPEN


@pytest.mark.parametrize("mode", MODES)
async def test_a_cancelled_probe_does_not_stick(tripped: Tripped, mode: str) -> None:
    received = len(tripped.upstream.received)
    tripped.use("slow")  # the upstream holds the answer for 5 s
    task = asyncio.create_task(tripped.call(mode))
    async with asyncio.timeout(10):
        while len(tripped.upstream.received) == received:
            await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await tripped.recovers(mode)


async def test_a_probe_stream_closed_by_its_consumer_does_not_stick(tripped: Tripped) -> None:
    tripped.use("ok")
    routed = await tripped.executor.open_stream(Request.from_prompt("hello"), DECISION)
    async for _delta in routed:
        break  # the client hung up after the first delta
    await routed.aclose()
    await tripped.recovers("complete")


async def test_a_probe_stream_consumed_to_the_end_closes_the_circuit(tripped: Tripped) -> None:
    tripped.use("ok")
    routed = await tripped.executor.open_stream(Request.from_prompt("hello"), DECISION)
    async for delta in routed:
        if delta.finish_reason is not None:
            break  # a consumer may stop at the last delta without exhausting the stream
    await routed.aclose()
    assert tripped.breaker.state is BreakerState.CLOSED


async def test_a_failed_probe_stream_reopens_the_circuit(tripped: Tripped) -> None:
    tripped.use("cut-stream")  # two deltas, then the connection ends before [DONE]
    routed = await tripped.executor.open_stream(Request.from_prompt("hello"), DECISION)
    with pytest.raises(errors.BadResponse):
        async for _delta in routed:
            pass
    await routed.aclose()
    assert tripped.breaker.state is BreakerState.OPEN
