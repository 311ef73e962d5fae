"""The data README's TF-IDF + logistic regression router, refitted as the benchmark's peer."""

from collections.abc import Callable
from types import ModuleType

import numpy as np
import pytest
import sklearn  # noqa: F401 - the training extra is part of dev: fail, don't skip


@pytest.fixture(scope="module")
def peer(import_training: Callable[[str], ModuleType]) -> ModuleType:
    return import_training("reference_peer")


def test_gap_label_is_strong_strictly_above_weak(peer: ModuleType) -> None:
    rows = [
        peer.LabelledPrompt(prompt="p", source="s", weak_score=weak, strong_score=strong)
        for weak, strong in ((0.0, 1.0), (1.0, 1.0), (1.0, 0.0), (0.25, 0.5), (0.5, 0.25))
    ]
    assert peer.gap_labels(rows).tolist() == [1, 0, 0, 1, 0]
    with pytest.raises(ValueError, match="both reference scores"):
        peer.gap_labels([peer.LabelledPrompt(prompt="p", source="s", weak_score=1.0)])


def test_fit_scores_unseen_prompts_as_a_cloud_probability(peer: ModuleType) -> None:
    # Integrals need the strong model, capitals do not: the peer must learn that direction.
    hard = [f"evaluate the integral of x^{i} from 0 to {i}" for i in range(40)]
    easy = [f"what is the capital of country number {i}" for i in range(40)]
    predict = peer.fit(hard + easy, np.array([1] * 40 + [0] * 40))
    scores = predict(["evaluate the integral of x^7 from 1 to 2", "what is the capital of Peru"])
    assert scores.shape == (2,)
    assert np.all((scores >= 0) & (scores <= 1))
    assert scores[0] > 0.5 > scores[1]
