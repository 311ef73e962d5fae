"""Latency signal: p50/p95 of total time per tier, learned from what the tiers actually do.

total = queue wait + network RTT + prompt_tokens / prefill rate + output_tokens / decode rate

Rates start from each tier's declared profile (the embedded tier's comes from its start-up
measurement) and follow observed requests with an exponentially weighted moving average.
Expected output length is learned per task category: long answers on a slow device can lose
to a fast cloud.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from hybridroute.tiers.base import LatencyProfile
from hybridroute.types import Completion


@dataclass(frozen=True, slots=True, kw_only=True)
class LatencyEstimate:
    p50_ms: float
    p95_ms: float
    output_tokens: int


@dataclass(slots=True)
class Ewma:
    """An exponentially weighted mean and variance."""

    mean: float
    var: float = 0.0
    count: int = 0

    def add(self, value: float, alpha: float) -> None:
        if self.count == 0:
            self.mean = value
        else:
            diff = value - self.mean
            self.mean += alpha * diff
            self.var = (1 - alpha) * (self.var + alpha * diff * diff)
        self.count += 1


@dataclass(slots=True)
class _TierSpeed:
    prefill_tps: Ewma
    decode_tps: Ewma
    rtt_ms: Ewma
    service_ms: Ewma | None = None


@dataclass(slots=True)
class LatencyEstimator:
    """Per-tier latency model, updated from observed requests and health probes."""

    default_output_tokens: int = 256
    alpha: float = 0.2
    _speeds: dict[str, _TierSpeed] = field(default_factory=dict)
    _outputs: dict[str, Ewma] = field(default_factory=dict)

    def output_tokens(self, category: str) -> tuple[float, float]:
        """Expected (mean, p95) answer length for a task category."""
        stats = self._outputs.get(category) or self._outputs.get(ANY_CATEGORY)
        if stats is None or stats.count == 0:
            mean = float(self.default_output_tokens)
            return mean, mean * 2
        sd = math.sqrt(stats.var)
        # With few observations, spread is unknown: assume at least +50%.
        return stats.mean, max(stats.mean + 1.645 * sd, stats.mean * 1.5)

    def estimate(
        self,
        tier: str,
        profile: LatencyProfile,
        *,
        prompt_tokens: int,
        category: str,
        queue_depth: int = 0,
        max_output_tokens: int | None = None,
    ) -> LatencyEstimate:
        speed = self._speed(tier, profile)
        mean_out, p95_out = self.output_tokens(category)
        if max_output_tokens is not None:
            mean_out, p95_out = min(mean_out, max_output_tokens), min(p95_out, max_output_tokens)
        prefill_ms = prompt_tokens / speed.prefill_tps.mean * 1000
        rtt = speed.rtt_ms.mean
        service = (
            speed.service_ms.mean
            if speed.service_ms
            else (prefill_ms + mean_out / speed.decode_tps.mean * 1000)
        )
        queue_ms = queue_depth * service
        p50 = queue_ms + rtt + prefill_ms + mean_out / speed.decode_tps.mean * 1000
        p95 = queue_ms * 2 + rtt * 1.5 + prefill_ms + p95_out / speed.decode_tps.mean * 1000
        return LatencyEstimate(p50_ms=p50, p95_ms=p95, output_tokens=round(mean_out))

    def observe(
        self, tier: str, profile: LatencyProfile, completion: Completion, *, category: str
    ) -> None:
        """Learn from a finished request: decode speed, prefill speed, answer length."""
        speed = self._speed(tier, profile)
        timings, usage = completion.timings, completion.usage
        if timings.decode_tps and timings.decode_tps > 0:
            speed.decode_tps.add(timings.decode_tps, self.alpha)
        if timings.ttft_ms and usage.prompt_tokens > 0:
            prefill_ms = timings.ttft_ms - speed.rtt_ms.mean
            if prefill_ms > 0:
                speed.prefill_tps.add(usage.prompt_tokens / prefill_ms * 1000, self.alpha)
        if speed.service_ms is None:
            speed.service_ms = Ewma(mean=timings.total_ms)
        speed.service_ms.add(timings.total_ms, self.alpha)
        for key in (category, ANY_CATEGORY):
            self._outputs.setdefault(key, Ewma(mean=0.0)).add(usage.completion_tokens, self.alpha)

    def observe_rtt(self, tier: str, profile: LatencyProfile, rtt_ms: float) -> None:
        self._speed(tier, profile).rtt_ms.add(rtt_ms, self.alpha)

    def _speed(self, tier: str, profile: LatencyProfile) -> _TierSpeed:
        speed = self._speeds.get(tier)
        if speed is None:
            speed = _TierSpeed(
                prefill_tps=Ewma(mean=profile.prefill_tps, count=1),
                decode_tps=Ewma(mean=profile.decode_tps, count=1),
                rtt_ms=Ewma(mean=profile.rtt_ms, count=1),
            )
            self._speeds[tier] = speed
        return speed

    def reset_profile(self, tier: str) -> None:
        """Forget a tier's learned speeds (e.g. after the embedded model re-measured itself)."""
        self._speeds.pop(tier, None)


ANY_CATEGORY = "*"
