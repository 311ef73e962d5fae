"""Domain values that flow through the router: requests, completions, stream deltas.

Frozen dataclasses inside; pydantic only at the edges (config, HTTP, CLI JSON).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
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
        """Every string this request would send upstream, joined: what privacy must scan.

        Not only message content: tool-call arguments, names, tool definitions, stop
        sequences and response schemas can carry personal data too.
        """
        return "\n".join(s for s in self.strings() if s)

    def strings(self) -> list[str]:
        """The string leaves sent upstream, in a fixed order (see `map_strings`)."""
        found: list[str] = []

        def collect(value: str) -> str:
            found.append(value)
            return value

        self.map_strings(collect)
        return found

    def map_strings(self, change: Callable[[str], str]) -> Request:
        """A copy with `change` applied to every string sent upstream, in a fixed order.

        Besides string leaves that is object keys (a tool's property may be named after a
        value), integers, also written as floats (a schema's `const`/`enum` can hold a card
        number; a masked one becomes its placeholder string), a named `tool_choice` and
        `seed`. Keys of the JSON Schema and OpenAI vocabulary are left alone so that masking
        never breaks a schema's structure. A `seed` that `change` alters is dropped, not
        replaced: the wire field takes only an integer, so it cannot carry a placeholder, and a
        seed only asks for repeatable sampling (optional on every OpenAI-compatible API), so
        the answer loses nothing.
        """
        messages = tuple(
            replace(
                m,
                content=change(m.content) if m.content else m.content,
                extra=_map_leaves(m.extra, change),
            )
            for m in self.messages
        )
        return replace(
            self,
            messages=messages,
            stop=tuple(change(s) for s in self.stop),
            tools=_map_leaves(self.tools, change) if self.tools else self.tools,
            tool_choice=_map_leaves(self.tool_choice, change)
            if isinstance(self.tool_choice, Mapping)
            else self.tool_choice,
            response_format=_map_leaves(self.response_format, change)
            if self.response_format
            else self.response_format,
            seed=self.seed
            if self.seed is None or change(str(self.seed)) == str(self.seed)
            else None,
        )


def _map_leaves(node: Any, change: Callable[[str], str]) -> Any:
    """Apply `change` to every string, integer (also one written as a float) and
    non-vocabulary key in nested JSON."""
    if isinstance(node, str):
        return change(node)
    # A number written with a point ("const": 4111111111111111.0) is read as its digits too.
    if (isinstance(node, int) and not isinstance(node, bool)) or (
        isinstance(node, float) and node.is_integer() and abs(node) < 1e16
    ):
        text = str(int(node))
        changed = change(text)
        return node if changed == text else changed
    if isinstance(node, Mapping):
        mapped: dict[Any, Any] = {}
        for key, value in node.items():  # key before value: the order `strings()` relies on
            new_key = change(key) if isinstance(key, str) and key not in VOCABULARY else key
            mapped[new_key] = _map_leaves(value, change)
        return mapped
    if isinstance(node, list | tuple):
        return type(node)(_map_leaves(value, change) for value in node)
    return node


# Object keys that are structure, not data: the OpenAI wire format and JSON Schema keywords.
VOCABULARY = frozenset(
    """
    role content name tool_calls tool_call_id function_call refusal id type function arguments
    description parameters strict json_schema schema properties items prefixItems required enum
    const default examples title format pattern minimum maximum exclusiveMinimum exclusiveMaximum
    multipleOf minLength maxLength minItems maxItems uniqueItems minProperties maxProperties
    additionalProperties patternProperties propertyNames anyOf oneOf allOf not if then else
    $ref $defs definitions $schema $id $comment contains dependentRequired dependentSchemas
    nullable text image_url url detail
    """.split()
)


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
