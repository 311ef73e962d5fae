"""Real processes on 127.0.0.1 for the gateway tests (started by conftest fixtures).

* `stub`: the fast OpenAI-compatible upstream stub (benchmarks/upstream_stub.py).
* `llama_upstream` (tests/conftest.py): `python -m llama_cpp.server` on the same GGUF as the
  embedded tier.
* `gateway`: `hybridroute serve` with the embedded `device` tier, a `private` tier on the
  llama.cpp server and API keys (see KEYS).
* `stub_gateway`: `hybridroute serve` over the stub only (fast): input validation,
  upstream failures and Schemathesis.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from hybridroute.server.auth import hash_key
from tests.upstreams import free_port

ROOT = Path(__file__).resolve().parents[2]
PYTHON = sys.executable
STUB = ROOT / "benchmarks" / "upstream_stub.py"
CLI = "from hybridroute.cli import main; main()"

KEYS = {
    "admin": "sk-test-admin",  # every tier, may force a tier
    "device-only": "sk-test-device",  # only the device tier
    "auto-only": "sk-test-auto",  # every tier, may not force one, balanced mode only
    "metered": "sk-test-metered",  # 2 requests per hour
    "tokens": "sk-test-tokens",  # 20 tokens per hour, device tier
}


@dataclass(frozen=True)
class Service:
    url: str
    process: subprocess.Popen[bytes]
    log: Path


def spawn(args: list[str], log: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    for name in ("OPENAI_API_KEY", "HYBRIDROUTE_CONFIG", "HYBRIDROUTE_CLOUD_API_KEY"):
        env.pop(name, None)
    with log.open("wb") as handle:  # the child keeps its own descriptor
        return subprocess.Popen(args, stdout=handle, stderr=subprocess.STDOUT, env=env, cwd=ROOT)


def wait_ready(service: Service, path: str, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if service.process.poll() is not None:
            raise RuntimeError(f"{service.url} exited:\n{service.log.read_text()[-3000:]}")
        try:
            if httpx.get(service.url + path, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{service.url}{path} not ready:\n{service.log.read_text()[-3000:]}")


def stop(service: Service) -> None:
    if service.process.poll() is None:
        service.process.send_signal(signal.SIGTERM)
        try:
            service.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            service.process.kill()
            service.process.wait()


def serve(config: Path, log: Path) -> Service:
    port = free_port()
    args = [PYTHON, "-c", CLI, "serve", "--config", str(config), "--port", str(port)]
    return Service(url=f"http://127.0.0.1:{port}", process=spawn(args, log), log=log)


@contextmanager
def running_gateway(directory: Path, name: str, config: str) -> Iterator[Service]:
    """A gateway process on `config` (YAML text, written to `directory`), ready, stopped
    afterwards; its log is `directory/name.log`."""
    path = directory / f"{name}.yaml"
    path.write_text(config)
    service = serve(path, directory / f"{name}.log")
    try:
        wait_ready(service, "/readyz")
        yield service
    finally:
        stop(service)


def start_stub(log: Path) -> Service:
    port = free_port()
    process = spawn([PYTHON, str(STUB), "--port", str(port)], log)
    return Service(url=f"http://127.0.0.1:{port}", process=process, log=log)


def stub_config(stub_url: str, extra: str = "") -> str:
    return f"""
tiers:
  - {{kind: openai, name: stub, location: private_cloud, trusted: true,
     base_url: "{stub_url}/v1", model: stub}}
  - {{kind: openai, name: broken, location: private_cloud, trusted: true,
     base_url: "{stub_url}/v1", model: status-500}}
  - {{kind: openai, name: limited, location: private_cloud, trusted: true,
     base_url: "{stub_url}/v1", model: status-429}}
routing: {{breaker_failures: 1000}}
privacy: {{ner: false}}
{extra}
"""


def gateway_config(upstream_url: str) -> str:
    def key(name: str, body: str) -> str:
        return f"    - {{name: {name}, sha256: {hash_key(KEYS[name])}, {body}}}\n"

    return (
        f"""
tiers:
  - {{kind: llama_cpp, name: device, n_ctx: 1024}}
  - {{kind: openai, name: private, location: private_cloud, trusted: true,
     base_url: "{upstream_url}/v1", model: smollm2, context_window: 2048,
     latency: {{prefill_tps: 500, decode_tps: 60, rtt_ms: 2}}}}
privacy: {{ner: false}}
server:
  max_body_bytes: 65536
  api_keys:
"""
        + key("admin", "may_force_tier: true")
        + key("device-only", "tiers: [device], may_force_tier: true")
        + key("auto-only", "modes: [balanced]")
        + key("metered", "budget: {requests: 2, period_s: 3600}")
        + key(
            "tokens", "tiers: [device], may_force_tier: true, budget: {tokens: 20, period_s: 3600}"
        )
    )
