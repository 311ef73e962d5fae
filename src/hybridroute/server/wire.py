"""Translation between the OpenAI wire format and hybridroute's domain values."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from hybridroute.plans import Decision
from hybridroute.router import Routed
from hybridroute.server.errors import InvalidRequest
from hybridroute.server.schemas import ChatCompletionRequest, ChatMessage
from hybridroute.types import Delta, Message, Request, Usage


def to_request(body: ChatCompletionRequest) -> Request:
    """The domain request for a validated wire body."""
    stop = body.stop
    return Request(
        messages=tuple(_message(i, m) for i, m in enumerate(body.messages)),
        max_tokens=body.max_completion_tokens or body.max_tokens,
        temperature=body.temperature,
        top_p=body.top_p,
        stop=(stop,) if isinstance(stop, str) else tuple(stop or ()),
        seed=body.seed,
        tools=tuple(t.model_dump(exclude_none=True) for t in body.tools) if body.tools else None,
        tool_choice=_dump(body.tool_choice),
        response_format=_response_format(body),
    )


def routing_info(
    *, decision: Decision, tier: str, degraded: bool, masked: bool, cost: float, request_id: str
) -> dict[str, Any]:
    """The `hybridroute` field added to answers (OpenAI clients ignore unknown fields)."""
    return {
        "tier": tier,
        "plan": decision.plan.kind,
        "reasons": list(dict.fromkeys(r.rule for r in decision.reasons)),
        "degraded": degraded,
        "masked": masked,
        "cost_usd": round(cost, 10),
        "request_id": request_id,
    }


def routing_headers(
    *, decision: Decision, tier: str, degraded: bool, request_id: str, cost: float | None
) -> dict[str, str]:
    """`x-hybridroute-*` response headers (cost is absent on streams: known only at the end)."""
    headers = {
        "x-hybridroute-tier": tier,
        "x-hybridroute-plan": decision.plan.kind,
        "x-hybridroute-reason": decision.summary(),
        "x-hybridroute-degraded": "true" if degraded else "false",
        "x-hybridroute-request-id": request_id,
    }
    if cost is not None:
        headers["x-hybridroute-cost-usd"] = f"{cost:.10f}"
    return headers


def completion_body(routed: Routed, *, model: str, created: int) -> dict[str, Any]:
    """A `chat.completion` object for a routed answer."""
    c = routed.completion
    message: dict[str, Any] = {"role": "assistant", "content": c.text}
    if c.tool_calls:
        message["tool_calls"] = [dict(call) for call in c.tool_calls]
        message["content"] = c.text or None
    return {
        "id": f"chatcmpl-{routed.request_id}",
        "object": "chat.completion",
        "created": created,
        "model": model,
        "choices": [
            {"index": 0, "message": message, "finish_reason": c.finish_reason, "logprobs": None}
        ],
        "usage": usage_body(c.usage),
        "hybridroute": routing_info(
            decision=routed.decision,
            tier=routed.tier,
            degraded=routed.degraded,
            masked=routed.served.masked,
            cost=routed.cost_usd,
            request_id=routed.request_id,
        ),
    }


def usage_body(usage: Usage) -> dict[str, int]:
    return {
        "prompt_tokens": usage.prompt_tokens,
        "completion_tokens": usage.completion_tokens,
        "total_tokens": usage.total_tokens,
    }


class ChunkWriter:
    """Frames `chat.completion.chunk` events as SSE for one streamed answer."""

    def __init__(self, *, request_id: str, model: str, created: int) -> None:
        self._head = {
            "id": f"chatcmpl-{request_id}",
            "object": "chat.completion.chunk",
            "created": created,
            "model": model,
        }
        self._started = False

    def delta(self, delta: Delta) -> bytes:
        """The content event for one delta (the first also carries the role)."""
        if not delta.text and self._started:
            return b""
        piece: dict[str, Any] = {"content": delta.text}
        if not self._started:
            piece["role"] = "assistant"
            self._started = True
        return self._event([{"index": 0, "delta": piece, "finish_reason": None}])

    def finish(self, final: Delta, *, info: Mapping[str, Any]) -> bytes:
        """Tool calls (if any), then the finish reason with the `hybridroute` routing field."""
        out = self.delta(final)
        if final.tool_calls:
            calls = [_indexed(i, call) for i, call in enumerate(final.tool_calls)]
            choice = {"index": 0, "delta": {"tool_calls": calls}, "finish_reason": None}
            out += self._event([choice])
        choice = {"index": 0, "delta": {}, "finish_reason": final.finish_reason or "stop"}
        return out + self._event([choice], hybridroute=dict(info))

    def usage(self, usage: Usage) -> bytes:
        """The usage chunk (`choices: []`) sent when `stream_options.include_usage` is set."""
        return self._event([], usage=usage_body(usage))

    def _event(self, choices: Sequence[Mapping[str, Any]], **extra: Any) -> bytes:
        payload = {**self._head, "choices": choices, **extra}
        return b"data: " + json.dumps(payload).encode() + b"\n\n"


DONE_EVENT = b"data: [DONE]\n\n"


def error_event(body: Mapping[str, Any]) -> bytes:
    """An SSE event carrying an OpenAI error object (the SDK raises it as APIError)."""
    return b"data: " + json.dumps(body).encode() + b"\n\n"


def _message(index: int, message: ChatMessage) -> Message:
    extra: dict[str, Any] = {}
    if message.name is not None:
        extra["name"] = message.name
    if message.tool_calls:
        extra["tool_calls"] = [c.model_dump() for c in message.tool_calls]
    if message.function_call is not None:
        extra["function_call"] = message.function_call.model_dump()
    if message.tool_call_id is not None:
        extra["tool_call_id"] = message.tool_call_id
    content = _text(index, message.content, assistant=message.role == "assistant")
    if content is None and message.role == "assistant":
        # A replayed refusal (OpenAI's `refusal` field) is the turn's text for any tier.
        content = message.refusal
    return Message(role=message.role, content=content, extra=extra)


def _text(index: int, content: str | list[Any] | None, *, assistant: bool) -> str | None:
    if content is None or isinstance(content, str):
        return content
    texts = []
    for part in content:
        text = part.text if part.type == "text" else None
        if assistant and part.type == "refusal":  # a replayed refusal, as OpenAI takes it
            text = (part.model_extra or {}).get("refusal")
        if not isinstance(text, str):
            raise InvalidRequest(
                f"messages.{index}.content: only text parts are supported"
                + (" (and refusal parts in assistant messages)" if assistant else ""),
                param=f"messages.{index}.content",
            )
        texts.append(text)
    # One part per line, as vLLM joins them: run together ("…mutualité ?Pauline
    # Vanderstraeten"), a question and its answer read as one word to the model and the scanner.
    return "\n".join(texts)


def _dump(value: Any) -> Any:
    return value.model_dump() if hasattr(value, "model_dump") else value


def _response_format(body: ChatCompletionRequest) -> dict[str, Any] | None:
    fmt = body.response_format
    if fmt is None or fmt.type == "text":
        return None
    return fmt.model_dump(exclude_none=True)


def _indexed(index: int, call: Mapping[str, Any]) -> dict[str, Any]:
    return {"index": index, **dict(call)}
