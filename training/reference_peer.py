"""The data README's reference router, TF-IDF + logistic regression, as a peer to report.

The shared data README lists "TF-IDF + logistic regression trained on routerbench_subsets +
llmrouter_dcrouter" among the routers to beat (APGR MMLU 0.562, GSM8K 0.539, MT-Bench both
turns 0.607) without giving its label or settings. This is the plainest reading, fixed before
it was first run (2026-11-23): scikit-learn's ``TfidfVectorizer`` with its defaults (word
unigrams, smoothed idf, l2 rows), ``LogisticRegression`` with C = 1, and the label "the
reference pair's strong model scores above its weak one" (RouterBench: gpt-4 vs Mixtral;
dcrouter: the best ~50B model vs the mean 7-9B model), on the same decontaminated training
rows as the shipped model. It is a peer for the benchmark, never a candidate for the gateway.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from training.sources import LabelledPrompt, with_pair_scores
from training.train_capability import load

Predict = Callable[[Sequence[str]], NDArray[np.float64]]


def gap_labels(rows: Sequence[LabelledPrompt]) -> NDArray[np.int64]:
    """1 where the reference pair's strong model scores above its weak one."""
    if any(p.strong_score is None or p.weak_score is None for p in rows):
        raise ValueError("every row needs both reference scores")
    return np.array([p.strong_score > p.weak_score for p in rows], dtype=np.int64)


def fit(prompts: Sequence[str], labels: NDArray[np.int64]) -> Predict:
    """Fit with the fixed settings; the returned function gives P(label) for new prompts."""
    vectorizer = TfidfVectorizer()
    model = LogisticRegression(C=1.0, max_iter=2000).fit(vectorizer.fit_transform(prompts), labels)
    return lambda new: model.predict_proba(vectorizer.transform(new))[:, 1]


def reference_peer(data: Path) -> Predict:
    """The peer fitted on the training split the shipped artefact is fitted on (cloud score)."""
    rows = with_pair_scores(load(data, None)["train"])
    return fit([p.prompt for p in rows], gap_labels(rows))
