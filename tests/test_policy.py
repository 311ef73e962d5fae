"""The policy as a table: facts and mode in, tier and reason ids out. No models, no I/O."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from hybridroute.context import Mode
from hybridroute.plans import Direct, Masked, Refuse
from hybridroute.policy import Facts, TierFacts, decide
from hybridroute.types import Location

DEVICE = TierFacts(
    name="device",
    location=Location.DEVICE,
    trusted=True,
    context_window=4096,
    quality=0.8,
    latency_p50_ms=1500,
    latency_p95_ms=3000,
    cost_usd=0.0,
)
PRIVATE = TierFacts(
    name="private",
    location=Location.PRIVATE_CLOUD,
    trusted=True,
    context_window=32000,
    quality=0.85,
    latency_p50_ms=900,
    latency_p95_ms=1500,
    cost_usd=0.0002,
)
CLOUD = TierFacts(
    name="cloud",
    location=Location.PUBLIC_CLOUD,
    trusted=False,
    context_window=128000,
    quality=0.95,
    latency_p50_ms=800,
    latency_p95_ms=1200,
    cost_usd=0.001,
)


def make_facts(
    *,
    device: dict[str, Any] | None = None,
    private: dict[str, Any] | None = None,
    cloud: dict[str, Any] | None = None,
    tiers: tuple[str, ...] = ("device", "cloud"),
    **kwargs: Any,
) -> Facts:
    base = {
        "device": replace(DEVICE, **(device or {})),
        "private": replace(PRIVATE, **(private or {})),
        "cloud": replace(CLOUD, **(cloud or {})),
    }
    prompt_tokens = kwargs.pop("prompt_tokens_override", 50)
    return Facts(tiers=tuple(base[name] for name in tiers), prompt_tokens=prompt_tokens, **kwargs)


ALL = ("device", "private", "cloud")


@pytest.mark.parametrize(
    ("facts", "mode", "tier", "plan", "reasons"),
    [
        # privacy: a compliance constraint that overrides everything else
        (
            make_facts(privacy_action="local_only", sensitivity=1.0, device={"quality": 0.1}),
            Mode.PERFORMANCE_FIRST,
            "device",
            Direct,
            {"privacy_local_only", "sensitive_local_only"},
        ),
        (
            make_facts(privacy_action="local_only", tiers=ALL, device={"available": False}),
            Mode.BALANCED,
            "private",
            Direct,
            {"tier_unavailable", "sensitive_local_only"},
        ),
        (
            make_facts(privacy_action="mask", sensitivity=0.6, device={"quality": 0.2}),
            Mode.BALANCED,
            "cloud",
            Masked,
            {"privacy_mask", "mask_before_untrusted"},
        ),
        (
            make_facts(privacy_action="mask", device={"quality": 0.9}),
            Mode.PRIVACY_FIRST,
            "device",
            Direct,
            {"privacy_mask", "objective"},
        ),
        (
            make_facts(privacy_action="local_only", privacy_failed=True),
            Mode.COST_FIRST,
            "device",
            Direct,
            {"privacy_local_only"},
        ),
        # availability
        (
            make_facts(
                cloud={"available": False, "unavailable_why": "circuit open"},
                device={"quality": 0.2},
                min_quality=0.5,
            ),
            Mode.PERFORMANCE_FIRST,
            "device",
            Direct,
            {"tier_unavailable", "quality_infeasible"},
        ),
        (
            make_facts(device={"available": False}),
            Mode.PRIVACY_FIRST,
            "cloud",
            Direct,
            {"tier_unavailable"},
        ),
        # context window
        (
            make_facts(prompt_tokens_override=9000),
            Mode.COST_FIRST,
            "cloud",
            Direct,
            {"context_window"},
        ),
        # principal
        (
            make_facts(cloud={"allowed": False}, device={"quality": 0.1}),
            Mode.PERFORMANCE_FIRST,
            "device",
            Direct,
            {"principal_disallows"},
        ),
        # capability before cost: the device cannot handle it, so the cloud serves
        (
            make_facts(device={"quality": 0.2}, min_quality=0.5),
            Mode.COST_FIRST,
            "cloud",
            Direct,
            {"capability_insufficient", "objective"},
        ),
        (
            make_facts(device={"quality": 0.9}, min_quality=0.5),
            Mode.COST_FIRST,
            "device",
            Direct,
            {"objective"},
        ),
        # budget: p95 must fit; local is not always faster
        (make_facts(budget_ms=1300), Mode.BALANCED, "cloud", Direct, {"over_budget"}),
        (
            make_facts(budget_ms=100),
            Mode.BALANCED,
            "device",
            Direct,
            {"over_budget", "budget_infeasible"},
        ),
        (
            make_facts(budget_ms=100, min_quality=0.9),
            Mode.PERFORMANCE_FIRST,
            "cloud",
            Direct,
            {"over_budget", "capability_insufficient", "budget_infeasible"},
        ),
        (
            make_facts(budget_ms=100, min_quality=0.99),
            Mode.PERFORMANCE_FIRST,
            "cloud",
            Direct,
            {"over_budget", "capability_insufficient", "soft_constraints_relaxed"},
        ),
        (
            make_facts(budget_ms=5000, device={"quality": 0.8}),
            Mode.COST_FIRST,
            "device",
            Direct,
            {"objective"},
        ),
        # modes pull in different directions on the same facts
        (make_facts(device={"quality": 0.7}), Mode.COST_FIRST, "device", Direct, {"objective"}),
        (
            make_facts(device={"quality": 0.7}),
            Mode.PERFORMANCE_FIRST,
            "cloud",
            Direct,
            {"objective"},
        ),
        # conflicts: sensitive + tight budget + local down -> refusal, never the public tier
        (
            make_facts(privacy_action="local_only", budget_ms=50, device={"available": False}),
            Mode.PERFORMANCE_FIRST,
            None,
            Refuse,
            {"tier_unavailable", "sensitive_local_only", "no_eligible_tier"},
        ),
        # sensitive + tight budget + local up -> the slow local answer, never the public tier
        (
            make_facts(privacy_action="local_only", budget_ms=50),
            Mode.PERFORMANCE_FIRST,
            "device",
            Direct,
            {"sensitive_local_only", "over_budget"},
        ),
        # forced tiers: honoured when allowed, still under the hard constraints
        (
            make_facts(force_tier="cloud", force_allowed=True),
            Mode.PRIVACY_FIRST,
            "cloud",
            Direct,
            {"forced_tier"},
        ),
        (
            make_facts(force_tier="cloud", force_allowed=False),
            Mode.PRIVACY_FIRST,
            "device",
            Direct,
            {"hint_ignored"},
        ),
        (
            make_facts(force_tier="cloud", force_allowed=True, privacy_action="local_only"),
            Mode.BALANCED,
            None,
            Refuse,
            {"sensitive_local_only"},
        ),
        (
            make_facts(force_tier="cloud", force_allowed=True, privacy_action="mask"),
            Mode.BALANCED,
            "cloud",
            Masked,
            {"forced_tier", "mask_before_untrusted"},
        ),
        (
            make_facts(force_tier="nope", force_allowed=True),
            Mode.BALANCED,
            None,
            Refuse,
            {"unknown_tier"},
        ),
    ],
)
def test_decide(facts: Facts, mode: Mode, tier: str | None, plan: type, reasons: set[str]) -> None:
    decision = decide(facts, mode)
    assert decision.tier == tier
    assert isinstance(decision.plan, plan)
    assert {r.rule for r in decision.reasons} >= reasons


def test_reasons_carry_the_numbers() -> None:
    decision = decide(make_facts(budget_ms=1300), Mode.BALANCED)
    over = next(r for r in decision.reasons if r.rule == "over_budget")
    assert over.tier == "device"
    assert over.numbers == {"p95_ms": 3000.0, "budget_ms": 1300}
    objective = next(r for r in decision.reasons if r.rule == "objective")
    assert objective.numbers["mode"] == "balanced"


def test_fallbacks_never_include_untrusted_tiers_for_local_only_data() -> None:
    decision = decide(make_facts(privacy_action="local_only", tiers=ALL), Mode.PERFORMANCE_FIRST)
    assert decision.tier in {"device", "private"}
    assert "cloud" not in decision.fallbacks
    assert set(decision.fallbacks) | {decision.tier} == {"device", "private"}


def test_fallbacks_are_ordered_by_score() -> None:
    decision = decide(make_facts(tiers=ALL), Mode.COST_FIRST)
    scores = {e.tier: e.score for e in decision.estimates}
    ordered = [decision.tier, *decision.fallbacks]
    assert ordered == sorted(ordered, key=lambda t: -(scores[t] or 0))


def test_decide_is_pure_and_deterministic() -> None:
    facts = make_facts(tiers=ALL, privacy_action="mask", budget_ms=2000)
    assert decide(facts, Mode.BALANCED) == decide(facts, Mode.BALANCED)


@pytest.mark.parametrize(
    ("facts", "cause"),
    [
        # The only tier that could serve is down: temporary, the caller may retry (503).
        (make_facts(tiers=("device",), device={"available": False}), "unavailable"),
        # Sensitive data, and the one trusted tier is down: still only a matter of time.
        (
            make_facts(privacy_action="local_only", device={"available": False}),
            "unavailable",
        ),
        # Only an untrusted tier is configured and the data may not reach it (403).
        (make_facts(privacy_action="local_only", tiers=("cloud",)), "sensitive"),
        # Forcing the untrusted tier with sensitive data is refused for the data's sake.
        (
            make_facts(privacy_action="local_only", force_tier="cloud", force_allowed=True),
            "sensitive",
        ),
        # The prompt fits no tier's window: nothing to wait for (422).
        (make_facts(tiers=("device",), prompt_tokens_override=10_000), "constraints"),
        # Down *and* too small: waiting would not help either.
        (
            make_facts(
                tiers=("device",), device={"available": False}, prompt_tokens_override=10_000
            ),
            "constraints",
        ),
    ],
)
def test_a_refusal_says_whether_retrying_can_help(facts: Facts, cause: str) -> None:
    plan = decide(facts, Mode.BALANCED).plan
    assert isinstance(plan, Refuse) and plan.cause == cause
