"""Capability router vs RouteLLM's published figures on RouteLLM's own evaluation sets.

    .venv/bin/python benchmarks/capability_routellm.py --data ../shared/data [--drop-contaminated]

Prints a markdown table (APGR, CPT(50%), CPT(80%), cloud share for 95% quality) for the shipped
capability model, the length and random baselines and the oracle, next to RouteLLM's best
published figures, then the capability decision latency (p50/p99, wall clock and CPU time,
over every evaluation prompt, one call at a time, model already loaded). The model was trained
on other data only.
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from hybridroute.capability import CapabilityScorer
from hybridroute.evaluation import converters
from hybridroute.evaluation.dataset import RoutingExample
from hybridroute.evaluation.harness import RouterResult, evaluate
from hybridroute.evaluation.routers import build_router

# RouteLLM paper (arXiv 2406.18665), best router per benchmark, GPT-4 vs Mixtral.
PUBLISHED = {
    "MMLU": {"apgr": 0.603},
    "GSM8K": {"apgr": 0.622},
    "MT-Bench": {"apgr": 0.802, "cpt50": 0.134},
}


def datasets(data: Path, drop: bool) -> dict[str, tuple[RoutingExample, ...]]:
    root = data / "router_quality" / "routellm"

    def skip(name: str) -> Path | None:
        return root / f"{name}_contaminated_prompts.jsonl" if drop else None

    return {
        "MMLU": converters.convert_routellm_correctness(
            root / "mmlu_responses_all_subjects.csv", contaminated=skip("mmlu")
        ),
        "GSM8K": converters.convert_routellm_correctness(
            root / "gsm8k_responses.csv", contaminated=skip("gsm8k")
        ),
        "MT-Bench": converters.convert_mt_bench(
            root / "mt_bench_question.jsonl",
            root / "mt_bench_judgements.jsonl",
            contaminated=skip("mt_bench"),
        ),
    }


def _pct(share: float | None) -> str:
    return "never" if share is None else f"{100 * share:.1f}%"


def _row(dataset: str, rows: int, result: RouterResult) -> str:
    return (
        f"| {dataset} | {rows} | {result.name} | {result.apgr:.3f} | {_pct(result.cpt50)} "
        f"| {_pct(result.cpt80)} | {_pct(result.share_for_95)} |"
    )


def latency(prompts: list[str]) -> dict[str, tuple[float, float, float]]:
    """p50, p99 and max of one capability decision in ms: wall clock and this thread's CPU.

    Wall time is what a request waits; CPU time is the decision's own cost, which other jobs on
    a shared machine cannot inflate. Both are reported, with the load average, so a slow run on
    a busy box can be told apart from a slow decision.
    """
    scorer = CapabilityScorer()
    scorer.assess("warm up")
    wall, cpu = [], []
    for prompt in prompts:
        start, start_cpu = time.perf_counter(), time.thread_time()
        scorer.assess(prompt)
        cpu.append(time.thread_time() - start_cpu)
        wall.append(time.perf_counter() - start)
    out = {}
    for name, timings in (("wall", wall), ("cpu", cpu)):
        p50, p99 = np.percentile(timings, [50, 99]) * 1000
        out[name] = (float(p50), float(p99), max(timings) * 1000)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=Path("../shared/data"))
    parser.add_argument("--drop-contaminated", action="store_true")
    args = parser.parse_args()
    sets = datasets(args.data, args.drop_contaminated)
    print(
        f"date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; machine: {platform.machine()}, "
        f"{platform.python_implementation()} {platform.python_version()}; "
        f"contaminated rows dropped: {args.drop_contaminated}\n"
    )
    print("| set | rows | router | APGR | CPT(50%) | CPT(80%) | cloud share for 95% quality |")
    print("|---|---|---|---|---|---|---|")
    for name, examples in sets.items():
        results = [
            evaluate(
                examples, build_router(router), router_name=router, dataset=name, progress=False
            )
            for router in ("capability", "length")
        ]
        for result in (results[0].router, results[1].router, results[0].random):
            print(_row(name, len(examples), result))
        published = PUBLISHED[name]
        cpt50 = _pct(published.get("cpt50")) if "cpt50" in published else "n/a"
        apgr = f"{published['apgr']:.3f}"
        print(f"| {name} | | RouteLLM best (published) | {apgr} | {cpt50} | n/a | n/a |")
        print(_row(name, len(examples), results[0].oracle))
    prompts = [e.prompt for examples in sets.values() for e in examples]
    load = os.getloadavg()[0]
    for clock, (p50, p99, worst) in latency(prompts).items():
        print(
            f"\ncapability decision latency ({clock}) over {len(prompts)} prompts: "
            f"p50 {p50:.3f} ms, p99 {p99:.3f} ms, max {worst:.3f} ms"
        )
    print(f"1-minute load average before timing: {load:.2f} on {os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()
