"""The latency estimator: its arithmetic, its learning, and its accuracy on the real device."""

from __future__ import annotations

import pytest

from hybridroute.signals.latency import LatencyEstimator
from hybridroute.tiers.base import LatencyProfile
from hybridroute.tiers.llamacpp import LlamaCppTier
from hybridroute.types import Completion, Request, Timings, Usage

PROFILE = LatencyProfile(prefill_tps=1000.0, decode_tps=50.0, rtt_ms=100.0)


def completion(*, prompt: int, out: int, ttft_ms: float, total_ms: float, tps: float) -> Completion:
    return Completion(
        tier="t",
        text="x",
        finish_reason="stop",
        usage=Usage(prompt_tokens=prompt, completion_tokens=out),
        timings=Timings(ttft_ms=ttft_ms, total_ms=total_ms, decode_tps=tps),
    )


def test_estimate_is_queue_plus_rtt_plus_prefill_plus_decode() -> None:
    estimator = LatencyEstimator(default_output_tokens=100)
    estimate = estimator.estimate("t", PROFILE, prompt_tokens=500, category="chat")
    # 100 ms RTT + 500/1000 s prefill + 100/50 s decode
    assert estimate.p50_ms == pytest.approx(100 + 500 + 2000)
    assert estimate.p95_ms > estimate.p50_ms
    assert estimate.output_tokens == 100


def test_queue_depth_adds_waiting_time() -> None:
    estimator = LatencyEstimator(default_output_tokens=100)
    idle = estimator.estimate("t", PROFILE, prompt_tokens=100, category="c")
    busy = estimator.estimate("t", PROFILE, prompt_tokens=100, category="c", queue_depth=2)
    assert busy.p50_ms == pytest.approx(idle.p50_ms + 2 * (100 + 2000))


def test_max_tokens_caps_the_expected_answer() -> None:
    estimator = LatencyEstimator(default_output_tokens=500)
    capped = estimator.estimate("t", PROFILE, prompt_tokens=0, category="c", max_output_tokens=10)
    assert capped.output_tokens == 10
    assert capped.p95_ms == pytest.approx(100 * 1.5 + 10 / 50 * 1000)


def test_output_length_is_learned_per_category() -> None:
    estimator = LatencyEstimator(default_output_tokens=256, alpha=0.5)
    for _ in range(10):
        estimator.observe(
            "t",
            PROFILE,
            completion(prompt=10, out=20, ttft_ms=120, total_ms=500, tps=50),
            category="short",
        )
        estimator.observe(
            "t",
            PROFILE,
            completion(prompt=10, out=800, ttft_ms=120, total_ms=16000, tps=50),
            category="essay",
        )
    assert estimator.output_tokens("short")[0] == pytest.approx(20, rel=0.01)
    assert estimator.output_tokens("essay")[0] == pytest.approx(800, rel=0.01)
    assert estimator.output_tokens("never-seen")[0] > 20  # falls back to all categories


def test_observed_speed_replaces_the_declared_profile() -> None:
    estimator = LatencyEstimator(alpha=0.5)
    for _ in range(20):
        estimator.observe(
            "t",
            PROFILE,
            completion(prompt=1000, out=100, ttft_ms=100 + 250, total_ms=2000, tps=200),
            category="c",
        )
    estimate = estimator.estimate(
        "t", PROFILE, prompt_tokens=1000, category="c", max_output_tokens=100
    )
    # Learned: 4000 tok/s prefill (250 ms for 1000 tokens), 200 tok/s decode.
    assert estimate.p50_ms == pytest.approx(100 + 250 + 500, rel=0.02)


def test_local_is_not_always_faster() -> None:
    """A long answer on a slow device loses to a fast cloud; a short one wins."""
    estimator = LatencyEstimator()
    device = LatencyProfile(prefill_tps=270, decode_tps=90, rtt_ms=0)
    cloud = LatencyProfile(prefill_tps=5000, decode_tps=150, rtt_ms=300)
    short = dict(prompt_tokens=50, category="c", max_output_tokens=10)
    long = dict(prompt_tokens=50, category="c", max_output_tokens=1000)
    assert (
        estimator.estimate("d", device, **short).p50_ms  # type: ignore[arg-type]
        < estimator.estimate("c", cloud, **short).p50_ms
    )  # type: ignore[arg-type]
    assert (
        estimator.estimate("d", device, **long).p50_ms  # type: ignore[arg-type]
        > estimator.estimate("c", cloud, **long).p50_ms
    )  # type: ignore[arg-type]


async def test_estimate_from_start_up_measurement_matches_the_real_device(
    device_tier: LlamaCppTier,
) -> None:
    """Before any observation, the calibrated profile predicts a real request's total time."""
    assert device_tier.measured is not None
    request = Request.from_prompt(
        "Write a long story about a lighthouse keeper and the sea.", temperature=0.0, max_tokens=48
    )
    done = await device_tier.complete(request)
    assert done.finish_reason == "length"  # exactly 48 tokens decoded
    estimate = LatencyEstimator().estimate(
        "device",
        device_tier.measured,
        prompt_tokens=done.usage.prompt_tokens,
        category="c",
        max_output_tokens=48,
    )
    actual = done.timings.total_ms
    assert actual / 2 <= estimate.p50_ms <= actual * 2, (estimate, actual)
