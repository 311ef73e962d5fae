"""One circuit breaker per tier: closed → open after repeated failures → half-open probe.

Every request the breaker lets through must end in exactly one verdict: `record_success`,
`record_failure`, or — when the outcome says nothing about the tier (the caller's own bad
request, a cancelled call, a client that hung up) — `release`, which frees the half-open
probe slot without closing or re-opening the circuit.

Each probe has a number (`probe`, right after `allows()`), and only the current probe's
verdict frees the slot: a probe that outlived its turn (the circuit re-opened meanwhile and a
newer probe went out) must not free the newer one's, or two probes would run at once.

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
    _probe: int = 0  # the number of the probe that is out; 0: none
    _probes: int = 0  # probes let through so far
    listeners: list[Callable[[BreakerState], None]] = field(default_factory=list)

    @property
    def state(self) -> BreakerState:
        if self._opened_at is None:
            return BreakerState.CLOSED
        if self.clock() - self._opened_at >= self.reset_after_s:
            return BreakerState.HALF_OPEN
        return BreakerState.OPEN

    def reopens_in(self) -> float | None:
        """Seconds until an open circuit lets a probe through; None unless it is open."""
        if self._opened_at is None:
            return None
        remaining = self.reset_after_s - (self.clock() - self._opened_at)
        return remaining if remaining > 0 else None

    def allows(self) -> bool:
        """Whether a request may go to the tier now (one probe at a time when half-open)."""
        state = self.state
        if state is BreakerState.CLOSED:
            return True
        if state is BreakerState.HALF_OPEN and not self._probe:
            self._probes += 1
            self._probe = self._probes
            return True
        return False

    @property
    def probing(self) -> bool:
        """Whether the one half-open probe is out (right after `allows()`: this call is it)."""
        return bool(self._probe)

    @property
    def probe(self) -> int:
        """The number of the probe that is out (right after `allows()`: this call's), or 0."""
        return self._probe

    def release(self, probe: int | None = None) -> None:
        """End probe number `probe` (default: the one out) without a verdict: the circuit
        stays half-open and the next call probes. A stale probe's release does nothing."""
        if probe is None or probe == self._probe:
            self._probe = 0

    def record_success(self) -> None:
        was_open = self._opened_at is not None
        self._failures, self._opened_at, self._probe = 0, None, 0
        if was_open:
            self._notify(BreakerState.CLOSED)

    def record_failure(self, probe: int = 0) -> None:
        """A failure of the tier; `probe`: the number of the probe it ended, if any. The
        current probe's failure re-opens the circuit; so does reaching the threshold."""
        self._failures += 1
        current = probe != 0 and probe == self._probe
        if current or self._failures >= self.failure_threshold:
            self._opened_at = self.clock()
            if current:
                self._probe = 0
            self._notify(BreakerState.OPEN)

    def _notify(self, state: BreakerState) -> None:
        for listener in self.listeners:
            listener(state)
