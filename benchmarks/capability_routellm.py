"""Capability router vs RouteLLM's published figures on RouteLLM's own evaluation sets.

    .venv/bin/python benchmarks/capability_routellm.py --data ../shared/data [--drop-contaminated]

Prints a markdown table (APGR, CPT(50%), CPT(80%), cloud share for 95% quality) for the shipped
capability model, the data README's TF-IDF + logistic regression reference router (refitted
here on the same training rows, ``training/reference_peer.py``; needs the ``train`` extra),
the length and random baselines and the oracle, next to RouteLLM's best published figures and
the README's own figures for its reference router, then the capability decision latency
(p50/p99, wall clock and CPU time, over every evaluation prompt, one call at a time, model
already loaded). Both learned routers were trained on other data only. MT-Bench is given both
ways: one row per question routed on turn 1 (RouteLLM's published protocol) and one row per
turn (the data README's "both turns" column).
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from hybridroute.capability import CapabilityScorer
from hybridroute.evaluation import converters, metrics
from hybridroute.evaluation.dataset import RoutingExample
from hybridroute.evaluation.harness import RouterResult, evaluate
from hybridroute.evaluation.routers import CloudScorer, build_router

# training/ (the peer, the selection rule) lives at the repo root, beside benchmarks/.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

# RouteLLM paper (arXiv 2406.18665), best router per benchmark, GPT-4 vs Mixtral.
PUBLISHED = {
    "MMLU": {"apgr": 0.603},
    "GSM8K": {"apgr": 0.622},
    "MT-Bench": {"apgr": 0.802, "cpt50": 0.134},
}
# The shared data README's figures for its TF-IDF + logistic regression reference router.
PEER = "TF-IDF + LR (data README)"
README_PEER = {"MMLU": 0.562, "GSM8K": 0.539, "MT-Bench (each turn)": 0.607}


def datasets(
    data: Path, drop: bool, *, each_turn: bool = False
) -> dict[str, tuple[RoutingExample, ...]]:
    root = data / "router_quality" / "routellm"

    def skip(name: str) -> Path | None:
        return root / f"{name}_contaminated_prompts.jsonl" if drop else None

    sets = {
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
    if each_turn:
        sets["MT-Bench (each turn)"] = converters.convert_mt_bench(
            root / "mt_bench_question.jsonl",
            root / "mt_bench_judgements.jsonl",
            contaminated=skip("mt_bench"),
            each_turn=True,
        )
    return sets


def reference_peer(data: Path) -> Callable[[list[str]], np.ndarray]:
    """The data README's reference router, fitted on the training sources (never these sets)."""
    try:
        from training.reference_peer import reference_peer as fit_peer
    except ImportError as error:  # scikit-learn is in the train and dev extras only
        raise SystemExit(
            f"the reference peer needs the train extra ({error}): pip install -e '.[train]'"
        ) from None
    return fit_peer(data)


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


def by_subject(examples: tuple[RoutingExample, ...], routers: dict[str, CloudScorer]) -> None:
    """Each router's MMLU APGR beside how it ranks prompts inside and between subjects.

    MMLU is one format over 57 subjects. "Within subject" is the mean APGR inside each subject
    with >= 100 rows and a quality gap >= 0.05 (the rule training/selection.py applies to
    training tasks); "subject level" routes every prompt by its subject's mean score, so only
    the ranking between subjects counts; "variance within" is the share of the score's variance
    that lies inside subjects, where no router has signal.
    """
    from training.selection import criterion_tasks, tie_break

    local = np.array([e.local_score for e in examples])
    cloud = np.array([e.cloud_score for e in examples])
    subjects = np.array([e.category or "" for e in examples])
    jitter = tie_break(len(examples))  # a per-subject constant needs a strict order

    def apgr(scores: np.ndarray, rows: np.ndarray | slice = slice(None)) -> float:
        curve = metrics.sweep(scores[rows], local[rows], cloud[rows])
        return metrics.apgr(curve, float(local[rows].mean()), float(cloud[rows].mean()))

    def subject_level(scores: np.ndarray) -> np.ndarray:
        level = {s: scores[subjects == s].mean() for s in set(subjects)}
        return np.array([level[s] for s in subjects]) + jitter

    kept = [rows for _, rows in criterion_tasks(subjects, local, cloud)]
    print(
        f"\nMMLU by subject ({len(set(subjects))} subjects; "
        f"the {len(kept)} with >= 100 rows and a quality gap enter the within-subject mean):"
    )
    print("| router | APGR | mean within-subject APGR | subject-level APGR | variance within |")
    print("|---|---|---|---|---|")
    for name, router in routers.items():
        scores = np.array([router(e.prompt) for e in examples])
        within = np.mean([apgr(scores, rows) for rows in kept])
        share = 1 - float(np.var(subject_level(scores))) / float(np.var(scores))
        print(
            f"| {name} | {apgr(scores):.3f} | {within:.3f} | {apgr(subject_level(scores)):.3f} "
            f"| {share:.0%} |"
        )
    oracle = apgr(subject_level(cloud - local))
    print(f"| oracle (each subject's mean gain) | | | {oracle:.3f} | |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=Path("../shared/data"))
    parser.add_argument("--drop-contaminated", action="store_true")
    args = parser.parse_args()
    sets = datasets(args.data, args.drop_contaminated, each_turn=True)
    peer = reference_peer(args.data)
    print(
        f"date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; machine: {platform.machine()}, "
        f"{platform.python_implementation()} {platform.python_version()}; "
        f"contaminated rows dropped: {args.drop_contaminated}\n"
    )
    print("| set | rows | router | APGR | CPT(50%) | CPT(80%) | cloud share for 95% quality |")
    print("|---|---|---|---|---|---|---|")
    mmlu_routers: dict[str, CloudScorer] = {}
    for name, examples in sets.items():
        prompts = sorted({e.prompt for e in examples})
        routers = {
            "capability": build_router("capability"),
            PEER: dict(zip(prompts, peer(prompts), strict=True)).__getitem__,
            "length": build_router("length"),
        }
        results = [
            evaluate(examples, scorer, router_name=router, dataset=name, progress=False)
            for router, scorer in routers.items()
        ]
        for result in [r.router for r in results] + [results[0].random]:
            print(_row(name, len(examples), result))
        if name in README_PEER and not args.drop_contaminated:  # the README keeps every row
            figure = f"{README_PEER[name]:.3f}"
            print(f"| {name} | | TF-IDF + LR (README's own figure) | {figure} | n/a | n/a | n/a |")
        if name in PUBLISHED:
            published = PUBLISHED[name]
            cpt50 = _pct(published.get("cpt50")) if "cpt50" in published else "n/a"
            apgr = f"{published['apgr']:.3f}"
            print(f"| {name} | | RouteLLM best (published) | {apgr} | {cpt50} | n/a | n/a |")
        print(_row(name, len(examples), results[0].oracle))
        if name == "MMLU":
            mmlu_routers = routers
    by_subject(sets["MMLU"], mmlu_routers)
    # Over the three sets' own rows (each-turn MT-Bench would count questions twice).
    prompts = [e.prompt for name in PUBLISHED for e in sets[name]]
    load = os.getloadavg()[0]
    for clock, (p50, p99, worst) in latency(prompts).items():
        print(
            f"\ncapability decision latency ({clock}) over {len(prompts)} prompts: "
            f"p50 {p50:.3f} ms, p99 {p99:.3f} ms, max {worst:.3f} ms"
        )
    print(f"1-minute load average before timing: {load:.2f} on {os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()
