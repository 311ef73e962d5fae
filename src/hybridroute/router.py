"""The Router facade: signals → policy → executor, plus telemetry. Wiring only."""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import dataclass

from hybridroute.capability import CapabilityScorer
from hybridroute.config import FeatureSettings, HybridRouteConfig, RoutingSettings
from hybridroute.context import RequestContext
from hybridroute.executor.breaker import Breaker
from hybridroute.executor.run import Executor, RoutedDeltas, Served
from hybridroute.facts import FactGatherer, Signals
from hybridroute.plans import Decision
from hybridroute.policy import decide
from hybridroute.privacy import PrivacyScanner
from hybridroute.signals.cost import cost_usd
from hybridroute.signals.latency import LatencyEstimator
from hybridroute.telemetry import DecisionRecord, Sink
from hybridroute.tiers import build_tier
from hybridroute.tiers.base import Health, HealthStatus, Tier
from hybridroute.types import Completion, Delta, Request

log = logging.getLogger("hybridroute.router")

# Seconds a failed health check keeps a tier out of routing; after that the next request
# probes it again. The status is otherwise set only at warm-up and by /readyz, and the policy
# drops a DOWN tier before its breaker's half-open probe could reach it: a tier down when the
# gateway started stayed out for good. Shorter than the breaker's 30 s: a health probe is a
# GET /models (bounded by the tier's probe deadline), not a caller's request.
HEALTH_RECHECK_S = 10.0
# Seconds the request that starts such a probe waits for it at most, to be served by a tier
# that is back (a refused connection or a healthy server answers well within this). A slower
# probe (an unanswered connect, a model reloading) finishes in the background.
HEALTH_RECHECK_WAIT_S = 2.0


@dataclass(frozen=True, slots=True, kw_only=True)
class Routed:
    """A routed answer: the completion, the decision behind it and where it was served."""

    completion: Completion
    decision: Decision
    served: Served
    cost_usd: float
    request_id: str

    @property
    def tier(self) -> str:
        return self.served.tier

    @property
    def degraded(self) -> bool:
        return self.served.degraded


class RoutedStream:
    """A streaming answer whose tier is already chosen (and has produced its first delta)."""

    def __init__(
        self,
        *,
        decision: Decision,
        deltas: RoutedDeltas,
        request_id: str,
        on_done: Callable[[RoutedStream, BaseException | None], None],
    ) -> None:
        self.decision = decision
        self.request_id = request_id
        self._deltas = deltas
        self._on_done = on_done
        self._closed = False
        self.cost_usd = 0.0

    @property
    def served(self) -> Served:
        return self._deltas.served

    @property
    def tier(self) -> str:
        return self._deltas.served.tier

    @property
    def final(self) -> Delta | None:
        return self._deltas.final

    async def __aiter__(self) -> AsyncIterator[Delta]:
        error: BaseException | None = None
        try:
            async for delta in self._deltas:
                yield delta
        except BaseException as exc:
            error = exc
            raise
        finally:
            await self._close(error)

    async def aclose(self) -> None:
        """Release the tier's stream (its connection, its breaker probe) and log the request,
        also when nobody iterated it: a client can hang up before the first byte is sent."""
        await self._close(GeneratorExit())

    async def _close(self, error: BaseException | None) -> None:
        if self._closed:
            return
        self._closed = True
        try:
            await self._deltas.aclose()
        finally:
            self._on_done(self, error)


class Router:
    """Routes requests across tiers: `complete`, `stream`, and `route` to explain."""

    def __init__(
        self,
        *,
        tiers: Mapping[str, Tier],
        routing: RoutingSettings | None = None,
        features: Mapping[str, FeatureSettings] | None = None,
        privacy: PrivacyScanner | None = None,
        capability: CapabilityScorer | None = None,
        quality: Mapping[str, float] | None = None,
        sinks: Sequence[Sink] = (),
        clock: Callable[[], float] = time.monotonic,
        health_recheck_s: float = HEALTH_RECHECK_S,
    ) -> None:
        if not health_recheck_s > 0:
            raise ValueError("health_recheck_s must be positive")
        self.tiers = dict(tiers)
        self.routing = routing or RoutingSettings()
        self._sinks = tuple(sinks)
        self._clock = clock
        self._recheck_s = health_recheck_s
        self._checked_at: dict[str, float] = {}  # when each tier's health status was set
        self._rechecks: dict[str, asyncio.Task[None]] = {}  # at most one probe per tier
        breakers = {
            name: Breaker(
                clock=clock,
                failure_threshold=self.routing.breaker_failures,
                reset_after_s=self.routing.breaker_reset_s,
            )
            for name in self.tiers
        }
        self.breakers = breakers
        declared = dict(quality or {})
        self.signals = FactGatherer(
            tiers=self.tiers,
            breakers=breakers,
            routing=self.routing,
            features=dict(features or {}),
            privacy=privacy,
            capability=capability,
            latency=LatencyEstimator(default_output_tokens=self.routing.expected_output_tokens),
            remote_quality=declared.get,
        )
        self.executor = Executor(tiers=self.tiers, breakers=breakers, scanner=privacy)

    @classmethod
    def from_config(cls, config: HybridRouteConfig, *, sinks: Sequence[Sink] = ()) -> Router:
        """Build tiers, signals and policy settings from a validated config."""
        tiers = {settings.name: build_tier(settings) for settings in config.tiers}
        return cls(
            tiers=tiers,
            routing=config.routing,
            features=config.features,
            privacy=PrivacyScanner(config.privacy) if config.privacy.enabled else None,
            capability=CapabilityScorer(config.capability),
            quality={s.name: s.quality for s in config.tiers if s.quality is not None},
            sinks=sinks,
        )

    def route(self, request: Request, context: RequestContext | None = None) -> Decision:
        """Decide where the request would go, and why, without calling any model."""
        return self._decide(request, context or RequestContext())[0]

    async def complete(self, request: Request, context: RequestContext | None = None) -> Routed:
        ctx = context or RequestContext()
        await self._recheck_down_tiers()
        decision, signals = await asyncio.to_thread(self._decide, request, ctx)
        started = self._clock()
        try:
            completion, served = await self.executor.complete(request, decision)
        except Exception as exc:
            self._record(ctx, decision, signals, None, None, started, error=exc)
            raise
        self._observe(served.tier, completion, signals)
        cost = cost_usd(
            self.tiers[served.tier].info,
            prompt_tokens=completion.usage.prompt_tokens,
            completion_tokens=completion.usage.completion_tokens,
        )
        self._record(ctx, decision, signals, served, completion, started, cost=cost)
        return Routed(
            completion=completion,
            decision=decision,
            served=served,
            cost_usd=cost,
            request_id=ctx.request_id,
        )

    async def stream(self, request: Request, context: RequestContext | None = None) -> RoutedStream:
        """Choose a tier and start streaming from it; iterate the result for deltas."""
        ctx = context or RequestContext()
        await self._recheck_down_tiers()
        decision, signals = await asyncio.to_thread(self._decide, request, ctx)
        started = self._clock()
        try:
            deltas = await self.executor.open_stream(request, decision)
        except Exception as exc:
            self._record(ctx, decision, signals, None, None, started, error=exc)
            raise

        def done(stream: RoutedStream, error: BaseException | None) -> None:
            final = stream.final
            completion = None
            if final is not None and final.usage is not None and final.timings is not None:
                completion = Completion(
                    tier=stream.tier,
                    text="",
                    finish_reason=final.finish_reason or "stop",
                    usage=final.usage,
                    timings=final.timings,
                )
                self._observe(stream.tier, completion, signals)
                stream.cost_usd = cost_usd(
                    self.tiers[stream.tier].info,
                    prompt_tokens=final.usage.prompt_tokens,
                    completion_tokens=final.usage.completion_tokens,
                )
            self._record(
                ctx,
                decision,
                signals,
                stream.served,
                completion,
                started,
                cost=stream.cost_usd,
                error=error,
                streamed=True,
            )

        return RoutedStream(
            decision=decision, deltas=deltas, request_id=ctx.request_id, on_done=done
        )

    async def health(self) -> dict[str, Health]:
        """Probe every tier (concurrently); unhealthy tiers are avoided by the policy."""
        names = list(self.tiers)
        results = await asyncio.gather(*(self.tiers[n].health() for n in names))
        for name, health in zip(names, results, strict=True):
            self._set_health(name, health)
        return dict(zip(names, results, strict=True))

    async def aclose(self) -> None:
        probes = list(self._rechecks.values())
        for task in probes:
            task.cancel()
        await asyncio.gather(*probes, return_exceptions=True)
        await asyncio.gather(*(tier.aclose() for tier in self.tiers.values()))

    async def __aenter__(self) -> Router:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    def _set_health(self, name: str, health: Health) -> None:
        self.signals.health[name] = health.status
        self._checked_at[name] = self._clock()
        if health.latency_ms is not None and health.status is HealthStatus.UP:
            self.signals.latency.observe_rtt(name, self.tiers[name].info.latency, health.latency_ms)

    async def _recheck_down_tiers(self) -> None:
        """Probe again each tier whose DOWN status is older than `health_recheck_s`.

        One probe per tier at a time, and the next one `health_recheck_s` after its answer, so
        a tier that stays down is not hammered. The request that starts a probe waits for it
        (at most `HEALTH_RECHECK_WAIT_S`) so it can already be served by a tier that is back;
        requests arriving meanwhile route on the status as it is, without waiting."""
        now = self._clock()
        started = [
            self._start_recheck(name)
            for name, status in list(self.signals.health.items())
            if status is HealthStatus.DOWN
            and name not in self._rechecks
            and now - self._checked_at.get(name, -math.inf) >= self._recheck_s
        ]
        if started:
            # Not cancelled with this request (its caller may hang up): the status still lands.
            await asyncio.wait(started, timeout=HEALTH_RECHECK_WAIT_S)

    def _start_recheck(self, name: str) -> asyncio.Task[None]:
        task = asyncio.create_task(self._recheck(name), name=f"health recheck {name}")
        self._rechecks[name] = task
        return task

    async def _recheck(self, name: str) -> None:
        try:
            health = await self.tiers[name].health()
        except Exception as exc:  # a tier's probe reports, it should not raise: still down
            log.warning("health check of tier %s raised %s", name, type(exc).__name__)
            health = Health(status=HealthStatus.DOWN, detail=type(exc).__name__)
        finally:
            self._rechecks.pop(name, None)
        self._set_health(name, health)

    def _decide(self, request: Request, context: RequestContext) -> tuple[Decision, Signals]:
        facts, signals = self.signals.gather(request, context)
        return decide(facts, signals.mode), signals

    def _observe(self, tier: str, completion: Completion, signals: Signals) -> None:
        category = signals.capability.category if signals.capability else "unclassified"
        self.signals.latency.observe(
            tier, self.tiers[tier].info.latency, completion, category=category
        )
        estimated = signals.tier_prompt_tokens.get(tier)
        if estimated is not None:
            self.signals.token_ratios.observe(
                tier, signals.script, estimated, completion.usage.prompt_tokens
            )

    def _record(
        self,
        ctx: RequestContext,
        decision: Decision,
        signals: Signals,
        served: Served | None,
        completion: Completion | None,
        started: float,
        *,
        cost: float = 0.0,
        error: BaseException | None = None,
        streamed: bool = False,
    ) -> None:
        if not self._sinks:
            return
        privacy = signals.privacy
        counts: dict[str, int] = {}
        for entity in privacy.entities if privacy else ():
            counts[str(entity.type)] = counts.get(str(entity.type), 0) + 1
        record = DecisionRecord(
            request_id=ctx.request_id,
            feature=ctx.feature,
            principal=ctx.principal.name,
            planned_tier=decision.tier,
            served_tier=served.tier if served else None,
            plan=decision.plan.kind,
            reasons=tuple(r.rule for r in decision.reasons),
            degraded=served.degraded if served else False,
            masked=served.masked if served else False,
            streamed=streamed,
            sensitivity=decision.sensitivity,
            privacy_action=decision.privacy_action,
            entity_counts=counts,
            category=signals.capability.category if signals.capability else "unclassified",
            local_ok=signals.capability.local_ok if signals.capability else None,
            prompt_tokens=completion.usage.prompt_tokens if completion else 0,
            completion_tokens=completion.usage.completion_tokens if completion else 0,
            cost_usd=cost,
            latency_ms=(self._clock() - started) * 1000,
            ttft_ms=completion.timings.ttft_ms if completion else None,
            error=type(error).__name__ if error else None,
        )
        for sink in self._sinks:
            sink(record)
