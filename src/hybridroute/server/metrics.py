"""Prometheus metrics for the gateway, fed by the router's DecisionRecord sink.

Labels are tier names, plan kinds, outcomes and error codes: never prompt text or values.
Each app gets its own registry, so two apps in one process never share counters.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from hybridroute.telemetry import DecisionRecord


class GatewayMetrics:
    """Counters and histograms; `record` is the router sink, `rejected` the error hook."""

    content_type = CONTENT_TYPE_LATEST

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry(auto_describe=True)
        self._requests = Counter(
            "hybridroute_requests",
            "Routed requests by serving tier, plan and outcome.",
            ["tier", "plan", "outcome"],
            registry=self.registry,
        )
        self._latency = Histogram(
            "hybridroute_request_latency_seconds",
            "Time from routing decision to the last token, by serving tier.",
            ["tier"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self._tokens = Counter(
            "hybridroute_tokens",
            "Tokens processed, by tier and kind (prompt/completion).",
            ["tier", "kind"],
            registry=self.registry,
        )
        self._cost = Counter(
            "hybridroute_cost_usd", "Estimated spend by tier.", ["tier"], registry=self.registry
        )
        self._rejected = Counter(
            "hybridroute_gateway_errors",
            "Error responses by OpenAI error code or type.",
            ["code"],
            registry=self.registry,
        )

    def record(self, record: DecisionRecord) -> None:
        """Router sink: one call per routed request."""
        tier = record.served_tier or record.planned_tier or "none"
        if record.error is not None:
            outcome = "error"
        elif record.degraded:
            outcome = "degraded"
        else:
            outcome = "ok"
        self._requests.labels(tier=tier, plan=record.plan, outcome=outcome).inc()
        if record.served_tier is None:
            return
        self._latency.labels(tier=tier).observe(record.latency_ms / 1000)
        self._tokens.labels(tier=tier, kind="prompt").inc(record.prompt_tokens)
        self._tokens.labels(tier=tier, kind="completion").inc(record.completion_tokens)
        self._cost.labels(tier=tier).inc(record.cost_usd)

    def rejected(self, code: str) -> None:
        self._rejected.labels(code=code).inc()

    def render(self) -> bytes:
        return generate_latest(self.registry)


LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120)
