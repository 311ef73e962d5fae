"""Privacy scan latency: hybridroute fast mode (patterns), full mode (patterns + spaCy NER)
and stock Presidio (AnalyzerEngine.analyze, same spaCy small model), same texts, same run.

    OPENBLAS_NUM_THREADS=1 .venv/bin/python benchmarks/privacy_speed.py [--calls N] [--json F]
    .venv/bin/python benchmarks/privacy_speed.py --fast-only 1000    # fast mode, ~1 min

`--fast-only N` times fast mode alone, N calls per size and kind, next to the same scanner
with the Hyperscan prefilter switched off and with the name list off (interleaved call by
call), with `gc.freeze()` after warm-up as the gateway does (the main run freezes too, for all
three systems).

`OPENBLAS_NUM_THREADS=1` is how `hybridroute serve` runs (docs/gateway.md); it applies to
Presidio in the same process too. The report records the value.

Two kinds of text, each concatenated to ~100, ~1,000 and ~8,000 tokens (tokens counted as
words and punctuation marks, roughly what a BPE tokenizer gives for English):
`pii_dense` joins synth_dataset_v2 sentences (nearly every sentence holds personal data, so
every recognizer fires); `prose` joins MT-Bench, Arena-Hard and LLMRouter test prompts
(ordinary requests). Each call is one `assess(text)` / `analyze(text)`, timed alone.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import random
import re
import statistics
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from hybridroute.privacy import PrivacyScanner, PrivacySettings, prefilter
from hybridroute.privacy.presidio import build_presidio_analyzer

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
TOKEN = re.compile(r"\w+|[^\w\s]")
CJK_CHAR = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7a3]")
SIZES = (100, 1000, 8000)


def pii_sentences() -> list[str]:
    rows = json.loads((DATA / "pii/presidio_research/synth_dataset_v2.json").read_text())
    return [r["full_text"] for r in rows]


def prose_prompts() -> list[str]:
    task = DATA / "task_type"
    mt = [json.loads(line) for line in (task / "mt_bench_question.jsonl").open()]
    arena = [json.loads(line) for line in (task / "arena_hard_v0.1_question.jsonl").open()]
    llm = [json.loads(line) for line in (task / "llmrouter_default_query_test.jsonl").open()]
    return [
        *("\n".join(q["turns"]) for q in mt),
        *("\n".join(t["content"] for t in q["turns"]) for q in arena),
        *(q["query"] for q in llm),
    ]


def cjk_prompts() -> list[str]:
    """The Chinese prompts of vLLM semantic-router's privacy labels (code review, internal
    documents, trade secrets...: CJK prose with Latin words and numbers in it)."""
    labels = json.loads((DATA / "pii/vllm_semantic_router/privacy_labels.json").read_text())
    texts: list[str] = []

    def walk(node: object) -> None:
        if isinstance(node, str) and CJK_CHAR.search(node):
            texts.append(node)
        elif isinstance(node, dict):
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(labels)
    return texts


def tokens_in(text: str) -> int:
    """Word and punctuation tokens; a CJK character counts as one (a tokenizer's share)."""
    return len(TOKEN.findall(text)) + len(CJK_CHAR.findall(text))


def make_texts(
    tokens: int, count: int, seed: int, sentences: Sequence[str] | None = None
) -> list[str]:
    sentences = sentences if sentences is not None else pii_sentences()
    rng = random.Random(seed)
    texts = []
    for _ in range(count):
        parts: list[str] = []
        have = 0
        while have < tokens:
            sentence = rng.choice(sentences)
            parts.append(sentence)
            have += tokens_in(sentence)
        texts.append("\n".join(parts))
    return texts


def interleaved(
    systems: dict[str, Callable[[str], object]], texts: Sequence[str], counts: dict[str, int]
) -> dict[str, list[float]]:
    """Milliseconds per call; the systems take turns, so load from other processes on this
    shared machine hits them alike and the ratios hold."""
    samples: dict[str, list[float]] = {name: [] for name in systems}
    for index in range(max(counts.values())):
        text = texts[index % len(texts)]
        for name, call in systems.items():
            if index < counts[name]:
                started = time.perf_counter()
                call(text)
                samples[name].append((time.perf_counter() - started) * 1000.0)
    return samples


def percentile(samples: Sequence[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def measure(
    systems: dict[str, Callable[[str], object]], texts: Sequence[str], tokens: int, calls: int
) -> dict[str, object]:
    """p50/p99 of each system on `texts`; fast mode gets 5x the calls (its p99 is a goal)."""
    real = statistics.mean(len(TOKEN.findall(t)) for t in texts)
    chars = statistics.mean(len(t) for t in texts)
    calls = max(20, calls * 100 // tokens) if tokens > 100 else calls
    row: dict[str, object] = {
        "tokens": tokens,
        "measured_tokens": round(real),
        "chars": round(chars),
    }
    counts = {name: calls * 5 if name == "fast" else max(10, calls // 2) for name in systems}
    samples = interleaved(systems, texts, counts)
    for name in systems:
        row[name] = summary(samples[name])
    full, fast, presidio = row["full"], row["fast"], row["presidio"]
    row["full_vs_presidio_p50"] = round(presidio["p50_ms"] / full["p50_ms"], 2)  # type: ignore[index]
    row["full_vs_presidio_p99"] = round(presidio["p99_ms"] / full["p99_ms"], 2)  # type: ignore[index]
    row["fast_vs_presidio_p50"] = round(presidio["p50_ms"] / fast["p50_ms"], 1)  # type: ignore[index]
    return row


def summary(values: Sequence[float]) -> dict[str, float]:
    return {
        "p50_ms": round(percentile(values, 0.5), 3),
        "p99_ms": round(percentile(values, 0.99), 3),
        "calls": len(values),
    }


def warm_up(systems: dict[str, Callable[[str], object]]) -> None:
    """Load every model, then freeze the heap as the gateway does: without it a
    generation-2 collection over spaCy + Presidio's heap lands in one call now and then (a
    100+ ms "p99")."""
    for call in systems.values():
        call("warm up: John Smith lives at 10 Downing Street, call 212-555-0187.")
    gc.collect()
    gc.freeze()


def fast_only(calls: int, seed: int) -> list[dict[str, object]]:
    """Fast mode with and without the prefilter and the name list, interleaved."""
    fast = PrivacyScanner(PrivacySettings(ner=False))
    no_names = PrivacyScanner(PrivacySettings(ner=False, names=False))

    def unfiltered(text: str) -> object:
        prefilter.set_enabled(False)
        try:
            return fast.assess(text)
        finally:
            prefilter.set_enabled(True)

    systems: dict[str, Callable[[str], object]] = {
        "fast": fast.assess,
        "fast_no_prefilter": unfiltered,
        "fast_no_names": no_names.assess,
    }
    warm_up(systems)
    rows: list[dict[str, object]] = []
    for kind, sentences in {"pii_dense": pii_sentences(), "prose": prose_prompts()}.items():
        for tokens in SIZES:
            texts = make_texts(tokens, 50, seed + tokens, sentences)
            samples = interleaved(systems, texts, dict.fromkeys(systems, calls))
            row: dict[str, object] = {"kind": kind, "tokens": tokens}
            for name, values in samples.items():
                row[name] = {**summary(values), "max_ms": round(max(values), 3)}
            rows.append(row)
            print(json.dumps(row), flush=True)
    print(
        "\n| text | tokens | fast p50 / p99 / max ms | no prefilter p50 / p99 "
        "| no names p50 / p99 |"
    )
    print("|---|---|---|---|---|")
    for row in rows:
        f, u, n = row["fast"], row["fast_no_prefilter"], row["fast_no_names"]
        print(
            f"| {row['kind']} | {row['tokens']} | "
            f"{f['p50_ms']:.3f} / {f['p99_ms']:.3f} / {f['max_ms']:.3f} | "  # type: ignore[index]
            f"{u['p50_ms']:.3f} / {u['p99_ms']:.3f} | {n['p50_ms']:.3f} / {n['p99_ms']:.3f} |"  # type: ignore[index]
        )
    return rows


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=200, help="calls at 100 tokens (fewer above)")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--fast-only", type=int, metavar="N", help="fast mode only, N calls each")
    args = parser.parse_args(argv)
    if args.fast_only:
        rows = fast_only(args.fast_only, args.seed)
        if args.json:
            args.json.write_text(json.dumps({"date": time.strftime("%Y-%m-%d"), "rows": rows}))
        return 0

    fast = PrivacyScanner(PrivacySettings(ner=False))
    full = PrivacyScanner(PrivacySettings())
    presidio = build_presidio_analyzer()
    systems: dict[str, Callable[[str], object]] = {
        "fast": fast.assess,
        "full": full.assess,
        "presidio": lambda text: presidio.analyze(text=text, language="en"),
    }
    warm_up(systems)
    rows = []
    kinds = {"pii_dense": pii_sentences(), "prose": prose_prompts()}
    for kind, sentences in kinds.items():
        for tokens in SIZES:
            texts = make_texts(tokens, 20, args.seed + tokens, sentences)
            row = measure(systems, texts, tokens, args.calls)
            row = {"kind": kind, **row}
            rows.append(row)
            print(json.dumps(row), flush=True)
    report = {
        "date": time.strftime("%Y-%m-%d"),
        "machine": f"{platform.machine()} cpus={os.cpu_count()}",
        "python": platform.python_version(),
        "openblas_num_threads": os.environ.get("OPENBLAS_NUM_THREADS"),
        "rows": rows,
    }
    if args.json:
        args.json.write_text(json.dumps(report, indent=1))
    print(
        "\n| text | tokens | fast p50 / p99 ms | full p50 / p99 ms | Presidio p50 / p99 ms "
        "| Presidio / full (p50, p99) |"
    )
    print("|---|---|---|---|---|---|")
    for row in rows:
        f, u, p = row["fast"], row["full"], row["presidio"]
        print(
            f"| {row['kind']} | {row['tokens']} (~{row['chars']} chars) | "
            f"{f['p50_ms']:.3f} / {f['p99_ms']:.3f} | "  # type: ignore[index]
            f"{u['p50_ms']:.2f} / {u['p99_ms']:.2f} | {p['p50_ms']:.2f} / {p['p99_ms']:.2f} | "  # type: ignore[index]
            f"{row['full_vs_presidio_p50']}x, {row['full_vs_presidio_p99']}x |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
