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


def half_open(clock: Clock, seen: list[BreakerState] | None = None) -> Breaker:
    breaker = Breaker(clock=clock, failure_threshold=1, reset_after_s=10)
    if seen is not None:
        breaker.listeners.append(seen.append)
    breaker.record_failure()
    clock.now = 10
    return breaker


def test_a_released_probe_frees_the_slot_without_a_verdict() -> None:
    clock = Clock()
    seen: list[BreakerState] = []
    breaker = half_open(clock, seen)
    assert breaker.allows() and breaker.probing
    assert not breaker.allows()
    breaker.release()  # the probe was cancelled, or the caller's request was bad
    assert breaker.state is BreakerState.HALF_OPEN and not breaker.probing
    assert breaker.allows(), "the next call must be let through as the new probe"
    assert not breaker.allows()
    breaker.record_success()
    assert breaker.state is BreakerState.CLOSED
    assert seen == [BreakerState.OPEN, BreakerState.CLOSED]


def test_releases_never_close_or_reopen_the_circuit() -> None:
    clock = Clock()
    breaker = half_open(clock)
    for _ in range(5):
        assert breaker.allows()
        breaker.release()
    assert breaker.state is BreakerState.HALF_OPEN
    clock.now = 1_000
    assert breaker.state is BreakerState.HALF_OPEN


def test_a_closed_breaker_has_no_probe_and_release_keeps_the_count() -> None:
    breaker = Breaker(clock=Clock(), failure_threshold=2)
    assert breaker.allows() and not breaker.probing
    breaker.record_failure()
    breaker.release()
    breaker.record_failure()
    assert breaker.state is BreakerState.OPEN


def test_one_probe_at_a_time_even_when_older_requests_end_meanwhile() -> None:
    # Review 19: an old request's failure re-opened the circuit while probe 1 was out and freed
    # its slot; probe 2 went out later, and probe 1's release then let a third call through.
    clock = Clock()
    breaker = half_open(clock)
    assert breaker.allows()
    first = breaker.probe
    breaker.record_failure()  # a request admitted while it was closed fails now
    assert breaker.state is BreakerState.OPEN
    clock.now += 10
    assert not breaker.allows(), "probe 1 is still out"
    breaker.record_success()  # another old request succeeds: the circuit closes
    for _ in range(2):  # and opens again
        breaker.record_failure()
    clock.now += 10
    assert breaker.allows()
    second = breaker.probe
    assert second != first
    breaker.release(first)  # probe 1's client hangs up at last: a stale verdict
    assert breaker.probe == second and not breaker.allows()
    breaker.record_failure(first)  # its failure counts (it re-opens), but frees no slot
    assert breaker.probe == second
    breaker.release(second)
    clock.now += 10
    assert breaker.allows() and breaker.probe > second
