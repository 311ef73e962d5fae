"""Domain values that flow through the router: requests, completions, stream deltas.

Frozen dataclasses inside; pydantic only at the edges (config, HTTP, CLI JSON).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Location(StrEnum):
    """Where a tier runs, from closest to the data to farthest."""

    DEVICE = "device"
    EDGE = "edge"
    PRIVATE_CLOUD = "private_cloud"
    PUBLIC_CLOUD = "public_cloud"


@dataclass(frozen=True, slots=True, kw_only=True)
class Message:
    """One chat message. `extra` carries wire fields we pass through (tool_calls, name…)."""

    role: str
    content: str | None
    extra: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True, kw_only=True)
class Request:
    """What a caller asks of a tier: messages plus generation parameters."""

    messages: tuple[Message, ...]
    max_tokens: int | None = None
    temperature: float | None = None
    top_p: float | None = None
    stop: tuple[str, ...] = ()
    seed: int | None = None
    tools: tuple[Mapping[str, Any], ...] | None = None
    tool_choice: Any = None
    response_format: Mapping[str, Any] | None = None
    # Ask the tier for per-token logprob/entropy (the cascade's confidence signal).
    want_token_stats: bool = False

    @classmethod
    def from_prompt(cls, prompt: str, **kwargs: Any) -> Request:
        return cls(messages=(Message(role="user", content=prompt),), **kwargs)

    def text(self) -> str:
        """All message text joined, for signals that read the whole request."""
        return "\n".join(m.content for m in self.messages if m.content)


@dataclass(frozen=True, slots=True, kw_only=True)
class Usage:
    prompt_tokens: int = 0
    completion_tokens: int = 0

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens


@dataclass(frozen=True, slots=True, kw_only=True)
class Timings:
    """Wall-clock facts about one completion, in milliseconds and tokens/s."""

    ttft_ms: float | None = None
    total_ms: float = 0.0
    decode_tps: float | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class TokenStat:
    """Confidence facts for one generated token (natural log)."""

    logprob: float | None
    entropy: float | None


@dataclass(frozen=True, slots=True, kw_only=True)
class Completion:
    """A finished answer from one tier."""

    tier: str
    text: str
    finish_reason: str
    usage: Usage
    timings: Timings
    model: str | None = None
    tool_calls: tuple[Mapping[str, Any], ...] | None = None
    token_stats: tuple[TokenStat, ...] | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Delta:
    """One streamed piece. The last delta has `finish_reason`, `usage` and `timings` set."""

    text: str = ""
    finish_reason: str | None = None
    usage: Usage | None = None
    timings: Timings | None = None
    tool_calls: Sequence[Mapping[str, Any]] | None = None
    token_stats: tuple[TokenStat, ...] = ()
