"""The cross-validation criterion used to choose a capability-model variant."""

from collections.abc import Callable
from types import ModuleType

import numpy as np
import pytest
import sklearn  # noqa: F401 - the training extra is part of dev: fail, don't skip


@pytest.fixture(scope="module")
def selection(import_training: Callable[[str], ModuleType]) -> ModuleType:
    return import_training("selection")


def _prompts(selection: ModuleType, rows: int) -> list:
    """Two tasks; in every 4th row of each only the strong model is right."""
    return [
        selection.LabelledPrompt(
            prompt=f"question {i}",
            source="synthetic",
            local_ok=0.5,
            task=f"task-{i % 2}",
            weak_score=0.0 if i % 4 < 2 else 1.0,
            strong_score=1.0,
        )
        for i in range(rows)
    ]


def test_perfect_and_inverted_routing(selection: ModuleType) -> None:
    prompts = _prompts(selection, 200)
    truth = np.array([p.weak_score for p in prompts], dtype=np.float64)  # 1 = local is fine
    perfect = selection.score_routing(prompts, truth)
    inverted = selection.score_routing(prompts, 1.0 - truth)
    assert perfect.pooled_apgr > 0.7 and inverted.pooled_apgr < 0.3
    assert perfect.tasks == 2 and perfect.within_task_apgr is not None
    assert perfect.within_task_apgr > 0.7
    assert perfect.criterion == pytest.approx((perfect.pooled_apgr + perfect.within_task_apgr) / 2)


def test_small_tasks_are_left_out_of_the_within_task_mean(selection: ModuleType) -> None:
    prompts = _prompts(selection, 40)
    result = selection.score_routing(prompts, np.zeros(40), min_task_rows=100)
    assert result.within_task_apgr is None and result.tasks == 0
    assert result.criterion == result.pooled_apgr


def test_criterion_prefers_within_task_signal(selection: ModuleType) -> None:
    a = selection.CrossValidation(pooled_apgr=0.6, within_task_apgr=0.5, tasks=3)
    b = selection.CrossValidation(pooled_apgr=0.58, within_task_apgr=0.56, tasks=3)
    assert b.criterion > a.criterion
