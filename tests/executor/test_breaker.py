"""The circuit breaker with an injected clock: no sleeping in tests."""

from __future__ import annotations

from hybridroute.executor.breaker import Breaker, BreakerState


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_opens_after_threshold_and_probes_after_reset() -> None:
    clock = Clock()
    seen: list[BreakerState] = []
    breaker = Breaker(clock=clock, failure_threshold=3, reset_after_s=30, listeners=[seen.append])
    for _ in range(2):
        breaker.record_failure()
    assert breaker.state is BreakerState.CLOSED and breaker.allows()
    breaker.record_failure()
    assert breaker.state is BreakerState.OPEN and not breaker.allows()
    clock.now = 29.9
    assert not breaker.allows()
    clock.now = 30.0
    assert breaker.state is BreakerState.HALF_OPEN
    assert breaker.allows()  # one probe
    assert not breaker.allows()  # and only one
    breaker.record_success()
    assert breaker.state is BreakerState.CLOSED and breaker.allows()
    assert seen == [BreakerState.OPEN, BreakerState.CLOSED]


def test_failed_probe_reopens_at_once() -> None:
    clock = Clock()
    breaker = Breaker(clock=clock, failure_threshold=2, reset_after_s=10)
    breaker.record_failure()
    breaker.record_failure()
    clock.now = 10
    assert breaker.allows()
    breaker.record_failure()
    assert breaker.state is BreakerState.OPEN
    clock.now = 19.9
    assert not breaker.allows()


def test_success_resets_the_count() -> None:
    breaker = Breaker(clock=Clock(), failure_threshold=2)
    breaker.record_failure()
    breaker.record_success()
    breaker.record_failure()
    assert breaker.state is BreakerState.CLOSED
