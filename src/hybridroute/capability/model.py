"""The learned stage: a linear model over prompt features, loaded from the shipped ``.npz``.

Inference is numpy only (no scikit-learn, no torch, no network): a dot product over the dense
features plus a gather over the hashed n-gram buckets.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from hybridroute.capability.features import DENSE_NAMES, PromptFeatures, extract


@dataclass(frozen=True, slots=True, kw_only=True)
class ModelOutput:
    """What the learned stage says about one prompt."""

    local_ok: float
    raw_score: float
    category: str
    category_probability: float


@dataclass(frozen=True, slots=True, kw_only=True)
class CapabilityModel:
    """Weights of the local-ok regressor and the task-category classifier."""

    buckets: int
    dense_mean: NDArray[np.float64]
    dense_scale: NDArray[np.float64]
    local_dense: NDArray[np.float64]
    local_hashed: NDArray[np.float32]
    local_bias: float
    category_names: tuple[str, ...]
    category_dense: NDArray[np.float64]
    category_hashed: NDArray[np.float32]  # (buckets, categories): rows gather fast
    category_bias: NDArray[np.float64]

    @classmethod
    def load(cls, directory: Path) -> CapabilityModel:
        """Read the artefact from a directory; raises ValueError if it does not fit the code."""
        with np.load(directory / MODEL_FILE, allow_pickle=False) as arrays:
            model = cls(
                buckets=int(arrays["buckets"]),
                dense_mean=arrays["dense_mean"],
                dense_scale=arrays["dense_scale"],
                local_dense=arrays["local_dense"],
                local_hashed=arrays["local_hashed"],
                local_bias=float(arrays["local_bias"]),
                category_names=tuple(str(n) for n in arrays["category_names"]),
                category_dense=arrays["category_dense"],
                category_hashed=np.ascontiguousarray(
                    arrays["category_hashed"].astype(np.float32).T
                ),
                category_bias=arrays["category_bias"],
            )
        if not 0 < model.buckets < 2**31:  # crc32 values are folded into int64 buckets
            raise ValueError(f"{directory / MODEL_FILE}: bucket count {model.buckets} out of range")
        if model.dense_mean.shape != (len(DENSE_NAMES),):
            raise ValueError(f"{directory / MODEL_FILE}: dense features do not match this code")
        return model

    def features(self, text: str) -> PromptFeatures:
        return extract(text, buckets=self.buckets)

    def predict(self, features: PromptFeatures) -> ModelOutput:
        """Local-ok probability and task category of one prompt."""
        dense = (features.dense - self.dense_mean) / self.dense_scale
        idx, counts = features.hashed_indices, features.hashed_counts
        raw = float(dense @ self.local_dense + counts @ self.local_hashed[idx] + self.local_bias)
        logits = (
            self.category_dense @ dense + counts @ self.category_hashed[idx] + self.category_bias
        )
        probabilities = np.exp(logits - logits.max())
        probabilities /= probabilities.sum()
        best = int(probabilities.argmax())
        return ModelOutput(
            local_ok=min(max(raw, 0.0), 1.0),
            raw_score=raw,
            category=self.category_names[best],
            category_probability=float(probabilities[best]),
        )


MODEL_FILE = "capability.npz"
MODEL_CARD_FILE = "model_card.json"
SHIPPED_MODEL_DIR = Path(__file__).parent / "model"
