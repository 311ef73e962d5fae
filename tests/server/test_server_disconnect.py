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

# ~950 prompt tokens of the gateway's 1,024-token window: ~2.5 s of prefill here.
LONG_PROMPT = {
    "model": "device",
    "messages": [
        {
            "role": "user",
            "content": "\n".join(
                f"Note {i}: the gateway read request {i} and sent it to tier {i % 7}."
                for i in range(43)
            ),
        }
    ],
    "max_tokens": 16,
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


def device_queue_empties_within(url: str, seconds: float) -> bool:
    """The embedded tier's queue (`/readyz`: "queue=N") is empty within `seconds`."""
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        detail = httpx.get(url + "/readyz").json()["tiers"]["device"]["detail"]
        if detail == "queue=0":
            return True
        time.sleep(0.1)
    return False


def test_an_abandoned_answer_stops_and_frees_the_device(gateway: str) -> None:
    assert device_queue_empties_within(gateway, 30)
    leave_after(gateway, LONG, 0.5)
    # The whole answer takes ~9 s here (979 tokens, then the context is full); stopped, the
    # device is free within a token or two of the disconnect being seen.
    assert device_queue_empties_within(gateway, 3.0)


def test_abandoned_requests_waiting_in_the_queue_never_run(gateway: str) -> None:
    assert device_queue_empties_within(gateway, 30)
    for _ in range(3):
        leave_after(gateway, LONG, 0.2)
    assert device_queue_empties_within(gateway, 3.0)


def test_an_abandoned_prompt_is_not_read_to_the_end(gateway: str) -> None:
    assert device_queue_empties_within(gateway, 30)
    leave_after(gateway, LONG_PROMPT, 0.3)
    # Left while the device reads the prompt: it stops within a chunk of it (~0.3 s here),
    # where it used to read the rest first (~2 s).
    assert device_queue_empties_within(gateway, 1.2)
