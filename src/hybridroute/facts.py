"""Gather the signals for one request into the policy's `Facts` (CPU only, no model calls)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from hybridroute.capability import CapabilityAssessment, CapabilityScorer
from hybridroute.config import FeatureSettings, RoutingSettings
from hybridroute.context import Mode, Quality, RequestContext
from hybridroute.executor.breaker import Breaker, BreakerState
from hybridroute.policy import ALLOW, Facts, TierFacts
from hybridroute.privacy import Assessment, PrivacyScanner
from hybridroute.signals.cost import cost_usd
from hybridroute.signals.latency import LatencyEstimator
from hybridroute.signals.token_ratio import Script, TokenRatios, script_of
from hybridroute.signals.tokens import approx_tokens
from hybridroute.tiers.base import HealthStatus, LatencyProfile, Tier
from hybridroute.types import Location, Request

QUALITY_FLOOR = {Quality.LOW: 0.3, Quality.MEDIUM: 0.5, Quality.HIGH: 0.8}
REMOTE_QUALITY = 0.9


@dataclass(frozen=True, slots=True, kw_only=True)
class Signals:
    """The raw signal values behind a decision (kept for records and explanations)."""

    privacy: Assessment | None
    capability: CapabilityAssessment | None
    mode: Mode
    prompt_tokens: int
    # Each tier's estimate in its own vocabulary, before any learned factor, and the
    # prompt's script: what the tier's reported usage is compared with (`TokenRatios`).
    tier_prompt_tokens: Mapping[str, int] = field(default_factory=dict)
    script: Script = "ascii"


@dataclass(slots=True, kw_only=True)
class FactGatherer:
    """Reads the request and the tiers' state; owns the latency estimator's learning."""

    tiers: Mapping[str, Tier]
    breakers: Mapping[str, Breaker]
    routing: RoutingSettings
    features: Mapping[str, FeatureSettings]
    privacy: PrivacyScanner | None
    capability: CapabilityScorer | None
    latency: LatencyEstimator
    token_ratios: TokenRatios = field(default_factory=TokenRatios)
    health: dict[str, HealthStatus] = field(default_factory=dict)
    remote_quality: Callable[[str], float | None] = lambda _name: None
    _profiles: dict[str, LatencyProfile] = field(default_factory=dict)

    def gather(self, request: Request, context: RequestContext) -> tuple[Facts, Signals]:
        text = request.text()
        feature = self.features.get(context.feature or "") or FeatureSettings()
        privacy = self.privacy.assess(text) if self.privacy else None
        capability = self._capability(request, context)
        mode = self._mode(context, feature)
        prompt_tokens = approx_tokens(text)
        # Per tokenizer vocabulary, counted once each: a large one splits other scripts into
        # far fewer tokens (Chinese: about half), which a remote tier's window and price see.
        tokens_by_vocabulary = {"small": prompt_tokens}
        estimates: dict[str, int] = {}  # per tier, in its own vocabulary
        for name, tier in self.tiers.items():
            vocabulary = tier.info.vocabulary
            if vocabulary not in tokens_by_vocabulary:
                tokens_by_vocabulary[vocabulary] = approx_tokens(text, vocabulary)
            estimates[name] = tokens_by_vocabulary[vocabulary]
        script = script_of(text)
        category = capability.category if capability else "unclassified"
        local_ok = capability.local_ok if capability else 1.0
        action, failed = _privacy_action(privacy, context)
        quality_label = (
            context.min_quality
            or _quality(feature.min_quality)
            or _quality(self.routing.min_quality)
        )
        expected_out = round(self.latency.output_tokens(category)[0])
        allowed_by_feature = set(feature.tiers) if feature.tiers else None
        tiers = tuple(
            self._tier_facts(
                name,
                tier,
                # As the tier counts, once it has reported enough usage to learn from.
                self.token_ratios.scale(name, script, estimates[name]),
                category,
                local_ok,
                request,
                context,
                allowed_by_feature,
            )
            for name, tier in self.tiers.items()
        )
        facts = Facts(
            tiers=tiers,
            prompt_tokens=prompt_tokens,
            expected_output_tokens=expected_out,
            sensitivity=privacy.sensitivity if privacy else 0.0,
            privacy_action=action,
            privacy_failed=failed,
            categories=tuple(str(c) for c in privacy.categories) if privacy else (),
            local_ok=local_ok,
            task_category=category,
            budget_ms=_first_set(
                context.budget_ms, feature.budget_ms, self.routing.default_budget_ms
            ),
            min_quality=QUALITY_FLOOR[quality_label] if quality_label else None,
            force_tier=context.hints.force_tier,
            force_allowed=context.principal.may_force_tier,
        )
        return facts, Signals(
            privacy=privacy,
            capability=capability,
            mode=mode,
            prompt_tokens=prompt_tokens,
            tier_prompt_tokens=estimates,
            script=script,
        )

    def _tier_facts(
        self,
        name: str,
        tier: Tier,
        prompt_tokens: int,
        category: str,
        local_ok: float,
        request: Request,
        context: RequestContext,
        allowed_by_feature: set[str] | None,
    ) -> TierFacts:
        info = tier.info
        if self._profiles.get(name) is not info.latency:
            # The embedded tier re-measured itself at load: start learning from that.
            self.latency.reset_profile(name)
            self._profiles[name] = info.latency
        estimate = self.latency.estimate(
            name,
            info.latency,
            prompt_tokens=prompt_tokens,
            category=category,
            queue_depth=getattr(tier, "queue_depth", 0),
            max_output_tokens=request.max_tokens,
        )
        available, why = self._availability(name)
        configured = self.remote_quality(name)
        if configured is not None:
            quality = configured
        else:
            quality = local_ok if info.location is Location.DEVICE else REMOTE_QUALITY
        return TierFacts(
            name=name,
            location=info.location,
            trusted=info.trusted,
            available=available,
            unavailable_why=why,
            allowed=context.principal.may_use(name)
            and (allowed_by_feature is None or name in allowed_by_feature),
            context_window=info.context_window,
            quality=quality,
            latency_p50_ms=estimate.p50_ms,
            latency_p95_ms=estimate.p95_ms,
            cost_usd=cost_usd(
                info, prompt_tokens=prompt_tokens, completion_tokens=estimate.output_tokens
            ),
            prompt_tokens=prompt_tokens,
        )

    def _availability(self, name: str) -> tuple[bool, str]:
        state = self.breakers[name].state
        if state is BreakerState.OPEN:
            return False, "circuit open"
        if self.health.get(name) is HealthStatus.DOWN:
            return False, "health check failed"
        return True, ""

    def _capability(self, request: Request, context: RequestContext) -> CapabilityAssessment | None:
        if self.capability is None:
            return None
        question = next(
            (m.content for m in reversed(request.messages) if m.role == "user" and m.content),
            request.text(),
        )
        return self.capability.assess(question, role=context.principal.name)

    def _mode(self, context: RequestContext, feature: FeatureSettings) -> Mode:
        mode = context.mode or (Mode(feature.mode) if feature.mode else Mode(self.routing.mode))
        allowed = context.principal.modes
        return mode if allowed is None or mode in allowed else Mode(self.routing.mode)


def _privacy_action(privacy: Assessment | None, context: RequestContext) -> tuple[str, bool]:
    if privacy is None:
        return ALLOW, False
    action = str(privacy.action)
    override = context.hints.sensitivity
    if override and context.principal.may_override_sensitivity:
        action = override
    return action, privacy.failed


def _quality(label: str | None) -> Quality | None:
    return Quality(label) if label else None


def _first_set(*values: float | None) -> float | None:
    """The first value given; unlike `or`, a 0 stays a (hopeless) budget instead of "none"."""
    return next((v for v in values if v is not None), None)
