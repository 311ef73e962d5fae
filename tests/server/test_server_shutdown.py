"""Graceful shutdown: SIGTERM lets an in-flight request finish, then the process exits."""

from __future__ import annotations

import signal
import threading
import time
from pathlib import Path

import httpx
from gateway_processes import serve, stop, wait_ready


def test_sigterm_lets_in_flight_requests_finish(stub_url: str, tmp_path: Path) -> None:
    config = tmp_path / "slow.yaml"
    config.write_text(
        "tiers:\n"
        f"  - {{kind: openai, name: slow, location: private_cloud, trusted: true,\n"
        f'     base_url: "{stub_url}/v1", model: slow-1500}}\n'
        "privacy: {ner: false}\n"
        "server: {shutdown_timeout_s: 10}\n"
    )
    service = serve(config, tmp_path / "slow.log")
    try:
        wait_ready(service, "/readyz")
        results: list[httpx.Response] = []
        body = {"messages": [{"role": "user", "content": "Hi"}]}
        worker = threading.Thread(
            target=lambda: results.append(
                httpx.post(service.url + "/v1/chat/completions", json=body, timeout=30)
            )
        )
        worker.start()
        time.sleep(0.5)  # the request is now waiting on the slow upstream
        service.process.send_signal(signal.SIGTERM)
        worker.join(timeout=30)
        # uvicorn re-raises the captured SIGTERM once shutdown is complete.
        assert service.process.wait(timeout=20) in (0, -signal.SIGTERM)
        assert results and results[0].status_code == 200
        assert results[0].json()["choices"][0]["message"]["content"]
        log = service.log.read_text()
        assert "Waiting for application shutdown" in log and "Traceback" not in log
    finally:
        stop(service)
