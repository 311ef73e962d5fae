"""What reaches an untrusted upstream: labelled chat requests sent through the real gateway.

    .venv/bin/python benchmarks/privacy_gateway.py benchmarks/data/privacy_set6.jsonl --half dev
    .venv/bin/python benchmarks/privacy_gateway.py SET.jsonl --modes fast,full --json out.json

`privacy_heldout.py` scores the scanner on one prompt. This benchmark scores the whole path
a value takes: a row is an OpenAI chat request (system prompt, history, tool calls and
results, tool definitions, response schemas), sent with the official `openai` SDK to
`hybridroute serve` (a real process) whose only tier is an *untrusted* OpenAI-compatible
upstream on loopback that records every body it receives. A row may also be a prompt-set row
(`"text"` instead of `"request"`): it is sent as one user message.

For a request to protect (`"values"`: exact substrings of its string leaves):

* *intact*: some value reached the upstream whole (case-insensitive, not inside a longer word,
  in any string leaf of a body it received, tool-call arguments parsed too);
* *piece*: some distinctive piece of a value reached it: a run of 4 or more letters or digits
  (in a CJK value: two CJK characters in a row, or 3+ digits) from the value that occurs
  nowhere else in the request (read without case and punctuation,
  so another spelling of the value counts as the value) (so "Adeyemi" of a masked
  "Folasade Adeyemi" counts, the common word "stage" of "stage 2 breast cancer" only if the
  request has no other "stage");
* *safe*: no value reached it whole and no piece did (the request was masked well, or refused
  with 403 `sensitive_data_blocked`, which is what a `local_only` request gets when no trusted
  tier is configured).

For a request to allow: *not allowed* when it was refused or masked (`x-hybridroute-plan`).
A request the gateway answers with another error counts as *error* and is listed by status,
never by text.

Only counts are printed unless `--misses` is given (for a development half): a held-out half
stays held out only while its misses are not read.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import openai
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

ROOT = Path(__file__).resolve().parents[1]
PIECE = re.compile(r"[^\W_]{4,}")
# Han, kana and Hangul; runs of them, of digits, of Latin letters.
CJK_CHAR = re.compile(r"[\u3040-\u30ff\u3131-\u318e\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7a3]")
CJK_RUN = re.compile(r"[\u3040-\u30ff\u3131-\u318e\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7a3]{2,}")
DIGIT_RUN = re.compile(r"\d{3,}")
LATIN_RUN = re.compile(r"[a-z]{4,}")


class Recorder:
    """An OpenAI-compatible upstream on loopback that keeps every chat body it receives."""

    def __init__(self) -> None:
        self.bodies: list[Any] = []
        self.port = _free_port()
        app = Starlette(
            routes=[
                Route("/v1/models", self._models, methods=["GET"]),
                Route("/v1/chat/completions", self._chat, methods=["POST"]),
            ]
        )
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="error")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    async def _models(self, request: Request) -> JSONResponse:
        return JSONResponse({"object": "list", "data": [{"id": "recorder", "object": "model"}]})

    async def _chat(self, request: Request) -> JSONResponse:
        self.bodies.append(json.loads(await request.body()))
        return JSONResponse(
            {
                "id": "chatcmpl-recorder",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": "recorder",
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": "ok"},
                        "finish_reason": "stop",
                    }
                ],
                "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
            }
        )

    def __enter__(self) -> Recorder:
        self.thread.start()
        _wait(f"http://127.0.0.1:{self.port}/v1/models", 30.0)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait(url: str, timeout_s: float, process: subprocess.Popen[bytes] | None = None) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise SystemExit(f"the gateway exited with {process.returncode} before {url} answered")
        try:
            if httpx.get(url, timeout=1.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"{url} did not answer within {timeout_s:.0f} s")


@contextmanager
def gateway(upstream_port: int, mode: str, log_dir: Path) -> Iterator[str]:
    """`hybridroute serve` with one untrusted tier, the recorder; yields its base URL."""
    config = log_dir / f"gateway-{mode}.yaml"
    config.write_text(
        f"""
tiers:
  - {{kind: openai, name: cloud, location: public_cloud, trusted: false,
     base_url: "http://127.0.0.1:{upstream_port}/v1", model: recorder, context_window: 131072}}
routing: {{breaker_failures: 100000}}
privacy: {{ner: {"true" if mode == "full" else "false"}}}
server: {{max_body_bytes: 4194304}}
""",
        encoding="utf-8",
    )
    port = _free_port()
    log = (log_dir / f"gateway-{mode}.log").open("wb")
    command = [sys.executable, "-c", "from hybridroute.cli import main; main()", "serve"]
    command += ["--config", str(config)]
    command += ["--host", "127.0.0.1", "--port", str(port)]
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env)
    try:
        _wait(f"http://127.0.0.1:{port}/readyz", 180.0, process)
        yield f"http://127.0.0.1:{port}/v1"
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


def load(path: Path) -> list[dict[str, Any]]:
    rows = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        row = json.loads(line)
        if "request" not in row:
            row["request"] = {"messages": [{"role": "user", "content": row["text"]}]}
        leaves = "\n".join(string_leaves(row["request"]))
        if any(value not in leaves for value in row.get("values", [])):
            raise SystemExit(f"{path}:{number}: a listed value does not occur in its request")
        rows.append(row)
    return rows


def string_leaves(node: Any) -> Iterator[str]:
    """Every string in a JSON body, keys included; JSON text inside a string is read too."""
    if isinstance(node, str):
        yield node
        if node[:1] in "{[":
            try:
                inner = json.loads(node)
            except ValueError:
                return
            yield from string_leaves(inner)
    elif isinstance(node, dict):
        for key, value in node.items():
            yield key
            yield from string_leaves(value)
    elif isinstance(node, list):
        for value in node:
            yield from string_leaves(value)
    elif isinstance(node, int | float) and not isinstance(node, bool):
        yield str(node)


def half(rows: Sequence[dict[str, Any]], which: str) -> list[dict[str, Any]]:
    """The development (even id number) or held-out (odd) half, or all rows."""
    if which == "all":
        return list(rows)
    parity = 0 if which == "dev" else 1
    return [row for row in rows if int("".join(c for c in row["id"] if c.isdigit())) % 2 == parity]


def distinctive_pieces(request: dict[str, Any], values: Sequence[str]) -> dict[str, list[str]]:
    """Per value, its runs of 4+ letters or digits that occur nowhere else in the request.
    "Elsewhere" is read with case and every non-alphanumeric character dropped, and each
    value removed in that form too, so another spelling of a value ("notify_MartaKowalski")
    is the value, not an innocent occurrence that would hide its pieces (review 15).
    A value in Chinese, Japanese or Korean runs its words together, so there its pieces are
    every two CJK characters in a row and every run of 3+ digits (a two-character name, or a
    road left in clear by a partial mask, is a leak; review 20)."""
    rest = _letters("\n".join(string_leaves(request)))
    for value in sorted(values, key=len, reverse=True):
        rest = rest.replace(_letters(value), "\n")
    return {value: [p for p in _pieces(value.casefold()) if p not in rest] for value in values}


def _pieces(value: str) -> list[str]:
    if not CJK_CHAR.search(value):
        return PIECE.findall(value)
    pieces = [run[i : i + 2] for run in CJK_RUN.findall(value) for i in range(len(run) - 1)]
    return pieces + DIGIT_RUN.findall(value) + LATIN_RUN.findall(value)


def _letters(text: str) -> str:
    """`text` case-folded, with only letters, digits and line breaks kept."""
    return "".join(c for c in text.casefold() if c.isalnum() or c == "\n")


def _whole(value: str) -> re.Pattern[str]:
    """`value` (case-folded) not inside a longer word: "CEA" is not in "ocean"."""
    left = r"(?<![^\W_])" if value[:1].isalnum() and not CJK_CHAR.match(value[:1]) else ""
    right = r"(?![^\W_])" if value[-1:].isalnum() and not CJK_CHAR.match(value[-1:]) else ""
    return re.compile(left + re.escape(value.casefold()) + right)


def send(client: openai.OpenAI, request: dict[str, Any]) -> tuple[int, str]:
    """(HTTP status, plan or error code) for one request through the gateway."""
    body = {key: value for key, value in request.items() if key != "model"}
    body.setdefault("max_tokens", 8)
    try:
        raw = client.chat.completions.with_raw_response.create(model="auto", **body)
    except openai.APIStatusError as exc:
        error = exc.body.get("code") if isinstance(exc.body, dict) else None
        return exc.status_code, str(error or "error")
    # The answer's own `hybridroute.masked` flag, not the plan header: a plan that fell back
    # to another tier may be masked there while its header names the first plan (review 15).
    routing = (raw.parse().model_extra or {}).get("hybridroute") or {}
    if routing.get("masked"):
        return raw.http_response.status_code, "masked"
    return raw.http_response.status_code, raw.headers.get("x-hybridroute-plan", "?")


def score(rows: Sequence[dict[str, Any]], base_url: str, recorder: Recorder) -> dict[str, Any]:
    per: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    misses: list[dict[str, Any]] = []
    client = openai.OpenAI(base_url=base_url, api_key="unused", max_retries=0, timeout=120.0)
    latencies: list[float] = []
    for row in rows:
        request, values = row["request"], row.get("values", [])
        recorder.bodies.clear()
        started = time.perf_counter()
        status, outcome = send(client, request)
        latencies.append(time.perf_counter() - started)
        received = [leaf.casefold() for body in recorder.bodies for leaf in string_leaves(body)]
        upstream = "\n".join(received)
        groups = [row["category"], row.get("shape", "prompt"), "all"]
        refused = status == 403 and outcome == "sensitive_data_blocked"
        errored = status != 200 and not refused
        if row["expect"] == "protect":
            pieces = distinctive_pieces(request, values)
            intact = [v for v in values if _whole(v).search(upstream)]
            leaked = [v for v in values if v in intact or any(p in upstream for p in pieces[v])]
            for group in groups:
                counts = per[group]
                counts["protect"] += 1
                counts["refused"] += refused
                counts["masked"] += outcome == "masked"
                counts["error"] += errored
                counts["intact"] += bool(intact)
                counts["safe"] += not leaked and not errored
            if leaked or errored:
                misses.append(
                    {
                        "id": row["id"],
                        "status": status,
                        "outcome": outcome,
                        "leaked": leaked,
                        "intact": intact,
                    }
                )
        else:
            masked = outcome == "masked"
            for group in groups:
                counts = per[group]
                counts["allow"] += 1
                counts["error"] += errored
                counts["not_allowed"] += refused or masked
            if refused or errored or masked:
                misses.append({"id": row["id"], "status": status, "outcome": outcome})
    latencies.sort()
    return {
        "groups": {name: dict(counts) for name, counts in sorted(per.items())},
        "misses": misses,
        "p50_ms": round(1000 * latencies[len(latencies) // 2], 1) if latencies else None,
    }


def _print(mode: str, result: dict[str, Any]) -> None:
    print(f"\n## mode {mode} (request p50 {result['p50_ms']} ms through the gateway)")
    print(
        f"{'group':<26}{'protect':>8}{'safe':>6}{'intact':>8}{'masked':>8}{'refused':>8}"
        f"{'allow':>7}{'not_allowed':>12}{'error':>7}"
    )
    for name, c in result["groups"].items():
        print(
            f"{name:<26}{c.get('protect', 0):>8}{c.get('safe', 0):>6}{c.get('intact', 0):>8}"
            f"{c.get('masked', 0):>8}{c.get('refused', 0):>8}{c.get('allow', 0):>7}"
            f"{c.get('not_allowed', 0):>12}{c.get('error', 0):>7}"
        )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("dataset", type=Path)
    parser.add_argument("--half", choices=["dev", "held", "all"], default="all")
    parser.add_argument("--modes", default="fast,full", help="comma-separated: fast, full")
    parser.add_argument("--misses", action="store_true", help="print misses (development only)")
    parser.add_argument("--json", type=Path, help="write the counts (and misses) here")
    args = parser.parse_args(argv)
    rows = half(load(args.dataset), args.half)
    print(
        f"{args.dataset.name}: {len(rows)} rows ({args.half}); rerun: "
        f".venv/bin/python benchmarks/privacy_gateway.py {args.dataset} --half {args.half} "
        f"--modes {args.modes}"
    )
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="privacy-gateway-") as scratch, Recorder() as recorder:
        for mode in args.modes.split(","):
            with gateway(recorder.port, mode, Path(scratch)) as base_url:
                results[mode] = score(rows, base_url, recorder)
            _print(mode, results[mode])
            if args.misses:
                for miss in results[mode]["misses"]:
                    print("  miss", json.dumps(miss, ensure_ascii=False))
    if args.json:
        if not args.misses:
            for result in results.values():
                result.pop("misses")
        args.json.write_text(json.dumps(results, indent=1, ensure_ascii=False), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
