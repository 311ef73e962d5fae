"""API keys → principals, and per-key request/token budgets.

Keys are stored as sha256 hex digests; the presented secret is hashed and looked up, so the
config never holds a usable secret. Budgets are fixed windows kept in memory per process.
"""

from __future__ import annotations

import hashlib
import math
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from hybridroute.context import OWNER, Mode, Principal
from hybridroute.errors import ConfigError
from hybridroute.server.errors import BudgetExceeded, Unauthenticated
from hybridroute.server.settings import ApiKeySettings, BudgetSettings


def hash_key(secret: str) -> str:
    """The sha256 hex digest stored in the config for an API key secret."""
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True, slots=True, kw_only=True)
class Caller:
    """An authenticated caller: its principal and its budget (if any)."""

    principal: Principal
    budget: BudgetSettings | None = None


# With no keys configured, the gateway is the owner's local process: every tier may be used
# and forced, but the privacy label may not be lowered from the wire (nobody is accountable).
OPEN_CALLER = Caller(
    principal=Principal(name=OWNER.name, may_force_tier=True, may_override_sensitivity=False)
)


class KeyTable:
    """Maps presented bearer secrets to callers."""

    def __init__(self, keys: Iterable[ApiKeySettings], *, tier_names: Iterable[str]) -> None:
        known = set(tier_names)
        self._by_digest: dict[str, Caller] = {}
        for key in keys:
            unknown = sorted(set(key.tiers or ()) - known)
            if unknown:
                raise ConfigError(
                    f"server.api_keys.{key.name}.tiers: unknown tier(s): {', '.join(unknown)}"
                )
            self._by_digest[key.sha256] = Caller(principal=_principal(key), budget=key.budget)

    @property
    def open(self) -> bool:
        return not self._by_digest

    def authenticate(self, authorization: str | None, api_key: str | None = None) -> Caller:
        """The caller for an `Authorization: Bearer …` (or `x-api-key`) header value."""
        if self.open:
            return OPEN_CALLER
        secret = _bearer(authorization) or (api_key or "").strip()
        if not secret:
            raise Unauthenticated(
                "missing API key: send 'Authorization: Bearer <key>'", param="authorization"
            )
        caller = self._by_digest.get(hash_key(secret))
        if caller is None:
            raise Unauthenticated("invalid API key", param="authorization")
        return caller


@dataclass(slots=True)
class _Window:
    started: float
    requests: int = 0
    tokens: int = 0


@dataclass(slots=True)
class BudgetLedger:
    """Counts requests and tokens per principal in fixed windows (in memory, per process)."""

    clock: Callable[[], float] = time.monotonic
    _windows: dict[str, _Window] = field(default_factory=dict)

    def admit(self, caller: Caller, *, reserve: int = 0) -> int:
        """Count one request and hold `reserve` tokens for it (its `max_tokens`), or raise
        `BudgetExceeded` if the window's budget is spent. Returns the tokens held, which
        `charge` gives back: concurrent requests cannot all pass a budget that is nearly spent.
        """
        budget = caller.budget
        if budget is None:
            return 0
        window = self._window(caller.principal.name, budget)
        retry_after = max(window.started + budget.period_s - self.clock(), 0.0)
        if budget.requests is not None and window.requests >= budget.requests:
            raise BudgetExceeded(
                f"request budget of {budget.requests} per {budget.period_s:g}s used up",
                retry_after=retry_after,
            )
        if budget.tokens is not None and window.tokens >= budget.tokens:
            raise BudgetExceeded(
                f"token budget of {budget.tokens} per {budget.period_s:g}s used up",
                retry_after=retry_after,
            )
        window.requests += 1
        held = reserve if budget.tokens is not None else 0
        window.tokens += held
        return held

    def charge(self, caller: Caller, tokens: int, *, held: int = 0) -> None:
        """Add the tokens a request used, in place of the `held` ones `admit` counted."""
        if caller.budget is not None:
            window = self._window(caller.principal.name, caller.budget)
            # A window may have turned over since `admit`: never below zero.
            window.tokens = max(window.tokens + tokens - held, 0)

    def _window(self, name: str, budget: BudgetSettings) -> _Window:
        now = self.clock()
        window = self._windows.get(name)
        if window is None or now - window.started >= budget.period_s:
            # Align to the period so Retry-After is the time left in the current window.
            start = window.started if window else now
            if window is not None:
                start += math.floor((now - start) / budget.period_s) * budget.period_s
            window = self._windows[name] = _Window(started=start)
        return window


def _principal(key: ApiKeySettings) -> Principal:
    return Principal(
        name=key.name,
        tiers=frozenset(key.tiers) if key.tiers is not None else None,
        modes=frozenset(Mode(m) for m in key.modes) if key.modes is not None else None,
        may_force_tier=key.may_force_tier,
        may_override_sensitivity=key.may_override_sensitivity,
    )


def _bearer(header: str | None) -> str:
    if not header:
        return ""
    scheme, _, value = header.strip().partition(" ")
    return value.strip() if scheme.lower() == "bearer" else ""
