"""A tier for any OpenAI-compatible chat endpoint (OpenAI, vLLM, Ollama, llama.cpp server,
LM Studio, another hybridroute node) over httpx.

The upstream is not trusted to be well formed: every field we read from its body is
type-checked, and a wrong shape raises `BadResponse` naming the field, never its value. Nor
is it trusted to be small: bodies are read through `_body.counted` (decoded here, bounded by
the cap) and a larger one is a `BadResponse` as soon as it passes the cap, the rest unread."""

from __future__ import annotations

import asyncio
import codecs
import json
import math
import time
from collections.abc import AsyncIterator, Iterator, Mapping
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx

from hybridroute import errors
from hybridroute.tiers._body import (
    ACCEPT_ENCODING,
    Malformed,
    TooLarge,
    counted,
    read_at_most,
)
from hybridroute.tiers._sse import DONE, iter_lines, iter_sse_data
from hybridroute.tiers.base import Health, HealthStatus, Tier, TierInfo
from hybridroute.types import Completion, Delta, Request, Timings, Usage

# OpenAI accepts at most 128 tools per request; no sane answer calls more than that at once.
_MAX_TOOL_CALLS = 128
# Token counts above this are not counts (and would overflow float metrics); dropped.
_MAX_TOKENS = 10**9
# Bytes of an answer (a whole stream included) read at most unless configured otherwise.
DEFAULT_MAX_RESPONSE_BYTES = 64 * 1024 * 1024
# Bytes of an error answer (4xx/5xx) read at most; only a type or code label is taken from it.
_MAX_ERROR_BYTES = 64 * 1024
# Answers to the health check's GET /models from a server that is up but will not list its
# models: no such endpoint (404, 405: a chat-only server or proxy), or a key allowed to chat
# but not to list (401, 403: OpenAI project keys can be restricted so). Treated as up: if
# the key cannot chat either, the chat answers fail over and open the tier's breaker.
_LISTING_REFUSED = frozenset({401, 403, 404, 405})


@dataclass(frozen=True, slots=True, kw_only=True)
class Timeouts:
    """Seconds allowed to connect, between bytes read, and for the whole request."""

    connect: float = 5.0
    read: float = 60.0
    total: float = 300.0


@dataclass(frozen=True, slots=True)
class _Deadline:
    """When a whole request must be over, on the event loop's clock."""

    at: float
    budget_s: float

    @classmethod
    def start(cls, budget_s: float) -> _Deadline:
        return cls(at=asyncio.get_running_loop().time() + budget_s, budget_s=budget_s)


class OpenAICompatibleTier(Tier):
    """Chat completions against `base_url` (which includes the `/v1` part)."""

    def __init__(
        self,
        *,
        info: TierInfo,
        base_url: str,
        api_key: str | None = None,
        timeouts: Timeouts = Timeouts(),
        headers: Mapping[str, str] | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
    ) -> None:
        if max_response_bytes <= 0:
            raise ValueError("max_response_bytes must be positive")
        self.info = info
        self._timeouts = timeouts
        self._max_bytes = max_response_bytes
        auth = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._client = httpx.AsyncClient(
            base_url=base_url.rstrip("/"),
            headers=_request_headers(auth, headers),
            timeout=httpx.Timeout(timeouts.read, connect=timeouts.connect),
            transport=transport,
        )

    async def complete(self, request: Request) -> Completion:
        started = time.perf_counter()
        deadline = _Deadline.start(self._timeouts.total)
        with self._map_errors():
            response = await self._post(self._body(request, stream=False), deadline)
            try:
                content = await self._read(response, deadline)
            finally:
                await response.aclose()
            payload = self._json(content)
            total_ms = (time.perf_counter() - started) * 1000
            return self._completion(payload, total_ms)

    async def stream(self, request: Request) -> AsyncIterator[Delta]:
        started = time.perf_counter()
        deadline = _Deadline.start(self._timeouts.total)
        state = _StreamState()
        with self._map_errors():
            response = await self._post(self._body(request, stream=True), deadline)
            try:
                await self._raise_for_status(response, deadline)
                async for chunk in self._chunks(response, deadline):
                    for text in state.feed(chunk):
                        yield Delta(text=text)
            finally:
                # Unread bytes left: httpcore closes the connection rather than reusing it.
                await response.aclose()
            yield state.final(started)

    async def health(self) -> Health:
        """GET /models: whether the server answers (its model list is not used).

        A refusal to list (`_LISTING_REFUSED`) still proves the server up: it is UP with the
        status in `detail`. Timeouts, 429, 5xx, other 4xx and broken connections are DOWN."""
        started = time.perf_counter()
        deadline = _Deadline.start(self._timeouts.connect + 2)
        outgoing = self._client.build_request("GET", "/models", timeout=deadline.budget_s)
        detail = ""
        try:
            with self._map_errors():
                response = await self._send(outgoing, deadline)
                try:
                    if response.status_code in _LISTING_REFUSED:
                        detail = f"HTTP {response.status_code} on GET /models"  # body unread
                    else:
                        await self._read(response, deadline)  # not used, but bounded
                finally:
                    await response.aclose()
        except errors.TierError as exc:
            return Health(status=HealthStatus.DOWN, detail=type(exc).__name__)
        latency_ms = (time.perf_counter() - started) * 1000
        return Health(status=HealthStatus.UP, detail=detail, latency_ms=latency_ms)

    async def aclose(self) -> None:
        await self._client.aclose()

    def _timeout(self) -> httpx.Timeout:
        # Per-phase limits only; `_within` bounds the whole request by `total`.
        t = self._timeouts
        return httpx.Timeout(t.read, connect=t.connect, pool=t.total)

    async def _post(self, body: dict[str, Any], deadline: _Deadline) -> httpx.Response:
        outgoing = self._client.build_request(
            "POST", "/chat/completions", json=body, timeout=self._timeout()
        )
        response = await self._send(outgoing, deadline)
        if 300 <= response.status_code < 400:
            await response.aclose()
            # Not followed: the target is not the configured upstream, and the prompt would go
            # there. Named by status only; the Location header may carry values.
            raise errors.BadResponse(
                self.name, f"HTTP {response.status_code} from upstream (redirects are not followed)"
            )
        return response

    async def _send(self, outgoing: httpx.Request, deadline: _Deadline) -> httpx.Response:
        """The response with its headers read and its body not yet: the caller reads that
        bounded (`_read`, `_text`) and closes the response."""
        async with self._within(deadline):
            return await self._client.send(outgoing, stream=True)

    @asynccontextmanager
    async def _within(self, deadline: _Deadline) -> AsyncIterator[None]:
        """Cancel the network step inside at `deadline`, raising DeadlineExceeded.

        Cancelling httpx mid-response closes that connection instead of pooling it."""
        scope = asyncio.timeout_at(deadline.at)
        try:
            async with scope:
                yield
        except TimeoutError:
            if not scope.expired():
                raise
            raise errors.DeadlineExceeded(
                self.name, f"no complete answer within {deadline.budget_s:g} s"
            ) from None

    async def _read(self, response: httpx.Response, deadline: _Deadline) -> bytes:
        """The body of a successful answer (at most the cap); a failed one raises its error."""
        await self._raise_for_status(response, deadline)
        async with self._within(deadline):
            return b"".join([chunk async for chunk in counted(response, self._max_bytes)])

    async def _text(self, response: httpx.Response) -> AsyncIterator[str]:
        """The decoded text of a streamed body, raising once it passes the cap in bytes.

        Counted here rather than per line: a line that never ends is capped too."""
        # An event stream is UTF-8 whatever its header says (the WHATWG rule); a charset
        # parameter could name a codec that is no text encoding at all ("base64", "zlib").
        decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        async for chunk in counted(response, self._max_bytes):
            if text := decoder.decode(chunk):
                yield text
        if text := decoder.decode(b"", final=True):
            yield text

    async def _chunks(
        self, response: httpx.Response, deadline: _Deadline
    ) -> AsyncIterator[dict[str, Any]]:
        """The stream's JSON chunks up to `[DONE]`, each read bounded by `deadline`."""
        events = iter_sse_data(iter_lines(self._text(response)))
        seen = False
        while True:
            async with self._within(deadline):
                data = await anext(events, None)
            if data is None:
                raise errors.BadResponse(self.name, _unfinished(response, seen))
            seen = True
            if data.strip() == DONE:
                return
            chunk = self._json(data.encode())
            if "error" in chunk and not chunk.get("choices"):
                raise errors.BadResponse(self.name, "upstream sent an error event")
            yield chunk

    def _body(self, request: Request, *, stream: bool) -> dict[str, Any]:
        body: dict[str, Any] = {
            "model": self.info.model,
            "messages": [_wire_message(m.role, m.content, m.extra) for m in request.messages],
            "stream": stream,
        }
        optional = {
            "max_tokens": request.max_tokens,
            "temperature": request.temperature,
            "top_p": request.top_p,
            "seed": request.seed,
            "stop": list(request.stop) or None,
            "tools": list(request.tools) if request.tools else None,
            "tool_choice": request.tool_choice,
            "response_format": request.response_format,
        }
        body.update({k: v for k, v in optional.items() if v is not None})
        if stream:
            body["stream_options"] = {"include_usage": True}
        return body

    def _json(self, content: bytes) -> dict[str, Any]:
        if not content.strip():
            raise errors.BadResponse(self.name, "empty response body")
        try:
            payload = json.loads(content)
        except (ValueError, RecursionError):  # not JSON, not UTF-8, too deep, huge integers
            raise errors.BadResponse(
                self.name, f"response is not JSON ({len(content)} bytes)"
            ) from None
        if not isinstance(payload, dict):
            raise errors.BadResponse(self.name, "response JSON is not an object")
        return payload

    def _completion(self, payload: dict[str, Any], total_ms: float) -> Completion:
        choices = payload.get("choices")
        if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
            raise errors.BadResponse(self.name, "response has no choices")
        message = choices[0].get("message")
        if not isinstance(message, dict):
            raise errors.BadResponse(self.name, "first choice has no message")
        text = _optional(message, "content", str, "message.content")
        tool_calls = _tool_calls(message.get("tool_calls"))
        # No content and no tool calls is an answer too: a reasoning model's, cut by its limit.
        finish = _optional(choices[0], "finish_reason", str, "finish_reason")
        if finish is None:
            raise errors.BadResponse(self.name, "response has no finish_reason")
        usage = _usage(payload.get("usage")) or Usage()
        decode_tps = usage.completion_tokens / (total_ms / 1000) if total_ms > 0 else None
        return Completion(
            tier=self.name,
            text=text or "",
            finish_reason=finish,
            usage=usage,
            timings=Timings(ttft_ms=None, total_ms=total_ms, decode_tps=decode_tps),
            model=payload.get("model") if isinstance(payload.get("model"), str) else None,
            tool_calls=tool_calls,
        )

    async def _raise_for_status(self, response: httpx.Response, deadline: _Deadline) -> None:
        """The error for a 4xx/5xx answer, after reading at most `_MAX_ERROR_BYTES` of it."""
        status = response.status_code
        if status < 400:
            return
        async with self._within(deadline):
            labels = _error_labels(await read_at_most(response, _MAX_ERROR_BYTES))
        overflow = next((label for label in labels if label in _CONTEXT_OVERFLOW_LABELS), None)
        detail = f" ({overflow or labels[0]})" if labels else ""
        if status in (401, 403):
            raise errors.AuthFailed(self.name, f"HTTP {status} from upstream{detail}")
        if status == 429:
            raise errors.RateLimited(
                self.name,
                f"HTTP 429 from upstream{detail}",
                retry_after=_retry_after(response.headers.get("retry-after")),
            )
        if status in (408, 504):
            raise errors.ReadTimeout(self.name, f"HTTP {status} from upstream{detail}")
        if status < 500 and overflow is not None:
            raise errors.ContextOverflow(self.name, f"HTTP {status} from upstream{detail}")
        if status in (402, 404, 405):
            # The tier's base URL or model is wrong, or its account is out of credit (the
            # deployment's, not the caller's doing): the tier is broken for every request,
            # so others are tried and its breaker counts.
            raise errors.TierUnavailable(self.name, f"HTTP {status} from upstream{detail}")
        if status == 413:
            # Too large for this upstream's limit: another tier of the plan may still take it.
            raise errors.ContextOverflow(self.name, f"HTTP 413 from upstream{detail}")
        if status < 500:
            raise errors.BadRequest(self.name, f"HTTP {status} from upstream{detail}")
        raise errors.TierUnavailable(self.name, f"HTTP {status} from upstream{detail}")

    @contextmanager
    def _map_errors(self) -> Iterator[None]:
        """Translate httpx exceptions (never by message text) and malformed bodies."""
        try:
            yield
        except httpx.HTTPError as exc:
            raise map_httpx_error(self.name, exc) from exc
        except Malformed as exc:
            raise errors.BadResponse(self.name, str(exc)) from None
        except TooLarge as exc:
            raise errors.BadResponse(
                self.name, f"upstream response larger than {exc.limit} bytes"
            ) from None


def map_httpx_error(tier: str, exc: httpx.HTTPError) -> errors.TierError:
    """The hybridroute error for one httpx exception; covers every httpx class."""
    kind = type(exc).__name__
    table: list[tuple[type[httpx.HTTPError], type[errors.TierError]]] = [
        (httpx.ConnectTimeout, errors.ConnectTimeout),
        (httpx.PoolTimeout, errors.DeadlineExceeded),
        (httpx.TimeoutException, errors.ReadTimeout),
        (httpx.ConnectError, errors.ConnectFailed),
        (httpx.RemoteProtocolError, errors.BadResponse),
        (httpx.DecodingError, errors.BadResponse),
        (httpx.TooManyRedirects, errors.BadResponse),
        (httpx.HTTPStatusError, errors.BadResponse),
        (httpx.TransportError, errors.TierUnavailable),
        (httpx.HTTPError, errors.TierUnavailable),
    ]
    for source, target in table:
        if isinstance(exc, source):
            return target(tier, f"{kind} talking to upstream")
    raise AssertionError("unreachable: httpx.HTTPError is last in the table")


def _unfinished(response: httpx.Response, seen_event: bool) -> str:
    """Why a stream ended without `[DONE]`. Only a JSON media type with no event at all is a
    plain answer to `stream: true` (an upstream ignoring it, or an error object); events
    labelled JSON are still read. Named by kind, never by the header's or the body's text."""
    media = response.headers.get("content-type", "").partition(";")[0].strip().lower()
    if not seen_event and (media == "application/json" or media.endswith("+json")):
        return "upstream answered JSON (not an event stream) to a streaming request"
    return "stream ended before [DONE]"


def _wire_message(role: str, content: str | None, extra: Mapping[str, Any]) -> dict[str, Any]:
    return {"role": role, "content": content, **extra}


@dataclass(slots=True)
class _StreamState:
    """What a stream has said so far: text pieces, finish reason, usage, tool calls."""

    first_at: float | None = None
    pieces: int = 0
    usage: Usage | None = None
    finish: str | None = None
    tool_calls: list[dict[str, Any]] = field(default_factory=list)
    tool_slots: dict[int, int] = field(default_factory=dict)  # upstream index -> tool_calls[i]

    def feed(self, chunk: dict[str, Any]) -> list[str]:
        """Take one chunk in; return its non-empty text pieces, in order."""
        if chunk.get("usage"):
            self.usage = _usage(chunk["usage"]) or self.usage
        choices = _optional(chunk, "choices", list, "choices") or []
        texts = [text for choice in choices if (text := self._choice(choice))]
        if texts and self.first_at is None:
            self.first_at = time.perf_counter()
        self.pieces += len(texts)
        return texts

    def _choice(self, choice: Any) -> str:
        if not isinstance(choice, dict):
            raise Malformed("choices[] has the wrong type")
        delta = _optional(choice, "delta", dict, "choices[].delta") or {}
        text = _optional(delta, "content", str, "delta.content") or ""
        _merge_tool_calls(self.tool_calls, self.tool_slots, delta.get("tool_calls"))
        self.finish = _optional(choice, "finish_reason", str, "finish_reason") or self.finish
        return text

    def final(self, started: float) -> Delta:
        if self.finish is None:
            raise Malformed("stream carried no finish_reason")
        tokens = self.usage.completion_tokens if self.usage else self.pieces
        return Delta(
            finish_reason=self.finish,
            usage=self.usage or Usage(completion_tokens=self.pieces),
            timings=_timings(started, self.first_at, time.perf_counter(), tokens),
            tool_calls=tuple(self.tool_calls) or None,
        )


def _optional(obj: Mapping[str, Any], key: str, kind: type, name: str) -> Any:
    """`obj[key]`: None when absent or null, else it must be a `kind` (bool is no int)."""
    value = obj.get(key)
    if value is None or (isinstance(value, kind) and not isinstance(value, bool)):
        return value
    raise Malformed(f"{name} has the wrong type")


def _usage(raw: Any) -> Usage | None:
    """Token counts, or None when they are not counts. Usage only feeds metrics and cost, so
    a bad one is dropped rather than failing an otherwise good answer."""
    if not isinstance(raw, dict):
        return None
    counts = [raw.get("prompt_tokens", 0), raw.get("completion_tokens", 0)]
    for count in counts:
        if isinstance(count, bool) or not isinstance(count, int):
            return None
        if not 0 <= count <= _MAX_TOKENS:
            return None
    return Usage(prompt_tokens=counts[0], completion_tokens=counts[1])


def _timings(started: float, first_at: float | None, end: float, tokens: int) -> Timings:
    decode_s = end - first_at if first_at is not None else 0.0
    return Timings(
        ttft_ms=(first_at - started) * 1000 if first_at is not None else None,
        total_ms=(end - started) * 1000,
        decode_tps=(tokens - 1) / decode_s if decode_s > 0 and tokens > 1 else None,
    )


def _tool_calls(raw: Any) -> tuple[dict[str, Any], ...] | None:
    """A plain answer's `message.tool_calls`, rebuilt in the one shape the gateway sends."""
    if raw is None:
        return None
    if not isinstance(raw, list):
        raise Malformed("message.tool_calls has the wrong type")
    if len(raw) > _MAX_TOOL_CALLS:
        raise Malformed(f"message.tool_calls has {len(raw)} calls (limit {_MAX_TOOL_CALLS})")
    calls = [_call(*_fragment(part)[1:]) for part in raw]
    return tuple(calls) or None


def _merge_tool_calls(acc: list[dict[str, Any]], slots: dict[int, int], parts: Any) -> None:
    """Assemble streamed tool-call fragments (indexed pieces of id, name and arguments).

    OpenAI and vLLM number calls 0, 1, 2…, but Claude behind OpenAI-compatible proxies
    starts at 1 (its content-block index) and Ollama sends every whole call at index 0, each
    with a new id. So `slots` (kept for one stream) maps an upstream index to its call in
    `acc` in order of first appearance, gaps allowed; a fragment with a function name and an
    id other than its call's starts a new call (a new id alone does not: some servers send
    one per fragment), as does a fragment without an index. An index is only a key, so a
    huge one allocates nothing; past `_MAX_TOOL_CALLS` calls the stream is malformed."""
    if parts is None:
        return
    if not isinstance(parts, list):
        raise Malformed("delta.tool_calls has the wrong type")
    for part in parts:
        index, call_id, name, arguments = _fragment(part)
        if index is not None and index < 0:
            raise Malformed("tool_calls[].index is negative")
        slot = None if index is None else slots.get(index)
        # A new id starts a new call only with a name: Ollama sends whole calls at index 0,
        # while some servers (Poolside, older mlx-openai-server) change the id per fragment.
        if slot is None or (call_id and name and acc[slot].get("id", call_id) != call_id):
            if len(acc) == _MAX_TOOL_CALLS:
                raise Malformed(f"stream has more than {_MAX_TOOL_CALLS} tool calls")
            slot = len(acc)
            acc.append(_call(None, "", ""))
            if index is not None:
                slots[index] = slot
        call = acc[slot]
        if call_id:
            call["id"] = call_id
        call["function"]["name"] += name
        call["function"]["arguments"] += arguments


def _fragment(part: Any) -> tuple[int | None, str | None, str, str]:
    """One tool call or streamed piece of one: index, id, name, arguments."""
    if not isinstance(part, dict):
        raise Malformed("tool_calls[] has the wrong type")
    fn = _optional(part, "function", dict, "tool_calls[].function") or {}
    return (
        _optional(part, "index", int, "tool_calls[].index"),
        _optional(part, "id", str, "tool_calls[].id"),
        _optional(fn, "name", str, "tool_calls[].function.name") or "",
        _optional(fn, "arguments", str, "tool_calls[].function.arguments") or "",
    )


def _call(call_id: str | None, name: str, arguments: str) -> dict[str, Any]:
    call: dict[str, Any] = {"type": "function", "function": {"name": name, "arguments": arguments}}
    if call_id:
        call["id"] = call_id
    return call


def _request_headers(auth: Mapping[str, str], extra: Mapping[str, str] | None) -> httpx.Headers:
    """Auth, then the caller's headers, then ours: only the encodings `_body` decodes
    (bounded by the cap) may be offered, whatever case the caller wrote the name in."""
    merged = httpx.Headers(auth)
    merged.update(extra or {})
    merged["Accept-Encoding"] = ACCEPT_ENCODING
    return merged


def _error_labels(content: bytes | None) -> tuple[str, ...]:
    """The upstream's error type and code, those that are labels we know (any other field,
    message included, may echo input or carry anything). `content` None: the body was too
    large or could not be decoded."""
    if content is None:
        return ()
    try:
        payload = json.loads(content)
    except (ValueError, RecursionError):  # not JSON, not UTF-8, too deep, huge integers
        return ()
    err = payload.get("error") if isinstance(payload, dict) else None
    if not isinstance(err, dict):
        return ()
    labels = (err.get("type"), err.get("code"))
    return tuple(
        label for label in labels if isinstance(label, str) and label in _KNOWN_ERROR_LABELS
    )


# Error types and codes of OpenAI, vLLM and the llama.cpp server; nothing else is relayed.
_KNOWN_ERROR_LABELS = frozenset(
    {
        # OpenAI `type`
        "invalid_request_error",
        "authentication_error",
        "permission_error",
        "not_found_error",
        "rate_limit_error",
        "server_error",
        "api_error",
        "insufficient_quota",
        # OpenAI `code`
        "context_length_exceeded",
        "model_not_found",
        "invalid_api_key",
        "rate_limit_exceeded",
        "invalid_model",
        "invalid_value",
        "unsupported_value",
        "unsupported_parameter",
        "missing_required_parameter",
        # vLLM `type`
        "BadRequestError",
        "NotFoundError",
        "InternalServerError",
        # llama.cpp server `type`
        "not_supported_error",
        "unavailable_error",
        "exceed_context_size_error",
    }
)


# The labels of a prompt longer than the model's context window: OpenAI's (and
# llama-cpp-python's server's) `code`, the llama.cpp server's `type`. vLLM says it only in its
# message, which is never read: a plain `BadRequest` there.
_CONTEXT_OVERFLOW_LABELS = frozenset({"context_length_exceeded", "exceed_context_size_error"})


def _retry_after(value: str | None) -> float | None:
    """Seconds from a `Retry-After` header, within [0, a day]; None for a date, `nan`, `inf`
    or anything else (those once made the gateway's own error reply fail)."""
    try:
        seconds = float(value) if value is not None else None
    except ValueError:
        return None
    if seconds is None or not math.isfinite(seconds):
        return None
    return min(max(seconds, 0.0), errors.MAX_RETRY_AFTER_S)
