"""A tier for any OpenAI-compatible chat endpoint (OpenAI, vLLM, Ollama, llama.cpp server,
LM Studio, another hybridroute node) over httpx."""

from __future__ import annotations

import json
import re
import time
from collections.abc import AsyncIterator, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx

from hybridroute import errors
from hybridroute.tiers._sse import DONE, iter_sse_data
from hybridroute.tiers.base import Health, HealthStatus, Tier, TierInfo
from hybridroute.types import Completion, Delta, Request, Timings, Usage


@dataclass(frozen=True, slots=True, kw_only=True)
class Timeouts:
    """Seconds allowed to connect, between bytes read, and for the whole request."""

    connect: float = 5.0
    read: float = 60.0
    total: float = 300.0


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
    ) -> None:
        self.info = info
        self._timeouts = timeouts
        auth = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._client = httpx.AsyncClient(
            base_url=base_url.rstrip("/"),
            headers={**auth, **(headers or {})},
            timeout=httpx.Timeout(timeouts.read, connect=timeouts.connect),
            transport=transport,
        )

    async def complete(self, request: Request) -> Completion:
        started = time.perf_counter()
        body = self._body(request, stream=False)
        with self._map_errors():
            response = await self._client.post(
                "/chat/completions", json=body, timeout=self._timeout()
            )
            self._raise_for_status(response)
            payload = self._json(response.content)
        total_ms = (time.perf_counter() - started) * 1000
        return self._completion(payload, total_ms)

    async def stream(self, request: Request) -> AsyncIterator[Delta]:
        started = time.perf_counter()
        first_at: float | None = None
        pieces = 0
        usage: Usage | None = None
        finish: str | None = None
        tool_calls: list[dict[str, Any]] = []
        body = self._body(request, stream=True)
        with self._map_errors():
            async with self._client.stream(
                "POST", "/chat/completions", json=body, timeout=self._timeout()
            ) as response:
                if response.status_code >= 400:
                    await response.aread()
                self._raise_for_status(response)
                done = False
                async for data in iter_sse_data(response.aiter_lines()):
                    if data.strip() == DONE:
                        done = True
                        break
                    chunk = self._json(data.encode())
                    if "error" in chunk and not chunk.get("choices"):
                        raise errors.BadResponse(self.name, "upstream sent an error event")
                    if chunk.get("usage"):
                        usage = _usage(chunk["usage"])
                    for choice in chunk.get("choices") or []:
                        delta = choice.get("delta") or {}
                        text = delta.get("content") or ""
                        if delta.get("tool_calls"):
                            _merge_tool_calls(tool_calls, delta["tool_calls"])
                        finish = choice.get("finish_reason") or finish
                        if text:
                            if first_at is None:
                                first_at = time.perf_counter()
                            pieces += 1
                            yield Delta(text=text)
                if not done:
                    raise errors.BadResponse(self.name, "stream ended before [DONE]")
        if finish is None:
            raise errors.BadResponse(self.name, "stream carried no finish_reason")
        end = time.perf_counter()
        yield Delta(
            finish_reason=finish,
            usage=usage or Usage(completion_tokens=pieces),
            timings=_timings(started, first_at, end, usage.completion_tokens if usage else pieces),
            tool_calls=tuple(tool_calls) or None,
        )

    async def health(self) -> Health:
        started = time.perf_counter()
        try:
            with self._map_errors():
                response = await self._client.get("/models", timeout=self._timeouts.connect + 2)
                self._raise_for_status(response)
        except errors.TierError as exc:
            return Health(status=HealthStatus.DOWN, detail=type(exc).__name__)
        return Health(status=HealthStatus.UP, latency_ms=(time.perf_counter() - started) * 1000)

    async def aclose(self) -> None:
        await self._client.aclose()

    def _timeout(self) -> httpx.Timeout:
        t = self._timeouts
        return httpx.Timeout(t.read, connect=t.connect, pool=t.total)

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
        except (json.JSONDecodeError, UnicodeDecodeError):
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
        text = message.get("content")
        tool_calls = message.get("tool_calls") or None
        if not isinstance(text, str | None) or (not text and not tool_calls):
            raise errors.BadResponse(self.name, "answer has neither content nor tool calls")
        finish = choices[0].get("finish_reason")
        if not isinstance(finish, str):
            raise errors.BadResponse(self.name, "response has no finish_reason")
        usage = _usage(payload.get("usage") or {})
        decode_tps = usage.completion_tokens / (total_ms / 1000) if total_ms > 0 else None
        return Completion(
            tier=self.name,
            text=text or "",
            finish_reason=finish,
            usage=usage,
            timings=Timings(ttft_ms=None, total_ms=total_ms, decode_tps=decode_tps),
            model=payload.get("model") if isinstance(payload.get("model"), str) else None,
            tool_calls=tuple(tool_calls) if tool_calls else None,
        )

    def _raise_for_status(self, response: httpx.Response) -> None:
        status = response.status_code
        if status < 400:
            return
        detail = _error_detail(response)
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
        if status < 500:
            raise errors.BadRequest(self.name, f"HTTP {status} from upstream{detail}")
        raise errors.TierUnavailable(self.name, f"HTTP {status} from upstream{detail}")

    @contextmanager
    def _map_errors(self) -> Iterator[None]:
        """Translate httpx exceptions into the hybridroute tree (never by message text)."""
        try:
            yield
        except httpx.HTTPError as exc:
            raise map_httpx_error(self.name, exc) from exc


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


def _wire_message(role: str, content: str | None, extra: Mapping[str, Any]) -> dict[str, Any]:
    return {"role": role, "content": content, **extra}


def _usage(raw: Any) -> Usage:
    if not isinstance(raw, dict):
        return Usage()
    prompt = raw.get("prompt_tokens")
    completion = raw.get("completion_tokens")
    return Usage(
        prompt_tokens=prompt if isinstance(prompt, int) else 0,
        completion_tokens=completion if isinstance(completion, int) else 0,
    )


def _timings(started: float, first_at: float | None, end: float, tokens: int) -> Timings:
    decode_s = end - first_at if first_at is not None else 0.0
    return Timings(
        ttft_ms=(first_at - started) * 1000 if first_at is not None else None,
        total_ms=(end - started) * 1000,
        decode_tps=(tokens - 1) / decode_s if decode_s > 0 and tokens > 1 else None,
    )


def _merge_tool_calls(acc: list[dict[str, Any]], parts: Any) -> None:
    """Assemble streamed tool-call fragments (indexed pieces of name and arguments)."""
    if not isinstance(parts, list):
        return
    for part in parts:
        if not isinstance(part, dict):
            continue
        index = part.get("index", len(acc))
        while len(acc) <= index:
            acc.append({"type": "function", "function": {"name": "", "arguments": ""}})
        call = acc[index]
        if part.get("id"):
            call["id"] = part["id"]
        fn = part.get("function") or {}
        call["function"]["name"] += fn.get("name") or ""
        call["function"]["arguments"] += fn.get("arguments") or ""


def _error_detail(response: httpx.Response) -> str:
    """The upstream's error type or code, never its message (which may echo input)."""
    try:
        payload = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError, httpx.ResponseNotRead):
        return ""
    err = payload.get("error") if isinstance(payload, dict) else None
    if isinstance(err, dict):
        label = err.get("type") or err.get("code")
        # Only identifier-like labels: an upstream may echo input into any field it sends.
        if isinstance(label, str) and _ERROR_LABEL.fullmatch(label):
            return f" ({label})"
    return ""


_ERROR_LABEL = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]{0,47}")


def _retry_after(value: str | None) -> float | None:
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None
