"""The shipped model loads offline, scores sensibly and decides within the 2 ms budget."""

import socket
import time

import numpy as np
import pytest

from hybridroute.capability import CapabilityScorer, CapabilitySettings
from hybridroute.capability.features import DENSE_NAMES, extract
from hybridroute.capability.model import SHIPPED_MODEL_DIR, CapabilityModel
from hybridroute.errors import ConfigError


def test_shipped_model_loads_and_is_small() -> None:
    model = CapabilityModel.load(SHIPPED_MODEL_DIR)
    assert model.dense_mean.shape == (len(DENSE_NAMES),)
    assert {"math", "coding", "writing"} <= set(model.category_names)
    size = sum(p.stat().st_size for p in SHIPPED_MODEL_DIR.iterdir())
    assert size < 3_000_000


def test_assessment_shape_and_categories(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_network(*args: object, **kwargs: object) -> None:
        raise AssertionError("the capability scorer must not open sockets")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    scorer = CapabilityScorer()
    maths = scorer.assess("Solve for x: 3x + 5 = 20. How many apples are left in total?")
    code = scorer.assess("Write a Python function that returns the nth Fibonacci number.")
    assert maths.category == "math" and code.category == "coding"
    for assessment in (maths, code):
        assert 0.0 <= assessment.local_ok <= 1.0
        assert assessment.rule is None
        assert assessment.evidence["prompt_tokens"] > 0
        assert "model_score" in assessment.evidence


def test_rules_run_before_the_model() -> None:
    settings = CapabilitySettings.model_validate(
        {"rules": [{"id": "maths_to_cloud", "categories": ["math"], "local_ok": 0.0}]}
    )
    assessment = CapabilityScorer(settings).assess("What is 17 * 23? Calculate the total.")
    assert (assessment.rule, assessment.local_ok) == ("maths_to_cloud", 0.0)


def test_features_are_deterministic_and_bounded() -> None:
    a, b = extract("same text 12", buckets=64), extract("same text 12", buckets=64)
    assert np.array_equal(a.dense, b.dense) and np.array_equal(a.hashed_indices, b.hashed_indices)
    assert a.hashed_indices.max() < 64
    long = extract("word " * 50_000, buckets=64)
    assert long.words == pytest.approx(50_000, rel=0.01)


def test_decision_latency_p99_under_2ms() -> None:
    # CPU time of this thread, not wall time: other jobs on a shared 2-core box preempt us,
    # which says nothing about the decision's own cost (benchmarks/ reports wall time).
    scorer = CapabilityScorer()
    prompts = ["hi", "Explain entropy. " * 40, "x = 3\nprint(x)\n" * 100, "word " * 20_000]
    scorer.assess("warm up")
    timings = []
    for index in range(400):
        start = time.thread_time()
        scorer.assess(prompts[index % len(prompts)])
        timings.append(time.thread_time() - start)
    assert np.percentile(timings, 99) < 0.002 * 1.5  # slack for a loaded CI box; bench: 2 ms


def test_bad_model_path_fails_on_first_use(tmp_path) -> None:
    scorer = CapabilityScorer(CapabilitySettings(model_path=tmp_path))
    with pytest.raises(ConfigError, match=r"capability\.model_path"):
        scorer.assess("hello")
