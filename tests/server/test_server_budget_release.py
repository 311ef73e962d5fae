"""Token budgets hold a request's `max_tokens` at admission and give the hold back on every way
out: an answer charges what it used, a failure (503, 400, 403...) charges nothing, a client
that leaves charges what was sent to it, exactly once. A request without `max_tokens` holds
`DEFAULT_RESERVE_TOKENS`, so concurrent ones cannot all pass a budget that is nearly spent.

The review: two requests failing on an upstream 500 (max_tokens=600) left a 1,000-token
budget "used up" for the rest of the hour, though no token was ever used.

A gateway of its own, served by uvicorn on a loopback port in this process (the app of
`app_from_config`, so its ledger can be read exactly), in front of the loopback upstream of
tests/upstreams.py; the configured `model` picks the upstream's answer.
"""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest
import uvicorn
from fastapi import FastAPI
from starlette.types import Message, Receive, Scope, Send

from hybridroute.config import load_config
from hybridroute.server.app import app_from_config
from hybridroute.server.auth import DEFAULT_RESERVE_TOKENS, hash_key
from tests.upstreams import FaultyUpstream, free_port, wait_http

# Each test its own key, hence its own budget window.
KEYS: dict[str, tuple[str, str]] = {  # name: (secret, settings)
    "repro": ("sk-repro", "tiers: [broken, ok], budget: {tokens: 1000}"),
    "failing": ("sk-failing", "tiers: [broken, rejects], budget: {tokens: 1000}"),
    "untrusted": ("sk-untrusted", "tiers: [public], budget: {tokens: 1000}"),
    "success": ("sk-success", "tiers: [ok, slow], budget: {tokens: 1000}"),
    "leave-early": ("sk-leave-early", "tiers: [slow], budget: {tokens: 600}"),
    "leave-gap": ("sk-leave-gap", "tiers: [ok], budget: {tokens: 600}"),
    "leave-midway": ("sk-leave-midway", "tiers: [stall], budget: {tokens: 600}"),
    "default": ("sk-default", "tiers: [ok, slow], budget: {tokens: 100}"),
}
SSN_PROMPT = "My SSN is 536-22-1234, please file my taxes."
HOLD_START = "x-test-hold-start"
OK_USAGE = 7  # the upstream's `usage.total_tokens` for a plain answer


def config(upstream: str) -> str:
    def tier(name: str, model: str, trusted: bool = True) -> str:
        where = "private_cloud" if trusted else "public_cloud"
        return (
            f"  - {{kind: openai, name: {name}, location: {where}, trusted: {str(trusted).lower()},"
            f' base_url: "{upstream}", model: {model}}}\n'
        )

    keys = "".join(
        f"    - {{name: {name}, sha256: {hash_key(secret)}, may_force_tier: true, {settings}}}\n"
        for name, (secret, settings) in KEYS.items()
    )
    return (
        "tiers:\n"
        + tier("ok", "ok")
        + tier("broken", "status-500")
        + tier("rejects", "label-code")
        + tier("slow", "slow")
        + tier("stall", "stall")
        + tier("public", "ok", trusted=False)
        + "routing: {breaker_failures: 1000}\n"
        + "privacy: {ner: false}\n"
        + "server:\n  warm_up: false\n  api_keys:\n"
        + keys
    )


class HoldStart:
    """ASGI wrapper for requests with `x-test-hold-start: 1`: a 200 response's start waits
    until the client has hung up and is then never sent, so the client is gone before any
    byte of the answer (the event stream is open, its body not begun) and uvicorn's
    disconnect cancels the response there. `finished` is set once the app is done."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app
        self.held = threading.Event()
        self.finished = threading.Event()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or (HOLD_START.encode(), b"1") not in scope["headers"]:
            await self.app(scope, receive, send)
            return
        gone = asyncio.Event()

        async def watched() -> Message:
            message = await receive()
            if message["type"] == "http.disconnect":
                gone.set()
            return message

        async def held(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] == 200:
                self.held.set()
                await gone.wait()
                # The client is gone: this send never ends; the response cancels it.
                await asyncio.Event().wait()
            await send(message)

        try:
            await self.app(scope, watched, held)
        finally:
            self.finished.set()


class Gateway:
    """The gateway app under uvicorn in a background thread."""

    def __init__(self, path: Path) -> None:
        self.app = app_from_config(load_config(path))
        self.shim = HoldStart(self.app)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        uvicorn_config = uvicorn.Config(
            self.shim, host="127.0.0.1", port=self.port, log_level="error", lifespan="on"
        )
        self._server = uvicorn.Server(uvicorn_config)
        self._thread = threading.Thread(target=self._server.run, daemon=True)

    def __enter__(self) -> Gateway:
        self._thread.start()
        wait_http(self.url + "/readyz", timeout_s=60)
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=30)

    def usage(self, key: str) -> tuple[int, int]:
        """(tokens used, tokens held by requests in flight) in `key`'s budget window."""
        caller = self.app.state.keys.authenticate(f"Bearer {KEYS[key][0]}")
        used, held = self.app.state.ledger.usage(caller)
        return int(used), int(held)

    def sdk(self, key: str) -> openai.OpenAI:
        return openai.OpenAI(
            base_url=self.url + "/v1", api_key=KEYS[key][0], max_retries=0, timeout=60
        )

    def post(self, key: str, body: dict[str, Any]) -> httpx.Response:
        headers = {"authorization": f"Bearer {KEYS[key][0]}"}
        return httpx.post(self.url + "/v1/chat/completions", json=body, headers=headers, timeout=60)


@pytest.fixture(scope="module")
def gateway(
    faulty_upstream: FaultyUpstream, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Gateway]:
    path = tmp_path_factory.mktemp("budget_release") / "gateway.yaml"
    path.write_text(config(faulty_upstream.base_url))
    with Gateway(path) as running:
        yield running


def chat(model: str, content: str = "Explain BBR vs CUBIC.", **fields: Any) -> dict[str, Any]:
    return {"model": model, "messages": [{"role": "user", "content": content}], **fields}


def create(client: openai.OpenAI, body: dict[str, Any]) -> Any:
    """`chat.completions.create`, a stream read to its end."""
    answer = client.chat.completions.create(**body)
    if body.get("stream"):
        return list(answer)
    return answer


def test_the_review_repro_failed_requests_do_not_use_up_the_budget(gateway: Gateway) -> None:
    with gateway.sdk("repro") as client:
        for stream in (False, True):
            with pytest.raises(openai.InternalServerError) as caught:
                create(client, chat("broken", max_tokens=600, stream=stream))
            assert caught.value.status_code == 503
        # Before the fix: 429 "token budget of 1000 per 3600s used up", 0 tokens ever used.
        answer = client.chat.completions.create(**chat("ok", max_tokens=1))
    assert answer.usage is not None and answer.usage.total_tokens == OK_USAGE
    assert gateway.usage("repro") == (OK_USAGE, 0)


@pytest.mark.parametrize("stream", [False, True], ids=["plain", "stream"])
@pytest.mark.parametrize(
    ("key", "body", "error"),
    [
        ("failing", chat("broken"), openai.InternalServerError),  # upstream 500 → 503
        ("failing", chat("rejects"), openai.BadRequestError),  # upstream 400 → 400
        ("untrusted", chat("auto", SSN_PROMPT), openai.PermissionDeniedError),  # 403
    ],
    ids=["upstream-500", "upstream-400", "sensitive-data-blocked"],
)
def test_a_failed_request_gives_its_whole_hold_back(
    gateway: Gateway, key: str, body: dict[str, Any], error: type[Exception], stream: bool
) -> None:
    with gateway.sdk(key) as client:
        for _ in range(3):  # 3 holds of 600, were they kept, would pass the 1,000 budget
            with pytest.raises(error):
                create(client, {**body, "max_tokens": 600, "stream": stream})
            assert gateway.usage(key) == (0, 0)


def test_a_successful_request_charges_its_real_usage(
    gateway: Gateway, faulty_upstream: FaultyUpstream
) -> None:
    with gateway.sdk("success") as client:
        answer = client.chat.completions.create(**chat("ok", max_tokens=300))
        assert answer.usage is not None and answer.usage.total_tokens == OK_USAGE
        assert gateway.usage("success") == (OK_USAGE, 0)
        chunks = create(
            client, chat("ok", max_tokens=300, stream=True, stream_options={"include_usage": True})
        )
        streamed = chunks[-1].usage
        assert streamed is not None and streamed.total_tokens > 0
        assert gateway.usage("success") == (OK_USAGE + streamed.total_tokens, 0)
        used = OK_USAGE + streamed.total_tokens
        # In flight, the request holds its max_tokens; at the end only its usage remains.
        with ThreadPoolExecutor(1) as pool:
            before = len(faulty_upstream.received)
            slow = pool.submit(lambda: create(client, chat("slow", max_tokens=250)))
            wait_for(lambda: len(faulty_upstream.received) > before)
            assert gateway.usage("success") == (used, 250)
            assert slow.result().usage.total_tokens == OK_USAGE
    assert gateway.usage("success") == (used + OK_USAGE, 0)


def leave(gateway: Gateway, key: str, body: dict[str, Any], when: Callable[[], bool]) -> None:
    """POST `body` on a raw socket and hang up once `when()`, before reading a byte; return
    once the gateway has finished with the request."""
    gateway.shim.held.clear()
    gateway.shim.finished.clear()
    data = json.dumps(body).encode()
    head = (
        f"POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1:{gateway.port}\r\n"
        f"Authorization: Bearer {KEYS[key][0]}\r\nContent-Type: application/json\r\n"
        f"{HOLD_START}: 1\r\nContent-Length: {len(data)}\r\n\r\n"
    ).encode()
    with socket.create_connection(("127.0.0.1", gateway.port)) as sock:
        sock.sendall(head + data)
        wait_for(when)
    assert gateway.shim.finished.wait(30), "the gateway never finished the abandoned request"


def test_a_stream_left_while_the_tier_is_still_answering_releases_its_hold(
    gateway: Gateway, faulty_upstream: FaultyUpstream
) -> None:
    before = len(faulty_upstream.received)
    body = chat("slow", max_tokens=600, stream=True)  # the upstream waits 5 s first
    leave(gateway, "leave-early", body, lambda: len(faulty_upstream.received) > before)
    assert gateway.usage("leave-early") == (0, 0)


def test_a_stream_left_before_its_first_byte_releases_its_hold(gateway: Gateway) -> None:
    # The tier has answered and the event stream is open, but the client left before the
    # response started: the events generator never ran, so only the response can settle.
    body = chat("ok", max_tokens=600, stream=True)
    leave(gateway, "leave-gap", body, gateway.shim.held.is_set)
    assert gateway.usage("leave-gap") == (0, 0)
    # Before the fix this was 429: the 600 tokens stayed held for the rest of the hour.
    assert gateway.post("leave-gap", chat("ok", max_tokens=1)).status_code == 200


def test_a_stream_left_midway_is_charged_once_for_what_was_sent(gateway: Gateway) -> None:
    # The upstream sends one delta, then stalls for 30 s; the client reads it and leaves.
    headers = {"authorization": f"Bearer {KEYS['leave-midway'][0]}"}
    body = chat("stall", max_tokens=600, stream=True)
    url = gateway.url + "/v1/chat/completions"
    with httpx.stream("POST", url, json=body, headers=headers, timeout=60) as response:
        assert response.status_code == 200
        lines = response.iter_lines()
        first = next(line for line in lines if line.startswith("data: {"))
        assert '"partial "' in first
        assert gateway.usage("leave-midway") == (0, 600)  # still held while connected
    wait_for(lambda: gateway.usage("leave-midway")[1] == 0)
    assert gateway.usage("leave-midway") == (1, 0)  # one delta sent, about one token


def test_without_max_tokens_the_default_is_held(gateway: Gateway) -> None:
    # 7 of 100 tokens used; each request without max_tokens holds 512 while in flight, so
    # of two sent together only one is admitted. Before: both were (they held nothing).
    assert gateway.post("default", chat("ok", max_tokens=1)).status_code == 200
    assert gateway.usage("default") == (OK_USAGE, 0)
    with ThreadPoolExecutor(2) as pool:
        replies = list(pool.map(lambda _: gateway.post("default", chat("slow")), range(2)))
    statuses = sorted(r.status_code for r in replies)
    assert statuses == [200, 429], statuses
    refused = next(r for r in replies if r.status_code == 429).json()["error"]
    assert refused["code"] == "budget_exceeded"
    assert "held by requests in flight" in refused["message"]
    # The admitted one charged its usage in place of the default hold.
    assert gateway.usage("default") == (2 * OK_USAGE, 0)


def test_the_default_hold_is_visible_while_in_flight(
    gateway: Gateway, faulty_upstream: FaultyUpstream
) -> None:
    before = gateway.usage("default")
    with ThreadPoolExecutor(1) as pool:
        count = len(faulty_upstream.received)
        reply = pool.submit(gateway.post, "default", chat("slow"))
        wait_for(lambda: len(faulty_upstream.received) > count)
        assert gateway.usage("default") == (before[0], DEFAULT_RESERVE_TOKENS)
        assert reply.result().status_code == 200
    assert gateway.usage("default") == (before[0] + OK_USAGE, 0)


def wait_for(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)
