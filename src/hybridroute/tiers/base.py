"""The one interface every backend implements."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import AsyncIterator
from dataclasses import dataclass
from enum import StrEnum
from typing import Self

from hybridroute.signals.tokens import Vocabulary
from hybridroute.types import Completion, Delta, Location, Request


@dataclass(frozen=True, slots=True, kw_only=True)
class LatencyProfile:
    """How fast a tier is: prompt and output token rates plus network round trip."""

    prefill_tps: float
    decode_tps: float
    rtt_ms: float = 0.0


@dataclass(frozen=True, slots=True, kw_only=True)
class TierInfo:
    """Declared attributes of a tier, used by the policy."""

    name: str
    location: Location
    trusted: bool
    model: str
    price_in_per_m: float = 0.0
    price_out_per_m: float = 0.0
    context_window: int = 8192
    latency: LatencyProfile
    vocabulary: Vocabulary = "small"  # how its tokenizer splits text (`approx_tokens`)


class HealthStatus(StrEnum):
    UP = "up"
    DOWN = "down"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True, kw_only=True)
class Health:
    status: HealthStatus
    detail: str = ""
    latency_ms: float | None = None


class Tier(ABC):
    """A backend that answers chat requests: the embedded model or a remote endpoint."""

    info: TierInfo

    @property
    def name(self) -> str:
        return self.info.name

    @abstractmethod
    async def complete(self, request: Request) -> Completion:
        """Answer the request in one piece."""

    @abstractmethod
    def stream(self, request: Request) -> AsyncIterator[Delta]:
        """Answer the request as deltas; the last one carries finish reason, usage, timings."""

    async def health(self) -> Health:
        return Health(status=HealthStatus.UNKNOWN)

    async def aclose(self) -> None:  # noqa: B027 - optional hook, default does nothing
        """Release connections, threads or model memory."""

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()
