"""The shared bench of the exploration scripts: training rows, one fold split, the shipped design.

Every variant an exploration script compares is fitted and scored on the same grouped 5-fold
split of the training sources (train + validation rows with both reference scores), so the
differences it prints are between variants, not between fold assignments. Scores come from
``training/selection.py``'s criterion; the RouteLLM evaluation sets are never touched here.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy.sparse as sparse
from numpy.typing import NDArray
from sklearn.linear_model import Ridge
from sklearn.model_selection import GroupKFold

from training.design import design, feature_matrices
from training.selection import CrossValidation, score_routing
from training.sources import LabelledPrompt, normalise, with_pair_scores
from training.train_capability import BUCKETS, RIDGE_ALPHA, load

Matrix = NDArray[np.float64] | sparse.csr_matrix
Folds = list[tuple[NDArray[np.int64], NDArray[np.int64]]]
Columns = Callable[[NDArray[np.int64], NDArray[np.int64]], tuple[Matrix, Matrix]]


def z(values: NDArray[np.float64]) -> NDArray[np.float64]:
    """Standard score, so that score-level blends weigh their parts alike."""
    return (values - values.mean()) / values.std()


@dataclass(frozen=True, slots=True)
class SameFolds:
    rows: list[LabelledPrompt]
    labels: NDArray[np.float64]
    dense: NDArray[np.float64]
    hashed: sparse.csr_matrix
    folds: Folds
    training_rows: int  # rows[:training_rows] are what the shipped model is fitted on

    @classmethod
    def load(cls, data: Path) -> SameFolds:
        sets = load(data, None)
        scored = {name: with_pair_scores(sets[name]) for name in ("train", "validation")}
        rows = scored["train"] + scored["validation"]
        labels = np.array([p.local_ok for p in rows], dtype=np.float64)
        dense, hashed = feature_matrices(rows, BUCKETS)
        groups = [normalise(p.prompt) for p in rows]
        folds: Folds = list(GroupKFold(n_splits=5).split(dense, labels, groups))
        return cls(rows, labels, dense, hashed, folds, len(scored["train"]))

    @classmethod
    def from_command_line(cls, doc: str | None) -> SameFolds:
        """The bench of a script whose only argument is ``--data`` (the shared data folder)."""
        parser = argparse.ArgumentParser(description=(doc or "").split("\n")[0])
        parser.add_argument("--data", type=Path, required=True)
        return cls.load(parser.parse_args().data)

    def shipped(
        self, fit: NDArray[np.int64], held: NDArray[np.int64], extra: Matrix | None = None
    ) -> tuple[Matrix, Matrix]:
        """The shipped model's input columns, with ``extra`` columns appended if given."""
        mean, scale = self.dense[fit].mean(axis=0), self.dense[fit].std(axis=0) + 1e-6
        fit_x = design(self.dense[fit], self.hashed[fit], mean, scale)
        held_x = design(self.dense[held], self.hashed[held], mean, scale)
        if extra is None:
            return fit_x, held_x
        return (
            sparse.hstack([fit_x, sparse.csr_matrix(extra[fit])]).tocsr(),
            sparse.hstack([held_x, sparse.csr_matrix(extra[held])]).tocsr(),
        )

    def out_of_fold(
        self, columns: Columns, alpha: float, target: NDArray[np.float64] | None = None
    ) -> NDArray[np.float64]:
        """Ridge predictions of local_ok (or ``target``) for every row, each from the fold
        that held it out."""
        labels = self.labels if target is None else target
        predictions = np.zeros(len(labels))
        for fit, held in self.folds:
            fit_x, held_x = columns(fit, held)
            predictions[held] = Ridge(alpha=alpha).fit(fit_x, labels[fit]).predict(held_x)
        return predictions

    def nearest(self, unit: NDArray[np.float64], k: int) -> NDArray[np.float64]:
        """Mean label of the k most similar training rows (unit vectors, cosine), out of fold."""
        predictions = np.zeros(len(self.labels))
        for fit, held in self.folds:
            closest = np.argpartition(-(unit[held] @ unit[fit].T), k, axis=1)[:, :k]
            predictions[held] = self.labels[fit][closest].mean(axis=1)
        return predictions

    def shipped_predictions(self) -> NDArray[np.float64]:
        return self.out_of_fold(self.shipped, RIDGE_ALPHA)

    def report(self, name: str, predictions: NDArray[np.float64]) -> CrossValidation:
        cv = score_routing(self.rows, predictions)
        print(
            f"{name:36s} pooled {cv.pooled_apgr:.3f}  within {cv.within_task_apgr:.3f}"
            f"  mean {cv.criterion:.3f}",
            flush=True,
        )
        return cv

    def shipped_and_bar(self, bands: float) -> tuple[NDArray[np.float64], float]:
        """The shipped design's predictions, and the mean criterion a variant must reach: the
        shipped design's plus ``bands`` times the random noise band. Both are printed."""
        predictions = self.shipped_predictions()
        shipped = self.report("shipped design", predictions)
        _, spread = self.random_band()
        bar = shipped.criterion + bands * spread
        print(f"bar for a variant: mean >= {bar:.3f} (shipped + {bands:g} x noise band)")
        return predictions, bar

    def random_band(self, draws: int = 20) -> tuple[float, float]:
        """Mean and spread of the within-task APGR of random scores: the noise to read against."""
        rng = np.random.default_rng(0)
        noise = [
            float(score_routing(self.rows, rng.random(len(self.rows))).within_task_apgr or 0.0)
            for _ in range(draws)
        ]
        print(f"random scores: within {np.mean(noise):.3f} +/- {np.std(noise):.3f} ({draws} draws)")
        return float(np.mean(noise)), float(np.std(noise))
