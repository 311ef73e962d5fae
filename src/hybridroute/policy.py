"""The routing policy: a pure function from facts to a decision.

No I/O, no clock, no randomness. Order of rules:
1. hard constraints per tier: what the principal may use, availability, data sensitivity,
   context window. They are never relaxed.
2. soft constraints: latency budget (p95 estimate) and capability (expected quality). When
   no tier meets them, they are relaxed in that order and the decision says so.
3. a weighted objective over quality, latency, cost and privacy under the named mode.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from hybridroute.context import Mode
from hybridroute.plans import (
    Decision,
    Direct,
    Masked,
    Plan,
    Reason,
    Refuse,
    RefuseCause,
    TierEstimate,
)
from hybridroute.types import Location

LOCAL_ONLY = "local_only"
MASK = "mask"
ALLOW = "allow"


@dataclass(frozen=True, slots=True, kw_only=True)
class TierFacts:
    """A snapshot of one tier as the policy sees it."""

    name: str
    location: Location
    trusted: bool
    available: bool = True
    unavailable_why: str = ""
    allowed: bool = True
    context_window: int = 8192
    quality: float = 1.0
    latency_p50_ms: float = 0.0
    latency_p95_ms: float = 0.0
    cost_usd: float = 0.0
    # The prompt in this tier's own tokens (tokenizers differ); None: `Facts.prompt_tokens`.
    prompt_tokens: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Facts:
    """Everything the policy needs about one request, already measured."""

    tiers: tuple[TierFacts, ...]
    prompt_tokens: int = 0
    expected_output_tokens: int = 256
    sensitivity: float = 0.0
    privacy_action: str = ALLOW
    privacy_failed: bool = False
    categories: tuple[str, ...] = ()
    local_ok: float = 1.0
    task_category: str = "unclassified"
    budget_ms: float | None = None
    min_quality: float | None = None
    force_tier: str | None = None
    force_allowed: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class Weights:
    quality: float
    latency: float
    cost: float
    privacy: float


MODE_WEIGHTS: dict[Mode, Weights] = {
    Mode.BALANCED: Weights(quality=1.0, latency=0.5, cost=0.5, privacy=0.1),
    Mode.PERFORMANCE_FIRST: Weights(quality=1.0, latency=1.0, cost=0.1, privacy=0.0),
    Mode.COST_FIRST: Weights(quality=0.6, latency=0.2, cost=1.5, privacy=0.1),
    Mode.PRIVACY_FIRST: Weights(quality=0.8, latency=0.3, cost=0.3, privacy=1.0),
}


def decide(facts: Facts, mode: Mode) -> Decision:
    """Choose a plan for the request described by `facts`."""
    reasons = [_privacy_reason(facts)]
    if facts.force_tier is not None:
        if facts.force_allowed:
            return _forced(facts, reasons)
        reasons.append(
            Reason(
                rule="hint_ignored",
                tier=facts.force_tier,
                message="the caller may not force a tier; routing normally",
            )
        )
    hard_ok: list[TierFacts] = []
    for tier in facts.tiers:
        rejection = _first_hard_rejection(facts, tier)
        if rejection is None:
            hard_ok.append(tier)
        else:
            reasons.append(rejection)
    if not hard_ok:
        reasons.append(
            Reason(rule="no_eligible_tier", message="no tier satisfies the hard constraints")
        )
        cause = _refusal_cause(facts, facts.tiers)
        return _decision(facts, Refuse(cause=cause), reasons, [], {})

    chosen_pool = _apply_soft_constraints(facts, hard_ok, reasons)
    scores = {t.name: _score(t, facts, mode, hard_ok) for t in hard_ok}
    best = max(chosen_pool, key=lambda t: scores[t.name])  # ties: first declared wins
    reasons.append(
        Reason(
            rule="objective",
            tier=best.name,
            message=f"highest {mode.value} score among eligible tiers",
            numbers={"score": round(scores[best.name], 4), "mode": mode.value},
        )
    )
    plan = _plan_for(best, facts)
    if isinstance(plan, Masked):
        reasons.append(
            Reason(
                rule="mask_before_untrusted",
                tier=best.name,
                message="sensitive values are masked before this tier",
            )
        )
    fallbacks = [t for t in sorted(hard_ok, key=lambda t: -scores[t.name]) if t is not best]
    return _decision(facts, plan, reasons, fallbacks, scores)


# --- hard constraints: (tier facts) -> Reason when the tier is excluded ----------------------

HardRule = Callable[[Facts, TierFacts], Reason | None]


def _principal(facts: Facts, tier: TierFacts) -> Reason | None:
    if tier.allowed:
        return None
    return Reason(
        rule="principal_disallows", tier=tier.name, message="the caller may not use this tier"
    )


def _availability(facts: Facts, tier: TierFacts) -> Reason | None:
    if tier.available:
        return None
    return Reason(
        rule="tier_unavailable",
        tier=tier.name,
        message=f"tier is unavailable ({tier.unavailable_why or 'down'})",
    )


def _privacy(facts: Facts, tier: TierFacts) -> Reason | None:
    if tier.trusted or facts.privacy_action != LOCAL_ONLY:
        return None
    return Reason(
        rule="sensitive_local_only",
        tier=tier.name,
        message="sensitive data may only go to trusted tiers",
        numbers={"sensitivity": round(facts.sensitivity, 3)},
    )


def _context_window(facts: Facts, tier: TierFacts) -> Reason | None:
    # The prompt plus a minimal answer must fit; a long answer may be cut at the window.
    tokens = facts.prompt_tokens if tier.prompt_tokens is None else tier.prompt_tokens
    if tokens + MIN_ANSWER_TOKENS <= tier.context_window:
        return None
    return Reason(
        rule="context_window",
        tier=tier.name,
        message="the prompt does not fit the tier's context window",
        numbers={"prompt_tokens": tokens, "context_window": tier.context_window},
    )


HARD_RULES: tuple[HardRule, ...] = (_principal, _availability, _privacy, _context_window)


def _first_hard_rejection(facts: Facts, tier: TierFacts) -> Reason | None:
    for rule in HARD_RULES:
        reason = rule(facts, tier)
        if reason is not None:
            return reason
    return None


def _refusal_cause(facts: Facts, tiers: Sequence[TierFacts]) -> RefuseCause:
    """Why nothing may serve: "unavailable" when a tier that is down would otherwise serve
    (retry later: a 503), else "sensitive" when a tier fails only because the data may not
    reach it (a 403), else "constraints" (the request cannot be served here: a 422)."""
    failing = [{r.rule for r in _hard_rejections(facts, t)} for t in tiers]
    if any(rules == {"tier_unavailable"} for rules in failing):
        return "unavailable"
    if any(rules == {"sensitive_local_only"} for rules in failing):
        return "sensitive"
    return "constraints"


def _hard_rejections(facts: Facts, tier: TierFacts) -> list[Reason]:
    return [reason for rule in HARD_RULES if (reason := rule(facts, tier)) is not None]


# --- soft constraints --------------------------------------------------------------------


def _apply_soft_constraints(
    facts: Facts, tiers: list[TierFacts], reasons: list[Reason]
) -> list[TierFacts]:
    """Keep tiers within budget and good enough; relax budget first, then quality."""
    in_budget = [t for t in tiers if _within_budget(facts, t)]
    good = [t for t in tiers if _good_enough(facts, t)]
    both = [t for t in in_budget if t in good]
    for tier in tiers:
        if tier not in in_budget:
            reasons.append(
                Reason(
                    rule="over_budget",
                    tier=tier.name,
                    message="p95 latency estimate exceeds the budget",
                    numbers={
                        "p95_ms": round(tier.latency_p95_ms, 1),
                        "budget_ms": facts.budget_ms or 0.0,
                    },
                )
            )
        if tier not in good:
            reasons.append(
                Reason(
                    rule="capability_insufficient",
                    tier=tier.name,
                    message="expected quality below the required minimum",
                    numbers={
                        "quality": round(tier.quality, 3),
                        "min_quality": facts.min_quality or 0.0,
                    },
                )
            )
    if both:
        return both
    if good:
        reasons.append(
            Reason(
                rule="budget_infeasible",
                message="no good-enough tier meets the budget; choosing among good-enough tiers",
            )
        )
        return good
    if in_budget:
        reasons.append(
            Reason(
                rule="quality_infeasible",
                message="no tier within budget meets the quality minimum; "
                "choosing among tiers within budget",
            )
        )
        return in_budget
    reasons.append(
        Reason(
            rule="soft_constraints_relaxed", message="no tier meets budget or quality; best effort"
        )
    )
    return tiers


def _within_budget(facts: Facts, tier: TierFacts) -> bool:
    return facts.budget_ms is None or tier.latency_p95_ms <= facts.budget_ms


def _good_enough(facts: Facts, tier: TierFacts) -> bool:
    return facts.min_quality is None or tier.quality >= facts.min_quality


# --- objective -----------------------------------------------------------------------------


def _score(tier: TierFacts, facts: Facts, mode: Mode, pool: list[TierFacts]) -> float:
    """Weighted objective; latency and cost are scaled to the pool so weights compare."""
    w = MODE_WEIGHTS[mode]
    # The budget is the natural latency scale; when every tier is slower, the slowest is.
    latency_ref = max(facts.budget_ms or 0.0, *(t.latency_p50_ms for t in pool)) or 1.0
    cost_ref = max(t.cost_usd for t in pool) or 1.0
    privacy = 1.0 if tier.location is Location.DEVICE else (0.7 if tier.trusted else 0.0)
    return (
        w.quality * tier.quality
        - w.latency * tier.latency_p50_ms / latency_ref
        - w.cost * tier.cost_usd / cost_ref
        + w.privacy * privacy
    )


# --- helpers for building the decision ----------------------------------------------------


def _plan_for(tier: TierFacts, facts: Facts) -> Plan:
    if not tier.trusted and facts.privacy_action == MASK:
        return Masked(tier=tier.name)
    return Direct(tier=tier.name)


def _forced(facts: Facts, reasons: list[Reason]) -> Decision:
    tier = next((t for t in facts.tiers if t.name == facts.force_tier), None)
    if tier is None:
        reasons.append(
            Reason(
                rule="unknown_tier",
                tier=facts.force_tier,
                message="the requested tier is not configured",
            )
        )
        return _decision(facts, Refuse(), reasons, [], {})
    rejection = _first_hard_rejection(facts, tier)
    if rejection is not None:
        reasons.append(rejection)
        return _decision(facts, Refuse(cause=_refusal_cause(facts, [tier])), reasons, [], {})
    reasons.append(Reason(rule="forced_tier", tier=tier.name, message="the caller chose this tier"))
    plan = _plan_for(tier, facts)
    if isinstance(plan, Masked):
        reasons.append(
            Reason(
                rule="mask_before_untrusted",
                tier=tier.name,
                message="sensitive values are masked before this tier",
            )
        )
    return _decision(facts, plan, reasons, [], {})


def _privacy_reason(facts: Facts) -> Reason:
    rule = {LOCAL_ONLY: "privacy_local_only", MASK: "privacy_mask"}.get(
        facts.privacy_action, "privacy_allow"
    )
    message = {
        "privacy_local_only": "sensitive data: trusted tiers only",
        "privacy_mask": "moderately sensitive: untrusted tiers only after masking",
        "privacy_allow": "no sensitive data found",
    }[rule]
    if facts.privacy_failed:
        message = "privacy detection failed: treated as local-only (fail closed)"
    numbers: dict[str, float | str] = {"sensitivity": round(facts.sensitivity, 3)}
    if facts.categories:
        numbers["categories"] = ",".join(facts.categories)
    return Reason(rule=rule, message=message, numbers=numbers)


def _decision(
    facts: Facts,
    plan: Plan,
    reasons: list[Reason],
    fallbacks: list[TierFacts],
    scores: dict[str, float],
) -> Decision:
    estimates = tuple(
        TierEstimate(
            tier=t.name,
            eligible=t.name in scores,
            quality=round(t.quality, 4),
            latency_p50_ms=round(t.latency_p50_ms, 1),
            latency_p95_ms=round(t.latency_p95_ms, 1),
            cost_usd=t.cost_usd,
            score=round(scores[t.name], 4) if t.name in scores else None,
        )
        for t in facts.tiers
    )
    return Decision(
        plan=plan,
        reasons=tuple(reasons),
        fallbacks=tuple(t.name for t in fallbacks),
        estimates=estimates,
        sensitivity=facts.sensitivity,
        privacy_action=facts.privacy_action,
    )


MIN_ANSWER_TOKENS = 16
