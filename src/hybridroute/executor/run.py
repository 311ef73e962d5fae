"""Execute a decision: call the planned tier, mask/restore when needed, degrade on failure.

Fallback follows the decision's ordered fallbacks (all of which passed the hard constraints).
Errors that are the caller's fault (`BadRequest`) are not retried elsewhere.
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from hybridroute import errors
from hybridroute.executor.breaker import Breaker
from hybridroute.plans import Decision, Refuse
from hybridroute.privacy import MaskSession, PrivacyScanner, StreamRestorer
from hybridroute.tiers.base import Tier
from hybridroute.types import Completion, Delta, Request

# Failures that say "this tier, now" rather than "this request": try the next tier.
FALLBACK_ON = (
    errors.TierUnavailable,
    errors.TierTimeout,
    errors.RateLimited,
    errors.AuthFailed,
    errors.BadResponse,
)


@dataclass(frozen=True, slots=True, kw_only=True)
class Attempt:
    tier: str
    error: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Served:
    """Which tier finally answered, and how."""

    tier: str
    degraded: bool
    masked: bool
    attempts: tuple[Attempt, ...] = ()


@dataclass(slots=True)
class Executor:
    tiers: Mapping[str, Tier]
    breakers: Mapping[str, Breaker]
    scanner: PrivacyScanner | None = None

    async def complete(self, request: Request, decision: Decision) -> tuple[Completion, Served]:
        attempts: list[Attempt] = []
        last: Exception | None = None
        for index, name in enumerate(self._order(decision)):
            masking = self._masking(name, decision)
            try:
                outgoing, session = self._prepare(name, request, masking)
                completion = await self._call(name, outgoing)
            except FALLBACK_ON as exc:
                attempts.append(Attempt(tier=name, error=type(exc).__name__))
                last = exc
                continue
            if session is not None:
                completion = _restore_completion(completion, session)
            served = Served(tier=name, degraded=index > 0, masked=masking, attempts=tuple(attempts))
            return completion, served
        raise self._exhausted(decision, attempts, last)

    async def open_stream(self, request: Request, decision: Decision) -> RoutedDeltas:
        """Start streaming from the first tier that produces a first delta."""
        attempts: list[Attempt] = []
        last: Exception | None = None
        for index, name in enumerate(self._order(decision)):
            masking = self._masking(name, decision)
            try:
                outgoing, session = self._prepare(name, request, masking)
                if not self.breakers[name].allows():
                    raise errors.CircuitOpen(name, "circuit open after recent failures")
                deltas = self.tiers[name].stream(outgoing)
                first = await _first(deltas)
            except FALLBACK_ON as exc:
                self._failed(name, exc)
                attempts.append(Attempt(tier=name, error=type(exc).__name__))
                last = exc
                continue
            served = Served(tier=name, degraded=index > 0, masked=masking, attempts=tuple(attempts))
            return RoutedDeltas(
                served=served,
                _first=first,
                _rest=deltas,
                _breaker=self.breakers[name],
                _restorer=session.stream_restorer() if session else None,
                _session=session,
            )
        raise self._exhausted(decision, attempts, last)

    def _order(self, decision: Decision) -> list[str]:
        if isinstance(decision.plan, Refuse):
            raise errors.NoEligibleTier(
                "no tier may serve this request: " + decision.summary(), decision.reasons
            )
        return [decision.plan.tier, *decision.fallbacks]

    def _masking(self, name: str, decision: Decision) -> bool:
        trusted = self.tiers[name].info.trusted
        if not trusted and decision.privacy_action == "local_only":
            # Defence in depth: the policy never plans this; refuse if it ever does.
            raise errors.SensitiveDataBlocked("sensitive data may not leave trusted tiers")
        return not trusted and decision.privacy_action == "mask"

    def _prepare(
        self, name: str, request: Request, masking: bool
    ) -> tuple[Request, MaskSession | None]:
        if not masking:
            return request, None
        if self.scanner is None:
            raise errors.SensitiveDataBlocked("masking needs the privacy scanner")
        # Every string that goes upstream is scanned, plus the joined text (a value may only
        # be recognisable across parts, e.g. "my password is" + "hunter2").
        parts = request.strings()
        joined = "\n".join(p for p in parts if p)
        assessments = self.scanner.assess_many([joined, *parts])
        if any(a.failed for a in assessments):
            # Cannot mask what we could not detect: this tier is out (fail closed).
            raise errors.TierUnavailable(name, "masking unavailable: detection failed")
        session = MaskSession()
        for text, assessment in zip([joined, *parts], assessments, strict=True):
            session.mask(text, assessment.entities)  # first pass: issue every placeholder
        # Second pass: each part masked with every value known, wherever it was found.
        entities = iter(assessments[1:])
        masked = request.map_strings(lambda text: session.mask(text, next(entities).entities))
        return masked, session

    async def _call(self, name: str, request: Request) -> Completion:
        breaker = self.breakers[name]
        if not breaker.allows():
            raise errors.CircuitOpen(name, "circuit open after recent failures")
        try:
            completion = await self.tiers[name].complete(request)
        except FALLBACK_ON as exc:
            self._failed(name, exc)
            raise
        breaker.record_success()
        return completion

    def _failed(self, name: str, exc: Exception) -> None:
        if not isinstance(exc, errors.CircuitOpen):
            self.breakers[name].record_failure()

    def _exhausted(
        self, decision: Decision, attempts: list[Attempt], last: Exception | None
    ) -> Exception:
        """With one tier tried, its own error (a 429 stays a 429); with several, a summary."""
        if len(attempts) == 1 and last is not None:
            return last
        tried = ", ".join(f"{a.tier} ({a.error})" for a in attempts) or "none"
        return errors.TierUnavailable(
            decision.plan.tier or "?", f"every eligible tier failed: {tried}"
        )


@dataclass(slots=True, kw_only=True)
class RoutedDeltas:
    """Deltas from the serving tier, restored if masked; the first one is already fetched."""

    served: Served
    _first: Delta
    _rest: AsyncIterator[Delta]
    _breaker: Breaker
    _restorer: StreamRestorer | None = None
    _session: MaskSession | None = None
    final: Delta | None = field(default=None)

    async def __aiter__(self) -> AsyncIterator[Delta]:
        try:
            yield self._restore(self._first)
            if self._first.finish_reason is None:
                async for delta in self._rest:
                    yield self._restore(delta)
                    if delta.finish_reason is not None:
                        break
        except FALLBACK_ON:
            self._breaker.record_failure()
            raise
        self._breaker.record_success()

    async def aclose(self) -> None:
        closer = getattr(self._rest, "aclose", None)
        if closer is not None:
            await closer()

    def _restore(self, delta: Delta) -> Delta:
        if delta.finish_reason is not None:
            self.final = delta
        if self._restorer is None or self._session is None:
            return delta
        text = self._restorer.feed(delta.text)
        if delta.finish_reason is None:
            return dataclasses.replace(delta, text=text)
        text += self._restorer.flush()
        calls = _restore_calls(delta.tool_calls, self._session)
        restored = dataclasses.replace(delta, text=text, tool_calls=calls)
        self.final = restored
        return restored


async def _first(deltas: AsyncIterator[Delta]) -> Delta:
    async for delta in deltas:
        return delta
    raise errors.BadResponse("?", "stream ended without any delta")


def _restore_completion(completion: Completion, session: MaskSession) -> Completion:
    return dataclasses.replace(
        completion,
        text=session.restore(completion.text),
        tool_calls=_restore_calls(completion.tool_calls, session),
    )


def _restore_calls(calls: Any, session: MaskSession) -> tuple[Mapping[str, Any], ...] | None:
    if not calls:
        return None
    restored = []
    for call in calls:
        fn = dict(call.get("function") or {})
        if isinstance(fn.get("arguments"), str):
            fn["arguments"] = session.restore_json_args(fn["arguments"])
        restored.append({**call, "function": fn})
    return tuple(restored)


__all__ = ["Attempt", "Executor", "RoutedDeltas", "Served"]
