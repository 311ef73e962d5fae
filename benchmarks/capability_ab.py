"""Capability decision cost: `capability/features.py` at a git revision against the working tree.

    .venv/bin/python benchmarks/capability_ab.py --base 8dac8cd

What the scorer does per request (features, then the shipped model's prediction), timed in
thread CPU time for 100-, 1,000- and 8,000-token prompts built as `decision_overhead.py`
builds them (real Arena-Hard and MT-Bench questions). Both versions run in one process,
alternating by round, and must give the same features on every prompt (the same values, and
the same buckets with the same counts, in whatever order): the shipped model was trained on
them, so a faster version that changes a feature is a failure, not a result. (A different
bucket order changes the model's score in the last bit only: the sum runs in another order.)
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
import time
import types
from typing import Any

import numpy as np
from decision_overhead import SIZES, corpus, prompt_of
from revision import module_at

from hybridroute.capability.model import SHIPPED_MODEL_DIR, CapabilityModel

MODULE = "src/hybridroute/capability/features.py"


def same_features(a: Any, b: Any) -> bool:
    return (
        np.array_equal(a.dense, b.dense)
        and a.words == b.words
        and dict(zip(a.hashed_indices.tolist(), a.hashed_counts.tolist(), strict=True))
        == dict(zip(b.hashed_indices.tolist(), b.hashed_counts.tolist(), strict=True))
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", required=True, help="git revision to compare against")
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--calls", type=int, default=200, help="prompts per size")
    args = parser.parse_args(argv)
    versions: dict[str, types.ModuleType] = {
        "base": module_at(MODULE, args.base),
        "head": module_at(MODULE, None),
    }
    model = CapabilityModel.load(SHIPPED_MODEL_DIR)
    texts = corpus()
    prompts = {size: [prompt_of(size, texts, i * 7) for i in range(args.calls)] for size in SIZES}
    differing = sum(
        not same_features(
            versions["base"].extract(p, buckets=model.buckets),
            versions["head"].extract(p, buckets=model.buckets),
        )
        for batch in prompts.values()
        for p in batch
    )
    samples: dict[tuple[int, str], list[float]] = {}
    for round_ in range(args.rounds):
        order = list(versions) if round_ % 2 == 0 else list(reversed(versions))
        for name in order:
            extract = versions[name].extract
            for size, batch in prompts.items():
                times = samples.setdefault((size, name), [])
                for prompt in batch:
                    started = time.thread_time_ns()
                    model.predict(extract(prompt, buckets=model.buckets))
                    times.append((time.thread_time_ns() - started) / 1e6)
    print("| prompt | base p50 / p99 ms | head p50 / p99 ms | head/base p50 | p99 |")
    print("|---|---|---|---|---|")
    for size in SIZES:
        cells = []
        for name in versions:
            times = sorted(samples[(size, name)])
            cells.append((statistics.median(times), times[int(len(times) * 0.99) - 1]))
        print(
            f"| {size:,} tokens | {cells[0][0]:.3f} / {cells[0][1]:.3f} | "
            f"{cells[1][0]:.3f} / {cells[1][1]:.3f} | {cells[1][0] / cells[0][0]:.2f} | "
            f"{cells[1][1] / cells[0][1]:.2f} |"
        )
    total = sum(len(batch) for batch in prompts.values())
    print(f"\n- features identical on {total - differing} of {total} prompts")
    print(f"- machine: {platform.machine()}, Python {platform.python_version()}")
    print(
        f"- rerun: `.venv/bin/python benchmarks/capability_ab.py --base {args.base} "
        f"--rounds {args.rounds} --calls {args.calls}`"
    )
    return 1 if differing else 0


if __name__ == "__main__":
    sys.exit(main())
