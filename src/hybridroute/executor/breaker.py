"""One circuit breaker per tier: closed → open after repeated failures → half-open probe.

Every request the breaker lets through must end in exactly one verdict: `record_success`,
`record_failure`, or — when the outcome says nothing about the tier (the caller's own bad
request, a cancelled call, a client that hung up) — `release`, which frees the half-open
probe slot without closing or re-opening the circuit.

Asyncio-native and driven by an injected clock, so tests never sleep.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum


class BreakerState(StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


@dataclass(slots=True)
class Breaker:
    """Counts consecutive failures; opens for `reset_after_s`, then lets one probe through."""

    clock: Callable[[], float]
    failure_threshold: int = 3
    reset_after_s: float = 30.0
    _failures: int = 0
    _opened_at: float | None = None
    _probing: bool = False
    listeners: list[Callable[[BreakerState], None]] = field(default_factory=list)

    @property
    def state(self) -> BreakerState:
        if self._opened_at is None:
            return BreakerState.CLOSED
        if self.clock() - self._opened_at >= self.reset_after_s:
            return BreakerState.HALF_OPEN
        return BreakerState.OPEN

    def allows(self) -> bool:
        """Whether a request may go to the tier now (one probe at a time when half-open)."""
        state = self.state
        if state is BreakerState.CLOSED:
            return True
        if state is BreakerState.HALF_OPEN and not self._probing:
            self._probing = True
            return True
        return False

    @property
    def probing(self) -> bool:
        """Whether the one half-open probe is out (right after `allows()`: this call is it)."""
        return self._probing

    def release(self) -> None:
        """End the probe without a verdict: the circuit stays half-open, the next call probes."""
        self._probing = False

    def record_success(self) -> None:
        was_open = self._opened_at is not None
        self._failures, self._opened_at, self._probing = 0, None, False
        if was_open:
            self._notify(BreakerState.CLOSED)

    def record_failure(self) -> None:
        self._failures += 1
        if self._probing or self._failures >= self.failure_threshold:
            self._opened_at = self.clock()
            self._probing = False
            self._notify(BreakerState.OPEN)

    def _notify(self, state: BreakerState) -> None:
        for listener in self.listeners:
            listener(state)
