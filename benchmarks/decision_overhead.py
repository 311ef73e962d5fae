"""Decision overhead: everything but the model call (privacy + capability + latency + cost
signals and the policy), p50/p99 for 100-, 1,000- and 8,000-token prompts.

    .venv/bin/python benchmarks/decision_overhead.py [--calls 300] [--ner] [--json out.json]

Prompts are real questions from ../shared/data/task_type (Arena-Hard, MT-Bench), concatenated
to the target length, with a sprinkling of personal data so the privacy path does real work.
"""

from __future__ import annotations

import argparse
import gc
import json
import platform
import statistics
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from hybridroute.capability import CapabilityScorer, CapabilitySettings
from hybridroute.config import RoutingSettings
from hybridroute.context import RequestContext
from hybridroute.privacy import PrivacyScanner, PrivacySettings
from hybridroute.router import Router
from hybridroute.signals.tokens import approx_tokens
from hybridroute.tiers.base import LatencyProfile, TierInfo
from hybridroute.tiers.openai_compatible import OpenAICompatibleTier
from hybridroute.types import Location, Request

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "task_type"
SIZES = (100, 1_000, 8_000)
PII = " Contact Maria Lopez at maria.lopez@mailhost.net or 415-555-2132 about the invoice."


def corpus() -> list[str]:
    texts = []
    for name in ("arena_hard_v0.1_question.jsonl", "mt_bench_question.jsonl"):
        for line in (DATA / name).read_text().splitlines():
            row = json.loads(line)
            turns = row.get("turns") or [row.get("prompt", "")]
            first = turns[0]
            texts.append(first["content"] if isinstance(first, dict) else str(first))
    return [t for t in texts if t]


def prompt_of(tokens: int, texts: list[str], offset: int) -> str:
    parts: list[str] = []
    i = offset
    while approx_tokens(" ".join(parts)) < tokens:
        parts.append(texts[i % len(texts)])
        if len(parts) % 3 == 0:
            parts.append(PII)
        i += 1
    text = " ".join(parts)
    return text[: int(tokens * 4)]


def tier(name: str, location: Location, trusted: bool, price: float) -> OpenAICompatibleTier:
    info = TierInfo(
        name=name,
        location=location,
        trusted=trusted,
        model="m",
        price_in_per_m=price,
        price_out_per_m=price * 4,
        context_window=128000,
        latency=LatencyProfile(prefill_tps=3000, decode_tps=60, rtt_ms=20),
    )
    return OpenAICompatibleTier(info=info, base_url="http://127.0.0.1:9/v1")


def cpu_times(assess: Callable[[str], object], prompts: list[str]) -> dict[str, float]:
    """p50 / p99 of one signal alone over `prompts`, in this thread's CPU time (a busy
    machine moves wall time, not this)."""
    samples = []
    for prompt in prompts:
        started = time.thread_time()
        assess(prompt)
        samples.append((time.thread_time() - started) * 1000)
    samples.sort()
    return {
        "p50_ms": round(statistics.median(samples), 3),
        "p99_ms": round(samples[int(len(samples) * 0.99) - 1], 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=300)
    parser.add_argument("--ner", action="store_true", help="full privacy mode (spaCy NER)")
    parser.add_argument("--json", type=Path)
    parser.add_argument(
        "--signals",
        action="store_true",
        help="also time the capability scorer and the privacy scan alone (thread CPU time)",
    )
    args = parser.parse_args()

    capability = CapabilityScorer(CapabilitySettings())
    privacy = PrivacyScanner(PrivacySettings(ner=args.ner))
    router = Router(
        tiers={
            # Three declared tiers; no model is called, so remote stand-ins suffice.
            "device": tier("device", Location.DEVICE, True, 0.0),
            "private": tier("private", Location.PRIVATE_CLOUD, True, 0.1),
            "cloud": tier("cloud", Location.PUBLIC_CLOUD, False, 0.5),
        },
        routing=RoutingSettings(),
        privacy=privacy,
        capability=capability,
    )
    texts = corpus()
    router.route(Request.from_prompt(texts[0]))  # load the capability model (and NER)
    # As the gateway does after warm-up: keep the long-lived model objects out of the
    # collector's generations, so a full collection does not walk them mid-request.
    gc.freeze()
    results: dict[int, dict[str, Any]] = {}
    for size in SIZES:
        prompts = [prompt_of(size, texts, i * 7) for i in range(args.calls)]
        samples = []
        for prompt in prompts:
            request = Request.from_prompt(prompt)
            started = time.perf_counter()
            router.route(request, RequestContext(budget_ms=2000))
            samples.append((time.perf_counter() - started) * 1000)
        samples.sort()
        results[size] = {
            "p50_ms": round(statistics.median(samples), 3),
            "p99_ms": round(samples[int(len(samples) * 0.99) - 1], 3),
            "max_ms": round(samples[-1], 3),
        }
        print(
            f"{size:>6} tokens  p50 {results[size]['p50_ms']:8.3f} ms"
            f"  p99 {results[size]['p99_ms']:8.3f} ms  max {results[size]['max_ms']:8.3f} ms"
        )
        if args.signals:
            for name, assess in (("capability", capability.assess), ("privacy", privacy.assess)):
                alone = cpu_times(assess, prompts)
                results[size][name] = alone
                print(
                    f"{'':>6} {name:<17} p50 {alone['p50_ms']:8.3f} ms"
                    f"  p99 {alone['p99_ms']:8.3f} ms  (CPU, alone)"
                )
    growth = results[8_000]["p50_ms"] / results[1_000]["p50_ms"]
    print(f"p50 growth 1,000 -> 8,000 tokens: x{growth:.2f} (linear would be x8)")
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "date": date.today().isoformat(),
                    "machine": platform.machine(),
                    "ner": args.ner,
                    "calls": args.calls,
                    "results": results,
                },
                indent=2,
            )
        )


if __name__ == "__main__":
    main()
