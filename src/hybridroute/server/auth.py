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


# Tokens held for a request that sets neither `max_tokens` nor `max_completion_tokens` (the
# embedded tier's own default answer length): without a hold, any number of such requests in
# flight could pass a budget that is nearly spent. Its real usage replaces the hold at the end.
DEFAULT_RESERVE_TOKENS = 512


@dataclass(slots=True)
class _Window:
    started: float
    requests: int = 0
    tokens: int = 0  # used by requests that ended in this window
    held: int = 0  # held by requests still in flight (whichever window admitted them)


@dataclass(slots=True)
class BudgetLedger:
    """Counts requests and tokens per principal in fixed windows (in memory, per process)."""

    clock: Callable[[], float] = time.monotonic
    _windows: dict[str, _Window] = field(default_factory=dict)

    def reserve(self, caller: Caller, max_tokens: int | None) -> Reservation:
        """`admit` a request that may produce `max_tokens` (None: `DEFAULT_RESERVE_TOKENS`);
        settle the returned reservation exactly once, whatever the request's outcome."""
        reserve = DEFAULT_RESERVE_TOKENS if max_tokens is None else max_tokens
        return Reservation(self, caller, self.admit(caller, reserve=reserve))

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
        if budget.tokens is not None and window.tokens + window.held >= budget.tokens:
            in_flight = " (counting tokens held by requests in flight)" if window.held else ""
            raise BudgetExceeded(
                f"token budget of {budget.tokens} per {budget.period_s:g}s used up{in_flight}",
                retry_after=retry_after,
            )
        window.requests += 1
        held = max(reserve, 0) if budget.tokens is not None else 0
        window.held += held
        return held

    def charge(self, caller: Caller, tokens: int, *, held: int = 0) -> None:
        """Add the tokens a request used, in place of the `held` ones `admit` counted."""
        if caller.budget is not None:
            window = self._window(caller.principal.name, caller.budget)
            window.held = max(window.held - held, 0)
            window.tokens += max(tokens, 0)

    def usage(self, caller: Caller) -> tuple[int, int]:
        """`caller`'s tokens used in the current window and tokens held by its requests in
        flight (read-only: no window is opened or turned over)."""
        window = self._windows.get(caller.principal.name)
        if window is None or caller.budget is None:
            return 0, 0
        expired = self.clock() - window.started >= caller.budget.period_s
        return (0 if expired else window.tokens), window.held

    def _window(self, name: str, budget: BudgetSettings) -> _Window:
        now = self.clock()
        window = self._windows.get(name)
        if window is None or now - window.started >= budget.period_s:
            # Align to the period so Retry-After is the time left in the current window.
            start = window.started if window else now
            if window is not None:
                start += math.floor((now - start) / budget.period_s) * budget.period_s
            # Requests still in flight keep their holds: they are charged in the new window.
            held = window.held if window else 0
            window = self._windows[name] = _Window(started=start, held=held)
        return window


class Reservation:
    """The tokens `BudgetLedger.reserve` held for one request. `settle` gives them back in
    exchange for the tokens the request used; only its first call counts, so every way out of
    a request (answer, error, client gone, server stopping) may settle without double charges.
    """

    __slots__ = ("_caller", "_ledger", "held", "settled")

    def __init__(self, ledger: BudgetLedger, caller: Caller, held: int) -> None:
        self._ledger = ledger
        self._caller = caller
        self.held = held
        self.settled = False

    def settle(self, used: int = 0) -> None:
        """Charge `used` tokens in place of the hold (0: the request used none, e.g. it
        failed before any answer); later calls do nothing."""
        if not self.settled:
            self.settled = True
            self._ledger.charge(self._caller, used, held=self.held)


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
