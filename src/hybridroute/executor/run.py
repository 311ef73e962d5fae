"""Execute a decision: call the planned tier, mask/restore when needed, degrade on failure.

Fallback follows the decision's ordered fallbacks (all of which passed the hard constraints,
privacy included; a forced tier has none). Errors that are the caller's fault (`BadRequest`)
are not retried elsewhere, except those about one tier only: a prompt longer than its context
window (`ContextOverflow`: the router sized it by an estimate, and the next tier's window may
hold it) and a feature it lacks (`Unsupported`: a required tool call, a schema beyond its
grammar limits, messages its chat template refuses), which the next tier may have.
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
from hybridroute.privacy.masking import bare_placeholders
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
# ...and the request errors the next tier may not share. They say nothing about this tier's
# health, so unlike the failures above they never count against its breaker.
THIS_TIER_ONLY = (errors.ContextOverflow, errors.Unsupported)
NEXT_TIER_ON = (*FALLBACK_ON, *THIS_TIER_ONLY)


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
        failures: list[Exception] = []
        for index, name in enumerate(self._order(decision)):
            masking = self._masking(name, decision)
            try:
                outgoing, session = self._prepare(name, request, masking)
                completion = await self._call(name, outgoing)
            except NEXT_TIER_ON as exc:
                attempts.append(Attempt(tier=name, error=type(exc).__name__))
                failures.append(exc)
                continue
            if session is not None:
                completion = _restore_completion(completion, session)
            served = Served(tier=name, degraded=index > 0, masked=masking, attempts=tuple(attempts))
            return completion, served
        raise self._exhausted(decision, attempts, failures)

    async def open_stream(self, request: Request, decision: Decision) -> RoutedDeltas:
        """Start streaming from the first tier that produces a first delta."""
        attempts: list[Attempt] = []
        failures: list[Exception] = []
        for index, name in enumerate(self._order(decision)):
            masking = self._masking(name, decision)
            try:
                outgoing, session = self._prepare(name, request, masking)
                deltas, first, probe = await self._open(name, outgoing)
            except NEXT_TIER_ON as exc:
                attempts.append(Attempt(tier=name, error=type(exc).__name__))
                failures.append(exc)
                continue
            served = Served(tier=name, degraded=index > 0, masked=masking, attempts=tuple(attempts))
            return RoutedDeltas(
                served=served,
                _first=first,
                _rest=deltas,
                _breaker=self.breakers[name],
                _probe=probe,
                _restorer=session.stream_restorer() if session else None,
                _session=session,
            )
        raise self._exhausted(decision, attempts, failures)

    def _order(self, decision: Decision) -> list[str]:
        if isinstance(decision.plan, Refuse):
            # Down tiers behind an open breaker say when the first may be probed again.
            down = {r.tier for r in decision.reasons if r.rule == "tier_unavailable"}
            waits = [
                wait
                for tier, breaker in self.breakers.items()
                if tier in down and (wait := breaker.reopens_in()) is not None
            ]
            raise refusal(decision, decision.plan, retry_after=min(waits, default=None))
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
        return _identifiers_bare(masked), session

    async def _call(self, name: str, request: Request) -> Completion:
        probe = self._admit(name)
        try:
            completion = await self.tiers[name].complete(request)
        except BaseException as exc:
            self._failed(name, exc, probe=probe)
            raise
        self.breakers[name].record_success()
        return completion

    async def _open(self, name: str, request: Request) -> tuple[AsyncIterator[Delta], Delta, int]:
        """Start the tier's stream and fetch its first delta; the verdict waits for the end."""
        probe = self._admit(name)
        try:
            deltas = self.tiers[name].stream(request)
            first = await _first(deltas)
        except BaseException as exc:
            self._failed(name, exc, probe=probe)
            raise
        return deltas, first, probe

    def _admit(self, name: str) -> int:
        """Pass the tier's breaker or raise `CircuitOpen`; the probe's number when this call
        is the half-open probe, else 0."""
        breaker = self.breakers[name]
        if not breaker.allows():
            raise errors.CircuitOpen(name, "circuit open after recent failures")
        return breaker.probe

    def _failed(self, name: str, exc: BaseException, *, probe: int) -> None:
        _verdict_on_error(self.breakers[name], exc, probe=probe)

    def _exhausted(
        self, decision: Decision, attempts: list[Attempt], failures: list[Exception]
    ) -> Exception:
        """With one tier tried, its own error (a 429 stays a 429); when every tier tried refused
        the request itself (too long, or asking for what it cannot do), the last one's (a 400:
        retrying will not help); else a summary."""
        refused = all(isinstance(f, THIS_TIER_ONLY) for f in failures)
        if failures and (len(failures) == 1 or refused):
            return failures[-1]
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
    _probe: int = 0  # the breaker's probe number when this stream is the half-open probe
    _restorer: StreamRestorer | None = None
    _session: MaskSession | None = None
    final: Delta | None = field(default=None)
    _settled: bool = False

    async def __aiter__(self) -> AsyncIterator[Delta]:
        try:
            yield self._restore(self._first)
            if self._first.finish_reason is None:
                async for delta in self._rest:
                    yield self._restore(delta)
                    if delta.finish_reason is not None:
                        break
        except BaseException as exc:  # GeneratorExit when the consumer stops early
            self._settle(exc)
            raise
        self._settle(None)

    async def aclose(self) -> None:
        try:
            closer = getattr(self._rest, "aclose", None)
            if closer is not None:
                await closer()
        finally:
            # Closed before the end (or never iterated): abandoned, unless already settled.
            self._settle(GeneratorExit())

    def _settle(self, error: BaseException | None) -> None:
        """Give the breaker its one verdict on this stream."""
        if self._settled:
            return
        self._settled = True
        if error is None or (self.final is not None and not isinstance(error, FALLBACK_ON)):
            self._breaker.record_success()  # the last delta arrived: the tier did its job
        else:
            _verdict_on_error(self._breaker, error, probe=self._probe)

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


def refusal(
    decision: Decision, plan: Refuse, *, retry_after: float | None = None
) -> errors.HybridRouteError:
    """The error a refusal is to the caller: retry later (503, with `retry_after` when known),
    protected data (403), or a request this deployment cannot serve (422)."""
    why = decision.summary()
    if plan.cause == "unavailable":
        down = next((r.tier for r in decision.reasons if r.rule == "tier_unavailable"), None)
        return errors.TierUnavailable(
            down or "?", f"down for now, retry later: {why}", retry_after=retry_after
        )
    if plan.cause == "sensitive":
        return errors.SensitiveDataBlocked(f"sensitive data may not reach the tier(s): {why}")
    return errors.NoEligibleTier("no tier may serve this request: " + why, decision.reasons)


def _verdict_on_error(breaker: Breaker, exc: BaseException, *, probe: int) -> None:
    """A failure of the tier counts; anything else only frees the half-open probe slot.

    `BadRequest` is the caller's fault: it does not count against the tier, and it does not
    close the circuit either, since a 4xx proves little (a 404 from a misrouted proxy is one).
    Cancellation, a consumer that stops early (`GeneratorExit`) and unexpected errors say
    nothing about the tier. Releasing lets the next call probe instead of leaving the breaker
    half-open with its probe slot taken forever.
    """
    if isinstance(exc, FALLBACK_ON):
        breaker.record_failure(probe)
    elif probe:
        breaker.release(probe)


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
        if isinstance(fn.get("name"), str):
            fn["name"] = session.restore_identifier(fn["name"])
        restored.append({**call, "function": fn})
    return tuple(restored)


def _identifiers_bare(request: Request) -> Request:
    """Placeholders without their brackets where the wire format wants an identifier: a
    message's `name`, function names in tools, tool calls and a named `tool_choice`, and a
    `response_format.json_schema` name (OpenAI: '^[a-zA-Z0-9_-]+$'). Bare placeholders that
    come back (a tool call named after the schema, the name in the answer) are restored."""

    def named(node: Any) -> Any:
        if isinstance(node, Mapping) and isinstance(node.get("name"), str):
            return {**node, "name": bare_placeholders(node["name"])}
        return node

    def with_function(node: Any) -> Any:
        if isinstance(node, Mapping) and isinstance(node.get("function"), Mapping):
            return {**node, "function": named(node["function"])}
        return node

    messages = []
    for message in request.messages:
        extra = named(message.extra)
        if isinstance(extra.get("tool_calls"), list | tuple):
            extra = {**extra, "tool_calls": [with_function(c) for c in extra["tool_calls"]]}
        messages.append(dataclasses.replace(message, extra=extra))
    response_format = request.response_format
    if response_format is not None and isinstance(response_format.get("json_schema"), Mapping):
        response_format = {**response_format, "json_schema": named(response_format["json_schema"])}
    return dataclasses.replace(
        request,
        messages=tuple(messages),
        tools=tuple(with_function(t) for t in request.tools) if request.tools else request.tools,
        tool_choice=with_function(request.tool_choice),
        response_format=response_format,
    )


__all__ = ["Attempt", "Executor", "RoutedDeltas", "Served"]
