"""Evaluate a router on a dataset: score every prompt, sweep, and compare with baselines."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from rich.console import Console
from rich.progress import Progress

from hybridroute.evaluation import metrics
from hybridroute.evaluation.dataset import RoutingExample
from hybridroute.evaluation.metrics import Curve

CloudScorer = Callable[[str], float]

DEFAULT_BINS = 10  # RouteLLM's --num-results: 11 thresholds
MAX_BINS = 10_000
PROGRESS_MIN_ROWS = 500


@dataclass(frozen=True, slots=True, kw_only=True)
class RouterResult:
    """One router's curve and the numbers read from it (shares are in [0, 1])."""

    name: str
    curve: Curve
    apgr: float
    cpt50: float | None
    cpt80: float | None
    share_for_95: float | None


@dataclass(frozen=True, slots=True, kw_only=True)
class Evaluation:
    """A router next to the random and oracle baselines on one dataset."""

    dataset: str
    rows: int
    local_quality: float
    cloud_quality: float
    router: RouterResult
    random: RouterResult
    oracle: RouterResult


def share_for_95_applies(cloud_quality: float) -> bool:
    """Whether "95% of cloud-only quality" means anything on this dataset's score scale.

    Only on a positive one: at cloud quality -10, 95% of it is -9.5, above what cloud-only
    reaches, and a fraction of 0 is 0 whatever the fraction. Elsewhere it is not applicable,
    which the report says rather than "never".
    """
    return cloud_quality > 0


def summarise(name: str, curve: Curve, local_quality: float, cloud_quality: float) -> RouterResult:
    """Read APGR, CPT(50%), CPT(80%) and the share for 95% of cloud quality off a curve.

    ``share_for_95`` is None both when the curve never gets there and when the measure does not
    apply (see share_for_95_applies).
    """
    return RouterResult(
        name=name,
        curve=curve,
        apgr=metrics.apgr(curve, local_quality, cloud_quality),
        cpt50=metrics.calls_to_recover(curve, 0.5, local_quality, cloud_quality),
        cpt80=metrics.calls_to_recover(curve, 0.8, local_quality, cloud_quality),
        share_for_95=(
            metrics.share_to_reach(curve, 0.95 * cloud_quality)
            if share_for_95_applies(cloud_quality)
            else None
        ),
    )


def cloud_scores(
    examples: Sequence[RoutingExample], router: CloudScorer, *, progress: bool = True
) -> np.ndarray:
    """Score every prompt, with a rich progress bar on long runs."""
    scores = np.empty(len(examples))
    # On stderr, so that `--json > report.json` still shows progress and keeps stdout clean.
    with Progress(
        console=Console(stderr=True),
        disable=not progress or len(examples) < PROGRESS_MIN_ROWS,
        transient=True,
    ) as bar:
        task = bar.add_task("routing prompts", total=len(examples))
        for index, example in enumerate(examples):
            scores[index] = router(example.prompt)
            bar.advance(task)
    return scores


def evaluate(
    examples: Sequence[RoutingExample],
    router: CloudScorer,
    *,
    router_name: str,
    dataset: str,
    bins: int = DEFAULT_BINS,
    progress: bool = True,
) -> Evaluation:
    """Sweep one router's threshold over a dataset, with random and oracle baselines."""
    local = np.array([e.local_score for e in examples])
    cloud = np.array([e.cloud_score for e in examples])
    local_quality, cloud_quality = float(local.mean()), float(cloud.mean())
    metrics.check_gap(local_quality, cloud_quality)  # before scoring: nothing to measure otherwise
    scores = cloud_scores(examples, router, progress=progress)
    # The oracle knows both answers: its score is the cloud's gain on that prompt, swept
    # like any router (this is how the data README's oracle figures are computed).
    oracle = metrics.sweep(cloud - local, local, cloud, bins=bins)
    return Evaluation(
        dataset=dataset,
        rows=len(examples),
        local_quality=local_quality,
        cloud_quality=cloud_quality,
        router=summarise(
            router_name,
            metrics.sweep(scores, local, cloud, bins=bins),
            local_quality,
            cloud_quality,
        ),
        random=summarise(
            "random", metrics.random_curve(local, cloud, bins=bins), local_quality, cloud_quality
        ),
        oracle=summarise("oracle", oracle, local_quality, cloud_quality),
    )
