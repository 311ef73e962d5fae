"""OpenAI wire models for the gateway (pydantic: untrusted data crosses here).

Request models forbid unknown fields, as OpenAI does ("unrecognized request argument"), so a
typo is a 400 rather than a silently ignored option. Every documented chat-completions field
is accepted; those hybridroute does not act on are listed in `IGNORED_FIELDS` and ignored.
Response models document the shapes in the OpenAPI schema; handlers build plain dicts.
"""

from __future__ import annotations

import math
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    field_validator,
    model_validator,
)

Mode = Literal["privacy-first", "performance-first", "cost-first", "balanced"]


class _Wire(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ContentPart(BaseModel):
    """One part of a multi-part message; only `text` parts can be routed."""

    model_config = ConfigDict(extra="allow")

    type: str = Field(max_length=64)
    text: str | None = None


class FunctionCall(_Wire):
    name: str = Field(max_length=256)
    arguments: str


class ToolCall(_Wire):
    id: str = Field(max_length=256)
    type: Literal["function"] = "function"
    function: FunctionCall


class ChatMessage(_Wire):
    role: Literal["system", "developer", "user", "assistant", "tool", "function"]
    content: str | list[ContentPart] | None = None
    name: str | None = Field(default=None, max_length=256)
    tool_calls: list[ToolCall] | None = None
    tool_call_id: str | None = Field(default=None, max_length=256)
    refusal: str | None = None
    # As OpenAI returns them, so a replayed history is accepted: the legacy `function_call`
    # is forwarded (and scanned) like `tool_calls`; an answer's `audio` reference and its
    # `annotations` (web-search citations) are outputs no other tier can use, and dropped.
    function_call: FunctionCall | None = None
    audio: dict[str, Any] | None = None
    annotations: list[dict[str, Any]] | None = None


class FunctionDefinition(_Wire):
    name: str = Field(pattern=r"^[A-Za-z0-9_-]{1,64}$")
    description: str | None = None
    parameters: dict[str, Any] | None = None
    strict: bool | None = None


class ToolDefinition(_Wire):
    type: Literal["function"]
    function: FunctionDefinition


class NamedFunction(_Wire):
    name: str = Field(max_length=64)


class NamedToolChoice(_Wire):
    type: Literal["function"]
    function: NamedFunction


class ResponseFormat(_Wire):
    type: Literal["text", "json_object", "json_schema"]
    json_schema: dict[str, Any] | None = None


class StreamOptions(_Wire):
    include_usage: bool | None = None
    include_obfuscation: bool | None = None


class RoutingOptions(_Wire):
    """hybridroute's own routing inputs (`extra_body={"hybridroute": {...}}` in the SDK)."""

    mode: Mode | None = None
    budget_ms: float | None = Field(default=None, gt=0, le=3_600_000)
    feature: str | None = Field(default=None, pattern=r"^[A-Za-z0-9_.:-]{1,64}$")
    min_quality: Literal["low", "medium", "high"] | None = None
    # Lower the system's own sensitivity label; needs `may_override_sensitivity`.
    sensitivity: Literal["allow", "mask"] | None = None

    @field_validator("budget_ms", mode="before")
    @classmethod
    def _not_a_bool(cls, value: Any) -> Any:
        # `true` is no number of milliseconds (pydantic would read it as 1); a header's "250"
        # still is.
        if isinstance(value, bool):
            raise ValueError("must be a number of milliseconds")
        return value


class ChatCompletionRequest(_Wire):
    """POST /v1/chat/completions (also the body of POST /v1/route)."""

    @model_validator(mode="before")
    @classmethod
    def _plain_json(cls, data: Any) -> Any:
        check_json_tree(data)
        return data

    model: str = Field(default="auto", min_length=1, max_length=256)
    messages: list[ChatMessage] = Field(min_length=1)
    # Strict where JSON has the type: `"stream": "yes"` or `"max_tokens": 5.0` is a 400, as
    # an unknown field is, not a guess.
    stream: StrictBool | None = False
    stream_options: StreamOptions | None = None
    max_tokens: StrictInt | None = Field(default=None, ge=1)
    max_completion_tokens: StrictInt | None = Field(default=None, ge=1)
    temperature: float | None = Field(default=None, ge=0, le=2)
    top_p: float | None = Field(default=None, ge=0, le=1)
    # An empty stop string matches at once: every answer would be empty.
    stop: str | list[str] | None = None
    seed: StrictInt | None = None
    n: StrictInt | None = Field(default=None, ge=1, le=1)
    tools: list[ToolDefinition] | None = None
    tool_choice: Literal["none", "auto", "required"] | NamedToolChoice | None = None
    parallel_tool_calls: StrictBool | None = None
    response_format: ResponseFormat | None = None
    hybridroute: RoutingOptions | None = None
    # Accepted for compatibility and ignored (see IGNORED_FIELDS).
    presence_penalty: float | None = Field(default=None, ge=-2, le=2)
    frequency_penalty: float | None = Field(default=None, ge=-2, le=2)
    logit_bias: dict[str, float] | None = None
    logprobs: StrictBool | None = None
    top_logprobs: StrictInt | None = Field(default=None, ge=0, le=20)
    user: str | None = None
    metadata: dict[str, str] | None = None
    store: StrictBool | None = None
    service_tier: str | None = None
    reasoning_effort: str | None = None
    prompt_cache_key: str | None = None
    safety_identifier: str | None = None

    @field_validator("stop")
    @classmethod
    def _no_empty_stop(cls, stop: str | list[str] | None) -> str | list[str] | None:
        if stop is not None and "" in ([stop] if isinstance(stop, str) else stop):
            raise ValueError("an empty stop string would end every answer at once")
        return stop


MAX_JSON_DEPTH = 64


def check_json_tree(data: Any) -> None:
    """Refuse what Python's JSON parser lets through but nothing downstream can carry.

    NaN/Infinity (not JSON; httpx refuses to send them upstream), strings with an unpaired
    UTF-16 surrogate such as "\\ud800" (not encodable as UTF-8) and nesting deeper than
    ``MAX_JSON_DEPTH`` (tool schemas are walked recursively). Iterative, so a deep body cannot
    exhaust the stack here either.
    """
    stack: list[tuple[Any, int]] = [(data, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_JSON_DEPTH:
            raise ValueError(f"the request is nested deeper than {MAX_JSON_DEPTH} levels")
        if isinstance(node, dict):
            stack.extend((key, depth) for key in node)
            stack.extend((value, depth + 1) for value in node.values())
        elif isinstance(node, list):
            stack.extend((item, depth + 1) for item in node)
        elif isinstance(node, float) and not math.isfinite(node):
            raise ValueError("NaN and Infinity are not valid JSON numbers")
        elif isinstance(node, str) and not node.isascii() and not _utf8_encodable(node):
            raise ValueError("a string holds an unpaired UTF-16 surrogate (\\ud800-\\udfff)")


def _utf8_encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


IGNORED_FIELDS = (
    "parallel_tool_calls",
    "presence_penalty",
    "frequency_penalty",
    "logit_bias",
    "logprobs",
    "top_logprobs",
    "user",
    "metadata",
    "store",
    "service_tier",
    "reasoning_effort",
    "prompt_cache_key",
    "safety_identifier",
)


# --- responses (documentation of the shapes; handlers emit plain dicts) ----------------------


class Usage(BaseModel):
    prompt_tokens: int
    completion_tokens: int
    total_tokens: int


class RoutingInfo(BaseModel):
    """Where and why a request was served; OpenAI clients ignore this field."""

    tier: str
    plan: str
    reasons: list[str]
    degraded: bool
    masked: bool
    cost_usd: float
    request_id: str


class AssistantMessage(BaseModel):
    role: Literal["assistant"]
    content: str | None
    tool_calls: list[ToolCall] | None = None


class Choice(BaseModel):
    index: int
    message: AssistantMessage
    finish_reason: str
    logprobs: None = None


class ChatCompletion(BaseModel):
    id: str
    object: Literal["chat.completion"]
    created: int
    model: str
    choices: list[Choice]
    usage: Usage
    hybridroute: RoutingInfo


class Model(BaseModel):
    id: str
    object: Literal["model"]
    created: int
    owned_by: str


class ModelList(BaseModel):
    object: Literal["list"]
    data: list[Model]


class ErrorDetail(BaseModel):
    message: str
    type: str
    param: str | None
    code: str | None


class ErrorBody(BaseModel):
    error: ErrorDetail


class RouteReason(BaseModel):
    rule: str
    message: str
    tier: str | None
    numbers: dict[str, float | str]


class RouteEstimate(BaseModel):
    tier: str
    eligible: bool
    quality: float
    latency_p50_ms: float
    latency_p95_ms: float
    cost_usd: float
    score: float | None


class RouteDecision(BaseModel):
    """POST /v1/route: the decision `hybridroute route --json` prints."""

    request_id: str
    plan: str
    tier: str | None
    fallbacks: list[str]
    sensitivity: float
    privacy_action: str
    reasons: list[RouteReason]
    estimates: list[RouteEstimate]
