"""The one exception tree of hybridroute.

    HybridRouteError
    ├── ConfigError                       names the file and the field
    ├── TierError (.tier)
    │   ├── TierUnavailable ── ConnectFailed, CircuitOpen
    │   ├── TierTimeout ────── ConnectTimeout, ReadTimeout, DeadlineExceeded
    │   ├── RateLimited (.retry_after)
    │   ├── AuthFailed
    │   ├── BadRequest         the tier refused the request itself (4xx other than auth/limits)
    │   │   ├── ContextOverflow    the prompt does not fit the tier's context window
    │   │   └── Unsupported        the tier cannot do what the request asks of it
    │   └── BadResponse        non-JSON, empty, SSE cut before [DONE]
    ├── NoEligibleTier (.reasons)
    └── SensitiveDataBlocked              fail closed

Messages name the tier, status codes and sizes, never prompt or answer text.
"""

from __future__ import annotations

from collections.abc import Sequence


class HybridRouteError(Exception):
    """Root of every error hybridroute raises on purpose."""


class ConfigError(HybridRouteError):
    """The configuration is invalid; the message names the file and the field."""


class TierError(HybridRouteError):
    """A tier failed to serve a request."""

    def __init__(self, tier: str, message: str) -> None:
        super().__init__(f"tier {tier!r}: {message}")
        self.tier = tier


class TierUnavailable(TierError):
    """The tier cannot be reached or is switched off; `retry_after`: when it may be back, if
    known (an open circuit breaker's remaining seconds)."""

    def __init__(self, tier: str, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(tier, message)
        self.retry_after = retry_after


class ConnectFailed(TierUnavailable):
    """The connection to the tier was refused or dropped."""


class CircuitOpen(TierUnavailable):
    """The tier's circuit breaker is open after recent failures."""


class TierTimeout(TierError):
    """The tier did not answer in time."""


class ConnectTimeout(TierTimeout):
    """Connecting to the tier timed out."""


class ReadTimeout(TierTimeout):
    """The tier stopped sending before the read timeout."""


class DeadlineExceeded(TierTimeout):
    """The request's total deadline passed."""


class RateLimited(TierError):
    """The tier answered 429."""

    def __init__(self, tier: str, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(tier, message)
        self.retry_after = retry_after


# The longest wait passed on as Retry-After: a day; beyond it a number is no hint to act on.
MAX_RETRY_AFTER_S = 86_400.0


class AuthFailed(TierError):
    """The tier rejected our credentials (401/403)."""


class BadRequest(TierError):
    """The tier rejected the request as invalid (a 4xx that is not auth or rate limiting)."""


class ContextOverflow(BadRequest):
    """The prompt does not fit the tier's context window. Under routing, another tier of the
    plan may still take it; a tier the caller chose answers it as a `BadRequest`."""


class Unsupported(BadRequest):
    """A valid request that asks for something this tier cannot do: a required tool call, a
    JSON schema beyond its grammar limits, messages its chat template refuses (no system role,
    roles that do not alternate). Like `ContextOverflow`, under routing another tier of the
    plan may still take it; a tier the caller chose answers it as a `BadRequest`. A malformed
    request is a plain `BadRequest`: no tier would take it."""


class BadResponse(TierError):
    """The tier answered something that is not a valid completion."""


class NoEligibleTier(HybridRouteError):
    """No configured tier satisfies the request's hard constraints."""

    def __init__(self, message: str, reasons: Sequence[object] = ()) -> None:
        super().__init__(message)
        self.reasons = tuple(reasons)


class SensitiveDataBlocked(HybridRouteError):
    """Sensitive data would have to leave the trusted boundary; refused (fail closed)."""
