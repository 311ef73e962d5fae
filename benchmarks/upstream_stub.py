"""A fast OpenAI-compatible upstream stub on loopback (asyncio, HTTP/1.1 keep-alive).

    python benchmarks/upstream_stub.py --port 9000

Answers `POST /v1/chat/completions` (JSON or SSE when `stream` is true) and `GET /v1/models`
with a fixed short answer, instantly. The configured `model` selects test behaviours:
`status-<code>` answers that HTTP status with an OpenAI error body, `slow-<ms>` waits first,
and a request with `tools` gets a tool call back. Used by the gateway benchmark and tests.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time

ANSWER = "Hello from the stub upstream."


def completion(model: str, tools: bool) -> dict[str, object]:
    message: dict[str, object] = {"role": "assistant", "content": ANSWER}
    finish = "stop"
    if tools:
        call = {"id": "call_1", "type": "function"}
        call["function"] = {"name": "get_weather", "arguments": '{"city": "Paris"}'}  # type: ignore[assignment]
        message = {"role": "assistant", "content": None, "tool_calls": [call]}
        finish = "tool_calls"
    return {
        "id": "chatcmpl-stub",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "message": message, "finish_reason": finish}],
        "usage": {"prompt_tokens": 12, "completion_tokens": 7, "total_tokens": 19},
    }


def sse(model: str, tools: bool) -> bytes:
    head = {"id": "chatcmpl-stub", "object": "chat.completion.chunk", "created": 0, "model": model}
    events = []
    if tools:
        call = {"index": 0, "id": "call_1", "type": "function"}
        call["function"] = {"name": "get_weather", "arguments": '{"city": "Paris"}'}
        events.append({"index": 0, "delta": {"role": "assistant", "tool_calls": [call]}})
        finish = "tool_calls"
    else:
        for word in ANSWER.split(" "):
            events.append({"index": 0, "delta": {"content": word + " "}})
        finish = "stop"
    events.append({"index": 0, "delta": {}, "finish_reason": finish})
    out = [json.dumps({**head, "choices": [e]}) for e in events]
    usage = {"prompt_tokens": 12, "completion_tokens": 7, "total_tokens": 19}
    out.append(json.dumps({**head, "choices": [], "usage": usage}))
    return b"".join(b"data: " + e.encode() + b"\n\n" for e in out) + b"data: [DONE]\n\n"


def response(
    status: int, body: bytes, content_type: str = "application/json", extra: str = ""
) -> bytes:
    head = (
        f"HTTP/1.1 {status} X\r\ncontent-type: {content_type}\r\n{extra}"
        f"content-length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


MODELS = response(200, json.dumps({"object": "list", "data": [{"id": "stub"}]}).encode())


async def answer(path: str, body: bytes) -> bytes:
    if path.endswith("/models"):
        return MODELS
    try:
        request = json.loads(body)
        model = str(request.get("model", "stub"))
    except (ValueError, AttributeError):
        return response(400, b'{"error": {"type": "invalid_request_error"}}')
    if model.startswith("status-"):
        code = int(model.removeprefix("status-"))
        err = {"error": {"message": "stub failure", "type": "stub_error"}}
        extra = "retry-after: 3\r\n" if code == 429 else ""
        return response(code, json.dumps(err).encode(), extra=extra)
    if model.startswith("slow-"):
        await asyncio.sleep(int(model.removeprefix("slow-")) / 1000)
    tools = bool(request.get("tools"))
    if request.get("stream"):
        return response(200, sse(model, tools), "text/event-stream")
    return response(200, json.dumps(completion(model, tools)).encode())


async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            path = lines[0].split(" ")[1]
            length = 0
            for line in lines[1:]:
                name, _, value = line.partition(":")
                if name.strip().lower() == "content-length":
                    length = int(value.strip())
            body = await reader.readexactly(length) if length else b""
            writer.write(await answer(path, body))
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError):
        pass
    finally:
        writer.close()


async def main(host: str, port: int) -> None:
    server = await asyncio.start_server(handle, host, port, backlog=2048)
    print(f"stub listening on {host}:{port}", flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=9000)
    args = parser.parse_args()
    try:
        asyncio.run(main(args.host, args.port))
    except KeyboardInterrupt:
        pass
