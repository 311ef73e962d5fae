"""What the policy decides: a plan to run and the reasons for it."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal


@dataclass(frozen=True, slots=True, kw_only=True)
class Reason:
    """One step of the decision: a rule id, a readable sentence and the numbers behind it."""

    rule: str
    message: str
    tier: str | None = None
    numbers: Mapping[str, float | str] = field(default_factory=dict)

    def as_dict(self) -> dict[str, object]:
        return {
            "rule": self.rule,
            "message": self.message,
            "tier": self.tier,
            "numbers": dict(self.numbers),
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class Direct:
    """Send the request as it is to one tier."""

    tier: str
    kind: str = "direct"


@dataclass(frozen=True, slots=True, kw_only=True)
class Masked:
    """Mask sensitive values, send to an untrusted tier, restore them in the answer."""

    tier: str
    kind: str = "masked"


RefuseCause = Literal["constraints", "unavailable", "sensitive"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Refuse:
    """No tier may serve this request under its hard constraints.

    ``cause`` tells the caller what to do about it: ``constraints`` (the request cannot be served
    by this deployment: change the request), ``unavailable`` (a tier that could serve it is down
    for now: retry later) or ``sensitive`` (only a tier its data may not reach could serve it).
    """

    tier: None = None
    kind: str = "refuse"
    cause: RefuseCause = "constraints"


Plan = Direct | Masked | Refuse


@dataclass(frozen=True, slots=True, kw_only=True)
class TierEstimate:
    """The policy's view of one candidate tier (for explanations)."""

    tier: str
    eligible: bool
    quality: float
    latency_p50_ms: float
    latency_p95_ms: float
    cost_usd: float
    score: float | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Decision:
    """A plan, the ordered fallbacks the executor may degrade to, and why."""

    plan: Plan
    reasons: tuple[Reason, ...]
    fallbacks: tuple[str, ...] = ()
    estimates: tuple[TierEstimate, ...] = ()
    sensitivity: float = 0.0
    privacy_action: str = "allow"

    @property
    def tier(self) -> str | None:
        return self.plan.tier

    def summary(self) -> str:
        """A short header-safe explanation: the rule ids in order."""
        return ",".join(dict.fromkeys(r.rule for r in self.reasons))

    def estimate(self, tier: str) -> TierEstimate | None:
        return next((e for e in self.estimates if e.tier == tier), None)

    def as_dict(self) -> dict[str, object]:
        """Plain JSON: what `hybridroute route --json` prints and `/v1/route` returns."""
        return {
            "plan": self.plan.kind,
            "tier": self.tier,
            "fallbacks": list(self.fallbacks),
            "sensitivity": self.sensitivity,
            "privacy_action": self.privacy_action,
            "reasons": [r.as_dict() for r in self.reasons],
            "estimates": [dataclasses.asdict(e) for e in self.estimates],
        }
