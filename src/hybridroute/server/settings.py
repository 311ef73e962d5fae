"""The `server:` section of the config: API keys, limits and shutdown (pydantic, at the edge)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

Mode = Literal["privacy-first", "performance-first", "cost-first", "balanced"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class BudgetSettings(_Strict):
    """Optional per-key limits on requests and tokens in a fixed window of `period_s`."""

    requests: int | None = Field(default=None, ge=1)
    tokens: int | None = Field(default=None, ge=1)
    period_s: float = Field(default=3600.0, gt=0)


class ApiKeySettings(_Strict):
    """One API key, stored as the sha256 hex digest of the secret, and what it may do.

    `hybridroute hash-key` prints the digest of a secret. `tiers`/`modes` of None allow all.
    """

    name: str = Field(pattern=r"^[A-Za-z0-9_.@-]{1,64}$")
    sha256: str = Field(pattern=r"^[0-9a-fA-F]{64}$")
    tiers: tuple[str, ...] | None = None
    modes: tuple[Mode, ...] | None = None
    may_force_tier: bool = False
    may_override_sensitivity: bool = False
    budget: BudgetSettings | None = None

    @field_validator("sha256")
    @classmethod
    def _lower(cls, value: str) -> str:
        return value.lower()


class ServerSettings(_Strict):
    """How `hybridroute serve` admits and shapes requests.

    With no `api_keys` the gateway is open: every caller is the local owner (all tiers, may
    force a tier). Configure keys before binding to anything but loopback.
    """

    api_keys: tuple[ApiKeySettings, ...] = ()
    # Largest request body accepted, in bytes; larger bodies get 413 before any parsing.
    max_body_bytes: int = Field(default=1_048_576, ge=1024)
    # Seconds a request body may take to arrive once the gateway starts reading it (after the
    # key is checked); a slower one gets 408 and its connection is closed.
    body_timeout_s: float = Field(default=30.0, gt=0, le=3600)
    # `hybridroute serve` only: seconds a request's headers may take to arrive (from the
    # connection opening, or a keep-alive request's first byte); a slower client gets 408
    # and its connection is closed, so idle or dripping connections cannot hold sockets.
    header_timeout_s: float = Field(default=10.0, gt=0, le=3600)
    # `model` names accepted as aliases of "auto" or of a tier (e.g. {"gpt-4o-mini": "auto"}).
    model_aliases: dict[str, str] = Field(default_factory=dict)
    # `hybridroute serve` only: at most this many open connections (idle ones included) and
    # in-flight requests; a request beyond it gets uvicorn's own 503 (plain text). None: no limit.
    limit_concurrency: int | None = Field(default=None, ge=1)
    # Seconds in-flight requests get to finish after SIGTERM/SIGINT.
    shutdown_timeout_s: float = Field(default=30.0, gt=0)
    # Load the embedded model and warm the routing signals before reporting ready.
    warm_up: bool = True
    # `/readyz` reuses its last probe of the tiers for this many seconds (0: probe on each
    # call), and callers arriving during a probe share it: a caller polling it, or many at
    # once, cannot multiply the probes sent to the upstreams.
    readyz_cache_s: float = Field(default=1.0, ge=0, le=60)

    @field_validator("api_keys")
    @classmethod
    def _unique(cls, keys: tuple[ApiKeySettings, ...]) -> tuple[ApiKeySettings, ...]:
        for attr in ("name", "sha256"):
            values = [getattr(k, attr) for k in keys]
            dupes = sorted({v for v in values if values.count(v) > 1})
            if dupes:
                shown = dupes if attr == "name" else ["<digest>"]
                raise ValueError(f"duplicate api key {attr}: {', '.join(shown)}")
        return keys
