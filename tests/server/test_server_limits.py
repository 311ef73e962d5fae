"""Bodies are never buffered before authentication nor beyond the size limit, and requests
cut off by the graceful-shutdown timeout get an OpenAI-format answer (real processes on
127.0.0.1, raw sockets for chunked bodies that never end; one in-process check of memory)."""

from __future__ import annotations

import asyncio
import json
import signal
import socket
import threading
import time
import tracemalloc
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from gateway_processes import (
    KEYS,
    Service,
    running_gateway,
    serve,
    stop,
    stub_config,
    wait_ready,
)

from hybridroute.config import HybridRouteConfig
from hybridroute.server.app import app_from_config
from hybridroute.server.auth import hash_key
from tests.upstreams import FaultyUpstream

CHUNK = 64 * 1024


def open_chunked(url: str, key: str | None = None) -> socket.socket:
    """A connection that has sent the head of a chunked chat request (no body yet)."""
    host, port = url.removeprefix("http://").split(":")
    sock = socket.create_connection((host, int(port)), timeout=10)
    auth = f"authorization: Bearer {key}\r\n" if key else ""
    sock.sendall(
        b"POST /v1/chat/completions HTTP/1.1\r\nhost: gw\r\ncontent-type: application/json\r\n"
        + auth.encode()
        + b"transfer-encoding: chunked\r\n\r\n"
    )
    return sock


def send_chunks(sock: socket.socket, count: int, size: int = CHUNK) -> None:
    for _ in range(count):
        sock.sendall(b"%x\r\n" % size + b"x" * size + b"\r\n")


def read_response(sock: socket.socket) -> tuple[int, dict[str, str], bytes]:
    """Status, headers and body of one response (Content-Length framed); raises on timeout."""
    data = b""
    while b"\r\n\r\n" not in data:
        piece = sock.recv(65536)
        if not piece:
            raise ConnectionError(f"closed before a response: {data!r}")
        data += piece
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.split(": ", 1) for line in lines[1:])
    headers = {name.lower(): value for name, value in headers.items()}
    while len(body) < int(headers.get("content-length", 0)):
        body += sock.recv(65536)
    return int(lines[0].split()[1]), headers, body


def assert_error(status: int, headers: dict[str, str], body: bytes, want: int, code: str) -> None:
    assert status == want, body
    assert headers["content-type"] == "application/json"
    assert json.loads(body)["error"]["code"] == code


@pytest.mark.parametrize("key", [None, "sk-wrong"])
def test_unauthenticated_chunked_upload_is_401_before_its_body_ends(
    gateway: str, key: str | None
) -> None:
    # The body is never finished: the 401 must not wait for it (it used to, buffering it).
    with open_chunked(gateway, key) as sock:
        send_chunks(sock, 1, 1024)
        assert_error(*read_response(sock), 401, "invalid_api_key")


def test_oversized_chunked_body_is_413_before_it_ends(gateway: str) -> None:
    # The gateway's limit is 64 KiB: two chunks pass it; the final chunk is never sent.
    with open_chunked(gateway, KEYS["admin"]) as sock:
        send_chunks(sock, 2)
        assert_error(*read_response(sock), 413, "request_too_large")


def test_authenticated_chunked_body_under_the_limit_is_served(gateway: str) -> None:
    body = json.dumps({"messages": [{"role": "user", "content": "Hi"}], "max_tokens": 1})
    with open_chunked(gateway, KEYS["admin"]) as sock:
        sock.settimeout(60)
        for piece in (body[:10], body[10:]):
            sock.sendall(b"%x\r\n" % len(piece) + piece.encode() + b"\r\n")
        sock.sendall(b"0\r\n\r\n")
        status, _, answer = read_response(sock)
    assert status == 200 and json.loads(answer)["choices"][0]["message"]["content"] is not None


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


def stub_tier(stub_url: str, name: str, model: str) -> str:
    return (
        f"  - {{kind: openai, name: {name}, location: private_cloud, trusted: true,\n"
        f'     base_url: "{stub_url}/v1", model: {model}}}\n'
    )


@pytest.fixture
def keyed_stub_gateway(stub_url: str, tmp_path: Path) -> Iterator[Service]:
    """A gateway over the stub with a key and a 4 MiB body limit."""
    with running_gateway(
        tmp_path,
        "keyed",
        "tiers:\n" + stub_tier(stub_url, "stub", "stub") + "privacy: {ner: false}\n"
        "server:\n"
        "  max_body_bytes: 4194304\n"
        f"  api_keys: [{{name: a, sha256: {hash_key('sk-a')}}}]\n",
    ) as service:
        yield service


@pytest.fixture
def timed_stub_gateway(stub_url: str, tmp_path: Path) -> Iterator[Service]:
    """A gateway over the stub (also as a 2.5 s slow tier) whose bodies must arrive in 1 s."""
    with running_gateway(
        tmp_path,
        "timed",
        "tiers:\n"
        + stub_tier(stub_url, "stub", "stub")
        + stub_tier(stub_url, "slow", "slow-2500")
        + "privacy: {ner: false}\n"
        "server:\n"
        "  body_timeout_s: 1\n"
        "  header_timeout_s: 1\n"
        f"  api_keys: [{{name: a, sha256: {hash_key('sk-a')}, may_force_tier: true}}]\n",
    ) as service:
        yield service


def test_a_body_that_drips_is_408_and_its_connection_closed(timed_stub_gateway: Service) -> None:
    # uvicorn has no body read timeout: without ours this request stayed open for good.
    with open_chunked(timed_stub_gateway.url, "sk-a") as sock:
        started = time.monotonic()
        send_chunks(sock, 1, 16)
        status, headers, body = read_response(sock)
        waited = time.monotonic() - started
        assert_error(status, headers, body, 408, "request_timeout")
        assert headers["connection"] == "close"
        assert 0.9 < waited < 5, waited
        assert sock.recv(1024) == b""  # closed by the gateway, the rest of the body unread
    # Only the body is timed: an answer that takes longer than the deadline is served.
    response = httpx.post(
        timed_stub_gateway.url + "/v1/chat/completions",
        headers={"authorization": "Bearer sk-a"},
        json={"model": "slow", "messages": [{"role": "user", "content": "Hi"}]},
        timeout=30,
    )
    assert response.status_code == 200, response.text


@pytest.mark.parametrize("head", [b"", b"POST /v1/chat/completions HTTP/1.1\r\nhost: gw\r\n"])
def test_headers_that_do_not_arrive_are_408_and_the_connection_closed(
    timed_stub_gateway: Service, head: bytes
) -> None:
    # uvicorn has no header read timeout: a connection that sent nothing, or dripped its
    # headers a byte at a time, stayed open for good (a slowloris holds sockets that way).
    host, port = timed_stub_gateway.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        started = time.monotonic()
        if head:  # then one header byte every 0.1 s: busy, but never done
            sock.sendall(head)
            try:
                for _ in range(15):
                    time.sleep(0.1)
                    sock.sendall(b"x")
            except OSError:
                pass  # closed by the gateway while dripping
        status, headers, body = read_response(sock)
        waited = time.monotonic() - started
        assert_error(status, headers, body, 408, "request_timeout")
        assert headers["connection"] == "close"
        assert 0.9 < waited < 5, waited
        assert sock.recv(1024) == b""


def test_a_keep_alive_connection_s_next_headers_are_timed(timed_stub_gateway: Service) -> None:
    host, port = timed_stub_gateway.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        time.sleep(0.6)  # a head that takes a while but arrives within the deadline is served
        sock.sendall(b"GET /healthz HTTP/1.1\r\nhost: gw\r\n\r\n")
        status, _, _ = read_response(sock)
        assert status == 200
        sock.sendall(b"GET /healthz HTTP/1.1\r\nhost: gw\r\n")  # the next one stalls
        started = time.monotonic()
        status, headers, body = read_response(sock)
        assert_error(status, headers, body, 408, "request_timeout")
        assert 0.9 < time.monotonic() - started < 5


def test_pending_unauthenticated_uploads_do_not_hold_their_bodies(
    keyed_stub_gateway: Service,
) -> None:
    # 40 connections each send 3.75 MiB of a chunked body (under the limit) and never finish
    # it. The old gateway held every body until its end (measured: RSS +150 MB and no answer);
    # now each gets its 401 at once and the rest of its body is discarded as it arrives.
    service = keyed_stub_gateway
    pid = service.process.pid
    before = rss_kib(pid)
    socks = [open_chunked(service.url) for _ in range(40)]
    try:
        for sock in socks:
            send_chunks(sock, 60)
        for sock in socks:
            assert_error(*read_response(sock), 401, "invalid_api_key")
        time.sleep(0.5)
        grown_mib = (rss_kib(pid) - before) / 1024
        assert grown_mib < 40, f"RSS grew by {grown_mib:.0f} MiB"
    finally:
        for sock in socks:
            sock.close()


# --- in process: what the app itself holds while it reads a chunked body ------------------


class Upload:
    """A chunked request body produced on demand (fresh bytes each read, as uvicorn's are)."""

    def __init__(self, chunks: int) -> None:
        self.chunks = chunks
        self.read = 0
        self.sent: list[dict[str, Any]] = []

    async def receive(self) -> dict[str, Any]:
        if self.read >= self.chunks:
            await asyncio.sleep(3600)  # the client stalls; a correct gateway never gets here
        self.read += 1
        return {"type": "http.request", "body": b"x" * CHUNK, "more_body": True}

    async def send(self, message: dict[str, Any]) -> None:
        self.sent.append(message)

    @property
    def status(self) -> int:
        return int(self.sent[0]["status"])

    def error_code(self) -> str:
        return str(json.loads(self.sent[1]["body"])["error"]["code"])


def run_upload(key: str | None, chunks: int, limit: int) -> tuple[Upload, int]:
    """POST `chunks` chunks (never finished) through the full app; the upload and peak bytes."""
    config = HybridRouteConfig.model_validate(
        yaml.safe_load(
            "tiers: [{kind: openai, name: stub, location: private_cloud, trusted: true,\n"
            "         base_url: 'http://127.0.0.1:9/v1', model: stub}]\n"
            "privacy: {ner: false}\n"
            f"server: {{max_body_bytes: {limit},"
            f" api_keys: [{{name: a, sha256: {hash_key('sk-a')}}}]}}\n"
        )
    )
    app = app_from_config(config)
    headers = [(b"content-type", b"application/json"), (b"transfer-encoding", b"chunked")]
    if key:
        headers.append((b"authorization", f"Bearer {key}".encode()))
    scope = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/v1/chat/completions",
        "raw_path": b"/v1/chat/completions",
        "query_string": b"",
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", 1),
        "server": ("127.0.0.1", 2),
    }
    upload = Upload(chunks)

    async def go() -> int:
        try:
            tracemalloc.start()
            await asyncio.wait_for(app(scope, upload.receive, upload.send), timeout=10)
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
            await app.state.router.aclose()

    return upload, asyncio.run(go())


def test_unauthenticated_body_is_not_read_at_all() -> None:
    upload, peak = run_upload(None, chunks=32, limit=4 * 1024 * 1024)
    assert upload.status == 401 and upload.error_code() == "invalid_api_key"
    assert upload.read == 0  # the old gateway read (and held) all 2 MiB, then waited for more
    assert peak < 1024 * 1024, peak


def test_oversized_body_is_refused_at_the_limit_without_reading_on() -> None:
    upload, peak = run_upload("sk-a", chunks=200, limit=256 * 1024)  # 12.5 MiB offered
    assert upload.status == 413 and upload.error_code() == "request_too_large"
    assert upload.read == 256 // 64 + 1  # the read that passes the limit is the last
    assert peak < 2 * 1024 * 1024, peak


# --- the graceful-shutdown timeout running out ---------------------------------------------


def stop_with_sigterm(
    service: Service, workers: list[threading.Thread], *, join_s: float, exit_s: float
) -> None:
    """SIGTERM the gateway mid-request, let the clients finish, and check that it exits."""
    service.process.send_signal(signal.SIGTERM)
    for worker in workers:
        worker.join(timeout=join_s)
    assert service.process.wait(timeout=exit_s) in (0, -signal.SIGTERM)


def test_requests_cut_off_at_shutdown_get_a_503_or_an_error_event(
    faulty_upstream: FaultyUpstream, tmp_path: Path
) -> None:
    config = tmp_path / "stalling.yaml"
    tier = "{{kind: openai, name: {0}, location: private_cloud, trusted: true, model: {0}, "
    tier += f'base_url: "{faulty_upstream.base_url}"}}}}'
    config.write_text(
        f"tiers:\n  - {tier.format('slow')}\n  - {tier.format('stall')}\n"
        "privacy: {ner: false}\n"
        "server: {shutdown_timeout_s: 1}\n"
    )
    service = serve(config, tmp_path / "stalling.log")
    url = service.url + "/v1/chat/completions"
    results: dict[str, Any] = {}
    streamed: list[str] = []
    first_delta = threading.Event()

    def plain() -> None:  # "slow": answers after 5 s, so it is still waiting at the cut
        body = {"model": "slow", "messages": [{"role": "user", "content": "Hi"}]}
        results["plain"] = httpx.post(url, json=body, timeout=30)

    def queued_stream() -> None:  # a stream still waiting for its first delta
        body = {"model": "slow", "stream": True, "messages": [{"role": "user", "content": "Hi"}]}
        results["queued"] = httpx.post(url, json=body, timeout=30)

    def started_stream() -> None:  # "stall": one delta, then nothing
        body = {"model": "stall", "stream": True, "messages": [{"role": "user", "content": "Hi"}]}
        try:
            with httpx.stream("POST", url, json=body, timeout=30) as response:
                results["started"] = response
                for line in response.iter_lines():
                    if line.startswith("data: "):
                        streamed.append(line.removeprefix("data: "))
                        first_delta.set()
        except httpx.HTTPError as exc:  # the old gateway closed the stream mid-chunk
            streamed.append(repr(exc))

    try:
        wait_ready(service, "/readyz")
        workers = [threading.Thread(target=f) for f in (plain, queued_stream, started_stream)]
        for worker in workers:
            worker.start()
        assert first_delta.wait(timeout=20)
        time.sleep(0.3)  # the other two are now waiting on the upstream
        stop_with_sigterm(service, workers, join_s=30, exit_s=20)
    finally:
        stop(service)

    for name in ("plain", "queued"):
        response = results[name]
        assert response.status_code == 503, response.text
        assert response.headers["content-type"] == "application/json"
        error = response.json()["error"]
        assert error["code"] == "server_shutting_down" and "shutting down" in error["message"]
    assert results["started"].status_code == 200
    assert len(streamed) == 2 and json.loads(streamed[0])["choices"][0]["delta"]["content"]
    assert streamed[1].startswith('{"error"'), streamed[1]  # and no [DONE]
    assert json.loads(streamed[1])["error"]["code"] == "server_shutting_down"
    log = service.log.read_text()
    assert "Traceback" not in log and "CancelledError" not in log
    assert log.count("cancelled: the graceful-shutdown timeout ran out") == 3


def test_limit_concurrency_caps_open_connections(stub_url: str, tmp_path: Path) -> None:
    config = tmp_path / "limited.yaml"
    config.write_text(stub_config(stub_url, "server: {limit_concurrency: 3}"))
    service = serve(config, tmp_path / "limited.log")
    try:
        wait_ready(service, "/readyz")
        host, port = service.url.removeprefix("http://").split(":")
        idle = [socket.create_connection((host, int(port)), timeout=10) for _ in range(3)]
        try:
            time.sleep(0.2)
            refused = httpx.get(service.url + "/healthz", timeout=10)
            assert refused.status_code == 503  # uvicorn's own, in plain text
        finally:
            for sock in idle:
                sock.close()
        time.sleep(0.2)
        assert httpx.get(service.url + "/healthz", timeout=10).status_code == 200
    finally:
        stop(service)


def test_embedded_stream_cut_at_shutdown_ends_with_an_error_event(tmp_path: Path) -> None:
    # The review's case: the embedded model generating a stream, a second request queued
    # behind it. The tiers must not be closed before both cancelled requests have answered.
    config = tmp_path / "embedded.yaml"
    config.write_text(
        "tiers: [{kind: llama_cpp, name: device, n_ctx: 1024}]\n"
        "privacy: {ner: false}\n"
        "server: {shutdown_timeout_s: 1}\n"
    )
    service = serve(config, tmp_path / "embedded.log")
    url = service.url + "/v1/chat/completions"
    story = {
        "messages": [{"role": "user", "content": "Write a very long story about a dragon."}],
        "max_tokens": 1000,
        "temperature": 0.8,
        "seed": 5,
    }
    results: dict[str, Any] = {}
    streamed: list[str] = []
    generating = threading.Event()

    def stream() -> None:
        try:
            with httpx.stream("POST", url, json={**story, "stream": True}, timeout=60) as r:
                for line in r.iter_lines():
                    if line.startswith("data: "):
                        streamed.append(line.removeprefix("data: "))
                        generating.set()
        except httpx.HTTPError as exc:  # cut without its event
            streamed.append(repr(exc))

    def plain() -> None:
        results["plain"] = httpx.post(url, json=story, timeout=60)

    try:
        wait_ready(service, "/readyz")
        workers = [threading.Thread(target=stream), threading.Thread(target=plain)]
        workers[0].start()
        assert generating.wait(timeout=30)
        workers[1].start()
        time.sleep(0.3)
        stop_with_sigterm(service, workers, join_s=60, exit_s=30)
    finally:
        stop(service)

    assert len(streamed) > 1 and "[DONE]" not in streamed
    assert streamed[-1].startswith('{"error"'), streamed[-1]
    assert json.loads(streamed[-1])["error"]["code"] == "server_shutting_down"
    assert results["plain"].status_code == 503
    assert results["plain"].json()["error"]["code"] == "server_shutting_down"
    log = service.log.read_text()
    assert "Traceback" not in log and "CancelledError" not in log


def test_a_websocket_handshake_is_refused_without_logging_its_query(
    keyed_stub_gateway: Service,
) -> None:
    # uvicorn's WebSocket protocol logged each handshake's path and query at INFO, without
    # --access-log and without a key: anyone could write values into the log.
    host, port = keyed_stub_gateway.url.removeprefix("http://").split(":")
    handshake = (
        "GET /v1/chat/completions?ssn=536-22-1234 HTTP/1.1\r\n"
        f"Host: {host}:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
    )
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(handshake.encode())
        answer = sock.recv(4096).decode("latin-1")
    assert not answer.startswith("HTTP/1.1 101")
    time.sleep(0.3)
    assert "536-22-1234" not in keyed_stub_gateway.log.read_text()
