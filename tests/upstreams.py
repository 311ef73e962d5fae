"""Real HTTP servers on loopback for tests: a llama.cpp OpenAI server and a misbehaving one."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Self

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_http(
    url: str, timeout_s: float = 60.0, proc: subprocess.Popen[bytes] | None = None
) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode} before answering {url}")
        try:
            if httpx.get(url, timeout=1.0).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise TimeoutError(f"{url} did not answer within {timeout_s}s")


@contextmanager
def llama_server(
    model: Path, *, n_ctx: int = 2048
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """`python -m llama_cpp.server` serving `model` on a free loopback port; yields base URL."""
    port = free_port()
    log = tempfile.NamedTemporaryFile(prefix="llama-server-", suffix=".log", delete=False)
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "llama_cpp.server",
            "--model",
            str(model),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--n_ctx",
            str(n_ctx),
            "--n_threads",
            "2",
            "--model_alias",
            "smollm2",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
    )
    try:
        try:
            wait_http(f"http://127.0.0.1:{port}/v1/models", proc=proc)
        except (RuntimeError, TimeoutError) as exc:
            tail = Path(log.name).read_text(errors="replace")[-2000:]
            raise RuntimeError(f"{exc}; its output ends with:\n{tail}") from None
        yield f"http://127.0.0.1:{port}/v1", proc
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        log.close()
        os.unlink(log.name)


# --- a misbehaving OpenAI-compatible upstream; the `model` field picks the fault ------------


def _chunk(text: str, finish: str | None = None) -> str:
    body = {
        "id": "x",
        "object": "chat.completion.chunk",
        "model": "stub",
        "choices": [
            {"index": 0, "delta": {"content": text} if text else {}, "finish_reason": finish}
        ],
    }
    return f"data: {json.dumps(body)}\n\n"


def _answer(text: str, prompt_tokens: int = 5) -> dict[str, object]:
    return {
        "id": "x",
        "object": "chat.completion",
        "model": "stub",
        "choices": [
            {"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}
        ],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": 2,
            "total_tokens": prompt_tokens + 2,
        },
    }


# --- hostile upstream answers, found by an audit: each is a `model` name ------------------

_DRIP_S = 0.2  # one byte (plain) or SSE keep-alive comment (stream) this often, for 30 s


def _drip(request: Request, stream: bool) -> Response:
    """Never finishes, but never lets the read timeout fire either; notes a client hang-up."""
    state = request.app.state

    async def drip() -> object:
        try:
            for _ in range(int(30 / _DRIP_S)):
                yield ": keep-alive\n\n" if stream else " "
                await asyncio.sleep(_DRIP_S)
        except BaseException:
            state.disconnects.append("drip")
            raise

    media = "text/event-stream" if stream else "application/json"
    return StreamingResponse(drip(), media_type=media)


def _choice(delta: object, finish: object = None) -> dict[str, object]:
    return {"index": 0, "delta": delta, "finish_reason": finish}


def _tool_part(index: object) -> dict[str, object]:
    return {"index": index, "id": "call_1", "function": {"name": "f", "arguments": "{}"}}


# Streamed faults: the `choices` (or extra fields) of each chunk, then [DONE].
_BAD_CHUNKS: dict[str, list[dict[str, object]]] = {
    "content-int": [{"choices": [_choice({"content": 5}, "stop")]}],
    "finish-int": [{"choices": [_choice({"content": "ok"}, 7)]}],
    "delta-string": [{"choices": [_choice("ok", "stop")]}],
    "choices-dict": [{"choices": {"0": _choice({"content": "ok"}, "stop")}}],
    "index-string": [{"choices": [_choice({"tool_calls": [_tool_part("0")]}, "tool_calls")]}],
    "index-negative": [{"choices": [_choice({"tool_calls": [_tool_part(-1)]}, "tool_calls")]}],
    "usage-negative": [
        {"choices": [_choice({"content": "ok"}, "stop")]},
        {"choices": [], "usage": {"prompt_tokens": -5, "completion_tokens": -3}},
    ],
}


def _tool_chunk(index: int, call_id: str | None, name: str, arguments: str) -> dict[str, object]:
    """A chunk with one tool-call fragment; with an id it opens the call and names it."""
    part: dict[str, object] = {"index": index, "function": {"arguments": arguments}}
    if call_id:
        part |= {"id": call_id, "type": "function"}
        part["function"] = {"name": name, "arguments": arguments}
    return {"choices": [_choice({"tool_calls": [part]})]}


# Streamed tool calls numbered as real upstreams number them (well formed otherwise).
_TOOL_CHUNKS: dict[str, list[dict[str, object]]] = {
    # Claude behind an OpenAI-compatible proxy: text first, then calls at the Anthropic
    # content-block indexes 1, 2 (router-for-me/CLIProxyAPI#5229, bedrock-access-gateway#134).
    "tools-claude": [
        {"choices": [_choice({"role": "assistant", "content": "Let me check."})]},
        _tool_chunk(1, "toolu_01", "get_weather", ""),
        _tool_chunk(1, None, "", '{"city": '),
        _tool_chunk(1, None, "", '"Paris"}'),
        _tool_chunk(2, "toolu_02", "get_time", ""),
        _tool_chunk(2, None, "", '{"city": "Tokyo"}'),
        {"choices": [_choice({}, "tool_calls")]},
    ],
    # Ollama: each call whole, every one at index 0 with a new id (ollama/ollama#15457).
    "tools-ollama": [
        _tool_chunk(0, "call_a", "file_write", '{"filePath": "hello.py"}'),
        _tool_chunk(0, "call_b", "file_write", '{"filePath": "world.py"}'),
        {"choices": [_choice({}, "tool_calls")]},
    ],
    # An index far past the calls so far (the audit sent 2,000,000) is only a number.
    "index-far": [
        _tool_chunk(2_000_000, "call_1", "f", "{}"),
        {"choices": [_choice({}, "tool_calls")]},
    ],
}

# Plain faults: fields replacing those of a good answer's message, or of the answer.
_BAD_MESSAGES: dict[str, dict[str, object]] = {
    "tool-calls-string": {"content": None, "tool_calls": "call_1"},
    "tool-calls-int": {"content": None, "tool_calls": 5},
    # Valid, not a fault: a reasoning model's empty answer when its token budget ran out.
    "empty-length": {"content": ""},
}
_BAD_ANSWERS: dict[str, dict[str, object]] = {
    "usage-negative": {"usage": {"prompt_tokens": -5, "completion_tokens": -3}},
}

# 4xx bodies whose labels must not be relayed unless known.
_ERROR_BODIES: dict[str, dict[str, object]] = {
    "label-secret": {"type": "SSN-536-22-1234", "code": "SSN-536-22-1234", "message": "m"},
    "label-code": {"type": "SSN-536-22-1234", "code": "context_length_exceeded"},
}


# Raw answers (status, body, content type) that once made the gateway raise a 500 (review 19):
# JSON nested past Python's recursion limit, an integer past its digit limit, an error body
# of the same kind, and an event stream whose charset parameter names a non-text codec.
_DEEP = b"[" * 30_000
_RAW_ANSWERS: dict[str, tuple[int, bytes, str]] = {
    "deep-json": (200, _DEEP, "application/json"),
    "big-int": (
        200,
        b'{"choices": [], "usage": {"prompt_tokens": ' + b"9" * 5000 + b"}}",
        "application/json",
    ),
    "deep-error": (500, _DEEP, "application/json"),
    "deep-sse": (200, b"data: " + _DEEP + b"\n\n", "text/event-stream"),
    "status-402": (402, b'{"error": {"type": "insufficient_quota"}}', "application/json"),
    "status-413": (413, b'{"error": {"type": "invalid_request_error"}}', "application/json"),
}


def _hostile(request: Request, fault: str, stream: bool) -> Response | None:
    if fault == "drip":
        return _drip(request, stream)
    if fault in _RAW_ANSWERS:
        status, body, media_type = _RAW_ANSWERS[fault]
        return Response(body, status, media_type=media_type)
    if fault == "sse-charset" and stream:  # a good stream declared in a codec of bytes
        events = [_chunk("ok"), _chunk("", "stop"), "data: [DONE]\n\n"]
        return Response(
            "".join(events).encode(), headers={"content-type": "text/event-stream; charset=base64"}
        )
    if fault in _ERROR_BODIES:
        return JSONResponse({"error": _ERROR_BODIES[fault]}, 400)
    if stream and fault in _BAD_CHUNKS | _TOOL_CHUNKS:
        parts = _BAD_CHUNKS.get(fault) or _TOOL_CHUNKS[fault]
        chunks = [{"id": "x", "object": "chat.completion.chunk", **c} for c in parts]
        events = [f"data: {json.dumps(c)}\n\n" for c in chunks] + ["data: [DONE]\n\n"]
        return Response("".join(events), media_type="text/event-stream")
    if not stream and fault in _BAD_MESSAGES | _BAD_ANSWERS:
        message = {"role": "assistant", "content": "ok", **_BAD_MESSAGES.get(fault, {})}
        finish = "length" if fault == "empty-length" else "stop"
        choice = {"index": 0, "message": message, "finish_reason": finish}
        return JSONResponse({**_answer("ok"), "choices": [choice], **_BAD_ANSWERS.get(fault, {})})
    return None


async def _chat(request: Request) -> Response:
    body = await request.json()
    request.app.state.received.append(body)
    fault = body.get("model", "ok")
    stream = bool(body.get("stream"))
    echo = " ".join(m.get("content") or "" for m in body.get("messages", []))
    hostile = _hostile(request, fault, stream)
    if hostile is not None:
        return hostile
    if fault == "status-500":
        return JSONResponse({"error": {"type": "server_error", "message": "boom"}}, 500)
    if fault == "status-429":
        return JSONResponse({"error": {"type": "rate_limit"}}, 429, headers={"retry-after": "7"})
    if fault == "status-401":
        return JSONResponse({"error": {"type": "invalid_api_key"}}, 401)
    if fault == "status-404":  # a wrong model name or base URL: the tier's, not the caller's
        return JSONResponse(
            {"error": {"type": "invalid_request_error", "code": "model_not_found"}}, 404
        )
    if fault == "not-json":
        return Response("<html>gateway exploded</html>", 200, media_type="text/html")
    if fault == "empty":
        return Response(b"", 200, media_type="application/json")
    if fault == "redirect":  # the target carries a value: it must not reach an error message
        location = "http://127.0.0.1:9/v1/chat/completions?ssn=536-22-1234"
        return Response(status_code=302, headers={"location": location})
    if fault == "json-always":  # a plain answer even to `stream: true` (the fields echo input)
        return JSONResponse(_answer(f"echo: {echo}"))
    if fault == "sse-as-json" and stream:  # a good event stream labelled application/json
        events = [_chunk("ok"), _chunk("", "stop"), "data: [DONE]\n\n"]
        return Response("".join(events), media_type="application/json")
    if fault.startswith("chars-per-token-"):  # a tokenizer: N characters a token
        chars = sum(len(m.get("content") or "") for m in body.get("messages", []))
        return JSONResponse(_answer("ok", prompt_tokens=-(-chars // int(fault.rsplit("-", 1)[1]))))
    if fault == "no-choices":
        return JSONResponse({"id": "x", "choices": []})
    if fault == "slow":
        await asyncio.sleep(5)
    if fault == "cut-stream":

        async def cut() -> object:
            yield _chunk("partial ")
            yield _chunk("answer")

        return StreamingResponse(cut(), media_type="text/event-stream")
    if fault == "stall" and stream:  # one delta, then nothing for 30 s

        async def stall() -> object:
            yield _chunk("partial ")
            await asyncio.sleep(30)
            yield _chunk("", "stop")

        return StreamingResponse(stall(), media_type="text/event-stream")
    if fault == "bad-sse":

        async def garbage() -> object:
            yield "data: {not json\n\n"

        return StreamingResponse(garbage(), media_type="text/event-stream")
    # "echo": a correct answer that repeats the (possibly masked) input back.
    text = f"echo: {echo}" if fault == "echo" else "ok"
    if stream:

        async def good() -> object:
            for piece in (text[: len(text) // 2], text[len(text) // 2 :]):
                yield _chunk(piece)
            yield _chunk("", "stop")
            yield "data: [DONE]\n\n"

        return StreamingResponse(good(), media_type="text/event-stream")
    return JSONResponse(_answer(text))


async def _models(request: Request) -> Response:
    return JSONResponse({"object": "list", "data": [{"id": "stub", "object": "model"}]})


class LoopbackServer:
    """An ASGI app served by uvicorn in a background thread on a loopback port; `base_url`
    ends in /v1, and entering waits until `ready_path` answers."""

    ready_path = "/v1/models"

    def __init__(self, app: Starlette, port: int | None = None) -> None:
        self.port = port or free_port()
        self.base_url = f"http://127.0.0.1:{self.port}/v1"
        config = uvicorn.Config(
            app, host="127.0.0.1", port=self.port, log_level="error", lifespan="off"
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, daemon=True)

    def __enter__(self) -> Self:
        self._thread.start()
        wait_http(f"http://127.0.0.1:{self.port}{self.ready_path}", timeout_s=15)
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)


class FaultyUpstream(LoopbackServer):
    """An OpenAI-compatible server that misbehaves on request (see `_hostile`)."""

    def __init__(self) -> None:
        app = Starlette(
            routes=[
                Route("/v1/chat/completions", _chat, methods=["POST"]),
                Route("/v1/models", _models),
                Route("/drip/v1/models", lambda request: _drip(request, stream=False)),
            ]
        )
        app.state.received = []
        app.state.disconnects = []
        self.received: list[dict[str, object]] = app.state.received
        self.disconnects: list[str] = app.state.disconnects  # faults whose client hung up
        super().__init__(app)
