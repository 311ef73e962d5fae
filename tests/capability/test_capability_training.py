"""The training script runs end to end on a small sample and writes a loadable model."""

import json
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import pytest
import sklearn  # noqa: F401 - the training extra is part of dev: fail, don't skip

from hybridroute.capability import CapabilityScorer, CapabilitySettings

REPO = Path(__file__).resolve().parents[2]
DATA = REPO.parent / "shared" / "data"


@pytest.mark.skipif(not DATA.exists(), reason="shared data folder not present")
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")  # 150-row sample
def test_training_on_a_sample(tmp_path: Path, import_training: Callable[[str], ModuleType]) -> None:
    train = import_training("train_capability").train
    card = train(DATA, tmp_path, sample=150, buckets=2**10, cross_validate=True)
    assert card["evaluation_sets_used_for_training"] is False
    assert 0.0 < card["cross_validation"]["pooled_apgr"] < 1.5
    assert json.loads((tmp_path / "model_card.json").read_text())["sample"] == 150
    scorer = CapabilityScorer(CapabilitySettings(model_path=tmp_path))
    assert 0.0 <= scorer.assess("What is 2 + 2?").local_ok <= 1.0
