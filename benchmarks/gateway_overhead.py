"""Gateway overhead: hybridroute vs the LiteLLM proxy in front of the same fast upstream stub.

    .venv/bin/python benchmarks/gateway_overhead.py                 # latency + rate (~6 min)
    .venv/bin/python benchmarks/gateway_overhead.py --memory        # RSS after 1k vs 100k

Starts on 127.0.0.1: the stub (benchmarks/upstream_stub.py), `hybridroute serve` twice (the
default privacy scan with spaCy NER, and `privacy: {ner: false}`) and the LiteLLM proxy,
installed on first use into its own virtualenv under benchmarks/out/. Both gateways check an
API key. Every request is the same ~100-token chat request without personal data.

* Added latency: one request at a time; p50/p99 of each gateway minus p50/p99 of calling
  the stub directly. Targets are measured in interleaved rounds so machine noise hits all.
* Sustained rate: closed-loop clients at rising concurrency for a fixed time each; the best
  throughput reached with zero errors (non-200 or transport failure) is reported.
* Memory (--memory): RSS of the hybridroute process after 1,000 and after 100,000 requests.

The load generator is a minimal asyncio HTTP/1.1 keep-alive client, so the client's own cost
is small and identical for every target.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import json
import os
import platform
import signal
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
OUT = HERE / "out"
LITELLM_VENV = OUT / "litellm-venv"
PYTHON = sys.executable
HYBRIDROUTE_KEY = "sk-bench-hybridroute-0123456789abcdef"
LITELLM_KEY = "sk-bench-litellm-master-0123456789abcdef"
PROMPT = (
    "Summarise the following product description in two sentences for a catalogue. "
    "The lamp is made of brushed aluminium with a linen shade, stands forty centimetres "
    "tall and takes a standard E27 bulb. It ships flat-packed with a braided two-metre "
    "cable and an inline switch, and the base is weighted so that it does not tip over "
    "when the shade is adjusted. It suits reading corners, bedside tables and small desks, "
    "and it comes in three colours: sand, slate and forest green."
)


@dataclass(frozen=True)
class Target:
    name: str
    port: int
    request: bytes


@dataclass
class Sample:
    latencies_ms: list[float] = field(default_factory=list)
    errors: int = 0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def http_request(port: int, path: str, body: dict[str, object], key: str | None) -> bytes:
    payload = json.dumps(body).encode()
    auth = f"authorization: Bearer {key}\r\n" if key else ""
    head = (
        f"POST {path} HTTP/1.1\r\nhost: 127.0.0.1:{port}\r\ncontent-type: application/json\r\n"
        f"{auth}content-length: {len(payload)}\r\n\r\n"
    )
    return head.encode() + payload


# --- load generation --------------------------------------------------------------------


class Connection:
    """One keep-alive HTTP/1.1 connection that sends a fixed request and reads the answer."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def call(self, request: bytes) -> bool:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
        assert self.reader is not None
        self.writer.write(request)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        length = None
        chunked = False
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                length = int(value)
            elif name == b"transfer-encoding" and b"chunked" in value.lower():
                chunked = True
        if chunked:
            while True:
                size = int((await self.reader.readuntil(b"\r\n")).strip(), 16)
                await self.reader.readexactly(size + 2)
                if size == 0:
                    break
        elif length:
            await self.reader.readexactly(length)
        return status == 200

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.writer = None


async def timed_calls(connection: Connection, request: bytes, count: int, sample: Sample) -> None:
    for _ in range(count):
        started = time.perf_counter()
        try:
            ok = await connection.call(request)
        except (OSError, asyncio.IncompleteReadError, ValueError):
            ok = False
            await connection.close()
        sample.latencies_ms.append((time.perf_counter() - started) * 1000)
        sample.errors += not ok


async def sequential(target: Target, count: int) -> Sample:
    connection = Connection(target.port)
    sample = Sample()
    await timed_calls(connection, target.request, count, sample)
    await connection.close()
    return sample


async def closed_loop(target: Target, concurrency: int, seconds: float) -> tuple[float, Sample]:
    """Requests per second reached by `concurrency` clients in `seconds`, and the samples."""
    sample = Sample()
    stop_at = time.perf_counter() + seconds

    async def client() -> None:
        connection = Connection(target.port)
        while time.perf_counter() < stop_at:
            await timed_calls(connection, target.request, 1, sample)
        await connection.close()

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(concurrency)))
    return len(sample.latencies_ms) / (time.perf_counter() - started), sample


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


# --- processes ----------------------------------------------------------------------------


def wait_http(port: int, path: str, timeout: float, headers: dict[str, str] | None = None) -> None:
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}{path}", headers=headers, timeout=5).is_success:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"port {port}{path} not ready after {timeout}s")


@contextmanager
def started(args: list[str], log: Path, env: dict[str, str] | None = None) -> Iterator[int]:
    """Run a process for the duration of the block; yields its pid."""
    with log.open("wb") as handle:
        process = subprocess.Popen(
            args, stdout=handle, stderr=subprocess.STDOUT, env={**os.environ, **(env or {})}
        )
    try:
        yield process.pid
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def ensure_litellm() -> Path:
    binary = LITELLM_VENV / "bin" / "litellm"
    if not binary.exists():
        print("installing the LiteLLM proxy into", LITELLM_VENV, flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(LITELLM_VENV)], check=True)
        pip = str(LITELLM_VENV / "bin" / "pip")
        subprocess.run([pip, "install", "-q", "litellm[proxy]"], check=True)
    return binary


def litellm_version() -> str:
    python = LITELLM_VENV / "bin" / "python"
    code = "import importlib.metadata as m; print(m.version('litellm'))"
    return subprocess.run([str(python), "-c", code], capture_output=True, text=True).stdout.strip()


def hybridroute_config(stub_port: int, *, ner: bool) -> str:
    from hybridroute.server.auth import hash_key

    return f"""
tiers:
  - {{kind: openai, name: upstream, location: private_cloud, trusted: true,
     base_url: "http://127.0.0.1:{stub_port}/v1", model: stub}}
privacy: {{ner: {str(ner).lower()}}}
server:
  api_keys: [{{name: bench, sha256: {hash_key(HYBRIDROUTE_KEY)}}}]
"""


def litellm_config(stub_port: int) -> str:
    return f"""
model_list:
  - model_name: stub
    litellm_params:
      model: openai/stub
      api_base: http://127.0.0.1:{stub_port}/v1
      api_key: sk-stub
litellm_settings:
  telemetry: false
"""


def installed(python: Path | str, names: tuple[str, ...]) -> dict[str, str | None]:
    """Versions of the server-stack packages in a virtualenv (None: not installed)."""
    code = (
        "import importlib.metadata as m, json, sys\n"
        "out = {}\n"
        "for n in sys.argv[1:]:\n"
        "    try: out[n] = m.version(n)\n"
        "    except m.PackageNotFoundError: out[n] = None\n"
        "print(json.dumps(out))"
    )
    done = subprocess.run([str(python), "-c", code, *names], capture_output=True, text=True)
    return dict(json.loads(done.stdout))


STACK = ("uvicorn", "uvloop", "httptools", "fastapi", "starlette", "pydantic", "httpx")


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


# --- runs ---------------------------------------------------------------------------------

BODY = {"model": "auto", "messages": [{"role": "user", "content": PROMPT}], "max_tokens": 16}
CHAT = "/v1/chat/completions"


def start_stub(stack: ExitStack, work: Path) -> tuple[Target, int]:
    port = free_port()
    args = [PYTHON, str(HERE / "upstream_stub.py"), "--port", str(port)]
    pid = stack.enter_context(started(args, work / "stub.log"))
    wait_http(port, "/v1/models", 30)
    request = http_request(port, CHAT, {**BODY, "model": "stub"}, None)
    return Target("direct", port, request), pid


def start_hybridroute(
    stack: ExitStack, work: Path, stub_port: int, *, ner: bool
) -> tuple[Target, int]:
    name = "hybridroute" if ner else "hybridroute-fast"
    port = free_port()
    config = work / f"{name}.yaml"
    config.write_text(hybridroute_config(stub_port, ner=ner))
    binary = str(Path(PYTHON).with_name("hybridroute"))
    args = [binary, "serve", "--config", str(config), "--port", str(port)]
    pid = stack.enter_context(started([*args, "--log-level", "warning"], work / f"{name}.log"))
    wait_http(port, "/readyz", 180)
    return Target(name, port, http_request(port, CHAT, BODY, HYBRIDROUTE_KEY)), pid


def start_litellm(stack: ExitStack, work: Path, stub_port: int) -> tuple[Target, int]:
    binary = ensure_litellm()
    port = free_port()
    config = work / "litellm.yaml"
    config.write_text(litellm_config(stub_port))
    env = {
        "LITELLM_MASTER_KEY": LITELLM_KEY,
        "LITELLM_LOCAL_MODEL_COST_MAP": "True",  # no download of the price list at start
        "LITELLM_LOG": "ERROR",
    }
    args = [str(binary), "--config", str(config), "--host", "127.0.0.1", "--port", str(port)]
    pid = stack.enter_context(started(args, work / "litellm.log", env))
    wait_http(port, "/health/liveliness", 300)
    request = http_request(port, CHAT, {**BODY, "model": "stub"}, LITELLM_KEY)
    return Target("litellm", port, request), pid


async def measure_latency(targets: list[Target], count: int, rounds: int) -> dict[str, Sample]:
    samples = {t.name: Sample() for t in targets}
    for target in targets:
        await sequential(target, 200)  # warm-up: connections, caches, JIT-less first calls
    for _ in range(rounds):
        for target in targets:
            got = await sequential(target, count // rounds)
            samples[target.name].latencies_ms += got.latencies_ms
            samples[target.name].errors += got.errors
    return samples


async def measure_rate(
    target: Target, levels: tuple[int, ...], seconds: float
) -> dict[str, object]:
    runs = []
    for concurrency in levels:
        rps, sample = await closed_loop(target, concurrency, seconds)
        runs.append(
            {
                "concurrency": concurrency,
                "rps": round(rps, 1),
                "errors": sample.errors,
                "p50_ms": round(percentile(sample.latencies_ms, 50), 2),
                "p99_ms": round(percentile(sample.latencies_ms, 99), 2),
            }
        )
        print(f"  {target.name:17} c={concurrency:<3} {rps:8.1f} req/s errors={sample.errors}")
    clean = [r for r in runs if r["errors"] == 0]
    best = max(clean, key=lambda r: float(r["rps"]))["rps"] if clean else 0.0  # type: ignore[arg-type]
    return {"sustained_rps": best, "runs": runs}


def overhead_run(args: argparse.Namespace, work: Path) -> dict[str, object]:
    with ExitStack() as stack:
        direct, _ = start_stub(stack, work)
        targets = [direct]
        for ner in (True, False):
            targets.append(start_hybridroute(stack, work, direct.port, ner=ner)[0])
        if not args.no_litellm:
            targets.append(start_litellm(stack, work, direct.port)[0])
        print("latency (one request at a time)...", flush=True)
        samples = asyncio.run(measure_latency(targets, args.requests, args.rounds))
        base = samples["direct"].latencies_ms
        latency = {}
        for name, sample in samples.items():
            p50, p99 = percentile(sample.latencies_ms, 50), percentile(sample.latencies_ms, 99)
            latency[name] = {
                "p50_ms": round(p50, 3),
                "p99_ms": round(p99, 3),
                "added_p50_ms": round(p50 - percentile(base, 50), 3),
                "added_p99_ms": round(p99 - percentile(base, 99), 3),
                "mean_ms": round(statistics.fmean(sample.latencies_ms), 3),
                "errors": sample.errors,
                "requests": len(sample.latencies_ms),
            }
            print(f"  {name:17} {latency[name]}")
        print("sustained rate (closed loop)...", flush=True)
        rate = {
            t.name: asyncio.run(measure_rate(t, tuple(args.concurrency), args.seconds))
            for t in targets
        }
    return {"latency": latency, "rate": rate, "ratios": ratios(latency, rate)}


def ratios(latency: dict[str, dict[str, float]], rate: dict[str, dict]) -> dict[str, object]:  # type: ignore[type-arg]
    if "litellm" not in latency:
        return {}
    out: dict[str, object] = {}
    for name in ("hybridroute", "hybridroute-fast"):
        lite_p99 = latency["litellm"]["added_p99_ms"]
        out[name] = {
            "added_p99_vs_litellm": round(latency[name]["added_p99_ms"] / lite_p99, 3),
            "added_p50_vs_litellm": round(
                latency[name]["added_p50_ms"] / latency["litellm"]["added_p50_ms"], 3
            ),
            "rate_vs_litellm": round(
                float(rate[name]["sustained_rps"]) / float(rate["litellm"]["sustained_rps"]), 2
            ),
        }
    return out


def memory_run(args: argparse.Namespace, work: Path) -> dict[str, object]:
    with ExitStack() as stack:
        direct, _ = start_stub(stack, work)
        target, pid = start_hybridroute(stack, work, direct.port, ner=not args.fast)
        checkpoints: dict[str, float] = {}

        async def drive(total: int, concurrency: int) -> int:
            connections = [Connection(target.port) for _ in range(concurrency)]
            sample = Sample()
            per = total // concurrency
            await asyncio.gather(
                *(timed_calls(c, target.request, per, sample) for c in connections)
            )
            for c in connections:
                await c.close()
            return sample.errors

        errors = asyncio.run(drive(1000, 8))
        checkpoints["after_1000_mib"] = rss_mib(pid)
        done = 1000
        while done < args.memory_requests:
            step = min(10_000, args.memory_requests - done)
            errors += asyncio.run(drive(step, 8))
            done += step
            checkpoints[f"after_{done}_mib"] = rss_mib(pid)
            print(
                f"  {done:>7} requests: RSS {checkpoints[f'after_{done}_mib']:.1f} MiB", flush=True
            )
        first, last = checkpoints["after_1000_mib"], checkpoints[f"after_{done}_mib"]
        return {
            "gateway": target.name,
            "requests": done,
            "errors": errors,
            "rss_mib": {k: round(v, 1) for k, v in checkpoints.items()},
            "growth_pct": round((last - first) / first * 100, 2),
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=2000, help="latency samples per target")
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=8.0, help="per concurrency level")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 8, 32, 64])
    parser.add_argument("--no-litellm", action="store_true")
    parser.add_argument("--memory", action="store_true", help="run the memory mode instead")
    parser.add_argument("--memory-requests", type=int, default=100_000)
    parser.add_argument("--fast", action="store_true", help="memory mode: privacy ner: false")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    work = OUT / "gateway"
    work.mkdir(parents=True, exist_ok=True)
    result: dict[str, object] = {
        "date": datetime.date.today().isoformat(),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
        "command": " ".join([".venv/bin/python", "benchmarks/gateway_overhead.py", *sys.argv[1:]]),
    }
    if args.memory:
        result["hybridroute_stack"] = installed(PYTHON, STACK)
        result["memory"] = memory_run(args, work)
    else:
        if not args.no_litellm:
            ensure_litellm()
            result["litellm_version"] = litellm_version()
            result["litellm_stack"] = installed(LITELLM_VENV / "bin" / "python", STACK)
        result["hybridroute_stack"] = installed(PYTHON, STACK)
        result.update(overhead_run(args, work))
    text = json.dumps(result, indent=2)
    print(text)
    target = args.json or OUT / ("gateway_memory.json" if args.memory else "gateway_overhead.json")
    target.write_text(text + "\n")


if __name__ == "__main__":
    main()
