"""Grouped cross-validation on the training sources: the criterion for choosing a variant.

The RouteLLM evaluation sets are of two kinds: MT-Bench mixes task kinds, MMLU and GSM8K are
each one task. So a variant is judged by two APGRs over out-of-fold predictions on the
training sources (never on the evaluation sets):

* pooled: all rows routed together, each scored by its reference pair (RouterBench: Mixtral
  vs gpt-4; dcrouter: the mean 7-9B model vs the best ~50B model);
* within-task: the mean APGR inside each task with enough rows and a real quality gap, which
  is what a single-task set like MMLU or GSM8K measures.

Folds are grouped by normalised prompt, so a duplicated prompt never straddles two folds.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from sklearn.linear_model import Ridge
from sklearn.model_selection import GroupKFold

from hybridroute.evaluation import metrics
from training.design import design, feature_matrices
from training.sources import LabelledPrompt, normalise, with_pair_scores


@dataclass(frozen=True, slots=True, kw_only=True)
class CrossValidation:
    """Out-of-fold routing quality of one variant on the training sources."""

    pooled_apgr: float
    within_task_apgr: float | None
    tasks: int

    @property
    def criterion(self) -> float:
        """The selection criterion: the mean of the two APGRs (pooled alone if no task)."""
        if self.within_task_apgr is None:
            return self.pooled_apgr
        return (self.pooled_apgr + self.within_task_apgr) / 2


def routing_apgr(
    cloud_scores: NDArray[np.float64], weak: NDArray[np.float64], strong: NDArray[np.float64]
) -> float:
    curve = metrics.sweep(cloud_scores, weak, strong)
    return metrics.apgr(curve, float(weak.mean()), float(strong.mean()))


def out_of_fold(
    prompts: Sequence[LabelledPrompt], *, buckets: int, alpha: float, folds: int = 5
) -> NDArray[np.float64]:
    """Out-of-fold local_ok predictions of the ridge model over ``prompts``."""
    dense, hashed = feature_matrices(prompts, buckets)
    labels = np.array([p.local_ok for p in prompts], dtype=np.float64)
    groups = [normalise(p.prompt) for p in prompts]
    predictions = np.zeros(len(prompts))
    for fit_rows, held_out in GroupKFold(n_splits=folds).split(dense, labels, groups):
        mean, scale = dense[fit_rows].mean(axis=0), dense[fit_rows].std(axis=0) + 1e-6
        model = Ridge(alpha=alpha).fit(
            design(dense[fit_rows], hashed[fit_rows], mean, scale), labels[fit_rows]
        )
        predictions[held_out] = model.predict(
            design(dense[held_out], hashed[held_out], mean, scale)
        )
    return predictions


def criterion_tasks(
    tasks: NDArray[np.str_],
    weak: NDArray[np.float64],
    strong: NDArray[np.float64],
    *,
    min_rows: int = 100,
) -> Iterator[tuple[str, NDArray[np.bool_]]]:
    """Each task (in name order) that enters the within-task mean, with its row mask: at least
    ``min_rows`` rows and a quality gap of at least ``MIN_GAP``."""
    for task in sorted(set(tasks)):
        rows = tasks == task
        if rows.sum() >= min_rows and strong[rows].mean() - weak[rows].mean() >= MIN_GAP:
            yield str(task), rows


def tie_break(rows: int) -> NDArray[np.float64]:
    """A tiny seeded jitter to add to a score with ties (a per-task constant, a clipped value):
    the sweep needs a strict order, and the same seed keeps reruns identical."""
    return 1e-9 * np.random.default_rng(0).random(rows)


def score_routing(
    prompts: Sequence[LabelledPrompt], local_ok: NDArray[np.float64], *, min_task_rows: int = 100
) -> CrossValidation:
    """Pooled and within-task APGR of routing ``prompts`` by ``1 - local_ok``."""
    weak = np.array([p.weak_score for p in prompts], dtype=np.float64)
    strong = np.array([p.strong_score for p in prompts], dtype=np.float64)
    tasks = np.array([p.task or "" for p in prompts])
    cloud = -local_ok
    within = [
        routing_apgr(cloud[rows], weak[rows], strong[rows])
        for _, rows in criterion_tasks(tasks, weak, strong, min_rows=min_task_rows)
    ]
    return CrossValidation(
        pooled_apgr=routing_apgr(cloud, weak, strong),
        within_task_apgr=float(np.mean(within)) if within else None,
        tasks=len(within),
    )


def cross_validate(
    prompts: Sequence[LabelledPrompt], *, buckets: int, alpha: float, folds: int = 5
) -> CrossValidation:
    """Cross-validate the ridge local_ok model on prompts with reference-pair scores."""
    usable = with_pair_scores(prompts)
    predictions = out_of_fold(usable, buckets=buckets, alpha=alpha, folds=folds)
    return score_routing(usable, predictions)


MIN_GAP = 0.05  # tasks where the strong model is barely better have no gap to recover
