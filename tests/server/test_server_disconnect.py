"""A client that leaves stops its work: the next caller does not wait behind an answer that
nobody will read (real gateway process, embedded model, raw sockets)."""

from __future__ import annotations

import json
import socket
import time
from urllib.parse import urlsplit

import httpx
from gateway_processes import KEYS

LONG = {
    "model": "device",
    "messages": [{"role": "user", "content": "Count from 1 to 2000, separated by commas."}],
    "max_tokens": 2000,
    "temperature": 0,
}


def leave_after(url: str, body: dict[str, object], seconds: float) -> None:
    """POST `body` and hang up after `seconds`, before the answer."""
    parts = urlsplit(url)
    data = json.dumps(body).encode()
    head = (
        f"POST /v1/chat/completions HTTP/1.1\r\nHost: {parts.netloc}\r\n"
        f"Authorization: Bearer {KEYS['admin']}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(data)}\r\n\r\n"
    ).encode()
    with socket.create_connection((parts.hostname, parts.port)) as sock:
        sock.sendall(head + data)
        time.sleep(seconds)


def small_request_seconds(url: str) -> float:
    started = time.perf_counter()
    response = httpx.post(
        url + "/v1/chat/completions",
        json={**LONG, "max_tokens": 2},
        headers={"authorization": f"Bearer {KEYS['admin']}"},
        timeout=120,
    )
    assert response.status_code == 200
    return time.perf_counter() - started


def test_an_abandoned_answer_stops_and_frees_the_device(gateway: str) -> None:
    baseline = small_request_seconds(gateway)
    leave_after(gateway, LONG, 0.5)
    # A 2,000-token answer takes ~15 s here; once stopped, the next answer takes about what a
    # small one takes alone (generation is checked between tokens).
    waited = small_request_seconds(gateway)
    assert waited < baseline + 2.0, (baseline, waited)


def test_abandoned_requests_waiting_in_the_queue_never_run(gateway: str) -> None:
    baseline = small_request_seconds(gateway)
    for _ in range(3):
        leave_after(gateway, LONG, 0.2)
    waited = small_request_seconds(gateway)
    assert waited < baseline + 2.0, (baseline, waited)
