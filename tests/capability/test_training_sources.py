"""Training prompts look like requests: RouterBench's few-shot demonstrations are stripped."""

import ast
import json
import re
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import pytest

REPO = Path(__file__).resolve().parents[2]
DATA = REPO.parent / "shared" / "data"
SOLVED_DEMO = re.compile(r"Answer:\s*\n\s*[A-E]\s*\n\s*\n")  # "Answer:\nB" then a blank line


@pytest.fixture(scope="module")
def sources(import_training: Callable[[str], ModuleType]) -> ModuleType:
    return import_training("sources")


def test_the_question_of_a_few_shot_prompt_is_kept(sources: ModuleType) -> None:
    prompt = (
        "Please answer with the letter.\n\nWhat is 1 + 1?\nA) 2\nB) 3\nAnswer:\nA\n\n"
        "Please answer with the letter.\n\nWhat is 2 + 3?\nA) 4\nB) 5\nAnswer:"
    )
    assert sources.strip_demonstrations(prompt) == "What is 2 + 3?\nA) 4\nB) 5\nAnswer:"
    single = "Write a function to reverse a list.\nUse Python."
    assert sources.strip_demonstrations(single) == single
    assert sources.strip_demonstrations("trailing blank\n\n\n") == "trailing blank\n\n\n"


@pytest.mark.skipif(not DATA.exists(), reason="shared data folder not present")
def test_routerbench_training_rows_carry_no_demonstrations(sources: ModuleType) -> None:
    rows = sources.routerbench(DATA, "test")
    by_task: dict[str, list[str]] = {}
    for row in rows:
        by_task.setdefault(row.task, []).append(row.prompt)
    tasks = {"routerbench/arc_challenge", "routerbench/mbpp", "routerbench/winograde"}
    assert set(by_task) == tasks
    for task, prompts in by_task.items():
        assert not any(SOLVED_DEMO.search(p) for p in prompts), task
        # Before stripping every few-shot row shared one normalised opening (one CV group).
        distinct = len({sources.normalise(p) for p in prompts})
        assert distinct > 0.9 * len(prompts), (task, distinct, len(prompts))


@pytest.mark.skipif(not DATA.exists(), reason="shared data folder not present")
def test_item_ease_averages_every_scored_model(sources: ModuleType) -> None:
    rows = sources.routerbench(DATA, "test")
    assert len(sources.ROUTERBENCH_MODELS) == len(set(sources.ROUTERBENCH_MODELS)) == 11
    complete = 0
    for row in rows:
        # The reference pair and the k models outside it that scored the row (9 of 9 but for
        # a few rows that lack a score).
        means = [
            (k * row.others_mean + row.weak_score + row.strong_score) / (k + 2) for k in (9, 8)
        ]
        assert row.models_mean == pytest.approx(means[0]) or row.models_mean == pytest.approx(
            means[1]
        )
        complete += row.models_mean == pytest.approx(means[0])
    assert complete > 0.98 * len(rows)
    assert len({round(row.others_mean, 3) for row in rows}) > 5  # not one constant
    raw = json.loads((DATA / "router_quality" / "llmrouter_dcrouter" / "test.json").read_text())
    sides = {*sources.DCROUTER_LOCALS, *sources.DCROUTER_CLOUDS}
    for row, item in zip(sources.dcrouter(DATA, "test"), raw, strict=True):
        scores = item["scores"]
        if not isinstance(scores, dict):  # some score maps are stored as Python literals
            scores = ast.literal_eval(scores)
        outside = [float(v) for model, v in scores.items() if model not in sides]
        assert len(outside) == 3  # codegemma-7b and the two llama3-chatqa models
        assert row.others_mean == pytest.approx(sum(outside) / 3)
        assert row.models_mean == pytest.approx(sum(map(float, scores.values())) / len(scores))
