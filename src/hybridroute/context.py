"""Who is asking and under which constraints: carried with every request."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from enum import StrEnum


class Mode(StrEnum):
    """Named weightings of quality, latency, cost and privacy."""

    PRIVACY_FIRST = "privacy-first"
    PERFORMANCE_FIRST = "performance-first"
    COST_FIRST = "cost-first"
    BALANCED = "balanced"


class Quality(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


@dataclass(frozen=True, slots=True, kw_only=True)
class Principal:
    """The caller, with what it may use and which routing hints it may give.

    `tiers=None` means every tier. Hints that could move data (forcing a tier, lowering the
    sensitivity label) are honoured only when the matching permission is set.
    """

    name: str
    tiers: frozenset[str] | None = None
    modes: frozenset[Mode] | None = None
    may_force_tier: bool = False
    may_override_sensitivity: bool = False

    def may_use(self, tier: str) -> bool:
        return self.tiers is None or tier in self.tiers


# The library and CLI user owns the process: every tier and hint is theirs to use.
OWNER = Principal(name="owner", may_force_tier=True, may_override_sensitivity=True)


@dataclass(frozen=True, slots=True, kw_only=True)
class Hints:
    """Caller wishes that the policy honours only when the principal is allowed to give them."""

    force_tier: str | None = None
    # "allow" or "mask" to lower the system's own label; ignored without permission.
    sensitivity: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class RequestContext:
    """Routing constraints of one request."""

    feature: str | None = None
    budget_ms: float | None = None
    mode: Mode | None = None
    min_quality: Quality | None = None
    principal: Principal = OWNER
    hints: Hints = field(default_factory=Hints)
    request_id: str = field(default_factory=lambda: uuid.uuid4().hex)

    def __post_init__(self) -> None:
        # The gateway validates this at its edge; library callers get the same rule here.
        if self.budget_ms is not None and not self.budget_ms > 0:
            raise ValueError("budget_ms must be a positive number of milliseconds")
