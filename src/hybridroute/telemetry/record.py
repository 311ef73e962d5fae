"""The record of one routed request. It holds numbers, names and rule ids, never text."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True, kw_only=True)
class DecisionRecord:
    request_id: str
    feature: str | None
    principal: str
    planned_tier: str | None
    served_tier: str | None
    plan: str
    reasons: tuple[str, ...]
    degraded: bool = False
    masked: bool = False
    streamed: bool = False
    sensitivity: float = 0.0
    privacy_action: str = "allow"
    entity_counts: Mapping[str, int] = field(default_factory=dict)
    category: str = "unclassified"
    local_ok: float | None = None
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    latency_ms: float = 0.0
    ttft_ms: float | None = None
    error: str | None = None  # exception class name only

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


Sink = Callable[[DecisionRecord], None]
