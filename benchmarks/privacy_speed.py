"""Privacy scan latency: hybridroute fast mode (patterns), full mode (patterns + spaCy NER)
and stock Presidio (AnalyzerEngine.analyze, same spaCy small model), same texts, same run.

    .venv/bin/python benchmarks/privacy_speed.py [--calls 200] [--json out.json]

Texts are synth_dataset_v2 sentences (with personal data) concatenated to ~100, ~1,000 and
~8,000 tokens (tokens counted as words and punctuation marks, roughly what a BPE tokenizer
gives for English). Each call is one `assess(text)` / `analyze(text)`, timed alone.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import re
import statistics
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from hybridroute.privacy import PrivacyScanner, PrivacySettings
from hybridroute.privacy.presidio import build_presidio_analyzer

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
TOKEN = re.compile(r"\w+|[^\w\s]")
SIZES = (100, 1000, 8000)


def make_texts(tokens: int, count: int, seed: int) -> list[str]:
    sentences = [
        r["full_text"]
        for r in json.loads((DATA / "pii/presidio_research/synth_dataset_v2.json").read_text())
    ]
    rng = random.Random(seed)
    texts = []
    for _ in range(count):
        parts: list[str] = []
        have = 0
        while have < tokens:
            sentence = rng.choice(sentences)
            parts.append(sentence)
            have += len(TOKEN.findall(sentence))
        texts.append("\n".join(parts))
    return texts


def timed(call: Callable[[str], object], texts: Sequence[str], calls: int) -> list[float]:
    samples = []
    for index in range(calls):
        text = texts[index % len(texts)]
        started = time.perf_counter()
        call(text)
        samples.append((time.perf_counter() - started) * 1000.0)
    return samples


def percentile(samples: Sequence[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=200, help="calls at 100 tokens (fewer above)")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)

    fast = PrivacyScanner(PrivacySettings(ner=False))
    full = PrivacyScanner(PrivacySettings())
    presidio = build_presidio_analyzer()
    systems: dict[str, Callable[[str], object]] = {
        "fast": fast.assess,
        "full": full.assess,
        "presidio": lambda text: presidio.analyze(text=text, language="en"),
    }
    for call in systems.values():
        call("warm up: John Smith lives at 10 Downing Street, call 212-555-0187.")
    rows = []
    for tokens in SIZES:
        texts = make_texts(tokens, 20, args.seed + tokens)
        real = statistics.mean(len(TOKEN.findall(t)) for t in texts)
        chars = statistics.mean(len(t) for t in texts)
        calls = max(20, args.calls * 100 // tokens) if tokens > 100 else args.calls
        row: dict[str, object] = {
            "tokens": tokens,
            "measured_tokens": round(real),
            "chars": round(chars),
        }
        for name, call in systems.items():
            n = calls if name == "fast" else max(10, calls // 2)
            samples = timed(call, texts, n * (5 if name == "fast" else 1))
            row[name] = {
                "p50_ms": round(percentile(samples, 0.5), 3),
                "p99_ms": round(percentile(samples, 0.99), 3),
                "calls": len(samples),
            }
        row["full_vs_presidio_p50"] = round(row["presidio"]["p50_ms"] / row["full"]["p50_ms"], 2)  # type: ignore[index]
        row["fast_vs_presidio_p50"] = round(row["presidio"]["p50_ms"] / row["fast"]["p50_ms"], 1)  # type: ignore[index]
        rows.append(row)
        print(json.dumps(row), flush=True)
    report = {
        "date": time.strftime("%Y-%m-%d"),
        "machine": f"{platform.machine()} cpus={os.cpu_count()}",
        "python": platform.python_version(),
        "rows": rows,
    }
    if args.json:
        args.json.write_text(json.dumps(report, indent=1))
    print("\n| tokens | fast p50 / p99 ms | full p50 / p99 ms | Presidio p50 / p99 ms | ratio |")
    print("|---|---|---|---|---|")
    for row in rows:
        f, u, p = row["fast"], row["full"], row["presidio"]
        print(
            f"| {row['tokens']} (~{row['chars']} chars) | {f['p50_ms']:.3f} / {f['p99_ms']:.3f} | "  # type: ignore[index]
            f"{u['p50_ms']:.2f} / {u['p99_ms']:.2f} | {p['p50_ms']:.2f} / {p['p99_ms']:.2f} | "  # type: ignore[index]
            f"{row['full_vs_presidio_p50']}x |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
